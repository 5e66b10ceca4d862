import AutoencKit
import Foundation

/// Where `train` says what it does: the human lines (standard output, or standard error
/// when `--log -` puts the JSON lines on standard output, nowhere with `--quiet`), the
/// progress bar (standard error when it is a terminal), the `--log` lines and the
/// `--plot` chart, redrawn after every epoch.
final class TrainReporter: TrainingObserver {
    let quiet: Bool
    let logFile: AppendFile?
    let logToStandardOutput: Bool
    let plot: (path: String, format: LineChart.Format)?
    private var firstEpoch: Int?
    private var trainLosses: [Double] = []
    private var testMSEs: [Double] = []

    /// The value of `--log` that means standard output.
    static let standardOutput = "-"

    init(quiet: Bool, log: String?, plot: String?) {
        self.quiet = quiet
        logToStandardOutput = log == Self.standardOutput
        logFile = log.flatMap { $0 == Self.standardOutput ? nil : AppendFile($0, what: "--log") }
        self.plot = plot.flatMap { path in LineChart.Format(path: path).map { (path, $0) } }
    }

    /// Checks before any work that the log and the chart can be written (73 when not).
    static func checkOutputs(log: String?, plot: String?) throws {
        if let log, log != standardOutput { try AppendFile.checkAppendable(log, what: "--log") }
        if let plot {
            try AtomicFile.checkWritable(plot, what: "--plot")
            AtomicFile.removeStaleTemporaries(for: plot)
        }
    }

    /// A line for the person watching.
    func say(_ line: String) {
        if quiet { return }
        if logToStandardOutput { printError(line) } else { print(line) }
    }

    /// Ctrl-C or SIGTERM asks the run to stop.
    var shouldStop: Bool { StopSignals.pending != nil }

    /// Runs one epoch's training, showing a progress bar meanwhile when standard error is
    /// a terminal (and not `--quiet`); the bar is erased however the epoch ends.
    func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
               train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
        guard !quiet, ProgressBar.standardErrorIsTerminal else { return try train { _, _, _ in } }
        let bar = ProgressBar(label: "epoch \(epoch)/\(epochs)", total: images, alreadyDone: alreadyDone)
        defer { bar.clear() }
        return try train { seen, _, loss in bar.update(seen: seen, loss: loss) }
    }

    /// Reports a completed epoch: the human line, the JSON line, the redrawn chart.
    func completed(_ report: EpochReport, of epochs: Int) throws {
        say(String(format: "epoch %ld/%ld  train_loss %.5f  test_mse %.5f  %.2f s  %.0f images/s",
                   report.epoch, epochs, report.trainLoss, report.testMSE, report.seconds, report.imagesPerSecond))
        if logToStandardOutput { print(report.json) }
        try logFile?.append(report.json)
        guard let plot else { return }
        if firstEpoch == nil { firstEpoch = report.epoch }
        trainLosses.append(report.trainLoss)
        testMSEs.append(report.testMSE)
        let chart = LineChart.trainingCurves(trainLoss: trainLosses, testMSE: testMSEs, firstEpoch: firstEpoch ?? 1)
        try AtomicFile.write(chart.encoded(as: plot.format), to: plot.path)
    }
}
