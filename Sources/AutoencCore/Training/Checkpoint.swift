import Foundation

/// What a checkpoint records besides the weights; stored as safetensors `__metadata__`
/// (all values strings, as the format requires).
public struct CheckpointMetadata: Sendable, Equatable {
    /// The `format` the metadata records; a checkpoint of another format is refused.
    public static let formatVersion = "autoenc-1"

    /// The model's shape and regularizer.
    public var config: ModelConfig
    /// The seed the run started from.
    public var seed: UInt64
    /// Epochs trained.
    public var epoch: Int
    /// The data set the model was trained on, as an absolute path where there is one.
    public var dataset: String
    /// Other strings to record, such as the training options and the data's digests.
    public var extra: [String: String] = [:]

    /// Creates the metadata of a checkpoint of a model with `config` after `epoch` epochs.
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
    /// Encodes a checkpoint without writing it.
    ///
    /// - Parameters:
    ///   - parameters: The inference-ready weights.
    ///   - metadata: What the checkpoint records besides them.
    /// - Returns: The file's bytes in two parts: the safetensors header, then the tensors' data in
    ///   order, which points into `parameters`.
    public static func encode(_ parameters: Parameters, metadata: CheckpointMetadata)
        -> (header: [UInt8], data: UnsafeRawBufferPointer) {
        let header = SafetensorsHeader.encode(metadata: metadata.dictionary,
                                              tensors: parameters.tensors.map { ($0.name, $0.shape) })
        return (header, UnsafeRawBufferPointer(start: parameters.base, count: parameters.count * 4))
    }

    /// Saves a checkpoint atomically: a temporary file, fsync, rename, fsync of the directory.
    ///
    /// Non-finite weights are never written: `parameters` must be finite, a precondition.
    ///
    /// - Parameters:
    ///   - parameters: The inference-ready weights.
    ///   - metadata: What the checkpoint records besides them.
    ///   - path: The file to create or replace.
    /// - Throws: `AutoencError` with `.ioError` or `.cannotCreate` when the file cannot be written.
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
        /// The model's shape and regularizer, from the metadata.
        public var config: ModelConfig
        /// The weights and biases, ready for inference.
        public var parameters: Parameters
        /// Every metadata string, as the file holds it.
        public var metadata: [String: String]
        /// The file it was read from, for messages.
        public var path: String = ""
        /// The model the checkpoint holds.
        public var model: Autoencoder { Autoencoder(config: config, parameters: parameters) }

        /// "note: trained on X; these images are from Y" when the checkpoint records (as an
        /// absolute path) another data set than `location`; nil otherwise.
        public func dataNote(_ location: DataLocation) -> String? {
            guard let trained = recordedDataset,
                  (trained as NSString).standardizingPath != location.absoluteDirectory else { return nil }
            return "note: the model was trained on \(trained); these images are from \(location.absoluteDirectory)"
        }

        /// The data set the model was trained on, as the checkpoint records it: an absolute
        /// path, or nil when it records none (or only a name, as tests and old files do).
        public var recordedDataset: String? {
            guard let trained = metadata["dataset"], trained.hasPrefix("/") else { return nil }
            return trained
        }

        /// The data set to score the model on.
        ///
        /// That is `given` when given; else the data set the checkpoint records, when it records one;
        /// else the default, `resolve(nil)`.
        ///
        /// - Parameters:
        ///   - given: `--data` as given, or nil.
        ///   - resolve: Resolves a given path or name, `DataLocation.resolve` by default.
        /// - Returns: Where the test images come from, and the recorded test digest to check them against.
        /// - Throws: `AutoencError` with `.noInput` (66) naming the recorded data set and `--data` when it is
        ///   no longer there, and the resolver's errors.
        public func evaluationData(_ given: String?,
                                   resolve: (String?) throws -> DataLocation = { try DataLocation.resolve($0) })
            throws -> EvaluationData {
            if given == nil, let recorded = recordedDataset {
                let location = try DataLocation.recorded(recorded, purpose: "scored on")
                return EvaluationData(location: location, recordedTestDigest: metadata[Self.testDigestKey],
                                      model: path)
            }
            return EvaluationData(location: try resolve(given), recordedTestDigest: nil, model: path)
        }

        /// The metadata key of `ImageSet.digest` of the test images the model was
        /// evaluated on while it trained (absent in checkpoints saved before it was kept).
        public static let testDigestKey = "test_digest"
    }

    /// Where a model's test images come from, and whether they are still the ones it
    /// was evaluated on while it trained.
    public struct EvaluationData: Sendable {
        /// The data set the test images come from.
        public let location: DataLocation
        /// The recorded test digest when `location` is the checkpoint's recorded data
        /// set; nil when the data was named by --data, or the checkpoint recorded none.
        public let recordedTestDigest: String?
        /// The checkpoint's path, for messages.
        public let model: String

        /// Checks that `test` are the test images the model was evaluated on while it trained.
        ///
        /// - Parameter test: The test images read from `location`.
        /// - Throws: `AutoencError` with `.noInput` (66) when they were read from the recorded data set and
        ///   are not those images: the data set changed since, so a score would not be the model's on its
        ///   own data.
        public func check(_ test: ImageSet) throws {
            guard let recorded = recordedTestDigest, recorded != test.digest else { return }
            throw AutoencError(.noInput, naming: "\(location.directory): the data set \(model) "
                + "was trained on has changed since (test images' digest \(test.digest), recorded \(recorded)); "
                + "pass \(setting: .data) DIR to score it on these or other images")
        }
    }

    /// Loads and checks a checkpoint.
    ///
    /// Checks that the header length is sane, the JSON well formed, every tensor F32 with the
    /// expected name and shape, the offsets contiguous and inside the file, and the metadata
    /// consistent with the shapes.
    ///
    /// - Parameter path: The checkpoint file.
    /// - Returns: The configuration, parameters and metadata.
    /// - Throws: `AutoencError` with `.noInput` when the file is missing, `.dataError` naming the file
    ///   for anything else.
    public static func load(_ path: String) throws -> Loaded {
        try SafetensorsHeader.requireFile(path, missing: .missing(path, "no such checkpoint (train one "
            + "with `autoenc train`)"),
                                          directory: AutoencError(.noInput, "\(path): expected a checkpoint "
                                              + "file, found a directory"))
        return try decode(SafetensorsHeader.contents(path), path: path)
    }

    /// Checks and reads a checkpoint's bytes, as `load(_:)` does with a file's.
    ///
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - path: The file's name, for messages.
    /// - Returns: The configuration, parameters and metadata.
    /// - Throws: `AutoencError.badData` naming `path` when the bytes are no valid autoenc checkpoint.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Loaded {
        func bad(_ what: String) -> AutoencError { .badData(path, "not a valid autoenc checkpoint: \(what)") }
        // a file whose first 8 bytes are no safetensors header length: say what it is
        if !SafetensorsHeader.lengthFits(bytes), let kind = IDX.recognize(bytes) {
            throw bad("this is \(kind), not a model")
        }
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
            throw bad("encoder.weight has shape \(encoder.shape), expected (hidden, 784) "
                + "with hidden \(Limits.hidden.expected)")
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
        return Loaded(config: config, parameters: parameters, metadata: header.metadata, path: path)
    }
}
