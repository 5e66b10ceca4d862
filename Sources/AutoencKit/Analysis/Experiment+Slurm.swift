import Foundation

/// A Slurm job array that trains an experiment's runs, a shard per task (`--shard
/// ${SLURM_ARRAY_TASK_ID}/N`), as `--emit-sbatch` writes it: each task requeued when its
/// node fails or it is preempted, warned by SIGTERM 90 s before its time limit (it then
/// stops, keeping its finished runs), its output under `--out`; a comment says how to
/// queue the collection (`--collect-only`) behind the array.
public struct SlurmArray: Sendable, Equatable {
    /// Slurm's MaxArraySize when the cluster does not say: its default.
    public static let defaultMaxArraySize = 1001
    /// The CPUs a task asks for when --threads does not say.
    public static let defaultCPUsPerTask = 4

    /// The absolute path of the binary, then the command's arguments as given, less
    /// `--out` and the flags that only concern the script.
    public var command: [String]
    /// `--out`, absolute.
    public var directory: String
    /// The directory the tasks run in: where the command was given, so that relative
    /// paths in its arguments (--data, --log) name the same files.
    public var workingDirectory: String
    /// The experiment's runs, each once.
    public var runs: Int
    public var tasks: Int
    /// At most this many tasks at once (`%K`), or nil.
    public var throttle: Int?
    public var cpusPerTask: Int
    /// The script's own path, absolute, for its comment.
    public var path: String

    public init(command: [String], directory: String, workingDirectory: String, runs: Int, tasks: Int,
                throttle: Int?, cpusPerTask: Int, path: String) {
        self.command = command
        self.directory = directory
        self.workingDirectory = workingDirectory
        self.runs = runs
        self.tasks = tasks
        self.throttle = throttle
        self.cpusPerTask = cpusPerTask
        self.path = path
    }

    /// The tasks for `runs` runs when --tasks does not say: one run each, as many tasks
    /// as the cluster allows (`maxArraySize`), at least one.
    public static func defaultTasks(runs: Int, maxArraySize: Int) -> Int { max(1, min(runs, maxArraySize)) }

    /// The folder under `--out` that the tasks' output goes to.
    public static let outputFolder = "slurm"

    /// `arguments` (the command's, after the binary) less each flag of `dropping`, in
    /// either spelling: `--flag value` and `--flag=value`.
    public static func passedOn(_ arguments: [String], dropping: Set<String>) -> [String] {
        var kept: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext {
                skipNext = false
                continue
            }
            if dropping.contains(argument) {
                skipNext = true
            } else if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--"),
                      dropping.contains(String(argument[..<equals])) {
                continue
            } else {
                kept.append(argument)
            }
        }
        return kept
    }

    /// The command line of `words`, each `Console.shellQuoted`.
    static func line(_ words: [String]) -> String { words.map(Console.shellQuoted).joined(separator: " ") }

    /// The collection: the same command with `--collect-only`, once every task has ended.
    public var collectCommand: [String] { command + ["--out", directory, "--collect-only"] }

    /// The `sbatch` line that queues the collection behind job `job` (a shell word).
    public var collectSubmission: String {
        let wrapped = Self.line(collectCommand).replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "$", with: "\\$")
            .replacingOccurrences(of: "`", with: "\\`")
        return "sbatch --dependency=afterany:$jobid --chdir=\(Console.shellQuoted(workingDirectory)) "
            + "--cpus-per-task=\(cpusPerTask) "
            + "--output=\(Console.shellQuoted(outputDirectory + "/collect-%j.out")) --wrap=\"\(wrapped)\""
    }

    var outputDirectory: String { (directory as NSString).appendingPathComponent(Self.outputFolder) }

    /// The script.
    public var script: String {
        """
            #!/bin/bash
            # autoenc's \(counted(runs, "run")) as a Slurm job array of \(counted(tasks, "task")): task I trains
            # runs I, I+\(tasks), I+\(2 * tasks), ... of runs.json's sorted list (--shard I/\(tasks)).
            # A task stopped by SIGTERM (90 s before its time limit, or scancel) keeps its finished
            # runs; requeued or run again, it trains only what is missing. Submit, then queue the
            # outputs (--collect-only) for when every task has ended, whatever its exit (afterany):
            #   jobid=$(sbatch --parsable \(Console.shellQuoted(path)))
            #   \(collectSubmission)
            #SBATCH --job-name=autoenc
            #SBATCH --array=0-\(tasks - 1)\(throttle.map { "%\($0)" } ?? "")
            #SBATCH --cpus-per-task=\(cpusPerTask)
            #SBATCH --requeue
            #SBATCH --signal=TERM@90
            #SBATCH --chdir=\(Console.shellQuoted(workingDirectory))
            #SBATCH --output=\(Console.shellQuoted(outputDirectory + "/%A_%a.out"))
            srun \(Self.line(command + ["--out", directory])) --shard "${SLURM_ARRAY_TASK_ID}/\(tasks)"

            """
    }

    /// The cluster's MaxArraySize, from `scontrol show config` when scontrol is on the
    /// PATH and answers within 10 s, else `defaultMaxArraySize`.
    public static func maxArraySize(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        let path = (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/scontrol" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return defaultMaxArraySize }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["show", "config"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return defaultMaxArraySize }
        // its some 10 KB fit in the pipe's buffer: read once it has ended
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            return defaultMaxArraySize
        }
        process.waitUntilExit()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        return parseMaxArraySize(String(decoding: text, as: UTF8.self)) ?? defaultMaxArraySize
    }

    /// MaxArraySize in `scontrol show config`'s text ("MaxArraySize = 1001"), or nil.
    public static func parseMaxArraySize(_ text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "MaxArraySize", let size = Int(parts[1]), size > 0 { return size }
        }
        return nil
    }
}

