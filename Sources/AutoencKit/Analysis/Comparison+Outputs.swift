import Foundation

extension Comparison {
    /// The files `compare` writes into its directory, beside runs/, its charts in `charts`.
    public static func outputFiles(charts: ChartFormat) -> [String] {
        ["report.html", "metrics.json", "curves.\(charts.rawValue)", "weightmaps.png", "reconstructions.png",
         "histograms.\(charts.rawValue)"]
    }
}

/// What `compare` writes once its runs are finished: metrics.json, the figures from each
/// model's first seed and report.html, made from the runs' records and their models read
/// back from `runs/`.
extension Comparison.Plan {
    /// Writes every output into `directory` from the finished `records` of `runs`:
    /// metrics.json and the figures (`Comparison.writeFigures`: the charts in `charts`,
    /// reconstructions.png of the first `count` test images, or all when fewer; weightmaps.png
    /// of the units `selection` picks; dead units measured on `threads` threads), report.html
    /// and, when `plot` names a .png, .svg or .pdf file, the learning curves there too. `data`
    /// and `train` (the training images, cut to the limit) describe the data in the settings.
    /// Returns the table the command prints and the files written. Throws the files'
    /// write errors (73, 74) and a run's model that does not load.
    public func writeOutputs(_ records: [ExperimentRecord], test: ImageSet, data: String, train: ImageSet, count: Int,
                             selection: WeightMapSelection, charts: ChartFormat, plot: String?, threads: Int,
                             directory: String) throws -> ExperimentOutputs {
        let settings = settings(data: data, train: train, testImages: test.count) + Provenance.current().fields
        let figures = try Comparison.writeFigures(records, test: test, shown: min(count, test.count),
                                                  settings: settings, selection: selection, charts: charts,
                                                  directory: directory, threads: threads)
        let report = try ExperimentReport.compare(figures, settings: settings, seeds: seeds, selection: selection,
                                                  directory: directory)
        try AtomicFile.write(Array(report.utf8), to: (directory as NSString).appendingPathComponent("report.html"))
        if let plot, let format = ChartFormat(path: plot) {
            try AtomicFile.write(figures.curves.encoded(as: format), to: plot)
        }
        let summaries = figures.summaries
        let table = VariantSummary.table(summaries, baseline: summaries.first { $0.name == Comparison.baseline })
        let legend = VariantSummary.legend(seeds: seeds, baseline: Comparison.baseline)
        return ExperimentOutputs(table: table + "\n" + legend,
                                 files: Comparison.outputFiles(charts: charts) + ["runs/"])
    }

    /// The settings metrics.json and report.html state: the data (its directory `data`,
    /// the training images `train` as cut to the limit, `testImages`), the epochs, the drop
    /// probability, the seeds, the model's shape and the optimizer, and the training
    /// images' digest.
    public func settings(data: String, train: ImageSet, testImages: Int) -> [(String, JSON)] {
        let base = variants[1].config, options = options
        return [
            ("data", .string(data)), ("train_images", .number(Double(train.count))),
            ("test_images", .number(Double(testImages))), ("epochs", .number(Double(epochs))),
            ("drop_p", .float(base.dropP)), ("seeds",
                                             .array(Set(runs.map(\.seed)).sorted().map { .number(Double($0)) })),
            ("hidden", .number(Double(base.hidden))), ("activation", .string(base.activation.rawValue)),
            ("optimizer", .string(options.optimizer.rawValue)), ("lr", .float(options.learningRate)),
            ("batch_size", .number(Double(options.batchSize))), ("data_digest", .string(train.digest)),
        ]
    }
}

extension Comparison {
    /// What compare's figures show, for report.html: the summaries, the charts, and each
    /// model's weight map (first seed) on its own.
    public struct Figures {
        public var summaries: [VariantSummary]
        public var curves: LineChart
        public var histograms: HistogramSheet
        public var weightMaps: [(name: String, image: GrayImage)]
    }

    /// Writes compare's metrics and figures into `directory` from its finished `records`:
    /// metrics.json (`settings`, each model over its seeds against none, then every run),
    /// curves.FORMAT (the test MSE per epoch, mean ± sd over the seeds; FORMAT is `charts`)
    /// and, from each model's first seed, weightmaps.png (the units `selection` picks),
    /// reconstructions.png (the first `shown` test images) and histograms.FORMAT, each
    /// model's trained file read back from `runs/`. Returns what they show.
    static func writeFigures(_ records: [ExperimentRecord], test: ImageSet, shown: Int, settings: [(String, JSON)],
                             selection: WeightMapSelection = .init(), charts: ChartFormat = .png, directory: String,
                             threads: Int) throws -> Figures {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let summaries = VariantSummary.group(records)
        let base = summaries.first { $0.name == baseline }
        let subtitle = ExperimentReport.runDescription(settings)
        try writeMetrics(records, summaries: summaries, baseline: base, settings: settings, to: path("metrics.json"))
        let curves = curves(summaries, title: "Test MSE per epoch", subtitle: subtitle)
        try AtomicFile.write(curves.encoded(as: charts), to: path("curves.\(charts.rawValue)"))

        // the figures: each model's first seed
        let firsts = summaries.map { s in records.first { $0.run.name == s.name && $0.run.knob == s.knob }! }
        let models = try firsts.map { try Checkpoint.load(Experiment.modelPath($0.run, in: directory)).model }
        var originals = [Float](repeating: 0, count: shown * ModelConfig.inputs)
        test.gather((0..<Int32(shown)).map { $0 }[...], into: &originals)
        let rows = zip(firsts, models).map { record, model in
            var images: [Float] = []
            model.reconstruct(test, range: 0..<shown) { _, m, _, y in
                images += UnsafeBufferPointer(start: y, count: m * ModelConfig.inputs)
            }
            return (name: record.run.name, images: images)
        }
        try AtomicFile.write(ComparisonSheets.reconstructions(originals: originals, rows: rows, count: shown).png,
                             to: path("reconstructions.png"))
        let measured = zip(firsts, models).map { record, model in
            let codes = model.codes(test, threads: threads)
            let hidden = model.config.hidden
            let values = UnsafeBufferPointer(start: codes.pointer, count: test.count * hidden)
            let statistics = ActivationStatistics(codes: values, examples: test.count, units: hidden,
                                                  activation: model.config.activation)
            return (record.run.name, codes, statistics)
        }
        let histograms = histogramSheet(measured, activation: models[0].config.activation,
                                        subtitle: ExperimentReport.runDescription(settings, firstSeed: true))
        try AtomicFile.write(histograms.encoded(as: charts), to: path("histograms.\(charts.rawValue)"))
        // dead units (on the test set) drawn crossed out, or left out with --live-only
        let maps = zip(measured, models).map { m, model in
            (name: m.0, image: Grids.weightMap(selection.tiles(model.parameters, statistics: m.2)))
        }
        let sheet = Layout.row(maps.map { $0.image.captioned($0.name) }, gap: 12)
        try AtomicFile.write(sheet.png, to: path("weightmaps.png"))
        return Figures(summaries: summaries, curves: curves, histograms: histograms, weightMaps: maps)
    }

