import ArgumentParser
import AutoencKit
import Foundation

struct Weightmap: ParsableCommand, WritesOutputFile {
    static let configuration = CommandConfiguration(
        abstract: "Draw each hidden unit's weights as a 28x28 tile.",
        discussion: """
            Each tile is scaled on its own, its minimum black and its maximum white. Units \
            never active on the test set (dead) are drawn as a flat dark tile crossed out. \
            To find them, a .pgm or .png output reads the test set of --data (or of the \
            default data set, see --data); when no --data is given and no data set is \
            found, the tiles are drawn unmarked, with a note. --sort activation and \
            --live-only need the test set and fail naming themselves without one; \
            otherwise a .npy output reads no data.
            """)
    static let defaultOutput = "weightmap.pgm"
    static let outputContents = ".pgm or .png (the tiles), .npy (the raw weights of the units drawn, in order, float32, shape (units, 28, 28); every unit's encoder weights by default, shape (hidden, 28, 28))"

    @OptionGroup var modelInput: ModelInput
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var weightMapOptions: WeightMapOptions

    @OptionGroup var output: OutputFile<Weightmap>

    @Option(parsing: .unconditional, help: ArgumentHelp("Magnify every pixel K x K (.pgm and .png only).", valueName: "k"))
    var scale: Int = 1

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try check(scale, Limits.scale, "--scale")
        try output.checkFormat()
    }

    func run() throws {
        try reportingErrors {
            try output.prepare()
            let loaded = try Checkpoint.load(modelInput.model)
            let selection = weightMapOptions.selection
            let (statistics, notes) = try Self.testStatistics(
                of: loaded, needed: weightMapOptions.flagNeedingData, wanted: output.format != .npy, data: dataOptions.data)
            notes.forEach(quiet.say)
            let (bytes, description, units) = try OutputFiles.weightMap(
                loaded.parameters, as: output.format, scale: scale, selection: selection, statistics: statistics)
            try AtomicFile.write(bytes, to: output.out)
            quiet.say("wrote \(output.out) (\(description))")
            if units != Array(0..<units.count) { // not simply the first N
                quiet.say("units drawn, in order: " + units.map(String.init).joined(separator: ", "))
            }
        }
    }

    /// The test set's activation statistics of the loaded model, with notes to print.
    /// - `needed` (the flag that needs them, e.g. "--live-only"): from `data` (resolved as
    ///   everywhere); any failure is an error prefixed with the flag.
    /// - else when `wanted` (to cross out dead units): from `data` when given (its failure
    ///   is an error); without `data`, from the default data set when one is found and
    ///   reads, otherwise nil with a note that the dead units are not marked.
    /// - else nil: nothing is read.
    /// `resolve` finds the data set (`DataLocation.resolve`), replaceable for tests.
    static func testStatistics(of loaded: Checkpoint.Loaded, needed: String?, wanted: Bool, data: String?,
                               resolve: (String?) throws -> DataLocation = { try DataLocation.resolve($0) })
        throws -> (statistics: ActivationStatistics?, notes: [String]) {
        func measure() throws -> (statistics: ActivationStatistics?, notes: [String]) {
            let location = try resolve(data)
            let test = try location.load(train: false)
            BLAS.setThreads(1)
            let statistics = try ActivationStatistics(loaded.model, on: test, threads: threadCount(nil))
            return (statistics, loaded.dataNote(location).map { [$0] } ?? [])
        }
        if let needed {
            do { return try measure() } catch let error as AutoencError {
                throw AutoencError(error.status, "\(needed) needs the test set: \(error.message)")
            }
        }
        guard wanted else { return (nil, []) }
        if data != nil { return try measure() }
        do { return try measure() } catch {
            return (nil, ["note: dead units are not marked: \((error as? AutoencError)?.message ?? error.localizedDescription)"])
        }
    }
}
