import Foundation

/// `autoenc sweep`'s experiment: one or more models trained at each value of one knob
/// (the drop probability as in Srivastava et al.'s Fig. 9, the training set's size as
/// in Fig. 10, input dropout or max-norm), each from N seeds; every metric drawn against
/// the knob with error bars.
public enum Sweep {
    /// The units each map of weightmaps.png draws when the selection does not say: a
    /// model's every unit, once per value and model, would make tiles too small to read.
    public static let weightMapUnits = 64

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
    public static let models = Comparison.models

    /// A sweep's runs: each of `models` at each of `values` of `knob`, from `seeds` seeds
    /// (`options.seed`, + 1, ...), `epochs` epochs each.
    ///
    /// The other settings come from `base` (hidden size, activation, masks, scaling, input
    /// dropout, max-norm), with the regularized models dropping with probability `dropP`
    /// unless the knob is the drop probability, on the first `limit` training images unless
    /// the knob is the size.
    public struct Grid: Sendable {
        public var models: [String]
        public var knob: Knob
        public var values: [KnobValue]
        public var base: ModelConfig
        public var dropP: Float
        /// The optimizer, the batch size and the first seed.
        public var options: TrainingOptions
        public var seeds: Int
        public var epochs: Int
        public var limit: Int?

        public init(models: [String], knob: Knob, values: [KnobValue], base: ModelConfig, dropP: Float,
                    options: TrainingOptions, seeds: Int, epochs: Int, limit: Int?) {
            self.models = models
            self.knob = knob
            self.values = values
            self.base = base
            self.dropP = dropP
            self.options = options
            self.seeds = seeds
            self.epochs = epochs
            self.limit = limit
        }

        /// The sweep as the command announces it: "drop_p over 0, 0.5; models none,
        /// dropout; 784-256-784 relu; adam lr 0.001, batch 128, 2 seeds from 0".
        public var summary: String {
            "\(knob.rawValue) over \(values.map(\.label).joined(separator: ", ")); "
                + "models \(models.joined(separator: ", ")); 784-\(base.hidden)-784 \(base.activation.rawValue); "
                + "\(options.summary(seeds: seeds))"
        }

        /// Refuses a size sweep with a size beyond the `trainImages` training images in
        /// `data`: every such size would train on the same images. Throws `.usage` (64)
        /// naming the first size too large.
        public func checkSizes(trainImages: Int, data: String) throws {
            if knob == .limit, let beyond = values.first(where: { Int($0.value) > trainImages }) {
                throw AutoencError(.usage, "--limit \(beyond.label): \(data) has only \(trainImages) training images; "
                    + "sweep sizes up to \(trainImages)")
            }
        }

        /// The run of model `name` (none, dropout, dropconnect, gaussian) at `value` of the
        /// knob, from the `k`-th seed. A model that comes out unregularized (drop_p 0) is
        /// none, and none does not depend on the drop probability: such runs are shared.
        public func run(model name: String, value: KnobValue, seed k: UInt64) -> ExperimentRun {
            var config = base
            var limit = limit
            var p = name == Comparison.baseline ? 0 : dropP
            switch knob {
            case .dropP: if name != Comparison.baseline { p = Float(value.value) }
            case .limit: limit = Int(value.value)
            case .inputDropP: config.inputDropP = Float(value.value)
            case .maxNorm: config.maxNorm = Float(value.value)
            }
            let variant = Comparison.variants(base: config, dropP: p > 0 ? p : 0.5,
                                              names: [p > 0 ? name : Comparison.baseline])[0]
            let dependsOnKnob = !(knob == .dropP && p == 0)
            return ExperimentRun(name: variant.name, knob: dependsOnKnob ? value : nil, config: variant.config,
                                 options: ExperimentRun.seeded(options, k), epochs: epochs, limit: limit)
        }

        /// Every run: each model at each value, seed by seed (a run shared by several
        /// points appears once per point).
        public var runs: [ExperimentRun] {
            (0..<UInt64(seeds)).flatMap { k in
                models.flatMap { name in values.map { run(model: name, value: $0, seed: k) } }
            }
        }

        /// The models' series from the finished `records` of `runs` (in `runs`' order).
        public func series(records: [ExperimentRecord]) -> [Series] {
            models.map { name in
                let perSeed = values.map { value in
                    (0..<UInt64(seeds)).map { run(model: name, value: value, seed: $0) }
                }
                return Series(name: name, points: zip(values, perSeed).map { value, runs in
                    VariantSummary(name: name, knob: value,
                                   records: runs.compactMap { r in records.first { $0.run.stem == r.stem } })
                }, firstRuns: perSeed.map { $0[0] })
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

    /// What each point of `series` is compared with: none at the same value, when none
    /// was trained; nil for none's own points.
    public static func baseline(in series: [Series]) -> (VariantSummary) -> VariantSummary? {
        let none = series.first { $0.name == Comparison.baseline }
        return { point in
            guard let none, point.name != Comparison.baseline else { return nil }
            return none.points.first { $0.knob == point.knob }
        }
    }
}
