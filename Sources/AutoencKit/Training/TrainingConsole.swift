/// What `train` shows and records while its run trains: each completed epoch's line on its
/// `Console`; while an epoch runs, a progress bar and then the test MSE's status line
/// (`ProgressBar.showing`: on standard error when that is a terminal, unless quiet); the
/// run's `--log` lines and `--plot` chart (`RunRecords`).
///
/// Ctrl-C or SIGTERM (`StopSignals`, which the caller installs) asks the run to stop.
public final class TrainingConsole: TrainingObserver {
    public let console: Console
    let log: String?
    let plot: String?
    /// The run's records, made when it starts.
    private var records: RunRecords?
    /// The test images each epoch ends on, known when the run starts.
    private var testImages = 0
    /// The run, for its history and settings, known when it starts.
    private var run: TrainingRun?
    /// Whether the stalled-loss warning was said (once a run).
    private var warnedStalled = false

    /// Says the epochs on `console` and records them into `log` and `plot` (--log and
    /// --plot as given, either nil).
    public init(_ console: Console, log: String?, plot: String?) {
        self.console = console
        self.log = log
        self.plot = plot
    }

    /// Makes the run's records, on the threads the run trains with.
    public func started(_ run: TrainingRun) {
        records = RunRecords(run, threads: run.options.threads, log: log, plot: plot)
        testImages = run.test.count
        self.run = run
    }

    /// Ctrl-C or SIGTERM asks the run to stop.
    public var shouldStop: Bool { StopSignals.pending != nil }

    /// Runs one epoch's training behind the progress bar and the test MSE's status line.
    public func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
                      train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
        try ProgressBar.showing(epoch: epoch, of: epochs, images: images, alreadyDone: alreadyDone,
                                testImages: testImages,
                                quiet: console.quiet, stopping: { self.shouldStop }, train: train)
    }

    /// Reports a completed epoch: the human line, then the records. Throws the records'
    /// write errors.
    public func completed(_ report: EpochReport, of epochs: Int) throws {
        console.say(report.line(of: epochs))
        if let run, !warnedStalled, let line = Self.stalledWarning(run.history,
                                                                   learningRate: run.options.learningRate) {
            console.say(line)
            warnedStalled = true
        }
        try records?.completed(report)
    }

    /// A warning, never a failure, when the training loss of `history` has not moved for
    /// two epochs (`EpochFigures.lossStalled`); nil otherwise. Its advice follows the
    /// learning rate: above Adam's default (0.001) the likely cause is saturated outputs
    /// (or dead units) from too large steps; at or below it, steps too small to move.
    public static func stalledWarning(_ history: [EpochFigures], learningRate: Float) -> String? {
        guard EpochFigures.lossStalled(history, epochs: 2), let last = history.last else { return nil }
        let loss = String(format: "%.5f", last.trainLoss)
        let cause = learningRate > TrainingOptions().learningRate
            ? "the outputs may be saturated and --lr \(learningRate) too high: try a smaller --lr"
            : "--lr \(learningRate) may be too small to move the weights: try a larger --lr"
        return "warning: the training loss has not moved for two epochs (\(loss)); \(cause)"
    }
}
