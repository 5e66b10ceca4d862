import Foundation

/// A one-line status on a terminal's standard error for work that may take a while: what is
/// being done and how far it got (the last `WorkProgress` heard), redrawn in place by a
/// timer ten times a second.
///
/// Nothing is drawn until the work has run for `delay` (a second), so quick work prints
/// nothing; `finish()` erases what was drawn.
///
/// `sampling inference (1000 draws) [########..................]   3200/10000 images   32%  ETA 1:51`,
/// or with a label and no counts, `epoch 3/10: test MSE over 10000 images  0:02`.
public final class StatusLine: @unchecked Sendable {
    /// How long work runs before the line appears.
    public static let delay: Double = 1

    private let label: String?
    private let write: @Sendable (String) -> Void
    private let columns: @Sendable () -> Int
    private let start = DispatchTime.now().uptimeNanoseconds
    private let timer: DispatchSourceTimer
    // guarded by lock: the last report, when its task started, what is on the screen
    private let lock = NSLock()
    private var progress: WorkProgress?
    private var taskStart: UInt64 = 0
    private var lastReport: UInt64 = 0
    private var shown: String?
    private var finished = false

    /// Runs `work`, handing it a handler that feeds a status line on standard error when
    /// that is a terminal and `quiet` is false (nil otherwise, so nothing is even
    /// counted); the line, if it appeared, is erased however `work` ends.
    public static func showing<Result>(quiet: Bool, label: String? = nil,
                                       _ work: (ProgressHandler?) throws -> Result) rethrows -> Result {
        let line = quiet || !ProgressBar.standardErrorIsTerminal ? nil : StatusLine(label: label)
        defer { line?.finish() }
        return try work(line?.handler)
    }

    /// A line on standard error for work starting now, whether or not that is a
    /// terminal (`showing` asks).
    public convenience init(label: String? = nil) {
        self.init(label: label, delay: Self.delay, write: { FileHandle.standardError.write(Data($0.utf8)) },
                  columns: ProgressBar.columns)
    }

    /// A line for work starting now, drawn after `delay` seconds through `write`, cut to
    /// `columns()` (tests pass their own).
    init(label: String?, delay: Double, write: @escaping @Sendable (String) -> Void,
         columns: @escaping @Sendable () -> Int) {
        self.label = label
        self.write = write
        self.columns = columns
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + delay, repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Where the work sends its progress.
    public var handler: ProgressHandler { { [weak self] in self?.update($0) } }

    /// Records `report` for the next redraw.
    public func update(_ report: WorkProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = DispatchTime.now().uptimeNanoseconds
        if progress?.task != report.task || report.done < (progress?.done ?? 0) {
            taskStart = now
            lastReport = now
        } else if report.done != progress?.done {
            lastReport = now
        }
        progress = report
    }

    /// Stops redrawing and erases the line, leaving the cursor at the start of the empty
    /// line (nothing is written when the line never appeared).
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        timer.cancel()
        if shown != nil { write("\r\u{1B}[K") }
        shown = nil
    }

    /// Draws the last report unless finished or already on the screen (the timer's job).
    func draw() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        // the time left at the rate so far, counting down between reports
        var eta: Double?
        if let progress, progress.done > 0, lastReport > taskStart {
            let rate = Double(progress.done) / (Double(lastReport - taskStart) / 1e9)
            eta = max(0, Double(progress.total - progress.done) / rate - Double(now - lastReport) / 1e9)
        }
        let text = Self.line(label: label, progress: progress, elapsed: Double(now - start) / 1e9, eta: eta,
                             columns: columns())
        guard text != shown else { return }
        write("\r" + text + "\u{1B}[K")
        shown = text
    }

    /// The line, cut to `columns - 1` characters so that it never wraps: the label and the
    /// task, then a bar, the counts, the percentage and the time left (`ETA ?` before the
    /// first unit is done); with no progress heard, the label and the time elapsed.
    static func line(label: String?, progress: WorkProgress?, elapsed: Double, eta: Double?, columns: Int) -> String {
        let head = [label, progress?.task].compactMap { $0 }.joined(separator: ": ")
        var text: String
        if let progress {
            let fraction = progress.total > 0 ? Double(progress.done) / Double(progress.total) : 1
            // done padded to the width of total, so that the bar keeps its width
            let total = String(progress.total)
            let count = ProgressBar.padded(String(progress.done), to: total.count) + "/" + total
            // the time left padded to the width of 1:02:03, so that the line keeps its length
            let left = eta.map(ProgressBar.duration) ?? "?"
            let tail = "\(count) \(progress.unit.rawValue) "
                + " \(String(format: "%3d%%", Int(fraction * 100)))  ETA \(left)"
                + String(repeating: " ", count: max(0, 7 - left.count))
            let barWidth = min(30, columns - 1 - head.count - tail.count - 5)
            text = head + " "
            if barWidth >= 5 {
                let filled = Int((fraction * Double(barWidth)).rounded(.down))
                text += "[" + String(repeating: "#", count: filled)
                + String(repeating: ".", count: barWidth - filled) + "] "
            }
            text += " " + tail
        } else {
            text = head + "  " + ProgressBar.duration(elapsed.rounded(.down))
        }
        return String(text.prefix(max(1, columns - 1)))
    }
}
