import AutoencKit
import Foundation

/// Where `train` says what it does: the human lines (standard output, or standard error
/// when `--log -` puts the JSON lines on standard output, nowhere with `--quiet`), the
/// progress bar and the test MSE's status line (standard error when it is a terminal),
/// and the run's `RunRecords`.
final class TrainReporter: TrainingObserver {
    let console: Console
    /// The --log and --plot records, set by `begin`.
    private var records: RunRecords?
    /// The test images each epoch ends on, set by `begin`.
    private var testImages = 0

    init(quiet: Bool, log: String?) {
        console = Console(quiet: quiet, log: log)
    }

    /// Starts reporting on `run`, recording it into `log` and `plot`.
    func begin(_ run: TrainingRun, threads: Int, log: String?, plot: String?) {
        records = RunRecords(run, threads: threads, log: log, plot: plot)
        testImages = run.test.count
    }

    /// A line for the person watching.
    func say(_ line: String) {
        console.say(line)
    }

    /// Ctrl-C or SIGTERM asks the run to stop.
    var shouldStop: Bool { StopSignals.pending != nil }

    /// Runs one epoch's training behind a progress bar and the test MSE's status line
    /// (`ProgressBar.showing`: on a terminal, not `--quiet`).
    func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
               train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
        try ProgressBar.showing(epoch: epoch, of: epochs, images: images, alreadyDone: alreadyDone, testImages: testImages,
                                quiet: console.quiet, stopping: { self.shouldStop }, train: train)
    }

    /// Reports a completed epoch: the human line, then the records.
    func completed(_ report: EpochReport, of epochs: Int) throws {
        say(report.line(of: epochs))
        try records?.completed(report)
    }
}
