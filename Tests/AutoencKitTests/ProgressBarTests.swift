import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The epoch's progress bar keeps one width for the whole run: it used to change length
/// as the count, the rate, the loss and the time left grew or shrank, and the bar moved.
@Suite struct ProgressBarTests {
    @Test func line() {
        let label = ProgressBar.label(epoch: 3, of: 10)
        #expect(label == "epoch  3/10")
        #expect(ProgressBar.line(label: label, done: 27008, total: 60000, rate: 5210.4, loss: 0.023114, eta: 6.3,
                                 columns: 120)
                == "epoch  3/10 [#############.................]   45%  27008/60000     5210 img/s  loss 0.02311"
                + "  ETA 0:07   ")
        // a narrow terminal: no bar, cut short of the last column
        #expect(ProgressBar.line(label: label, done: 5, total: 60000, rate: 9, loss: 0.5, eta: nil, columns: 40)
                == "epoch  3/10    0%      5/60000        9")
    }

    /// Every field at its shortest and its longest (within 10 hours, a million images a
    /// second and a loss below 10), each epoch's label, a non-finite loss: one length, the
    /// bar at one place.
    @Test(arguments: [40, 80, 132])
    func oneWidth(columns: Int) {
        var lines: [String] = []
        for epoch in [1, 9, 10] {
            let label = ProgressBar.label(epoch: epoch, of: 10)
            let fields: [(Int, Double, Double, Double?)] = [
                (0, 0, 0, nil), (1, 1, 0.5, 1), (59_999, 999_999, 9.99999, 35_999), (60_000, 12_345, .nan, 0),
                (30_000, 5210, .infinity, 3725),
            ]
            for (done, rate, loss, eta) in fields {
                lines.append(ProgressBar.line(label: label, done: done, total: 60000, rate: rate, loss: loss, eta: eta,
                                              columns: columns))
            }
        }
        #expect(Set(lines.map(\.count)).count == 1, "\(lines.map { "\($0.count): \($0)" })")
        #expect(Set(lines.map { $0.split(separator: "]", omittingEmptySubsequences: false)[0].count }).count == 1)
        #expect(lines.allSatisfy { $0.count <= columns - 1 })
    }
}
