import Foundation

/// What `sweep` writes once its runs are finished: metrics.json, a chart per metric,
/// weightmaps.png and report.html, all made from the runs' records and, for the weight
/// maps, their models read back from `runs/`.
extension Sweep.Grid {
    // MARK: - Every output

    /// Writes every output into `directory` from the finished `records` of `runs`:
    /// metrics.json and a chart per metric (`writeMetrics`), weightmaps.png (the units
    /// `selection` picks, `Sweep.weightMapUnits` unless it says; dead units measured on `test` on `threads`
    /// threads), then report.html. `data` and `trainImages` describe the training data
    /// in the settings. Returns the table the command prints and the files written.
    /// Throws the files' write errors (73, 74) and a run's model that does not load.
    public func writeOutputs(_ records: [ExperimentRecord], test: ImageSet, data: String, trainImages: Int,
                             chartFormat: ChartFormat, selection: WeightMapSelection, threads: Int,
                             directory: String) throws -> ExperimentOutputs {
        let series = series(records: records)
        let settings = settings(data: data, trainImages: trainImages,
                                testImages: test.count) + Provenance.current().fields
        let charts = try writeMetrics(series, records: records, settings: settings, chartFormat: chartFormat,
                                      directory: directory)
        var selection = selection
        selection.units = selection.units ?? Sweep.weightMapUnits
        let maps = try writeWeightMaps(series, test: test, selection: selection, threads: threads,
                                       directory: directory)
        let report = ExperimentReport.sweep(series, knob: knob, values: values, settings: settings, seeds: seeds,
                                            charts: charts, weightMaps: maps, selection: selection)
        try AtomicFile.write(Array(report.utf8), to: (directory as NSString).appendingPathComponent("report.html"))
        let noneTrained = series.contains { $0.name == Comparison.baseline }
        let table = VariantSummary.table(Sweep.tableRows(series), baseline: Sweep.baseline(in: series))
        let baseline = noneTrained ? "none at the same \(knob.rawValue)" : "none (not trained)"
        let legend = VariantSummary.legend(seeds: seeds, baseline: baseline)
        return ExperimentOutputs(table: table + "\n" + legend,
                                 files: ["report.html", "metrics.json"] + charts.map(\.file)
                                     + ["weightmaps.png", "runs/"])
    }

    /// The settings metrics.json and report.html state: the data (its directory `data`,
    /// `trainImages` and `testImages`), the epochs, the models and their seeds, the model's
    /// shape and the optimizer, and the drop probability when it is not the knob.
    public func settings(data: String, trainImages: Int, testImages: Int) -> [(String, JSON)] {
        var settings: [(String, JSON)] = [
            ("data", .string(data)), ("train_images", .number(Double(trainImages))),
            ("test_images", .number(Double(testImages))), ("epochs", .number(Double(epochs))),
            ("models", .array(models.map { .string($0) })),
            ("seeds", .array((0..<UInt64(seeds)).map { .number(Double(options.seed &+ $0)) })),
            ("hidden", .number(Double(base.hidden))), ("activation", .string(base.activation.rawValue)),
            ("optimizer", .string(options.optimizer.rawValue)), ("lr", .float(options.learningRate)),
            ("batch_size", .number(Double(options.batchSize))),
        ]
        if knob != .dropP { settings.append(("drop_p", .float(dropP))) }
        return settings
    }

    // MARK: - Metrics and charts

    /// Writes metrics.json (the settings, each model's points against none at the same
    /// value when none was trained, every run) and a chart per metric, METRIC.png, .svg
    /// or .pdf, into `directory`. Returns the charts and their file names.
    func writeMetrics(_ series: [Sweep.Series], records: [ExperimentRecord], settings: [(String, JSON)],
                      chartFormat: ChartFormat, directory: String) throws -> [(file: String, chart: LineChart)] {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let none = series.first { $0.name == Comparison.baseline }
        let json = JSON.object([
            ("settings", .object(settings + [("knob", .string(knob.rawValue)),
                                             ("values", .array(values.map { .number($0.value) }))])),
            ("test", .string("Welch's t test of each metric's difference from none's at the same value over the "
                + "seeds, two-sided; within_noise when p >= \(WelchTest.level)")),
            ("series", .array(series.map { s in
                .object([("name", .string(s.name)),
                         ("points", .array(s.points.enumerated().map { i, point in
                             point.json(baseline: s.name == Comparison.baseline ? nil : none?.points[i])
                         }))])
            })),
            ("runs",
             .array(Self.unique(records).map { $0.json(settings: $0.run.settings(dataDigest: "")).forMetrics })),
        ])
        try AtomicFile.write(Array((json.rendered() + "\n").utf8), to: path("metrics.json"))
        let subtitle = ExperimentReport.runDescription(settings)
        return try Self.metrics(series).map { metric in
            let name = "\(metric).\(chartFormat.rawValue)"
            let chart = chart(series, metric: metric, subtitle: subtitle)
            try AtomicFile.write(chart.encoded(as: chartFormat), to: path(name))
            return (name, chart)
        }
    }

