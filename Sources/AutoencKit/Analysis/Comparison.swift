import Foundation

/// `autoenc compare`'s experiment: the same autoencoder trained without a regularizer,
/// with dropout and with DropConnect (by default; or with the regularizers `--models`
/// names, Gaussian dropout among them), from the same weights, on the same batches with
/// the same optimizer, for each of N seeds; then measured, summarized over the seeds,
/// and drawn side by side on the same axes.
public enum Comparison {
    /// The model every other is compared with.
    public static let baseline = "none"

    /// Dropout's and DropConnect's drop probability when no flag gives one.
    public static let defaultDropP: Float = 0.5

    /// The models compare and sweep may train: none, then each hidden regularizer by its
    /// `DropMode` name.
    public static let models = [baseline] + DropMode.allCases.map(\.rawValue)
    /// The models compare trains when `--models` is not given.
    public static let defaultModels = [baseline, DropMode.dropout.rawValue, DropMode.dropconnect.rawValue]

    /// The models `text` names (a comma-separated list of `models`; nil: `defaults`).
    /// Throws `.usage` (64) for an unknown model, an empty list or a model named twice.
    public static func models(_ text: String?, defaults: [String]) throws -> [String] {
        guard let text else { return defaults }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in names where !models.contains(name) {
            throw AutoencError(.usage, "--models: unknown model \(name); expected a comma-separated list of "
                               + models.joined(separator: ", "))
        }
        guard !names.isEmpty, Set(names).count == names.count else {
            throw AutoencError(.usage, "--models must name each of \(models.joined(separator: ", ")) at most once, "
                               + "got \(text)")
        }
        return names
    }

    /// The models `names` (of `models`; by default none, dropout, DropConnect), from `base`
    /// (its hidden size, activation, input dropout, max-norm, DropConnect masks and dropout
    /// scaling) with the hidden regularizer set: none; dropout at `dropP` (with `base`'s
    /// scaling); DropConnect at `dropP` (with `base`'s masks); Gaussian dropout at `dropP`.
    public static func variants(base: ModelConfig, dropP: Float,
                                names: [String] = defaultModels) -> [(name: String, config: ModelConfig)] {
        func with(_ p: Float, _ mode: DropMode, masks: MaskSharing = .example,
                  scaling: DropoutScaling = .inverted) -> ModelConfig {
            ModelConfig(hidden: base.hidden, activation: base.activation, dropP: p, dropMode: mode, masks: masks,
                        scaling: scaling, inputDropP: base.inputDropP, maxNorm: base.maxNorm)
        }
        return names.map { name in
            switch DropMode(rawValue: name) {
            case nil: (name, with(0, .dropout))
            case .dropout: (name, with(dropP, .dropout, scaling: base.scaling))
            case .dropconnect: (name, with(dropP, .dropconnect, masks: base.masks))
            case .gaussian: (name, with(dropP, .gaussian))
            }
        }
    }

    /// Every training: each of `variants` from each of `seeds` seeds, `options.seed`,
    /// `options.seed + 1`, ..., seed by seed.
    public static func runs(_ variants: [(name: String, config: ModelConfig)], options: TrainingOptions, seeds: Int,
                            epochs: Int, limit: Int?, knob: KnobValue? = nil) -> [ExperimentRun] {
        (0..<UInt64(seeds)).flatMap { k in
            variants.map { name, config in
                ExperimentRun(name: name, knob: knob, config: config, options: ExperimentRun.seeded(options, k),
                              epochs: epochs, limit: limit)
            }
        }
    }

    /// What `compare`'s flags ask for, checked: the models' settings, each as `train`
    /// would take them, from `seeds` seeds, `epochs` epochs each.
    public struct Plan: Sendable {
        /// The models, none first: by default none, dropout and DropConnect.
        public var requests: [(name: String, request: RunRequest)]
        public var seeds: Int
        public var epochs: Int

        /// The models `models` (`Comparison.models(_:defaults:)`'s list; nil: none,
        /// dropout and DropConnect) from what they share (`base`: the model's shape, the
        /// regularizers' details, input dropout, max-norm, the optimizer and seed, the
        /// limit) and the drop probability, `dropP` or 1 - `keepP`, else `defaultDropP`.
        /// Throws `.usage` (64) naming --epochs, --drop-p or --keep-p outside its `Limits`
        /// (0 drop or 1 keep would be no regularizer to compare), an unknown or repeated
        /// model, a list without none or with none alone, else with the first model's
        /// problem (`RunRequest.problem`), such as both `dropP` and `keepP` given.
        public init(_ base: RunRequest, dropP: Float?, keepP: Float?, seeds: Int, epochs: Int,
                    models: String? = nil) throws {
            try AutoencError.refuse(Limits.epochs.problem(epochs, name: "--epochs"),
                                    Limits.regularizingDropP.problem(dropP, name: "--drop-p"),
                                    Limits.regularizingKeepP.problem(keepP, name: "--keep-p"))
            var names = try Comparison.models(models, defaults: Comparison.defaultModels)
            guard names.contains(Comparison.baseline), names.count > 1 else {
                throw AutoencError(.usage, "--models must name none and at least one regularizer: "
                                   + "every model is compared with none, got \(models ?? "")")
            }
            names.removeAll { $0 == Comparison.baseline }
            names.insert(Comparison.baseline, at: 0)
            var base = base
            if dropP != nil && keepP != nil { base.keepP = keepP } // RunRequest names the conflict
            let p = dropP ?? keepP.map { 1 - $0 } ?? Comparison.defaultDropP
            requests = Comparison.variants(base: base.newRun().config, dropP: p, names: names).map { name, config in
                var r = base
                r.dropP = config.dropP
                r.dropMode = config.dropP > 0 ? config.dropMode : nil
                r.masks = config.dropMode == .dropconnect ? base.masks : nil
                r.scaling = config.dropMode == .dropout && config.dropP > 0 ? base.scaling : nil
                return (name, r)
            }
            self.seeds = seeds
            self.epochs = epochs
            for (_, request) in requests { try AutoencError.refuse(request.problem(newRun: true)) }
        }

        /// Each model's settings for a new run.
        public var variants: [(name: String, config: ModelConfig)] {
            requests.map { ($0.name, $0.request.newRun().config) }
        }
        /// The optimizer, the batch size and the first seed, the same for every model.
        public var options: TrainingOptions { requests[0].request.newRun().options }
        public var limit: Int? { requests[0].request.limit }
        /// A line on settings that will barely learn (`RunRequest.note`), or nil.
        public var note: String? { requests[0].request.note }

        /// Every training: each model from each seed, seed by seed.
        public var runs: [ExperimentRun] {
            Comparison.runs(variants, options: options, seeds: seeds, epochs: epochs, limit: limit)
        }

        /// The models as the command announces them: "784-256-784 relu; none / dropout
        /// p_drop 0.5 / DropConnect p_drop 0.5, masks per example; adam lr 0.001, batch
        /// 128, 1 seed from 0".
        public var summary: String {
            let variants = variants
            return "784-\(variants[1].config.hidden)-784 \(variants[1].config.activation.rawValue); none / "
                + variants.dropFirst().map(\.config.summary).joined(separator: " / ") + "; "
                + options.summary(seeds: seeds)
        }
    }
}
