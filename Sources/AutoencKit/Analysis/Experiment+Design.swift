import Foundation

/// compare's and sweep's course between their checked flags and their last lines, said
/// once (`Experiment.perform`): each supplies what it trains, what it announces and what
/// it writes.
public protocol ExperimentDesign {
    /// The line after the data line: "models: ..." (compare) or "sweep: ..." (sweep).
    var headline: String { get }
    /// A line on settings that will barely learn (`RunRequest.note`), or nil.
    var note: String? { get }
    /// Every training, each seed's.
    var runs: [ExperimentRun] { get }
    /// The training images each run trains on, out of the data set's `train` (from
    /// directory `data`); throws `.usage` when the design asks for more than it holds.
    func trainImages(of train: ImageSet, data: String) throws -> ImageSet
    /// Writes the outputs into `directory` from every run's record (`trained`: the images
    /// `trainImages` chose; dead units measured on `threads` threads); returns the table
    /// and the files written.
    func writeOutputs(_ records: [ExperimentRecord], test: ImageSet, data: String, trained: ImageSet, threads: Int,
                      directory: String) throws -> ExperimentOutputs
    /// The files `writeOutputs` may write into the directory, checked before any training.
    var outputFiles: [String] { get }
}

extension Experiment {
    /// `compare` and `sweep`: `perform`s `design` in `directory` (created when missing,
    /// removed again when a failure leaves it empty; `log`, and `plot` unless a shard,
    /// checked writable), on the data set `data` names (--data as given,
    /// `DataLocation.resolve`), its runs on `threads` as given and its outputs written on
    /// as many (every core by default); a stop says that the command as typed trains the
    /// rest (`Console.commandLine`). Processes may share `directory`: each run is claimed
    /// while it trains (`execute`), and only writing the outputs locks the directory
    /// (`writingOutputs`).
    public static func run(_ design: some ExperimentDesign, data: String?, directory: String, jobs: Int?, threads: Int?,
                           shard: Shard = .whole, collectOnly: Bool = false, wait: Bool = true,
                           console: Console, log: String?, plot: String?,
                           again: String = Console.commandLine()) throws {
        try OutputDirectory.using(directory, what: "--out") {
            try RunRecords.checkOutputs(log: log, plot: shard.count > 1 ? nil : plot)
            try perform(design, location: try DataLocation.resolve(data), directory: directory, jobs: jobs,
                        threads: threads, shard: shard, collectOnly: collectOnly, wait: wait,
                        outputThreads: Limits.threadsToUse(threads), console: console, log: log, again: again)
        }
    }

    /// Runs `design` as compare and sweep do: loads the data set at `location` (with its
    /// labels when it has them), says the data line, the design's headline and note,
    /// fixes or checks the run list (`fixRunList`), trains its runs into `directory`
    /// (`train`, with `jobs`, `threads` as given and `again` for a stop), writes the
    /// outputs with `outputThreads` threads and says the last lines, all on `console`.
    /// Throws `.cannotCreate` (73) before anything else when one of the design's
    /// `outputFiles` cannot be written (a directory in its place), the data set's, the
    /// runs' and the outputs' errors, and `.interrupted` or `.terminated` for a stop.
    ///
    /// A `shard` of several trains only its runs (`Shard.runs`), every one even when one
    /// fails, says what it trained and writes no outputs; it throws `IncompleteExperiment`
    /// naming its failed runs. `collectOnly` trains nothing: it writes the outputs from
    /// the runs' records, and throws `IncompleteExperiment` naming the runs not finished.
    /// Runs that other processes hold are waited for, unless `wait` is false: they are
    /// then left to them, and `IncompleteExperiment` names them once the others are done.
    public static func perform(_ design: some ExperimentDesign, location: DataLocation, directory: String, jobs: Int?,
                               threads: Int?, shard: Shard = .whole, collectOnly: Bool = false, wait: Bool = true,
                               outputThreads: Int,
                               console: Console, log: String?, again: String) throws {
        if shard.count == 1 { try OutputDirectory.checkFiles(design.outputFiles, in: directory) }
        let (loaded, test, labeled) = try location.loadForAnalysis(limit: nil, always: true)
        let train = loaded!
        let trained = try design.trainImages(of: train, data: location.directory)
        console.say(dataLine(location, trainImages: trained.count, testImages: test.count, labeled: labeled))
        console.say(design.headline)
        if let note = design.note { console.say(note) }
        let records: [ExperimentRecord]
        if collectOnly {
            try fixRunList(design.runs, train: train, directory: directory, write: false)
            records = try collect(design.runs, train: train, directory: directory)
        } else {
            if let line = try fixRunList(design.runs, train: train, directory: directory) { console.say(line) }
            if shard.count > 1 {
                let mine = shard.runs(of: design.runs)
                console.say("shard \(shard): \(mine.count) of \(runList(design.runs).count) runs")
                let done = try Self.train(mine, train: train, test: test, location: location, directory: directory,
                                          jobs: jobs, threads: threads, console: console, log: log, again: again,
                                          keepGoing: true, wait: wait)
                let fresh = done.filter { !$0.reused }.map(\.run.stem)
                let named = fresh.isEmpty ? "" : " (" + fresh.joined(separator: ", ") + ")"
                console.say("shard \(shard): trained \(fresh.count)\(named), "
                    + "reused \(done.count - fresh.count); when every "
                            + "shard is done, the same command with --collect-only writes the outputs")
                return
            }
            records = try Self.train(design.runs, train: train, test: test, location: location, directory: directory,
                                     jobs: jobs, threads: threads, console: console, log: log, again: again,
                                     wait: wait)
        }
        let outputs = try writingOutputs(directory, console: console) {
            try design.writeOutputs(records, test: test, data: location.directory, trained: trained,
                                    threads: outputThreads, directory: directory)
        }
        outputs.lines(directory: directory).forEach(console.say)
    }

    /// Every run's record from `directory`'s runs/, in the order of `runs`, made with the
    /// run's settings on `train` (`ExperimentRecord.load`, beside its model). Throws
    /// `IncompleteExperiment` naming the runs whose record is missing or of other settings.
    static func collect(_ runs: [ExperimentRun], train: ImageSet, directory: String) throws -> [ExperimentRecord] {
        var digests: [Int?: String] = [:]
        var found: [String: ExperimentRecord] = [:]
        for run in runList(runs) {
            if digests[run.limit] == nil { digests[run.limit] = train.prefix(run.limit).digest }
            guard FileManager.default.fileExists(atPath: modelPath(run, in: directory)),
                  let record = ExperimentRecord.load(recordPath(run, in: directory), run: run,
                                                     settings: run.settings(dataDigest: digests[run.limit]!))
            else { continue }
            found[run.stem] = record
        }
        let missing = runList(runs).map(\.stem).filter { found[$0] == nil }
        guard missing.isEmpty else {
            throw IncompleteExperiment(message: "--collect-only: \(missing.count) of \(runList(runs).count) runs not "
                                       + "finished in \(runsDirectory(directory))/: " + missing.joined(separator: ", ")
                                       + "; train them first (the same command without --collect-only)")
        }
        return runs.map { found[$0.stem]! }
    }
}