    /// The chart of `metric` against the knob: a line per model, mean ± sd over the seeds
    /// drawn as error bars; `subtitle` says what was run.
    public func chart(_ series: [Sweep.Series], metric: String, subtitle: String? = nil) -> LineChart {
        LineChart(title: "\(metric) against \(knob.rawValue)", subtitle: subtitle, xLabel: knob.rawValue,
                  yLabel: seeds > 1 ? "\(metric) (mean; error bars ± sd, \(seeds) seeds)" : metric,
                  series: series.map { s in
                      .init(name: s.name, values: s.points.map { $0.metric(metric)?.mean ?? .nan },
                            spread: s.points.map { $0.metric(metric)?.sd ?? .nan })
                  },
                  xLabels: values.map(\.label), width: 560, height: 350)
    }

    /// The metrics every series has a value of, in `Diagnostics.metricOrder`.
    public static func metrics(_ series: [Sweep.Series]) -> [String] {
        let keys = series.flatMap { $0.points.flatMap { $0.metrics.map(\.key) } }
        return Diagnostics.metricOrder.filter(keys.contains)
    }

    /// Each run once, in order.
    static func unique(_ records: [ExperimentRecord]) -> [ExperimentRecord] {
        var seen = Set<String>()
        return records.filter { seen.insert($0.run.stem).inserted }
    }

    // MARK: - Weight maps

    /// weightmaps.png: a row per model, a map per value (the first seed's model), each
    /// with the units `selection` picks, dead units (on `test`) crossed out or left out.
    /// Returns each map on its own, named by model and value, for report.html.
    func writeWeightMaps(_ series: [Sweep.Series], test: ImageSet, selection: WeightMapSelection, threads: Int,
                         directory: String) throws -> [(name: String, image: GrayImage)] {
        var all: [(name: String, image: GrayImage)] = []
        let rows = try series.map { s in
            let maps = try zip(s.points, s.firstRuns).map { point, run in
                let model = try Checkpoint.load(Experiment.modelPath(run, in: directory)).model
                let statistics = try ActivationStatistics(model, on: test, threads: threads)
                let name = point.knob?.label ?? s.name
                let image = Grids.weightMap(selection.tiles(model.parameters, statistics: statistics))
                all.append((name: s.name + (point.knob.map { ", \(knob.rawValue) \($0.label)" } ?? ""),
                            image: image))
                return image.captioned(name)
            }
            return Layout.row(maps, gap: 12).captioned(s.name)
        }
        try AtomicFile.write(Layout.column(rows, gap: 12).png,
                             to: (directory as NSString).appendingPathComponent("weightmaps.png"))
        return all
    }
}

extension Sweep {
    /// The rows of the sweep's table: each model's point at each value, but a model whose
    /// runs do not depend on the knob (none in a drop-probability sweep) once, without a
    /// value, rather than the same row at every value. metrics.json keeps every point.
    public static func tableRows(_ series: [Series]) -> [VariantSummary] {
        series.flatMap { s -> [VariantSummary] in
            guard let first = s.points.first, s.firstRuns.allSatisfy({ $0.knob == nil }) else { return s.points }
            var once = first
            once.knob = nil
            return [once]
        }
    }

    /// A sweep as `Experiment.perform` runs it: the `grid` of the `plan` (with its seeds
    /// and epochs), drawn as `chartFormat` charts and weight maps of the units `selection`
    /// picks.
    public struct Design: ExperimentDesign {
        public var plan: Plan
        public var grid: Grid
        public var chartFormat: ChartFormat
        public var selection: WeightMapSelection

        public init(_ plan: Plan, seeds: Int, epochs: Int, chartFormat: ChartFormat,
                    selection: WeightMapSelection) {
            self.plan = plan
            grid = plan.grid(seeds: seeds, epochs: epochs)
            self.chartFormat = chartFormat
            self.selection = selection
        }

        public var headline: String { "sweep: " + grid.summary }
        public var note: String? { plan.request.note }
        public var runs: [ExperimentRun] { grid.runs }
        /// Every metric's chart, whether or not the data set lets it be measured.
        public var outputFiles: [String] {
            ["report.html",
             "metrics.json"] + Diagnostics.metricOrder.map { "\($0).\(chartFormat.rawValue)" } + ["weightmaps.png"]
        }

        /// The first --limit images when the limit is fixed, all of them when it is swept
        /// (each run takes its own), after checking that the data set holds every size
        /// swept (`Grid.checkSizes`).
        public func trainImages(of train: ImageSet, data: String) throws -> ImageSet {
            try grid.checkSizes(trainImages: train.count, data: data)
            return train.prefix(grid.limit)
        }

        public func writeOutputs(_ records: [ExperimentRecord], test: ImageSet, data: String,
                                 trained: ImageSet, threads: Int,
                                 directory: String) throws -> ExperimentOutputs {
            try grid.writeOutputs(records, test: test, data: data, trainImages: trained.count, chartFormat: chartFormat,
                                  selection: selection, threads: threads, directory: directory)
        }
    }
}
