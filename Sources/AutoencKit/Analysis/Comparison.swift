import Foundation

/// `autoenc compare`'s experiment: the same autoencoder trained without a regularizer,
/// with dropout and with DropConnect, from the same weights, on the same batches with
/// the same optimizer, for each of N seeds; then measured, summarized over the seeds,
/// and drawn side by side on the same axes.
public enum Comparison {
    /// The model every other is compared with.
    public static let baseline = "none"

    /// The three models, from `base` (its hidden size, activation, input dropout,
    /// max-norm, DropConnect masks and dropout scaling) with the hidden regularizer set:
    /// none; dropout at `dropP` (with `base`'s scaling); DropConnect at `dropP` (with
    /// `base`'s masks).
    public static func variants(base: ModelConfig, dropP: Float) -> [(name: String, config: ModelConfig)] {
        func with(_ p: Float, _ mode: DropMode, masks: MaskSharing = .example, scaling: DropoutScaling = .inverted) -> ModelConfig {
            ModelConfig(hidden: base.hidden, activation: base.activation, dropP: p, dropMode: mode, masks: masks,
                        scaling: scaling, inputDropP: base.inputDropP, maxNorm: base.maxNorm)
        }
        return [(baseline, with(0, .dropout)),
                ("dropout", with(dropP, .dropout, scaling: base.scaling)),
                ("dropconnect", with(dropP, .dropconnect, masks: base.masks))]
    }

    /// Every training: each of `variants` from each of `seeds` seeds, `options.seed`,
    /// `options.seed + 1`, ..., seed by seed.
    public static func runs(_ variants: [(name: String, config: ModelConfig)], options: TrainingOptions, seeds: Int,
                            epochs: Int, limit: Int?, knob: KnobValue? = nil) -> [ExperimentRun] {
        (0..<UInt64(seeds)).flatMap { k in
            variants.map { name, config in
                ExperimentRun(name: name, knob: knob, config: config, options: ExperimentRun.seeded(options, k), epochs: epochs, limit: limit)
            }
        }
    }

    /// Writes compare's outputs into `directory` from its finished `records`:
    /// metrics.json (`settings`, each model over its seeds against none, then every run),
    /// curves.png (the test MSE per epoch, mean ± sd over the seeds) and, from each
    /// model's first seed, weightmaps.png (the units `selection` picks), reconstructions.png
    /// (the first `shown` test images) and histograms.png, each model's trained file read back from `runs/`.
    /// Returns the summaries.
    public static func writeOutputs(_ records: [ExperimentRecord], test: ImageSet, shown: Int, settings: [(String, JSON)],
                                    selection: WeightMapSelection = .init(), directory: String, threads: Int) throws -> [VariantSummary] {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let summaries = VariantSummary.group(records)
        let base = summaries.first { $0.name == baseline }
        try writeMetrics(records, summaries: summaries, baseline: base, settings: settings, to: path("metrics.json"))
        try AtomicFile.write(PNG.encode(curves(summaries, title: "autoenc compare").render()), to: path("curves.png"))

        // the figures: each model's first seed
        let firsts = summaries.map { s in records.first { $0.run.name == s.name && $0.run.knob == s.knob }! }
        let models = try firsts.map { try Checkpoint.load(Experiment.modelPath($0.run, in: directory)).model }
        var originals = [Float](repeating: 0, count: shown * ModelConfig.inputs)
        test.gather((0..<Int32(shown)).map { $0 }[...], into: &originals)
        let rows = zip(firsts, models).map { record, model in
            var images: [Float] = []
            model.reconstruct(test, range: 0..<shown) { _, m, _, y in images += UnsafeBufferPointer(start: y, count: m * ModelConfig.inputs) }
            return (name: record.run.name, images: images)
        }
        try AtomicFile.write(ComparisonSheets.reconstructions(originals: originals, rows: rows, count: shown).png,
                             to: path("reconstructions.png"))
        let measured = zip(firsts, models).map { record, model in
            let codes = model.codes(test, threads: threads)
            let statistics = ActivationStatistics(codes: UnsafeBufferPointer(start: codes.pointer, count: test.count * model.config.hidden),
                                                  examples: test.count, units: model.config.hidden, activation: model.config.activation)
            return (record.run.name, codes, statistics)
        }
        try writeHistograms(measured, activation: models[0].config.activation, to: path("histograms.png"))
        // dead units (on the test set) drawn crossed out, or left out with --live-only
        let maps = ComparisonSheets.weightMaps(zip(measured, models).map { ($0.0, $1.parameters, $0.2) }, selection: selection)
        try AtomicFile.write(maps.png, to: path("weightmaps.png"))
        return summaries
    }

    /// metrics.json: the settings, the test used, each model's summary (against
    /// `baseline`), then every run's own record.
    static func writeMetrics(_ records: [ExperimentRecord], summaries: [VariantSummary], baseline: VariantSummary?,
                             settings: [(String, JSON)], to path: String) throws {
        let json = JSON.object([
            ("settings", .object(settings)),
            ("test", .string("Welch's t test of each metric's difference from \(baseline?.name ?? "the baseline")'s over the seeds, two-sided; within_noise when p >= \(WelchTest.level)")),
            ("variants", .array(summaries.map { $0.json(baseline: baseline) })),
            ("runs", .array(records.map { $0.json(settings: $0.run.settings(dataDigest: "")) .removingDigest })),
        ])
        try AtomicFile.write(Array((json.rendered() + "\n").utf8), to: path)
    }

    /// The test MSE per epoch of each model, mean ± sd over its seeds.
    public static func curves(_ summaries: [VariantSummary], title: String) -> LineChart {
        LineChart(title: title, xLabel: "epoch", yLabel: "test mse: mean, bars sd over seeds", // the bitmap font has no ±
                  series: summaries.map { s in .init(name: s.label, values: s.testMSE.map(\.mean), spread: s.testMSE.map(\.sd)) })
    }

    /// histograms.png (Srivastava et al. 2014, Fig. 8: each unit's mean activation, and
    /// all activations, every model on the same axes). Shared with `activations`.
    public static func writeHistograms(_ models: [(name: String, codes: FloatBuffer, statistics: ActivationStatistics)],
                                       activation: Activation, to path: String) throws {
        let histograms = ComparisonSheets.histograms(ActivationHistograms.sharedAxes(models, activation: activation))
        try AtomicFile.write(histograms.png, to: path)
    }
}

extension JSON {
    /// A run record without its settings' data_digest (metrics.json states the data once).
    var removingDigest: JSON {
        guard case .object(var fields) = self, let i = fields.firstIndex(where: { $0.0 == "settings" }),
              case .object(let settings) = fields[i].1 else { return self }
        fields[i].1 = .object(settings.filter { $0.0 != "data_digest" })
        return .object(fields)
    }
}
