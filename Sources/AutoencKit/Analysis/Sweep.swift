import Foundation

/// `autoenc sweep`'s experiment: one or more models trained at each value of one knob
/// (the drop probability as in Srivastava et al.'s Fig. 9, the training set's size as
/// in Fig. 10, input dropout or max-norm), each from N seeds; every metric drawn against
/// the knob with error bars.
public enum Sweep {
    /// The setting a sweep varies.
    public enum Knob: String, Sendable, CaseIterable {
        case dropP = "drop_p"
        case limit
        case inputDropP = "input_drop_p"
        case maxNorm = "max_norm"

        /// The flag that gives its values.
        public var flag: String { "--" + rawValue.replacingOccurrences(of: "_", with: "-") }
    }

    /// The models a sweep may train, as compare names them.
    public static let models = ["none", "dropout", "dropconnect"]

    /// The run of model `name` (none, dropout, dropconnect) at `value` of `knob`, from
    /// `base` (hidden size, activation, masks, scaling, input dropout, max-norm) with
    /// the regularized models dropping with probability `dropP` unless the knob is the
    /// drop probability. A model that comes out unregularized (drop_p 0) is none, and
    /// none does not depend on the drop probability: such runs are shared.
    public static func run(model name: String, knob: Knob, value: KnobValue, base: ModelConfig, dropP: Float,
                           options: TrainingOptions, epochs: Int, limit: Int?) -> ExperimentRun {
        var config = base
        var limit = limit
        var p = name == Comparison.baseline ? 0 : dropP
        switch knob {
        case .dropP: if name != Comparison.baseline { p = Float(value.value) }
        case .limit: limit = Int(value.value)
        case .inputDropP: config.inputDropP = Float(value.value)
        case .maxNorm: config.maxNorm = Float(value.value)
        }
        let variant = Comparison.variants(base: config, dropP: p > 0 ? p : 0.5)
            .first { $0.name == (p > 0 ? name : Comparison.baseline) }!
        let dependsOnKnob = !(knob == .dropP && p == 0)
        return ExperimentRun(name: variant.name, knob: dependsOnKnob ? value : nil, config: variant.config,
                             options: options, epochs: epochs, limit: limit)
    }

    /// Every run: each model at each value, from seeds options.seed, + 1, ..., seed by
    /// seed (a run shared by several points appears once per point).
    public static func runs(models: [String], knob: Knob, values: [KnobValue], base: ModelConfig, dropP: Float,
                            options: TrainingOptions, seeds: Int, epochs: Int, limit: Int?) -> [ExperimentRun] {
        (0..<UInt64(seeds)).flatMap { k in
            models.flatMap { name in
                values.map { run(model: name, knob: knob, value: $0, base: base, dropP: dropP, options: ExperimentRun.seeded(options, k),
                                 epochs: epochs, limit: limit) }
            }
        }
    }

    /// A model's points: its summary over the seeds at each value.
    public struct Series: Sendable {
        public var name: String
        public var points: [VariantSummary]
        /// Each point's run from the first seed, whose model the weight maps draw.
        public var firstRuns: [ExperimentRun]
    }

    /// The models' series from the finished `records` of `runs` (in `runs`' order).
    public static func series(models: [String], knob: Knob, values: [KnobValue], base: ModelConfig, dropP: Float,
                              options: TrainingOptions, seeds: Int, epochs: Int, limit: Int?,
                              records: [ExperimentRecord]) -> [Series] {
        models.map { name in
            let perSeed = values.map { value in
                (0..<UInt64(seeds)).map { k in
                    run(model: name, knob: knob, value: value, base: base, dropP: dropP, options: ExperimentRun.seeded(options, k),
                        epochs: epochs, limit: limit)
                }
            }
            return Series(name: name, points: zip(values, perSeed).map { value, runs in
                VariantSummary(name: name, knob: value, records: runs.compactMap { r in records.first { $0.run.stem == r.stem } })
            }, firstRuns: perSeed.map { $0[0] })
        }
    }

