import Foundation

/// What a checkpoint records besides the weights; stored as safetensors `__metadata__`
/// (all values strings, as the format requires).
public struct CheckpointMetadata: Sendable, Equatable {
    public static let formatVersion = "autoenc-1"

    public var config: ModelConfig
    public var seed: UInt64
    public var epoch: Int
    public var dataset: String
    public var extra: [String: String] = [:]

    public init(config: ModelConfig, seed: UInt64, epoch: Int, dataset: String, extra: [String: String] = [:]) {
        self.config = config
        self.seed = seed
        self.epoch = epoch
        self.dataset = dataset
        self.extra = extra
    }

    var dictionary: [String: String] {
        var d = extra
        d.merge(config.metadata) { _, new in new }
        d["format"] = Self.formatVersion
        d["seed"] = String(seed)
        d["epoch"] = String(epoch)
        d["dataset"] = dataset
        return d
    }
}

/// A model as saved on disk: safetensors with PyTorch `nn.Linear` tensor names
/// (`encoder.weight` (hidden, 784), `encoder.bias`, `decoder.weight` (784, hidden),
/// `decoder.bias`), float32 little-endian, holding inference-ready weights.
public enum Checkpoint {
    /// The file's bytes: the safetensors header, then the tensors' data in order.
    public static func encode(_ parameters: Parameters, metadata: CheckpointMetadata) -> (header: [UInt8], data: UnsafeRawBufferPointer) {
        let header = SafetensorsHeader.encode(metadata: metadata.dictionary,
                                              tensors: parameters.tensors.map { ($0.name, $0.shape) })
        return (header, UnsafeRawBufferPointer(start: parameters.base, count: parameters.count * 4))
    }

    /// Saves atomically (temporary file, fsync, rename, fsync of the directory).
    /// Refuses to write non-finite weights. Throws `.ioError` / `.cannotCreate`.
    public static func save(_ parameters: Parameters, metadata: CheckpointMetadata, to path: String) throws {
        precondition(parameters.isFinite, "Checkpoint.save: callers must not pass non-finite weights")
        // `data` points into `parameters`' storage: keep it alive until written
        try withExtendedLifetime(parameters) {
            let (header, data) = encode(parameters, metadata: metadata)
            try header.withUnsafeBytes { try AtomicFile.write([$0, data], to: path) }
        }
    }

    /// A loaded checkpoint.
    public struct Loaded: Sendable {
        public var config: ModelConfig
        public var parameters: Parameters
        public var metadata: [String: String]
        public var model: Autoencoder { Autoencoder(config: config, parameters: parameters) }

        /// "note: trained on X; these images are from Y" when the checkpoint records (as an
        /// absolute path) another data set than `location`; nil otherwise.
        public func dataNote(_ location: DataLocation) -> String? {
            guard let trained = metadata["dataset"], trained.hasPrefix("/"),
                  (trained as NSString).standardizingPath != location.absoluteDirectory else { return nil }
            return "note: the model was trained on \(trained); these images are from \(location.absoluteDirectory)"
        }
    }

    /// Loads and checks a checkpoint: header length sane, JSON well formed, every tensor
    /// F32 with the expected name and shape, offsets contiguous and inside the file,
    /// metadata consistent with the shapes. Throws `.noInput` when missing, `.dataError`
    /// naming the file for anything else.
    public static func load(_ path: String) throws -> Loaded {
        try SafetensorsHeader.requireFile(path, missing: .missing(path, "no such checkpoint (train one with `autoenc train`)"),
                                          directory: AutoencError(.noInput, "\(path): expected a checkpoint file, found a directory"))
        return try decode(SafetensorsHeader.contents(path), path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> Loaded {
        func bad(_ what: String) -> AutoencError { .badData(path, "not a valid autoenc checkpoint: \(what)") }
        // a file whose first 8 bytes are no safetensors header length: say what it is
        if !SafetensorsHeader.lengthFits(bytes), let kind = IDX.recognize(bytes) { throw bad("this is \(kind), not a model") }
        let header = try SafetensorsHeader.parse(bytes, bad: bad)
        if header.metadata["format"] == TrainingState.formatVersion {
            throw bad("this is a training state, not a model; its model is \(TrainingState.path(besideState: path))")
        }
        // the encoder's rows say the hidden size; then every tensor's shape is known
        guard let encoder = header.tensors.first(where: { $0.name == "encoder.weight" }) else {
            throw bad("missing tensor encoder.weight")
        }
        let n = ModelConfig.inputs
        guard encoder.shape.count == 2, encoder.shape[1] == n, Limits.hidden.contains(encoder.shape[0]) else {
            throw bad("encoder.weight has shape \(encoder.shape), expected (hidden, 784) with hidden \(Limits.hidden.expected)")
        }
        let hidden = encoder.shape[0]
        try header.requireF32(Parameters.tensors(hidden: hidden).map { ($0.name, $0.shape) }, bad: bad)
        if let format = header.metadata["format"], format != CheckpointMetadata.formatVersion {
            throw bad("format \(format), this autoenc reads \(CheckpointMetadata.formatVersion)")
        }
        let config = try ModelConfig(metadata: header.metadata, hidden: hidden, complete: false, bad: bad)
        let parameters = Parameters(hidden: hidden)
        for tensor in parameters.tensors {
            let values = parameters.base + tensor.offset
            header.copyFloats(tensor.name, from: bytes, to: values)
            if let i = (0..<tensor.shape.reduce(1, *)).first(where: { !values[$0].isFinite }) {
                throw bad("\(tensor.name) holds \(values[i]) at element \(i); a model's weights must be finite")
            }
        }
        return Loaded(config: config, parameters: parameters, metadata: header.metadata)
    }
}
