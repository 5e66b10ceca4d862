import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on a terminal's standard error, redrawn in place (`\r`) at most
/// ten times a second: images done, images per second, the running loss and the time left
/// in the epoch.
///
/// Every field has a fixed width, so that the line keeps its length for the whole run (on a
/// terminal of one width). `clear()` erases it.
public final class ProgressBar {
    /// Whether standard error is a terminal, the only place a bar is drawn.
    public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    let label: String
    let total: Int
    /// Images of the epoch done before this bar started (a run resumed mid-epoch).
    let alreadyDone: Int
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: UInt64 = 0
    private var drawn = false

    static let interval: UInt64 = 100_000_000 // ns between redraws

    public init(label: String, total: Int, alreadyDone: Int = 0) {
        self.label = label
        self.total = total
        self.alreadyDone = alreadyDone
    }

    /// Runs epoch `epoch` of `epochs`, `train`, showing a bar meanwhile when standard
    /// error is a terminal and `quiet` is false: `images` in the epoch, `alreadyDone` of
    /// them before (a resumed epoch). Once the last step is taken (or `stopping()` says a
    /// stop was asked for), a status line for the test MSE over `testImages` that follows,
    /// which appears when that takes more than a second. Both are erased however the
    /// epoch ends. `train` reports its progress (images seen, images in the epoch,
    /// running loss) through the closure it is given.
    public static func showing(epoch: Int, of epochs: Int, images: Int, alreadyDone: Int, testImages: Int, quiet: Bool,
                               stopping: @escaping () -> Bool,
                               train: (_ progress: (Int, Int,
                                                    Double) -> Void) throws -> EpochReport) rethrows -> EpochReport {
        guard !quiet, standardErrorIsTerminal else { return try train { _, _, _ in } }
        let bar = ProgressBar(label: label(epoch: epoch, of: epochs), total: images, alreadyDone: alreadyDone)
        var evaluation: StatusLine?
        defer {
            evaluation?.finish()
            bar.clear()
        }
        return try train { seen, total, loss in
            bar.update(seen: seen, loss: loss)
            if evaluation == nil, alreadyDone + seen >= total || stopping() {
                evaluation = StatusLine(label: "epoch \(epoch)/\(epochs): "
                    + "test MSE over \(counted(testImages, "image"))")
            }
        }
    }

    /// Called after every step: `seen` images of this call so far, their mean loss.
    public func update(seen: Int, loss: Double) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard !drawn || now - lastDraw >= Self.interval else { return }
        lastDraw = now
        drawn = true
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(seen) / seconds : 0
        let done = min(total, alreadyDone + seen)
        let eta = rate > 0 ? Double(total - done) / rate : nil
        write("\r" + Self.line(label: label, done: done, total: total, rate: rate, loss: loss, eta: eta,
                               columns: Self.columns()) + "\u{1B}[K")
    }

    /// Erases the bar, leaving the cursor at the start of the empty line.
    public func clear() {
        if drawn { write("\r\u{1B}[K") }
        drawn = false
    }

    /// `epoch  3/10`: the epoch padded to the width of the last, so that the label keeps
    /// its length from epoch 1 to 10.
    static func label(epoch: Int, of epochs: Int) -> String {
        "epoch " + padded(String(epoch), to: String(epochs).count) + "/\(epochs)"
    }

    /// `epoch  3/10 [#######.......]  45%  27008/60000    5210 img/s  loss 0.02311  ETA 0:06   `,
    /// cut to `columns - 1` characters so that it never wraps. Each field has a fixed
    /// width (the count that of `total`, the rate 7 digits, the loss 7 characters, the
    /// time left that of `1:02:03`), so the line's length depends on the label, `total`
    /// and `columns` alone: the bar does not jump as the numbers change.
    static func line(label: String, done: Int, total: Int, rate: Double, loss: Double, eta: Double?,
                     columns: Int) -> String {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let percent = String(format: "%3.0f%%", fraction * 100)
        let count = padded(String(done), to: String(total).count) + "/\(total)"
        let speed = padded(String(format: "%.0f", rate), to: 7)
        let lossText = padded(loss.isFinite && abs(loss) < 10 ? String(format: "%.5f", loss) : "\(loss)", to: 7)
        let left = eta.map(duration) ?? "?"
        let tail = "\(percent)  \(count)  \(speed) img/s  loss \(lossText)  ETA \(left)"
            + String(repeating: " ", count: max(0, 7 - left.count))
        let barWidth = min(30, columns - 1 - label.count - tail.count - 5)
        var text = label + " "
        if barWidth >= 5 {
            let filled = Int((fraction * Double(barWidth)).rounded(.down))
            text += "[" + String(repeating: "#", count: filled)
                + String(repeating: ".", count: barWidth - filled) + "] "
        }
        text += " " + tail
        return String(text.prefix(max(1, columns - 1)))
    }

    /// `text` with spaces before it up to `width` characters (as it is when longer).
    static func padded(_ text: String, to width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `0:07`, `12:34`, `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// The terminal's width, 80 when it cannot be asked.
    static func columns() -> Int {
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
