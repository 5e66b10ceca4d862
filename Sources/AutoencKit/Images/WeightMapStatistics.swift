import Foundation

extension WeightMapSelection {
    /// The test set's activation statistics of the `loaded` model for a weight map, with
    /// notes to print:
    /// - `needed` (the flag that needs them, e.g. "--live-only"): from `data` (resolved as
    ///   everywhere); any failure is an error prefixed with the flag.
    /// - else when `wanted` (to cross out dead units): from `data` when given, else from
    ///   the data set the checkpoint records (`Checkpoint.Loaded.evaluationData`; a
    ///   failure, gone or changed, is an error); for a checkpoint that records none, from
    ///   the default data set when one is found and reads, otherwise nil with a note
    ///   that the dead units are not marked.
    /// - else nil: nothing is read.
    ///
    /// Measured on `threads` threads. `resolve` finds the data set (`DataLocation.resolve`),
    /// replaceable for tests. Throws the data set's errors (66 missing, 65 invalid).
    public static func testStatistics(of loaded: Checkpoint.Loaded, needed: String?, wanted: Bool, data: String?,
                                      threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                      resolve: (String?) throws -> DataLocation = { try DataLocation.resolve($0) })
        throws -> (statistics: ActivationStatistics?, notes: [String]) {
        func measure() throws -> (statistics: ActivationStatistics?, notes: [String]) {
            let source = try loaded.evaluationData(data, resolve: resolve)
            let test = try source.location.load(train: false)
            try source.check(test)
            BLAS.setThreads(1)
            let statistics = try ActivationStatistics(loaded.model, on: test, threads: threads)
            return (statistics, loaded.dataNote(source.location).map { [$0] } ?? [])
        }
        if let needed {
            do { return try measure() } catch let error as AutoencError {
                throw AutoencError(error.status, "\(needed) needs the test set: \(error.userMessage)")
            }
        }
        guard wanted else { return (nil, []) }
        // data named, or recorded by the checkpoint: its failures are errors (a model
        // counted on other data than its own would show the wrong units dead)
        if data != nil || loaded.recordedDataset != nil { return try measure() }
        do { return try measure() } catch {
            return (nil, ["note: dead units are not marked: "
                + "\((error as? AutoencError)?.userMessage ?? error.localizedDescription)"])
        }
    }
}
