import Foundation

extension Experiment {
    /// Trains `runs` into `directory` as compare and sweep do, saying on `console` how the
    /// runs share the cores, each run's epochs behind its stem (`ExperimentConsole`, which
    /// also appends them to `log`), the runs reused, and a status line while a run is
    /// measured (on a terminal, unless quiet). The schedule is `Schedule.choose`'s for
    /// `jobs` (--jobs) and `threads` (--threads as given, capped at `cores`). Returns
    /// every run's record, in the order of `runs`. With `keepGoing` (a shard), a failed
    /// run does not stop the others; without `wait` (--no-wait), runs another process
    /// holds are left to it (`execute`).
    ///
    /// Installs `StopSignals`: Ctrl-C or SIGTERM stops the runs under way, keeps the
    /// finished ones and throws `.interrupted` (130) or `.terminated` (143) saying that
    /// `again` (the command as typed) trains the rest (`stopped`). Throws what `execute`
    /// throws, and before any training `.unavailable` (69) when the largest run, as many
    /// times as run at once, needs more memory than is `available` (`Trainer.checkMemory`).
    public static func train(_ runs: [ExperimentRun], train: ImageSet, test: ImageSet, location: DataLocation,
                             directory: String, jobs: Int?, threads: Int?,
                             cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                             console: Console, log: String?, again: String, keepGoing: Bool = false, wait: Bool = true,
                             available: Int? = Memory.available()) throws -> [ExperimentRecord] {
        let trainings = Set(runs.map(\.stem)).count
        let schedule = Schedule.choose(runs: trainings, cores: cores, jobs: jobs,
                                       threads: threads.map { Limits.threadCount($0, cores: cores).count })
        // the largest run as many times as run at once; a run trains on its first --limit images
        let images = runs.map { min($0.limit ?? train.count, train.count) }
        let needs = runs.indices.map { Trainer.memoryNeed(runs[$0].config, options: runs[$0].options,
                                                          largestBatch: images[$0]) }
        if let i = needs.indices.max(by: { needs[$0] < needs[$1] }) {
            try Trainer.checkMemory(runs[i].config, options: runs[i].options, largestBatch: images[i],
                                    runs: schedule.jobs,
                                    available: available)
        }
        console.say(schedule.line(trainings: trainings, cores: cores, kept: runsDirectory(directory)))
        StopSignals.install()
        let records = try execute(runs, train: train, test: test, dataset: location.absoluteDirectory,
                                  directory: directory,
                                  schedule: schedule, keepGoing: keepGoing, wait: wait,
                                  observer: { ExperimentConsole(prefix: $0.stem, console: console, log: log) },
                                  announce: { console.say($0) },
                                  evaluating: { run, measure in
                                      StatusLine.showing(quiet: console.quiet, label: run.stem) { measure($0) }
                                  })
        let finished = records.compactMap { $0 }
        if finished.count < records.count {
            let done = Set(finished.map(\.run.stem)).count
            throw stopped(by: StopSignals.pending ?? SIGINT, finished: done, of: trainings,
                          directory: directory, again: again)
        }
        return finished
    }

    /// The error that ends compare or sweep when `signal` stopped them with `finished` of
    /// their `trainings` runs done: status 128 + the signal (`StopSignals.status`), and a
    /// message saying what was kept in `directory`'s runs/ and that `again` trains the
    /// rest.
    public static func stopped(by signal: Int32, finished: Int, of trainings: Int, directory: String,
                               again: String) -> AutoencError {
        AutoencError(StopSignals.status(signal), "stopped by \(StopSignals.name(signal)); \(finished) of \(trainings) "
            + "runs finished and kept in \(runsDirectory(directory))/, the unfinished ones discarded; "
            + "the same command trains the rest: \(again)")
    }

    /// compare's and sweep's line on their data: "data: DIR (N training, M test images,
    /// labels)", or "no labels: no probe" when the data set has no label files.
    public static func dataLine(_ location: DataLocation, trainImages: Int, testImages: Int, labeled: Bool) -> String {
        "data: \(location.directory) (\(trainImages) training, \(testImages) "
            + "test images\(labeled ? ", labels" : ", no labels: no probe"))"
    }
}

extension ExperimentOutputs {
    /// compare's and sweep's last lines: a blank line, the table, a blank line, and what
    /// was written into `directory`.
    public func lines(directory: String) -> [String] {
        ["", table, "", "wrote \(directory)/: " + files.joined(separator: ", ")]
    }
}

/// What compare and sweep say and record while a run trains: a line per epoch behind the
/// run's name on their `Console`, and the run's `--log` records (`RunRecords`, no chart).
/// Ctrl-C or SIGTERM stops every run.
final class ExperimentConsole: TrainingObserver {
    let prefix: String
    let console: Console
    let log: String?
    private var records: RunRecords?

    /// Says the epochs behind `prefix` (the run's stem) on `console`, and appends them to
    /// `log` (--log as given) when there is one.
    init(prefix: String, console: Console, log: String?) {
        self.prefix = prefix
        self.console = console
        self.log = log
    }

    var shouldStop: Bool { StopSignals.pending != nil }

    func started(_ run: TrainingRun) {
        if log != nil { records = RunRecords(run, threads: run.options.threads, log: log, plot: nil) }
    }

    /// Trains the epoch without a progress bar: runs may train side by side.
    func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
               train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
        try train { _, _, _ in }
    }

    /// Records a completed epoch, then says its line.
    func completed(_ report: EpochReport, of epochs: Int) throws {
        try records?.completed(report)
        console.say(prefix + "  " + report.line(of: epochs))
    }
}
