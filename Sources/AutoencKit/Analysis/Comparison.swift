import Foundation

/// `autoenc compare`'s experiment: the same autoencoder trained without a regularizer,
/// with dropout and with DropConnect (a mask per example), from the same weights, on
/// the same batches with the same optimizer and seed, then measured and drawn side by
/// side on the same axes.
public enum Comparison {
    /// The three models: name and configuration.
    public static func variants(hidden: Int, activation: Activation, dropP: Float) -> [(name: String, config: ModelConfig)] {
        [("none", ModelConfig(hidden: hidden, activation: activation, dropP: 0)),
         ("dropout", ModelConfig(hidden: hidden, activation: activation, dropP: dropP, dropMode: .dropout)),
         ("dropconnect", ModelConfig(hidden: hidden, activation: activation, dropP: dropP, dropMode: .dropconnect, masks: .example))]
    }

    /// The whole experiment: trains and measures each variant (`observer(name)` shows its
    /// epochs), saves the models, and writes the figures and metrics.json into
    /// `directory`, drawing the first `count` test images. Returns the models in order.
    public static func run(hidden: Int, activation: Activation, dropP: Float, options: TrainingOptions, epochs: Int,
                           train: ImageSet, test: ImageSet, data: DataLocation, limit: Int?, count: Int, directory: String,
                           observer: (String) -> TrainingObserver) throws -> [Result] {
        let shown = min(count, test.count)
        let results = try variants(hidden: hidden, activation: activation, dropP: dropP).map { name, config in
            try trainAndMeasure(name: name, config: config, options: options, epochs: epochs, train: train, test: test,
                                dataset: data.absoluteDirectory, limit: limit, shown: shown, directory: directory,
                                observer: observer(name))
        }
        let settings: [(String, String)] = [("data", Diagnostics.quoted(data.directory)), ("train_images", "\(train.count)"),
                                            ("test_images", "\(test.count)"), ("epochs", "\(epochs)"), ("drop_p", "\(dropP)"),
                                            ("seed", "\(options.seed)"), ("hidden", "\(hidden)"), ("activation", "\"\(activation.rawValue)\"")]
        try writeFigures(results, test: test, shown: shown, activation: activation, settings: settings, into: directory)
        return results
    }

    /// One trained and measured model.
    public struct Result {
        public var name: String
        public var model: Autoencoder
        public var diagnostics: Diagnostics
        /// Test codes, (test.count, hidden).
        public var codes: FloatBuffer
        /// The first `shown` test images' reconstructions, (shown, 784).
        public var reconstructions: [Float]
    }

    /// Trains `config` for `epochs` epochs (`observer` shows them; a probe trains on
    /// `train` when it has labels), saves it as `model-NAME.safetensors` in `directory`,
    /// and measures it on `test`, reconstructing its first `shown` images.
    public static func trainAndMeasure(name: String, config: ModelConfig, options: TrainingOptions, epochs: Int,
                                       train: ImageSet, test: ImageSet, dataset: String, limit: Int?, shown: Int,
                                       directory: String, observer: TrainingObserver) throws -> Result {
        let run = TrainingRun(config: config, options: options, train: train, test: test, dataset: dataset,
                              limit: limit, output: nil)
        _ = try run.run(through: epochs, observer: observer)
        let model = run.model
        try Checkpoint.save(model.parameters, metadata: run.checkpointMetadata(),
                            to: (directory as NSString).appendingPathComponent("model-\(name).safetensors"))
        let (diagnostics, codes) = Diagnostics.evaluate(model, name: name, test: test, train: train.labels != nil ? train : nil,
                                                        seed: options.seed, threads: options.threads)
        var reconstructions: [Float] = []
        model.reconstruct(test, range: 0..<shown) { _, m, _, y in
            reconstructions += UnsafeBufferPointer(start: y, count: m * ModelConfig.inputs)
        }
        return Result(name: name, model: model, diagnostics: diagnostics, codes: codes, reconstructions: reconstructions)
    }

    /// Writes weightmaps.png, reconstructions.png, histograms.png (each model on the same
    /// axes) and metrics.json (with `settings`, values already JSON) into `directory`.
    public static func writeFigures(_ results: [Result], test: ImageSet, shown: Int, activation: Activation,
                                    settings: [(String, String)], into directory: String) throws {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        var originals = [Float](repeating: 0, count: shown * ModelConfig.inputs)
        test.gather((0..<Int32(shown)).map { $0 }[...], into: &originals)
        let weightMaps = ComparisonSheets.weightMaps(results.map { ($0.name, $0.model.parameters) })
        let sheet = ComparisonSheets.reconstructions(originals: originals, rows: results.map { ($0.name, $0.reconstructions) }, count: shown)
        try AtomicFile.write(weightMaps.png, to: path("weightmaps.png"))
        try AtomicFile.write(sheet.png, to: path("reconstructions.png"))
        try writeMeasurements(results.map { ($0.diagnostics, $0.codes) }, activation: activation, settings: settings, into: directory)
    }

    /// Writes histograms.png (Srivastava et al. 2014, Fig. 8: each unit's mean activation,
    /// and all activations, every model on the same axes) and metrics.json (with
    /// `settings`, values already JSON) into `directory`. Shared with `activations`.
    public static func writeMeasurements(_ models: [(diagnostics: Diagnostics, codes: FloatBuffer)], activation: Activation,
                                         settings: [(String, String)], into directory: String) throws {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let histograms = ComparisonSheets.histograms(ActivationHistograms.sharedAxes(
            models.map { ($0.diagnostics.name, $0.codes, $0.diagnostics.statistics) }, activation: activation))
        try AtomicFile.write(histograms.png, to: path("histograms.png"))
        try AtomicFile.write(Array(Diagnostics.json(models.map(\.diagnostics), settings: settings).utf8), to: path("metrics.json"))
    }
}
