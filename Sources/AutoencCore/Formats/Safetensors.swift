import Foundation

/// safetensors, the one reader and writer of the format for every file autoenc reads or
/// writes in it (model checkpoints, training states, and any file `autoenc info` is given):
/// a u64 little-endian header length, a JSON header (each tensor's dtype, shape and data
/// offsets; string `__metadata__`), then the tensors' bytes.
///
/// Reading checks everything before any tensor is used: a sane header length (at most
/// 100 MB, inside the file), a JSON object, string metadata, known dtypes, shapes whose
/// byte size fits, and data offsets whose span matches each shape and lies inside the
/// file. `requireF32` then checks a file against the tensors a schema expects.
public struct SafetensorsHeader: Sendable {
    /// One tensor's entry in the header.
    public struct Tensor: Sendable, Equatable {
        /// The tensor's name (`encoder.weight`).
        public var name: String
        /// The element type as the header spells it (`F32`).
        public var dtype: String
        /// The tensor's shape, outermost dimension first.
        public var shape: [Int]
        /// The offset of the tensor's first byte in the data section.
        public var begin: Int
        /// The offset just past the tensor's last byte in the data section.
        public var end: Int
        /// The number of elements: the product of the shape.
        public var elements: Int { shape.reduce(1, *) }
    }

    /// The `__metadata__` strings, empty when the file has none.
    public var metadata: [String: String]
    /// Whether the file has a `__metadata__` object at all.
    public var hasMetadata: Bool
    /// In file order (by data offset).
    public var tensors: [Tensor]
    /// Where the tensor data starts in the file: 8 + the header length.
    public var dataStart: Int
    /// Bytes of tensor data after the header.
    public var dataBytes: Int

    /// safetensors caps the header at 100 MB; ours are a few KB.
    static let maximumHeader = 100_000_000

    /// Bytes per element of safetensors' dtypes.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]

    // MARK: - Reading

