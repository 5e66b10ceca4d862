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
        d["format"] = Self.formatVersion
        d["activation"] = config.activation.rawValue
        d["hidden"] = String(config.hidden)
        d["drop_p"] = String(config.dropP)
        d["drop_mode"] = config.dropMode.rawValue
        d["dropconnect_masks"] = config.masks.rawValue
        d.merge(config.regularizerMetadata) { _, new in new }
        d["seed"] = String(seed)
        d["epoch"] = String(epoch)
        d["dataset"] = dataset
        return d
    }
}

extension ModelConfig {
    /// The settings added with the dropout papers' knobs, as metadata strings:
    /// `dropout_scaling` (inverted or classic), `input_drop_p`, and `max_norm` (a number,
    /// or `none`). The keep probability is 1 - drop_p and is not stored.
    public var regularizerMetadata: [String: String] {
        ["dropout_scaling": scaling.rawValue,
         "input_drop_p": String(inputDropP),
         "max_norm": maxNorm.map { String($0) } ?? "none"]
    }

    /// Reads `regularizerMetadata`'s keys from `m`; a missing key keeps the default (files
    /// written before these settings existed). Throws `bad(...)` on a malformed value.
    mutating func readRegularizerMetadata(_ m: [String: String], bad: (String) -> AutoencError) throws {
        if let s = m["dropout_scaling"] {
            guard let scaling = DropoutScaling(rawValue: s) else { throw bad("unknown dropout_scaling \(s)") }
            self.scaling = scaling
        }
        if let s = m["input_drop_p"] {
            guard let p = Float(s), p >= 0, p < 1 else { throw bad("input_drop_p \(s) outside [0, 1)") }
            inputDropP = p
        }
        if let s = m["max_norm"], s != "none" {
            guard let c = Float(s), c.isFinite, c > 0 else { throw bad("max_norm \(s) is not a positive number or none") }
            maxNorm = c
        }
        if scaling == .classic && dropMode == .dropconnect && dropP > 0 {
            throw bad("dropout_scaling classic with drop_mode dropconnect, which autoenc does not train")
        }
    }
}

/// A model as saved on disk: safetensors with PyTorch `nn.Linear` tensor names
/// (`encoder.weight` (hidden, 784), `encoder.bias`, `decoder.weight` (784, hidden),
/// `decoder.bias`), float32 little-endian, holding inference-ready weights.
public enum Checkpoint {
    /// safetensors caps the header at 100 MB; ours is under 1 KB.
    static let maximumHeader = 100_000_000

