/// What any IDX file's header says, for `autoenc info`: unlike `IDX.read`, this accepts
/// every element type and shape, and checks only that the file holds exactly the bytes
/// its header promises.
public struct IDXSummary: Sendable, Equatable {
    /// The file's path, as given.
    public var path: String
    /// Whether the file is gzip-compressed.
    public var isGzip: Bool
    /// The header's magic number: two zero bytes, the element type's code, the number of dimensions.
    public var magic: UInt32
    /// The element type's name ("unsigned byte", "float", ...) and size in bytes.
    public var elementType: String
    /// The size of one element in bytes.
    public var elementSize: Int
    /// The size of each dimension, outermost first.
    public var dimensions: [Int]

    /// "images" (magic 0x00000803), "labels" (0x00000801), or a generic description.
    public var kind: String {
        switch magic {
        case IDXKind.images.magic: "images"
        case IDXKind.labels.magic: "labels"
        default: "\(dimensions.count)-dimensional array of \(elementType)"
        }
    }

    /// Bytes after the header: the product of the dimensions times the element size.
    public var payloadBytes: Int64 { dimensions.reduce(Int64(elementSize)) { $0 * Int64($1) } }
    /// Bytes in the header: the magic number and one 4-byte size per dimension.
    public var headerBytes: Int { 4 + 4 * dimensions.count }
}

extension IDX {
    /// The IDX element types: type byte -> (name, size in bytes).
    static let elementTypes: [UInt8: (String, Int)] = [
        0x08: ("unsigned byte", 1), 0x09: ("signed byte", 1), 0x0B: ("short", 2),
        0x0C: ("int", 4), 0x0D: ("float", 4), 0x0E: ("double", 8),
    ]

    /// Reads `path`'s header, gzipped or plain, and checks the data that follows against it.
    ///
    /// The data must be exactly as long as the header promises; a gzip stream is read through to
    /// its end, so that zlib checks its CRC.
    ///
    /// - Parameter path: The file to inspect.
    /// - Returns: The header's fields and the file's compression.
    /// - Throws: `AutoencError` with `.noInput` when the file is missing, `.dataError` naming the file
    ///   when it is not IDX or its length disagrees with its header.
    public static func inspect(_ path: String) throws -> IDXSummary {
        let source = try ByteSource(path: path)
        guard let magic = try source.readBigEndianUInt32() else {
            throw AutoencError.badData(path, "expected an IDX header, found fewer than 4 bytes")
        }
        let hex = "0x" + String(magic, radix: 16, uppercase: true).leftPadded(to: 8)
        guard magic >> 16 == 0, let (typeName, size) = elementTypes[UInt8((magic >> 8) & 0xff)], magic & 0xff > 0 else {
            throw AutoencError.badData(path, "expected an IDX magic (0x0000TTDD: type TT, DD dimensions), "
                + "found \(hex) (not an IDX file)")
        }
        var dimensions: [Int] = []
        for d in 0..<Int(magic & 0xff) {
            guard let n = try source.readBigEndianUInt32() else {
                throw AutoencError.badData(path, "header ends after \(d) of \(magic & 0xff) dimensions")
            }
            dimensions.append(Int(n))
        }
        // Up to 255 dimensions of up to 2^32 - 1 each: the product can overflow Int64.
        var promised = Int64(size)
        for d in dimensions {
            let (product, overflow) = promised.multipliedReportingOverflow(by: Int64(d))
            guard !overflow, product <= Int64.max - 1024 else {
                throw AutoencError.badData(path,
                                           "header promises \(dimensions.map(String.init).joined(separator: " x ")) "
                                               + "\(typeName)s, more than 2^63 bytes")
            }
            promised = product
        }
        let summary = IDXSummary(path: path, isGzip: source.isGzip, magic: magic, elementType: typeName,
                                 elementSize: size, dimensions: dimensions)
        let total = Int64(summary.headerBytes) + summary.payloadBytes
        if !source.isGzip {
            guard source.fileSize == total else {
                throw AutoencError.badData(path,
                                           "header promises \(dimensions.map(String.init).joined(separator: " x ")) "
                                               + "\(typeName)s and expects \(total) bytes, found \(source.fileSize)")
            }
            return summary
        }
        guard total <= source.maximumPlausibleOutput else {
            throw AutoencError.badData(path, "header promises \(total) bytes, "
                + "more than a \(source.fileSize)-byte gzip file can hold")
        }
        // Stream the payload through a scratch buffer, one byte past what is promised.
        let limit = total - Int64(summary.headerBytes) + 1
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var got: Int64 = 0
        while got < limit {
            let want = Int(min(Int64(scratch.count), limit - got))
            let n = try scratch.withUnsafeMutableBytes {
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]))
            }
            if n == 0 { break }
            got += Int64(n)
        }
        if got != total - Int64(summary.headerBytes) {
            let found = got == limit ? "more than \(total)" : "\(Int64(summary.headerBytes) + got)"
            throw AutoencError.badData(path, "header promises \(total) decompressed bytes, found \(found)")
        }
        return summary
    }
}
