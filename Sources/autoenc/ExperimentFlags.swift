import Foundation
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
        "Train each model from N seeds (--seed, --seed + 1, ...) and report each metric's mean, sd and 95% interval, "
            + "with a test of each difference against the seeds' noise.",
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
        "Append each run's JSON lines (its settings, then one per epoch, as train --log) to this file; "
            + "- writes them to standard output.",
        valueName: "file"), completion: .file())
    var log: String?

    @OptionGroup var quiet: QuietOption

    @Option(help: ArgumentHelp("""
        Train only shard I of N (0-based): of the runs sorted by name, every Nth from the Ith. A shard of several \
        writes no report, metrics or figures; --collect-only does once every shard is done. Default: in a Slurm \
        array of contiguous indices, the task's place in it (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of \
        SLURM_ARRAY_TASK_COUNT).
        """, valueName: "i/n"))
    var shard: String?

    @Flag(name: .customLong("collect-only"), help: ArgumentHelp(
        "Train nothing: write the report, metrics and figures from the finished runs in --out; exit 1 naming any "
            + "missing."))
    var collectOnly = false

    @Flag(name: .customLong("no-wait"), help: ArgumentHelp(
        "Leave the runs another process is training (their claim runs/NAME.claim) to it, and exit 1 naming them once "
            + "the others are done, where the command would wait for them."))
    var noWait = false

    @Option(name: .customLong("emit-sbatch"), help: ArgumentHelp("""
        Train nothing: write a Slurm job-array script to this file, a task per shard (--shard set from \
        SLURM_ARRAY_TASK_ID), with these flags and --out made absolute, requeued on node failure, signalled 90 s \
        before its time limit, each asking --threads CPUs (times --jobs; else 4); its comment queues --collect-only \
        behind the array. Fixes the runs in --out first.
        """, valueName: "file"), completion: .file())
    var emitSbatch: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "With --emit-sbatch: the array's tasks (shards). Default: one per run, up to the cluster's MaxArraySize.",
        valueName: "n"))
    var tasks: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "With --emit-sbatch: run at most K of the array's tasks at once.", valueName: "k"))
    var throttle: Int?

    /// A job array's tasks: Slurm's MaxArraySize is at most 4000001.
    static var arrayTasks: Limit<Int> { Limit(1...4_000_001) }

    /// The flags that concern only the script, left out of its command.
    static var scriptFlags: Set<String> { ["--emit-sbatch", "--tasks", "--throttle", "--out", "--shard"] }

    func validate() throws {
        try refuse(Limits.seeds.problem(seeds, name: "--seeds"), Limits.threads.problem(jobs, name: "--jobs"),
                   Limits.epochs.problem(epochs, name: "--epochs"),
                   Limits.nameProblem(out, flag: "--out", what: "a directory"),
                   Limits.nameProblem(emitSbatch, flag: "--emit-sbatch", what: "a file"),
                   Self.arrayTasks.problem(tasks, name: "--tasks"),
                   Self.arrayTasks.problem(throttle, name: "--throttle"),
                   RunRecords.problem(log: log, plot: nil),
                   shard != nil && collectOnly ? "--shard and --collect-only: a shard trains, --collect-only does not; "
                       + "give one of them" : nil,
                   emitSbatch != nil && (shard != nil || collectOnly) ? "--emit-sbatch writes a script whose tasks "
                       + "are the shards; give it without --shard and --collect-only" : nil,
                   emitSbatch == nil && (tasks != nil || throttle != nil) ? "--\(tasks != nil ? "tasks" : "throttle") "
                       + "shapes --emit-sbatch's job array; give --emit-sbatch FILE too" : nil)
        if let shard { _ = try usageErrors { try Shard.parse(shard) } }
    }

    /// The shard to train: --shard, else a Slurm array task's (`Shard.slurm`), else the
    /// whole experiment; always the whole with --collect-only.
    func chosenShard(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard {
        if collectOnly { return .whole }
        if let shard { return try Shard.parse(shard) }
        return Shard.slurm(environment) ?? .whole
    }

    /// The job array --emit-sbatch writes for `runs` runs: this binary (by its absolute
    /// path) with the command's arguments (`arguments`, after the binary) less the
    /// script's own flags, --out made absolute, in the current directory; --tasks tasks,
    /// else one per run up to the cluster's MaxArraySize (a line on stderr when --tasks
    /// asks for more); --threads CPUs per run, else `SlurmArray.defaultCPUsPerTask`.
    func slurmArray(runs: Int, arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> SlurmArray {
        let maxArraySize = SlurmArray.maxArraySize()
        let count = tasks ?? SlurmArray.defaultTasks(runs: runs, maxArraySize: maxArraySize)
        if count > maxArraySize {
            Console.error("autoenc: --tasks \(count): the cluster's MaxArraySize is \(maxArraySize), so sbatch will "
                          + "refuse the array; give --tasks \(maxArraySize) or fewer")
        }
        let here = FileManager.default.currentDirectoryPath
        let binary = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return SlurmArray(command: [absolute(binary, in: here)]
                              + SlurmArray.passedOn(arguments, dropping: Self.scriptFlags),
                          directory: absolute(out, in: here), workingDirectory: here, runs: runs, tasks: count,
                          throttle: throttle,
                          cpusPerTask: (threads.threads ?? SlurmArray.defaultCPUsPerTask) * (jobs ?? 1),
                          path: absolute(emitSbatch ?? "", in: here))
    }

    func absolute(_ path: String, in directory: String) -> String {
        ((path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)) as NSString)
            .standardizingPath
    }

    /// --threads, else a Slurm task's SLURM_CPUS_PER_TASK, else nil (every core).
    func chosenThreads(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        threads.threads ?? Shard.slurmThreads(environment)
    }

    /// Trains and measures the `design` (`Experiment.run`), drawing the curves to `plot` too.
    /// An experiment left incomplete (a shard's failed runs, --collect-only's missing ones)
    /// exits 1 with its one line.
    func run<Design: ExperimentDesign>(plot: String? = nil, _ design: () throws -> Design) throws {
        try reportingErrors {
            do {
                let console = Console(quiet: quiet.quiet, log: log)
                if let emitSbatch {
                    try Experiment.emitSbatch(try design(), data: dataOptions.data, directory: out, path: emitSbatch,
                                              console: console) { slurmArray(runs: $0) }
                    return
                }
                try Experiment.run(try design(), data: dataOptions.data, directory: out, jobs: jobs,
                                   threads: chosenThreads(), shard: try chosenShard(), collectOnly: collectOnly,
                                   wait: !noWait, console: console, log: log, plot: plot)
            } catch let incomplete as IncompleteExperiment {
                Console.error("autoenc: \(incomplete.message)")
                throw ExitCode(1)
            }
        }
    }
}
