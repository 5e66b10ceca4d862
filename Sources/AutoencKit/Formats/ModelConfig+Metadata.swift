/// The one mapping between a model's settings and safetensors metadata strings, used by
/// checkpoints and training states alike.
extension ModelConfig {
    /// `hidden`, `activation`, `drop_p`, `drop_mode`, `dropconnect_masks`, and the keys
    /// added with the dropout papers' knobs: `dropout_scaling`, `input_drop_p` and
    /// `max_norm` (a number, or `none`). The keep probability is 1 - drop_p, not stored.
    public var metadata: [String: String] {
        ["hidden": String(hidden),
         "activation": activation.rawValue,
         "drop_p": String(dropP),
         "drop_mode": dropMode.rawValue,
         "dropconnect_masks": masks.rawValue,
         "dropout_scaling": scaling.rawValue,
         "input_drop_p": String(inputDropP),
         "max_norm": maxNorm.map { String($0) } ?? "none"]
    }

    /// Reads `metadata`'s keys back, each checked against `Limits`. `hidden` is the
    /// tensors' own count when the file has tensors that say it (a metadata value must
    /// then agree), else the metadata's. With `complete`, the first five keys must be
    /// there (files only autoenc writes); otherwise a missing key keeps its default
    /// (checkpoints from elsewhere). The last three may always be missing (files written
    /// before they existed). Errors come from `bad`.
    public init(metadata m: [String: String], hidden tensorHidden: Int?, complete: Bool,
                bad: (String) -> AutoencError) throws {
        func value<T>(_ key: String, required: Bool, _ parse: (String) -> T?) throws -> T? {
            guard let s = m[key] else {
                if required { throw bad("metadata \(key) is missing") }
                return nil
            }
            guard let v = parse(s) else { throw bad("metadata \(key) is \(s)") }
            return v
        }
        let hidden = try value("hidden", required: complete && tensorHidden == nil) { Int($0).flatMap { Limits.hidden.contains($0) ? $0 : nil } }
        if let tensorHidden, let hidden, hidden != tensorHidden {
            throw bad("metadata hidden=\(hidden) but encoder.weight has \(tensorHidden) rows")
        }
        guard let units = tensorHidden ?? hidden else { throw bad("metadata hidden is missing") }
        self.init(hidden: units)
        activation = try value("activation", required: complete) { Activation(rawValue: $0) } ?? activation
        dropP = try value("drop_p", required: complete) { Float($0).flatMap { Limits.dropP.contains($0) ? $0 : nil } } ?? dropP
        dropMode = try value("drop_mode", required: complete) { DropMode(rawValue: $0) } ?? dropMode
        masks = try value("dropconnect_masks", required: complete) { MaskSharing(rawValue: $0) } ?? masks
        scaling = try value("dropout_scaling", required: false) { DropoutScaling(rawValue: $0) } ?? scaling
        inputDropP = try value("input_drop_p", required: false) { Float($0).flatMap { Limits.inputDropP.contains($0) ? $0 : nil } } ?? inputDropP
        if let s = m["max_norm"], s != "none" {
            guard let c = Float(s), Limits.maxNorm.contains(c) else { throw bad("metadata max_norm is \(s), expected a positive number or none") }
            maxNorm = c
        }
        if scaling == .classic && dropMode == .dropconnect && dropP > 0 {
            throw bad("dropout_scaling classic with drop_mode dropconnect, which autoenc does not train")
        }
    }
}
