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
    /// `compare` and `sweep`: `perform`s `design` in `directory`, claimed by `using`
    /// (created when missing, locked, removed again when a failure leaves it empty; `log`
    /// and `plot` checked writable), on the data set `data` names (--data as given,
    /// `DataLocation.resolve`), its runs on `threads` as given and its outputs written on
    /// as many (every core by default); a stop says that the command as typed trains the
    /// rest (`Console.commandLine`).
    public static func run(_ design: some ExperimentDesign, data: String?, directory: String, jobs: Int?, threads: Int?,
                           console: Console, log: String?, plot: String?, again: String = Console.commandLine()) throws {
        try using(directory, log: log, plot: plot) {
            try perform(design, location: try DataLocation.resolve(data), directory: directory, jobs: jobs, threads: threads,
                        outputThreads: Limits.threadsToUse(threads), console: console, log: log, again: again)
        }
    }

    /// Runs `design` as compare and sweep do: loads the data set at `location` (with its
    /// labels when it has them), says the data line, the design's headline and note,
    /// trains its runs into `directory` (`train`, with `jobs`, `threads` as given and
    /// `again` for a stop), writes the outputs with `outputThreads` threads and says the
    /// last lines, all on `console`. Throws `.cannotCreate` (73) before anything else when
    /// one of the design's `outputFiles` cannot be written (a directory in its place),
    /// the data set's, the runs' and the outputs' errors, and `.interrupted` or
    /// `.terminated` for a stop.
    public static func perform(_ design: some ExperimentDesign, location: DataLocation, directory: String, jobs: Int?,
                               threads: Int?, outputThreads: Int, console: Console, log: String?, again: String) throws {
        try OutputDirectory.checkFiles(design.outputFiles, in: directory)
        let (loaded, test, labeled) = try location.loadForAnalysis(limit: nil, always: true)
        let train = loaded!
        let trained = try design.trainImages(of: train, data: location.directory)
        console.say(dataLine(location, trainImages: trained.count, testImages: test.count, labeled: labeled))
        console.say(design.headline)
        if let note = design.note { console.say(note) }
        let records = try Self.train(design.runs, train: train, test: test, location: location, directory: directory,
                                     jobs: jobs, threads: threads, console: console, log: log, again: again)
        let outputs = try design.writeOutputs(records, test: test, data: location.directory, trained: trained,
                                              threads: outputThreads, directory: directory)
        outputs.lines(directory: directory).forEach(console.say)
    }
}
