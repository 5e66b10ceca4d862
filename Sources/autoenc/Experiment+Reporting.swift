import ArgumentParser
import AutoencKit
import Foundation

/// What compare and sweep print and record while their runs train: a line per epoch
/// behind the run's name (on standard error when `--log -` puts the JSON lines on
/// standard output), and the run's `--log` records.
final class ExperimentLines: TrainingObserver {
    let prefix: String
    let quiet: Bool
    let log: String?
    private var records: RunRecords?

    init(prefix: String, quiet: Bool, log: String?) {
        self.prefix = prefix
        self.quiet = quiet
        self.log = log
    }

    /// Ctrl-C or SIGTERM stops every run.
    var shouldStop: Bool { StopSignals.pending != nil }

    func started(_ run: TrainingRun) {
        if log != nil { records = RunRecords(run, threads: run.options.threads, log: log, plot: nil) }
    }

    func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
               train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
        try train { _, _, _ in }
    }

    func completed(_ report: EpochReport, of epochs: Int) throws {
        try records?.completed(report)
        say(prefix + "  " + report.line(of: epochs), quiet: quiet, log: log)
    }
}

/// A human line of compare or sweep: standard output, or standard error when `--log -`
/// holds standard output, nothing when quiet.
func say(_ line: String, quiet: Bool, log: String?) {
    Console(quiet: quiet, log: log).say(line)
}

/// compare's and sweep's line on their data: "data: DIR (N training, M test images, labels)".
func dataLine(_ location: DataLocation, trainImages: Int, testImages: Int, labeled: Bool) -> String {
    "data: \(location.directory) (\(trainImages) training, \(testImages) test images\(labeled ? ", labels" : ", no labels: no probe"))"
}

/// compare's and sweep's last lines: the table and what was written into `out`.
func sayOutputs(_ outputs: ExperimentOutputs, out: String, quiet: Bool, log: String?) {
    for line in ["", outputs.table, "", "wrote \(out)/: " + outputs.files.joined(separator: ", ")] {
        say(line, quiet: quiet, log: log)
    }
}

/// Trains `runs` into `out` (compare's and sweep's shared part): the schedule line, the
/// runs, and on Ctrl-C or SIGTERM the line that says what was kept, then exit 130 or
/// 143. Returns every run's record.
func trainRuns(_ runs: [ExperimentRun], train: ImageSet, test: ImageSet, location: DataLocation, out: String,
               seeds: SeedFlags, threads: ThreadsOption, quiet: Bool, log: String?, again: String) throws -> [ExperimentRecord] {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let trainings = Set(runs.map(\.stem)).count
    let schedule = Experiment.Schedule.choose(runs: trainings, cores: cores, jobs: seeds.jobs,
                                              threads: threads.threads.map { Limits.threadCount($0, cores: cores).count })
    say("runs: \(counted(trainings, "training")), \(schedule.jobs) at a time on \(counted(schedule.threadsPerRun, "thread")) each; finished runs are kept in \(Experiment.runsDirectory(out))/",
        quiet: quiet, log: log)
    StopSignals.install()
    let records = try Experiment.execute(runs, train: train, test: test, dataset: location.absoluteDirectory, directory: out,
                                         schedule: schedule,
                                         observer: { ExperimentLines(prefix: $0.stem, quiet: quiet, log: log) },
                                         announce: { say($0, quiet: quiet, log: log) },
                                         evaluating: { run, measure in StatusLine.showing(quiet: quiet, label: run.stem) { measure($0) } })
    let finished = records.compactMap { $0 }
    if finished.count < records.count {
        let signal = StopSignals.pending ?? SIGINT
        let done = Set(finished.map(\.run.stem)).count
        Console.error("autoenc: stopped by \(StopSignals.name(signal)); \(done) of \(trainings) runs finished and kept in \(Experiment.runsDirectory(out))/, the unfinished ones discarded; the same command trains the rest: \(again)")
        throw ExitCode(128 + signal)
    }
    return finished
}

extension ParsableCommand {
    /// The command line as typed, for "run it again" hints.
    static var commandLine: String {
        (["autoenc"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