    /// The chart of `metric` against the knob: a line per model, mean ± sd over the seeds.
    public static func chart(_ series: [Series], metric: String, knob: Knob, values: [KnobValue], seeds: Int) -> LineChart {
        LineChart(title: "\(metric) against \(knob.rawValue)", xLabel: knob.rawValue,
                  yLabel: seeds > 1 ? "\(metric): mean, bars sd over \(seeds) seeds" : metric, // the bitmap font has no ±
                  series: series.map { s in
                      .init(name: s.name, values: s.points.map { $0.metric(metric)?.mean ?? .nan },
                            spread: s.points.map { $0.metric(metric)?.sd ?? .nan })
                  },
                  xLabels: values.map(\.label), width: 560, height: 340)
    }

    /// The metrics every series has a value of, in `Diagnostics.metricOrder`.
    public static func metrics(_ series: [Series]) -> [String] {
        let keys = series.flatMap { $0.points.flatMap { $0.metrics.map(\.key) } }
        return Diagnostics.metricOrder.filter(keys.contains)
    }

    /// Writes metrics.json (the settings, each model's points against none at the same
    /// value when none was trained, every run) and a chart per metric, METRIC.png or
    /// .svg, into `directory`. Returns the charts' file names.
    public static func writeOutputs(_ series: [Series], records: [ExperimentRecord], knob: Knob, values: [KnobValue],
                                    seeds: Int, settings: [(String, JSON)], chartFormat: LineChart.Format,
                                    directory: String) throws -> [String] {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let none = series.first { $0.name == Comparison.baseline }
        let json = JSON.object([
            ("settings", .object(settings + [("knob", .string(knob.rawValue)), ("values", .array(values.map { .number($0.value) }))])),
            ("test", .string("Welch's t test of each metric's difference from none's at the same value over the seeds, two-sided; within_noise when p >= \(WelchTest.level)")),
            ("series", .array(series.map { s in
                .object([("name", .string(s.name)),
                         ("points", .array(s.points.enumerated().map { i, point in
                             point.json(baseline: s.name == Comparison.baseline ? nil : none?.points[i])
                         }))])
            })),
            ("runs", .array(unique(records).map { $0.json(settings: $0.run.settings(dataDigest: "")).removingDigest })),
        ])
        try AtomicFile.write(Array((json.rendered() + "\n").utf8), to: path("metrics.json"))
        return try metrics(series).map { metric in
            let name = "\(metric).\(chartFormat.rawValue)"
            try AtomicFile.write(chart(series, metric: metric, knob: knob, values: values, seeds: seeds).encoded(as: chartFormat), to: path(name))
            return name
        }
    }

    /// weightmaps.png: a row per model, a map per value (the first seed's model), each
    /// with the units `selection` picks, dead units (on `test`) crossed out or left out.
    public static func writeWeightMaps(_ series: [Series], test: ImageSet, selection: WeightMapSelection, threads: Int,
                                       directory: String) throws {
        let rows = try series.map { s in
            let maps = try zip(s.points, s.firstRuns).map { point, run in
                let model = try Checkpoint.load(Experiment.modelPath(run, in: directory)).model
                let statistics = try ActivationStatistics(model, on: test, threads: threads)
                return (name: point.knob?.label ?? s.name, parameters: model.parameters, statistics: Optional(statistics))
            }
            return ComparisonSheets.weightMaps(maps, selection: selection).captioned(s.name)
        }
        try AtomicFile.write(Layout.column(rows, gap: 12).png, to: (directory as NSString).appendingPathComponent("weightmaps.png"))
    }

    /// Each run once, in order.
    static func unique(_ records: [ExperimentRecord]) -> [ExperimentRecord] {
        var seen = Set<String>()
        return records.filter { seen.insert($0.run.stem).inserted }
    }
}