extension Experiment {
    /// `--emit-sbatch`: checks `design` and its data set (`data`, as `run` loads it), fixes
    /// its run list in `directory` (`fixRunList`: other settings refused), makes the
    /// directory's slurm/ folder for the tasks' output, writes `array(runs)`'s script to
    /// `path` and says how to submit it; trains nothing. A file already at `path` is
    /// refused (73) unless it holds this very script: the user may have edited it.
    public static func emitSbatch(_ design: some ExperimentDesign, data: String?, directory: String, path: String,
                                  console: Console, array: (_ runs: Int) -> SlurmArray) throws {
        let script = array(runList(design.runs).count)
        let bytes = Array(script.script.utf8)
        try AtomicFile.checkWritable(path, what: "--emit-sbatch")
        let existing = FileManager.default.contents(atPath: path).map(Array.init)
        if let existing, existing != bytes {
            throw AutoencError(.cannotCreate, "--emit-sbatch \(path): a file is there already; remove it or name "
                               + "another file")
        }
        let location = try DataLocation.resolve(data)
        try OutputDirectory.using(directory, what: "--out") {
            let (loaded, test, labeled) = try location.loadForAnalysis(limit: nil, always: true)
            let trained = try design.trainImages(of: loaded!, data: location.directory)
            console.say(dataLine(location, trainImages: trained.count, testImages: test.count, labeled: labeled))
            console.say(design.headline)
            if let line = try fixRunList(design.runs, train: loaded!, directory: directory) { console.say(line) }
            try OutputDirectory.prepare(script.outputDirectory, what: "--out")
        }
        if existing == nil { try AtomicFile.write(bytes, to: path) }
        let most = (script.runs + script.tasks - 1) / script.tasks
        let per = most <= 1 ? "a run per task" : "up to \(most) runs per task"
        console.say((existing == nil ? "wrote" : "unchanged:") + " \(path): a Slurm array of "
                    + "\(counted(script.tasks, "task")) for \(counted(script.runs, "run")) (\(per), "
                    + "\(counted(script.cpusPerTask, "CPU")) each); nothing trained")
        console.say("submit it with: sbatch \(Console.shellQuoted(path)); then, once every task has ended, the same "
                    + "command with --collect-only writes the outputs (the script's comment queues it as a job)")
    }
}