    /// Reads and checks the header of the file at `path`; the tensors' data is not read.
    ///
    /// - Parameter path: The safetensors file.
    /// - Returns: The checked header.
    /// - Throws: `AutoencError` with `.noInput` when the file is missing, `.dataError` naming it when the
    ///   header is not valid.
    public static func read(_ path: String) throws -> SafetensorsHeader {
        try requireFile(path, missing: .missing(path),
                        directory: AutoencError(.noInput, "\(path): expected a safetensors file, found a directory"))
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AutoencError(.ioError, "\(path): cannot read")
        }
        defer { try? handle.close() }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let fileSize = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        return try parse(lengthWord: [UInt8](handle.readData(ofLength: 8)), fileSize: fileSize,
                         json: { handle.readData(ofLength: $0) }) {
            .badData(path, "not a valid safetensors file: \($0)")
        }
    }

    /// Checks the header of a whole file held in `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - bad: Makes the error for what is wrong, naming the file.
    /// - Returns: The checked header.
    /// - Throws: The error `bad` makes.
    public static func parse(_ bytes: [UInt8], bad: (String) -> AutoencError) throws -> SafetensorsHeader {
        try parse(lengthWord: Array(bytes.prefix(8)), fileSize: bytes.count,
                  json: { Data(bytes[8..<8 + $0]) }, bad: bad)
    }

    /// Whether `bytes` (a whole file) start with a header length that fits in them; a
    /// file that does not is no safetensors file, and may be recognized as another kind.
    public static func lengthFits(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && headerLength(Array(bytes.prefix(8))) <= UInt64(bytes.count - 8)
    }

    /// The u64 little-endian header length in a file's first 8 bytes.
    static func headerLength(_ lengthWord: [UInt8]) -> UInt64 {
        lengthWord.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    /// The header of a file of `fileSize` bytes whose first 8 bytes are `lengthWord`;
    /// `json(n)` returns the next n bytes.
    static func parse(lengthWord: [UInt8], fileSize: Int, json: (Int) -> Data,
                      bad: (String) -> AutoencError) throws -> SafetensorsHeader {
        guard lengthWord.count == 8 else { throw bad("expected at least 8 bytes, found \(lengthWord.count)") }
        let length = headerLength(lengthWord)
        guard length >= 2, length <= UInt64(min(maximumHeader, fileSize - 8)) else {
            throw bad("header length \(length) does not fit a \(fileSize)-byte file")
        }
        let text = json(Int(length))
        guard text.count == Int(length), let object = try? JSONSerialization.jsonObject(with: text),
              let header = object as? [String: Any] else {
            throw bad("header is not a JSON object")
        }
        var result = SafetensorsHeader(metadata: [:], hasMetadata: false, tensors: [], dataStart: 8 + Int(length),
                                       dataBytes: fileSize - 8 - Int(length))
        if let raw = header["__metadata__"] {
            guard let dict = raw as? [String: Any] else { throw bad("__metadata__ is not an object") }
            for (key, value) in dict {
                guard let s = value as? String else { throw bad("metadata \(key) is not a string") }
                result.metadata[key] = s
            }
            result.hasMetadata = true
        }
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else { throw bad("\(name) is not an object") }
            guard let dtype = info["dtype"] as? String, let size = dtypeSizes[dtype] else {
                throw bad("\(name) has dtype \(info["dtype"].map { "\($0)" } ?? "missing"), not one safetensors knows")
            }
            guard let shape = intArray(info["shape"]), shape.allSatisfy({ $0 <= 1 << 40 }) else {
                throw bad("\(name) has no valid shape")
            }
            guard let offsets = intArray(info["data_offsets"]), offsets.count == 2,
                  offsets[0] <= offsets[1], offsets[1] <= result.dataBytes else {
                throw bad("\(name) has data_offsets outside the \(result.dataBytes)-byte data section")
            }
            // dimensions up to 2^40 each can still overflow in product
            var bytes = size, overflow = false
            for d in shape {
                let (product, o) = bytes.multipliedReportingOverflow(by: d)
                bytes = product
                overflow = overflow || o
            }
            guard !overflow, offsets[1] - offsets[0] == bytes else {
                throw bad("\(name) shape \(shape) needs \(overflow ? "more than 2^63" : "\(bytes)") bytes, "
                    + "its offsets span \(offsets[1] - offsets[0])")
            }
            result.tensors.append(Tensor(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        result.tensors.sort { ($0.begin, $0.name) < ($1.begin, $1.name) }
        return result
    }

    /// Checks that the file holds exactly the tensors `expected`, every one F32.
    ///
    /// Their data must cover the data section without gaps or overlaps, in any order.
    ///
    /// - Parameters:
    ///   - expected: Each tensor's name and shape.
    ///   - bad: Makes the error for what is wrong, naming the file.
    /// - Throws: The error `bad` makes.
    public func requireF32(_ expected: [(name: String, shape: [Int])], bad: (String) -> AutoencError) throws {
        let shapes = Dictionary(uniqueKeysWithValues: expected.map { ($0.name, $0.shape) })
        for tensor in tensors {
            guard let shape = shapes[tensor.name] else { throw bad("unexpected tensor \(tensor.name)") }
            guard tensor.dtype == "F32" else { throw bad("\(tensor.name) has dtype \(tensor.dtype), expected F32") }
            guard tensor.shape == shape else {
                throw bad("\(tensor.name) has shape \(tensor.shape), expected \(shape)")
            }
        }
        for (name, _) in expected where !tensors.contains(where: { $0.name == name }) {
            throw bad("missing tensor \(name)")
        }
        var position = 0
        for tensor in tensors { // sorted by offset
            guard tensor.begin == position else {
                throw bad("tensor data is not contiguous at \(tensor.name) (offset \(tensor.begin), "
                    + "expected \(position))")
            }
            position = tensor.end
        }
        guard position == dataBytes else {
            throw bad("tensors cover \(position) bytes, the data section holds \(dataBytes)")
        }
    }

    /// The F32 values of tensor `name` (checked by `requireF32`) from the file's `bytes`,
    /// written to `target`.
    public func copyFloats(_ name: String, from bytes: [UInt8], to target: UnsafeMutablePointer<Float>) {
        let tensor = tensors.first { $0.name == name }!
        bytes.withUnsafeBytes { raw in
            let source = raw.baseAddress! + dataStart + tensor.begin
            for i in 0..<(tensor.end - tensor.begin) / 4 {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                target[i] = Float(bitPattern: bits)
            }
        }
    }

    /// The F32 values of tensor `name` (checked by `requireF32`) from the file's `bytes`.
    public func floats(_ name: String, from bytes: [UInt8]) -> [Float] {
        let count = (tensors.first { $0.name == name }!.end - tensors.first { $0.name == name }!.begin) / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            copyFloats(name, from: bytes, to: buffer.baseAddress!)
            initialized = count
        }
    }

    // MARK: - Writing

    /// The header of a file whose F32 tensors follow it contiguously, in the order given:
    /// u64 header length, then the JSON header, metadata keys sorted, padded with spaces to
    /// a multiple of 8 bytes.
    ///
    /// The caller writes the data after it: each tensor's floats as they lie in memory
    /// (little-endian hosts), which lets a checkpoint write the model's own storage without
    /// a copy.
    public static func encode(metadata: [String: String], tensors: [(name: String, shape: [Int])]) -> [UInt8] {
        var fields: [(String, JSON)] = [
            ("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ]
        var offset = 0
        for (name, shape) in tensors {
            let end = offset + shape.reduce(1, *) * 4
            fields.append((name, .object([("dtype", .string("F32")),
                                          ("shape", .array(shape.map { .number(Double($0)) })),
                                          ("data_offsets", .array([.number(Double(offset)), .number(Double(end))]))])))
            offset = end
        }
        var json = Array(JSON.object(fields).compact.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
    }

    // MARK: - Helpers

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

    /// A JSON array of whole non-negative numbers, or nil.
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
}