    /// The file's bytes: u64 header length, JSON header padded with spaces to a multiple
    /// of 8, then the tensors' data in order.
    public static func encode(_ parameters: Parameters, metadata: CheckpointMetadata) -> (header: [UInt8], data: UnsafeRawBufferPointer) {
        var fields: [String] = []
        let meta = metadata.dictionary.sorted { $0.key < $1.key }
            .map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",")
        fields.append("\"__metadata__\":{\(meta)}")
        for tensor in parameters.tensors {
            let elements = tensor.shape.reduce(1, *)
            let begin = tensor.offset * 4, end = begin + elements * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]}")
        }
        var json = Array("{\(fields.joined(separator: ","))}".utf8)
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var header = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        header += json
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
        let start = try SafetensorsHeader.prelude(bytes, bad: bad)
        let header = start.header, headerEnd = start.headerEnd
        let metadata = start.metadata ?? [:]
        let dataLength = bytes.count - headerEnd
        struct Entry { var name: String; var shape: [Int]; var begin: Int; var end: Int }
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            guard Parameters.tensorNames.contains(name) else { throw bad("unexpected tensor \(name)") }
            guard let info = value as? [String: Any] else { throw bad("\(name) is not an object") }
            guard let dtype = info["dtype"] as? String, dtype == "F32" else {
                throw bad("\(name) has dtype \(info["dtype"].map { "\($0)" } ?? "missing"), expected F32")
            }
            guard let shape = intArray(info["shape"]), shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 24 }) else {
                throw bad("\(name) has no valid shape")
            }
            guard let offsets = intArray(info["data_offsets"]), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw bad("\(name) has data_offsets outside the \(dataLength)-byte data section")
            }
            // Dimensions up to 2^24 each can still overflow in product (e.g. [2^24, 2^24, 2^14]).
            var byteCount = 4, overflow = false
            for d in shape {
                let (product, o) = byteCount.multipliedReportingOverflow(by: d)
                byteCount = product
                overflow = overflow || o
            }
            guard !overflow, offsets[1] - offsets[0] == byteCount else {
                throw bad("\(name) shape \(shape) needs \(overflow ? "more than 2^63" : "\(byteCount)") bytes, its offsets span \(offsets[1] - offsets[0])")
            }
            entries.append(Entry(name: name, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        for name in Parameters.tensorNames where !entries.contains(where: { $0.name == name }) {
            throw bad("missing tensor \(name)")
        }
        entries.sort { $0.begin < $1.begin }
        var position = 0
        for entry in entries {
            guard entry.begin == position else { throw bad("tensor data is not contiguous at \(entry.name) (offset \(entry.begin), expected \(position))") }
            position = entry.end
        }
        guard position == dataLength else { throw bad("tensors cover \(position) bytes, the data section holds \(dataLength)") }

        let shapes = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.shape) })
        let n = ModelConfig.inputs
        guard let encoder = shapes["encoder.weight"], encoder.count == 2, encoder[1] == n, encoder[0] > 0 else {
            throw bad("encoder.weight has shape \(shapes["encoder.weight"]!), expected (hidden, 784)")
        }
        let hidden = encoder[0]
        let expected = ["encoder.weight": [hidden, n], "encoder.bias": [hidden], "decoder.weight": [n, hidden], "decoder.bias": [n]]
        for (name, shape) in expected where shapes[name] != shape {
            throw bad("\(name) has shape \(shapes[name]!), expected \(shape)")
        }
        let config = try configFromMetadata(metadata, hidden: hidden, bad: bad)
        let parameters = Parameters(hidden: hidden)
        let target = UnsafeMutableRawPointer(parameters.base)
        bytes.withUnsafeBytes { raw in
            for tensor in parameters.tensors {
                let entry = entries.first { $0.name == tensor.name }!
                let source = raw.baseAddress! + headerEnd + entry.begin
                let destination = target + tensor.offset * 4
                for i in 0..<(entry.end - entry.begin) / 4 {
                    let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    destination.storeBytes(of: Float(bitPattern: bits), toByteOffset: 4 * i, as: Float.self)
                }
            }
        }
        return Loaded(config: config, parameters: parameters, metadata: metadata)
    }

    static func configFromMetadata(_ m: [String: String], hidden: Int, bad: (String) -> AutoencError) throws -> ModelConfig {
        var config = ModelConfig(hidden: hidden)
        if let format = m["format"], format != CheckpointMetadata.formatVersion {
            throw bad("format \(format), this autoenc reads \(CheckpointMetadata.formatVersion)")
        }
        if let s = m["hidden"], Int(s) != hidden { throw bad("metadata hidden=\(s) but encoder.weight has \(hidden) rows") }
        if let s = m["activation"] {
            guard let a = Activation(rawValue: s) else { throw bad("unknown activation \(s)") }
            config.activation = a
        }
        if let s = m["drop_p"] {
            guard let p = Float(s), p >= 0, p < 1 else { throw bad("drop_p \(s) outside [0, 1)") }
            config.dropP = p
        }
        if let s = m["drop_mode"] {
            guard let d = DropMode(rawValue: s) else { throw bad("unknown drop_mode \(s)") }
            config.dropMode = d
        }
        if let s = m["dropconnect_masks"] {
            guard let k = MaskSharing(rawValue: s) else { throw bad("unknown dropconnect_masks \(s)") }
            config.masks = k
        }
        try config.readRegularizerMetadata(m, bad: bad)
        return config
    }

    static func intArray(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        for element in array {
            guard let number = element as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d == d.rounded(), d >= 0, d < 9e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
