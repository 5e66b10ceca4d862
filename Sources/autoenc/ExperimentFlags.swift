import ArgumentParser
import AutoencKit

/// What `compare` and `sweep` say of themselves in their shared flags' help.
protocol ExperimentCommand {
    /// `--out`'s default: the command's name.
    static var defaultDirectory: String { get }
    /// What `--out` holds besides the report, the metrics and the runs.
    static var figures: String { get }
}

/// The flags of an experiment, `compare`'s and `sweep`'s: the data, the seed(s) and how
/// their runs share the cores, the epochs, where the results go, the log and -q.
struct ExperimentFlags<Command: ExperimentCommand>: ParsableArguments {
    @OptionGroup var dataOptions: DataOptions

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Random seed for initialization, shuffling and masks; with --seeds N, the first of the N. (default: 0)",
        valueName: "n"))
    var seed: UInt64?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Train each model from N seeds (--seed, --seed + 1, ...) and report each metric's mean, sd and 95% interval, with a test of each difference against the seeds' noise.",
        valueName: "n"))
    var seeds: Int = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Runs trained at once, each on --threads threads or, without it, on its share of the cores. Default: 1, \
        one run after another on every core, which measured faster on 2 cores than two single-thread runs side by side.
        """, valueName: "n"))
    var jobs: Int?

    @OptionGroup var threads: ThreadsOption

    @Option(parsing: .unconditional, help: ArgumentHelp("Passes over the training set for each run.", valueName: "n"))
    var epochs: Int = 10

    @Option(name: .long, help: ArgumentHelp(
        "Directory for the report, the metrics, \(Command.figures) and the runs (created if missing).",
        valueName: "dir"), completion: .directory)
    var out: String = Command.defaultDirectory

    @Option(help: ArgumentHelp(
        "Append each run's JSON lines (its settings, then one per epoch, as train --log) to this file; - writes them to standard output.",
        valueName: "file"), completion: .file())
    var log: String?

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try refuse(Limits.seeds.problem(seeds, name: "--seeds"), Limits.threads.problem(jobs, name: "--jobs"),
                   Limits.epochs.problem(epochs, name: "--epochs"), Limits.nameProblem(out, flag: "--out", what: "a directory"),
                   RunRecords.problem(log: log, plot: nil))
    }

    /// Trains and measures the `design` (`Experiment.run`), drawing the curves to `plot` too.
    func run<Design: ExperimentDesign>(plot: String? = nil, _ design: () throws -> Design) throws {
        try reportingErrors {
            try Experiment.run(try design(), data: dataOptions.data, directory: out, jobs: jobs, threads: threads.threads,
                               console: Console(quiet: quiet.quiet, log: log), log: log, plot: plot)
        }
    }
}
