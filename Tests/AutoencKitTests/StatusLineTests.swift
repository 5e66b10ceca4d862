import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The status line: nothing before its delay, the last report after it, erased at the end.
@Suite struct StatusLineTests {
    /// What a status line wrote, in order.
    final class Screen: @unchecked Sendable {
        private let lock = NSLock()
        private var written: [String] = []
        var write: @Sendable (String) -> Void { { text in self.lock.withLock { self.written.append(text) } } }
        var writes: [String] { lock.withLock { written } }
    }

    /// Work that ends before the delay leaves the screen as it was.
    @Test func quickWorkPrintsNothing() {
        let screen = Screen()
        let line = StatusLine(label: nil, delay: 0.3, write: screen.write, columns: { 100 })
        line.update(WorkProgress(task: "test codes", done: 0, total: 10, unit: .images))
        line.update(WorkProgress(task: "test codes", done: 10, total: 10, unit: .images))
        line.finish()
        Thread.sleep(forTimeInterval: 0.6)
        #expect(screen.writes.isEmpty)
    }

    /// Past the delay the timer draws the last report, in place; `finish` erases it.
    @Test func drawnOnceTheDelayHasPassed() throws {
        let screen = Screen()
        let line = StatusLine(label: nil, delay: 0.05, write: screen.write, columns: { 100 })
        line.update(WorkProgress(task: "probe training", done: 3, total: 10, unit: .epochs))
        let deadline = Date().addingTimeInterval(30)
        while screen.writes.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        line.finish()
        let writes = screen.writes
        let first = try #require(writes.first)
        #expect(first.hasPrefix("\rprobe training [") && first.contains("3/10 epochs") && first.hasSuffix("\u{1B}[K"),
                "\(writes)")
        #expect(writes.last == "\r\u{1B}[K")
    }

    /// Each redraw shows the last report (the timer's draws are called by hand here):
    /// `ETA ?` before the first unit is done, the counts, nothing new when nothing
    /// changed, and nothing at all after `finish`.
    @Test func redraws() {
        let screen = Screen()
        let line = StatusLine(label: nil, delay: 3600, write: screen.write, columns: { 100 })
        line.update(WorkProgress(task: "sampling inference (1000 draws)", done: 0, total: 10000, unit: .images))
        line.draw()
        line.draw()
        #expect(screen.writes.count == 1)
        Thread.sleep(forTimeInterval: 0.05)
        line.update(WorkProgress(task: "sampling inference (1000 draws)", done: 3200, total: 10000, unit: .images))
        line.draw()
        line.finish()
        line.draw()
        let writes = screen.writes
        #expect(writes.count == 3, "\(writes)")
        #expect(writes.first?.hasPrefix("\rsampling inference (1000 draws) [") == true, "\(writes)")
        #expect(writes.first?.contains("    0/10000 images    0%  ETA ?") == true, "\(writes)")
        #expect(writes.dropFirst().first?.contains(" 3200/10000 images   32%  ETA 0:") == true, "\(writes)")
        #expect(writes.dropLast().allSatisfy { $0.hasPrefix("\r") && $0.hasSuffix("\u{1B}[K") && !$0.contains("\n") })
        #expect(writes.last == "\r\u{1B}[K")
    }

    @Test func lines() {
        let progress = WorkProgress(task: "probe training", done: 3, total: 10, unit: .epochs)
        #expect(StatusLine.line(label: nil, progress: progress, elapsed: 5, eta: 12, columns: 120)
                == "probe training [" + String(repeating: "#", count: 9) + String(repeating: ".", count: 21)
                + "]   3/10 epochs   30%  ETA 0:12   ")
        // a narrow terminal: no bar, cut short of the last column
        #expect(StatusLine.line(label: nil, progress: progress, elapsed: 5, eta: 12,
                                columns: 30) == "probe training   3/10 epochs ")
        #expect(StatusLine.line(label: "epoch 3/10: test MSE over 10000 images", progress: nil, elapsed: 2.5,
                                eta: nil, columns: 80)
                == "epoch 3/10: test MSE over 10000 images  0:02")
        // the bar and the line keep their widths as the counts and the ETA change
        let lines = [(0, nil), (5, 3725.0), (9999, 1.0), (10000, 0)].map { done, eta in
            StatusLine.line(label: nil, progress: WorkProgress(task: "test codes", done: done, total: 10000,
                                                               unit: .images),
                            elapsed: 1, eta: eta, columns: 100)
        }
        #expect(Set(lines.map { $0.split(separator: "]")[0].count }).count == 1, "\(lines)")
        #expect(Set(lines.map(\.count)).count == 1, "\(lines)")
    }
}
