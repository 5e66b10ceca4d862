/// What an IDX file holds: unsigned-byte images (magic 0x00000803, n x rows x cols)
/// or unsigned-byte labels (magic 0x00000801, n).
public enum IDXKind: Sendable {
    case images
    case labels

    var magic: UInt32 { self == .images ? 0x0000_0803 : 0x0000_0801 }
    var dimensions: Int { self == .images ? 3 : 1 }
    var name: String { self == .images ? "images (magic 0x00000803)" : "labels (magic 0x00000801)" }
}

/// The parsed header of an IDX file.
public struct IDXHeader: Sendable, Equatable {
    /// The magic number: two zero bytes, the element type's code (0x08 for unsigned bytes), the number of dimensions.
    public var magic: UInt32
    /// The size of each dimension, outermost (the item count) first.
    public var dimensions: [Int]
    /// The number of items: the first dimension, or 0 without one.
    public var count: Int { dimensions.first ?? 0 }
    /// Bytes of payload the header promises (product of dimensions), in 64-bit arithmetic.
    public var payloadBytes: Int64 { dimensions.reduce(Int64(1)) { $0 * Int64($1) } }
    /// Bytes in the header: the magic number and one 4-byte size per dimension.
    public var headerBytes: Int { 4 + 4 * dimensions.count }
}

/// An IDX file read into memory as bytes: the header and its payload, validated.
public struct IDXFile: Sendable {
    /// The validated header.
    public var header: IDXHeader
    /// The payload: exactly the bytes the header promises.
    public var bytes: [UInt8]
}

/// Reading and checking the IDX files MNIST-style data sets come in.
///
/// Every reader checks the header against the file's size before it allocates what the header claims.
public enum IDX {
    /// The only image size autoenc's model accepts.
    public static let imageSide = 28

    /// What a file starting with `bytes` is, when it looks like data: "a gzip file (a
    /// gzipped IDX data file?)" (gzip's magic and deflate), or "an IDX data file" (two zero
    /// bytes, a data type 0x08 to 0x0E, 1 to 4 dimensions), for messages; nil otherwise.
    ///
    /// Callers ask only when the file is not what they expected.
    public static func recognize(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 4 else { return nil }
        if bytes[0] == 0x1f && bytes[1] == 0x8b && bytes[2] == 0x08 { return "a gzip file (a gzipped IDX data file?)" }
        if bytes[0] == 0 && bytes[1] == 0 && (0x08...0x0E).contains(bytes[2]) && (1...4).contains(bytes[3]) {
            return "an IDX data file"
        }
        return nil
    }

    /// Reads and validates an IDX file, gzipped or plain.
    ///
    /// Checks, before trusting a byte: the magic (including the data-type byte 0x08 and
    /// the number of dimensions), 28x28 images, a non-zero count, a payload size that a
    /// file of this size could hold (before allocating it), and a length exactly header
    /// plus payload.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - kind: Whether the file should hold images or labels.
    /// - Returns: The header and the payload.
    /// - Throws: `AutoencError` with `.noInput` when the file is missing, `.dataError` naming the file
    ///   for anything else.
    public static func read(_ path: String, kind: IDXKind) throws -> IDXFile {
        let source = try ByteSource(path: path)
        let header = try readHeader(source, kind: kind)
        let expected = header.payloadBytes
        let total = Int64(header.headerBytes) + expected
        if !source.isGzip && source.fileSize != total {
            throw AutoencError.badData(path, "header promises \(header.count) "
                + "\(kind == .images ? "images" : "labels") and expects \(total) bytes, found \(source.fileSize)")
        }
        if source.isGzip && total > source.maximumPlausibleOutput {
            throw AutoencError.badData(path, "header promises \(header.count) "
                + "\(kind == .images ? "images" : "labels") (\(total) bytes), "
                + "more than a \(source.fileSize)-byte gzip file can hold")
        }
        let count = Int(expected)
        var got = 0
        // Uninitialized capacity: pages are touched only as data arrives.
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            got = try source.read(into: UnsafeMutableRawBufferPointer(buffer))
            // Short data is refused below; zero-filling the rest first would touch every page
            // of a size the header merely claims (up to 1032 times the file's size).
            initialized = got
        }
        if got < count {
            throw AutoencError.badData(path, "expects \(total) bytes, found \(Int64(header.headerBytes) + Int64(got)) "
                + "(the data ends early)")
        }
        let extra = try countTrailingBytes(source, limit: 1 << 26)
        if extra > 0 {
            let found = extra >= 1 << 26 ? "more than \(total + Int64(extra))" : "\(total + Int64(extra))"
            throw AutoencError.badData(path, "expects \(total) bytes, found \(found) "
                + "(data after the last \(kind == .images ? "image" : "label"))")
        }
        return IDXFile(header: header, bytes: bytes)
    }

    static func readHeader(_ source: ByteSource, kind: IDXKind) throws -> IDXHeader {
        let path = source.path
        guard let magic = try source.readBigEndianUInt32() else {
            throw AutoencError.badData(path, "expected an IDX \(kind.name) header, "
                + "found a file of \(source.isGzip ? "fewer than 4 decompressed" : "\(source.fileSize)") bytes")
        }
        guard magic == kind.magic else {
            let hex = "0x" + String(magic, radix: 16, uppercase: true).leftPadded(to: 8)
            let hint: String
            if magic == IDXKind.labels.magic { hint = " (a labels file)" }
            else if magic == IDXKind.images.magic { hint = " (an images file)" }
            else if magic >> 16 != 0 { hint = " (not an IDX file)" }
            else if (magic >> 8) & 0xff != 0x08 { hint = " (IDX, but not unsigned bytes)" }
            else { hint = " (\(magic & 0xff) dimensions)" }
            throw AutoencError.badData(path, "expected IDX \(kind.name), found magic \(hex)\(hint)")
        }
        var dims: [Int] = []
        for d in 0..<kind.dimensions {
            guard let n = try source.readBigEndianUInt32() else {
                throw AutoencError.badData(path, "header ends after \(d) of \(kind.dimensions) dimensions")
            }
            dims.append(Int(n))
        }
        let header = IDXHeader(magic: magic, dimensions: dims)
        if header.count == 0 {
            let what = kind == .images ? "image" : "label"
            throw AutoencError.badData(path, "expected at least one \(what), found a count of 0")
        }
        if kind == .images && (dims[1] != imageSide || dims[2] != imageSide) {
            throw AutoencError.badData(path, "expected 28x28 images, found \(dims[1])x\(dims[2])")
        }
        return header
    }

    /// Reads what follows the payload (up to `limit` bytes), which also makes zlib verify
    /// the last member's CRC and length.
    static func countTrailingBytes(_ source: ByteSource, limit: Int) throws -> Int {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var extra = 0
        while extra < limit {
            let n = try scratch.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            extra += n
        }
        return extra
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
