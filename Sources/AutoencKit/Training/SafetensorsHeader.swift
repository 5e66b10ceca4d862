import Foundation

/// The header of any safetensors file (a model checkpoint, a training state, or a file
/// from elsewhere): its `__metadata__` strings and each tensor's dtype, shape and data
/// offsets, checked against the file's size. Only the header is read.
public struct SafetensorsHeader: Sendable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var begin: Int
        public var end: Int
        public var elements: Int { shape.reduce(1, *) }
    }

    public var metadata: [String: String]
    /// In file order (by data offset).
    public var tensors: [Tensor]
    /// Bytes of tensor data after the header.
    public var dataBytes: Int

    /// Bytes per element of safetensors' dtypes.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]

    /// Throws `missing` when nothing is at `path`, and `directory` when a directory is.
    static func requireFile(_ path: String, missing: @autoclosure () -> AutoencError,
                            directory: @autoclosure () -> AutoencError) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw missing() }
        if isDir.boolValue { throw directory() }
    }

    /// The bytes of the file at `path`; `.ioError` when it cannot be read.
    static func contents(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AutoencError(.ioError, "\(path): cannot read")
        }
        return [UInt8](data)
    }

    /// Reads and checks the header of `path`: a sane length, a JSON object, string
    /// metadata, known dtypes, and data offsets whose span matches each shape and lies
    /// inside the file. Throws `.noInput` when missing, `.dataError` naming the file.
    public static func read(_ path: String) throws -> SafetensorsHeader {
        try requireFile(path, missing: .missing(path),
                        directory: AutoencError(.noInput, "\(path): expected a safetensors file, found a directory"))
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AutoencError(.ioError, "\(path): cannot read") }
        defer { try? handle.close() }
        func bad(_ what: String) -> AutoencError { .badData(path, "not a valid safetensors file: \(what)") }
        let fileSize = Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? 0)
        let start = try prelude(lengthWord: [UInt8](handle.readData(ofLength: 8)), fileSize: fileSize,
                                json: { handle.readData(ofLength: $0) }, bad: bad)
        let header = start.header
        var result = SafetensorsHeader(metadata: start.metadata ?? [:], tensors: [], dataBytes: fileSize - start.headerEnd)
        for (name, value) in header {
            if name == "__metadata__" { continue }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let size = dtypeSizes[dtype] else {
                throw bad("\(name) has no known dtype")
            }
            guard let shape = Checkpoint.intArray(info["shape"]), shape.allSatisfy({ $0 <= 1 << 40 }) else {
                throw bad("\(name) has no valid shape")
            }
            guard let offsets = Checkpoint.intArray(info["data_offsets"]), offsets.count == 2,
                  offsets[0] <= offsets[1], offsets[1] <= result.dataBytes else {
                throw bad("\(name) has data_offsets outside the \(result.dataBytes)-byte data section")
            }
            var bytes = size
            for d in shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: d)
                guard !overflow else { throw bad("\(name) shape \(shape) is too large") }
                bytes = product
            }
            guard offsets[1] - offsets[0] == bytes else {
                throw bad("\(name) shape \(shape) needs \(bytes) bytes, its offsets span \(offsets[1] - offsets[0])")
            }
            let tensor = Tensor(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
            result.tensors.append(tensor)
        }
        result.tensors.sort { ($0.begin, $0.name) < ($1.begin, $1.name) }
        return result
    }
}

/// What every reader of a safetensors file checks first: the u64 little-endian header
/// length (at least 2, at most 100 MB and inside the file), a JSON object, and string
/// metadata. Shared by checkpoints, training states and `autoenc info`.
struct SafetensorsPrelude {
    /// The header's JSON object, `__metadata__` included.
    var header: [String: Any]
    /// `__metadata__`, when present.
    var metadata: [String: String]?
    /// Where the tensor data starts: 8 + the header length.
    var headerEnd: Int
}

extension SafetensorsHeader {
    /// Checks the prelude of a file of `fileSize` bytes whose first 8 bytes are
    /// `lengthWord`; `json(n)` returns the next n bytes. Errors come from `bad`.
    static func prelude(lengthWord: [UInt8], fileSize: Int, json: (Int) -> Data,
                        bad: (String) -> AutoencError) throws -> SafetensorsPrelude {
        guard lengthWord.count == 8 else { throw bad("expected at least 8 bytes, found \(lengthWord.count)") }
        let length = lengthWord.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length >= 2, length <= UInt64(min(Checkpoint.maximumHeader, fileSize - 8)) else {
            throw bad("header length \(length) does not fit a \(fileSize)-byte file")
        }
        let text = json(Int(length))
        guard text.count == Int(length), let object = try? JSONSerialization.jsonObject(with: text),
              let header = object as? [String: Any] else {
            throw bad("header is not a JSON object")
        }
        var metadata: [String: String]?
        if let raw = header["__metadata__"] {
            guard let dict = raw as? [String: Any] else { throw bad("__metadata__ is not an object") }
            var strings: [String: String] = [:]
            for (key, value) in dict {
                guard let s = value as? String else { throw bad("metadata \(key) is not a string") }
                strings[key] = s
            }
            metadata = strings
        }
        return SafetensorsPrelude(header: header, metadata: metadata, headerEnd: 8 + Int(length))
    }

    /// The prelude of a whole file held in `bytes`.
    static func prelude(_ bytes: [UInt8], bad: (String) -> AutoencError) throws -> SafetensorsPrelude {
        try prelude(lengthWord: Array(bytes.prefix(8)), fileSize: bytes.count,
                    json: { Data(bytes[8..<8 + $0]) }, bad: bad)
    }
}