    /// metrics.json: the settings, the test used, each model's summary (against
    /// `baseline`), then every run's own record.
    static func writeMetrics(_ records: [ExperimentRecord], summaries: [VariantSummary], baseline: VariantSummary?,
                             settings: [(String, JSON)], to path: String) throws {
        let json = JSON.object([
            ("settings", .object(settings)),
            ("test", .string("Welch's t test of each metric's difference from \(baseline?.name ?? "the baseline")'s "
                + "over the seeds, two-sided; within_noise when p >= \(WelchTest.level)")),
            ("variants", .array(summaries.map { $0.json(baseline: baseline) })),
            ("runs", .array(records.map { $0.json(settings: $0.run.settings(dataDigest: "")).forMetrics })),
        ])
        try AtomicFile.write(Array((json.rendered() + "\n").utf8), to: path)
    }

    /// The test MSE per epoch of each model, mean ± sd over its seeds drawn as error bars
    /// (the y label says so, as the report's caption does).
    public static func curves(_ summaries: [VariantSummary], title: String, subtitle: String? = nil) -> LineChart {
        let seeds = summaries.map(\.seeds.count).max() ?? 1
        return LineChart(title: title, subtitle: subtitle, xLabel: "epoch",
                         yLabel: seeds > 1 ? "test MSE (mean; error bars ± sd, \(seeds) seeds)" : "test MSE",
                         series: summaries.map { s in
                             .init(name: s.label, values: s.testMSE.map(\.mean), spread: s.testMSE.map(\.sd))
                         })
    }

    /// The activation histograms of `models` (Srivastava et al. 2014, Fig. 8: each unit's
    /// mean activation, and all activations, every model on the same axes). Shared with
    /// `activations`.
    public static func histogramSheet(_ models: [(name: String, codes: FloatBuffer,
                                                  statistics: ActivationStatistics)],
                                      activation: Activation, subtitle: String?) -> HistogramSheet {
        HistogramSheet(ActivationHistograms.sharedAxes(models, activation: activation), subtitle: subtitle)
    }
}

extension JSON {
    /// A run record as metrics.json holds it: without its settings' data_digest
    /// (metrics.json states the data once), and each setting, which a run record keeps as
    /// the string its reuse is decided on, as the JSON value it stands for (`setting`).
    var forMetrics: JSON {
        guard case .object(var fields) = self, let i = fields.firstIndex(where: { $0.0 == "settings" }),
              case .object(let settings) = fields[i].1 else { return self }
        fields[i].1 = .object(settings.filter { $0.0 != "data_digest" }.map {
            ($0.0, $0.1.string.map(JSON.setting) ?? $0.1)
        })
        return .object(fields)
    }
}

extension Comparison {
    /// A comparison as `Experiment.perform` runs it: the `plan`, and what its figures
    /// show (`count` reconstructions, the weight maps' `selection`, the charts' format,
    /// the `plot` file).
    public struct Design: ExperimentDesign {
        public var plan: Plan
        public var count: Int
        public var selection: WeightMapSelection
        public var charts: ChartFormat
        public var plot: String?

        public init(_ plan: Plan, count: Int, selection: WeightMapSelection, charts: ChartFormat = .png,
                    plot: String?) {
            self.plan = plan
            self.count = count
            self.selection = selection
            self.charts = charts
            self.plot = plot
        }

        public var headline: String { "models: " + plan.summary }
        public var note: String? { plan.note }
        public var runs: [ExperimentRun] { plan.runs }
        public var outputFiles: [String] { Comparison.outputFiles(charts: charts) }

        /// The first --limit images; every run trains on those.
        public func trainImages(of train: ImageSet, data: String) throws -> ImageSet { train.prefix(plan.limit) }

        public func writeOutputs(_ records: [ExperimentRecord], test: ImageSet, data: String,
                                 trained: ImageSet, threads: Int,
                                 directory: String) throws -> ExperimentOutputs {
            try plan.writeOutputs(records, test: test, data: data, train: trained, count: count, selection: selection,
                                  charts: charts, plot: plot, threads: threads, directory: directory)
        }
    }
}
