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
    /// The run reported on, set by `begin`.
    private var run: TrainingRun?

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

    /// The run's first record, written before its first epoch's (a run that completes
    /// no epoch writes nothing to the log).
    private var startRecord: String?

    /// Starts reporting on `run`.
    func begin(_ run: TrainingRun, threads: Int) {
        self.run = run
        startRecord = run.startRecord(threads: threads)
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
        for record in [startRecord, report.json(run: run?.id ?? "")].compactMap({ $0 }) {
            if logToStandardOutput { print(record) }
            try logFile?.append(record)
        }
        startRecord = nil
        // the run's history has every completed epoch, those before a resume included
        guard let plot, let history = run?.history, !history.isEmpty else { return }
        let chart = LineChart.trainingCurves(trainLoss: history.map(\.trainLoss), testMSE: history.map(\.testMSE),
                                             firstEpoch: report.epoch - history.count + 1)
        try AtomicFile.write(chart.encoded(as: plot.format), to: plot.path)
    }
}
