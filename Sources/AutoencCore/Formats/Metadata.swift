/// A safetensors file's `__metadata__` (all values strings) read back: each key parsed,
/// and checked by its parser (against `Limits`). The one reader behind every setting
/// autoenc stores: `ModelConfig(metadata:)`, `TrainingOptions(metadata:)` and the rest of
/// a training state.
struct MetadataReader {
    let metadata: [String: String]
    /// Makes the error for a missing or bad key: "metadata KEY is missing", "metadata KEY is VALUE".
    let bad: (String) -> AutoencError

    /// `key`'s value parsed by `parse`; nil when the key is missing and not `required`.
    /// Throws `bad` for a missing required key and for a value `parse` refuses.
    func value<T>(_ key: String, required: Bool, _ parse: (String) -> T?) throws -> T? {
        guard let s = metadata[key] else {
            if required { throw bad("metadata \(key) is missing") }
            return nil
        }
        guard let v = parse(s) else { throw bad("metadata \(key) is \(s)") }
        return v
    }

    /// `key`'s value, which must be there.
    func value<T>(_ key: String, _ parse: (String) -> T?) throws -> T {
        try value(key, required: true, parse)!
    }

    /// `key`'s number, which must be within `limit` (and there when `required`).
    func value<T: LosslessStringConvertible>(_ key: String, required: Bool, within limit: Limit<T>) throws -> T? {
        try value(key, required: required) { T($0).flatMap { limit.contains($0) ? $0 : nil } }
    }
}

/// The one mapping between the settings and safetensors metadata strings, used by
/// checkpoints, training states, `--log`'s settings and experiment records alike.
extension TrainingOptions {
    /// `optimizer`, `lr`, `batch_size` and `seed`, in that order.
    public var metadataFields: [(key: String, value: String)] {
        [("optimizer", optimizer.rawValue), ("lr", String(learningRate)), ("batch_size", String(batchSize)),
         ("seed", String(seed))]
    }

    /// The same fields as a dictionary, as safetensors metadata holds them.
    public var metadata: [String: String] {
        Dictionary(uniqueKeysWithValues: metadataFields.map { ($0.key, $0.value) })
    }

    /// Reads the four keys of `metadataFields` back, each required and checked against
    /// `Limits`; threads and kernels keep their defaults.
    init(metadata m: MetadataReader) throws {
        self.init()
        optimizer = try m.value("optimizer") { OptimizerKind(rawValue: $0) }
        learningRate = try m.value("lr", required: true, within: Limits.learningRate)!
        batchSize = try m.value("batch_size", required: true, within: Limits.batchSize)!
        seed = try m.value("seed") { UInt64($0) }
    }
}

extension ModelConfig {
    /// `hidden`, `activation`, `drop_p`, `drop_mode`, `dropconnect_masks`, and the keys
    /// added with the dropout papers' knobs: `dropout_scaling`, `input_drop_p` and
    /// `max_norm` (a number, or `none`).
    ///
    /// The keep probability is 1 - drop_p, not stored.
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

    /// Reads `metadata`'s keys back, each checked against `Limits`.
    ///
    /// With `complete`, the first five keys must be there (files only autoenc writes); otherwise a
    /// missing key keeps its default (checkpoints from elsewhere). The last three may always be
    /// missing (files written before they existed).
    ///
    /// - Parameters:
    ///   - m: The file's metadata strings.
    ///   - tensorHidden: The tensors' own count of hidden units when the file has tensors that say
    ///     it (a metadata value must then agree); nil to take the metadata's.
    ///   - complete: Whether every key a file autoenc wrote has must be there.
    ///   - bad: Makes the error for a missing or invalid value, naming the file.
    /// - Throws: The error `bad` makes.
    public init(metadata m: [String: String], hidden tensorHidden: Int?, complete: Bool,
                bad: @escaping (String) -> AutoencError) throws {
        let reader = MetadataReader(metadata: m, bad: bad)
        let hidden = try reader.value("hidden", required: complete && tensorHidden == nil, within: Limits.hidden)
        if let tensorHidden, let hidden, hidden != tensorHidden {
            throw bad("metadata hidden=\(hidden) but encoder.weight has \(tensorHidden) rows")
        }
        guard let units = tensorHidden ?? hidden else { throw bad("metadata hidden is missing") }
        self.init(hidden: units)
        activation = try reader.value("activation", required: complete) { Activation(rawValue: $0) } ?? activation
        dropP = try reader.value("drop_p", required: complete, within: Limits.dropP) ?? dropP
        dropMode = try reader.value("drop_mode", required: complete) { DropMode(rawValue: $0) } ?? dropMode
        masks = try reader.value("dropconnect_masks", required: complete) { MaskSharing(rawValue: $0) } ?? masks
        scaling = try reader.value("dropout_scaling", required: false) { DropoutScaling(rawValue: $0) } ?? scaling
        inputDropP = try reader.value("input_drop_p", required: false, within: Limits.inputDropP) ?? inputDropP
        if let s = m["max_norm"], s != "none" {
            guard let c = Float(s), Limits.maxNorm.contains(c) else {
                throw bad("metadata max_norm is \(s), expected \(Limits.maxNorm.expected) or none")
            }
            maxNorm = c
        }
        if scaling == .classic && dropMode != .dropout && dropP > 0 {
            throw bad("dropout_scaling classic with drop_mode \(dropMode.rawValue), which autoenc does not train")
        }
    }
}
