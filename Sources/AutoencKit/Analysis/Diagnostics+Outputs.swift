import Foundation

extension Diagnostics {
    /// The files `activations` writes into its directory, its chart in `charts`.
    public static func outputFiles(charts: ChartFormat) -> [String] {
        ["histograms.\(charts.rawValue)", "metrics.json"]
    }

    /// `activations`: measures the checkpoint `model` on the data set `data` names (--data
    /// as given; without it the one the checkpoint records, `Checkpoint.Loaded.evaluationData`; the
    /// probe on the first `limit` labeled training images, seeded with `seed`, like the
    /// sampling inference) on `threads` threads, writes histograms.FORMAT (`charts`) and metrics.json
    /// into `directory` (`writeOutputs`), and says the `header`, a note when the model
    /// was trained on other data, a status line while it measures (on a terminal, unless
    /// quiet), then the table and the files written, on `console`. Throws the
    /// checkpoint's and the data set's errors, the files' (73, 74), and before measuring
    /// `.unavailable` (69) when the codes need more memory than is `available`
    /// (`memoryNeed`).
    public static func measureCheckpoint(_ model: String, data: String?, limit: Int?, seed: UInt64, threads: Int,
                                         charts: ChartFormat = .png, directory: String, console: Console,
                                         available: Int? = Memory.available()) throws {
        let loaded = try Checkpoint.load(model)
        let config = loaded.config
        let source = try loaded.evaluationData(data)
        let location = source.location
        try OutputDirectory.checkFiles(outputFiles(charts: charts), in: directory)
        let (train, test, _) = try location.loadForAnalysis(limit: limit, always: false)
        try source.check(test)
        try Memory.check(memoryNeed(hidden: config.hidden, testImages: test.count, probeImages: train?.count ?? 0),
                         available: available,
                         what: "measuring \(model) (\(config.hidden) hidden units) on \(test.count) test"
                             + (train.map { " and \($0.count) training" } ?? "") + " images",
                         remedy: "use --limit to train the probe on fewer training images")
        BLAS.setThreads(1) // the measurements split the work themselves
        header(model: model, config: config, location: location, testImages: test.count,
               probeImages: train?.count).forEach(console.say)
        if let note = loaded.dataNote(location) { console.say(note) }
        let (diagnostics, codes) = StatusLine.showing(quiet: console.quiet) { progress in
            evaluate(loaded.model, name: config.regularizerName, test: test, train: train, seed: seed, threads: threads,
                     progress: progress)
        }
        let files = try diagnostics.writeOutputs(codes: codes, model: model, data: location.directory,
                                                 testImages: test.count,
                                                 seed: seed, charts: charts, directory: directory)
        ["", table([diagnostics]), "", "wrote \(directory)/: " + files.joined(separator: ", ")].forEach(console.say)
    }

    /// The bytes the measurements hold at once: the codes, `hidden` floats an image, of
    /// the test images and of the probe's training images. The rest (the probe, the
    /// statistics, chunks of a few hundred images) grows with `hidden` alone.
    public static func memoryNeed(hidden: Int, testImages: Int, probeImages: Int) -> Int {
        4 * hidden * (testImages + probeImages)
    }

    /// What `activations` says before it measures: the checkpoint `model` with its shape,
    /// activation and regularizer (`config`), then the data in `location` with its
    /// `testImages` and the labeled training images the probe learns from
    /// (`probeImages`; nil when the data set has no label files, so no probe).
    public static func header(model: String, config: ModelConfig, location: DataLocation, testImages: Int,
                              probeImages: Int?) -> [String] {
        let dropP = config.dropP > 0 ? " drop-p \(config.dropP)" : ""
        let probe = probeImages.map { ", probe trained on \($0) labeled training images" }
            ?? ", no label files: no probe"
        return ["model: \(model) (784-\(config.hidden)-784 \(config.activation.rawValue), "
            + "\(config.regularizerName)\(dropP))",
                "data: \(location.directory) (\(testImages) test images\(probe))"]
    }

    /// What `activations` writes into `directory` for this one model: histograms.FORMAT (each
    /// unit's mean activation, and all activations, from `codes`, the test codes
    /// (test images, hidden)) and metrics.json (the diagnostics, then the settings: the
    /// checkpoint `model`, the data directory `data`, `testImages`, the probe's `seed`,
    /// and what made them, `Provenance`); FORMAT is `charts`.
    /// Returns the files written. Throws their write errors (73, 74).
    public func writeOutputs(codes: FloatBuffer, model: String, data: String, testImages: Int, seed: UInt64,
                             charts: ChartFormat = .png, directory: String) throws -> [String] {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let settings: [(String, JSON)] = [("model", .string(model)), ("data", .string(data)),
                                          ("test_images", .number(Double(testImages))),
                                          ("seed", JSON.setting(String(seed)))] + Provenance.current().fields
        let subtitle = "\((model as NSString).lastPathComponent) on \((data as NSString).lastPathComponent), "
            + "\(testImages) test images"
        let sheet = Comparison.histogramSheet([(name, codes, statistics)], activation: activation, subtitle: subtitle)
        try AtomicFile.write(sheet.encoded(as: charts), to: path("histograms.\(charts.rawValue)"))
        try AtomicFile.write(Array(Self.json([self], settings: settings).utf8), to: path("metrics.json"))
        return Self.outputFiles(charts: charts)
    }
}

extension ModelConfig {
    /// The model's name as compare, sweep and activations call it: dropout or dropconnect
    /// when it drops hidden units or connections, else none.
    public var regularizerName: String {
        dropP > 0 ? dropMode.rawValue : Comparison.baseline
    }
}
