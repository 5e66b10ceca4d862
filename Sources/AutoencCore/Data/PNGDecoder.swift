import CPNG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads 28x28 8-bit grayscale PNG files through libpng (`Sources/CPNG`), refusing every
/// other kind by name: "img7.png: 32x32 8-bit RGB, expected 28x28 8-bit grayscale".
///
/// libpng's errors end in a longjmp; it happens inside the shim's C function, which
/// returns an error code, so no jump crosses a Swift frame.
public struct PNGDecoder {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A 28x28 PNG is a few hundred bytes; 16 MiB leaves room for any metadata a tool adds.
    public static let largestFile = 1 << 24

    /// Reused between files: the file's bytes.
    private var buffer: [UInt8] = []

    /// Creates a decoder whose buffers grow to the largest file it has read and are reused.
    public init() {}

    /// Decodes the file at `path` into `out`, 784 bytes, row by row.
    ///
    /// A file whose header says it is another kind of image is refused before anything is decoded.
    ///
    /// - Parameters:
    ///   - path: The PNG file.
    ///   - out: Room for 784 bytes.
    /// - Throws: `AutoencError` with `.noInput` when the file is missing, `.dataError` naming it when it
    ///   is no 28x28 8-bit grayscale PNG or is damaged (with libpng's message).
    public mutating func decode(_ path: String, into out: UnsafeMutablePointer<UInt8>) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw AutoencError.missing(path) }
        let size = Int(info.st_size)
        guard size <= Self.largestFile else {
            throw AutoencError.badData(path, "a file of \(size) bytes, more than a 28x28 PNG image "
                                       + "can plausibly take (\(Self.largestFile))")
        }
        guard let file = fopen(path, "rb") else {
            throw AutoencError(.noInput, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, file) }
        guard got == size else { throw AutoencError(.ioError, "\(path): short read (\(got) of \(size) bytes)") }
        try Self.decode(buffer[0..<size], name: path, into: out)
    }

    /// Decodes a PNG file held in `bytes` into `out`, as `decode(_:into:)` does a file.
    ///
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - name: The file's name, for messages.
    ///   - out: Room for 784 bytes.
    /// - Throws: `AutoencError.badData` naming `name` when it is no 28x28 8-bit grayscale PNG or is damaged.
    public static func decode(_ bytes: ArraySlice<UInt8>, name: String, into out: UnsafeMutablePointer<UInt8>) throws {
        guard bytes.starts(with: Self.signature) else {
            throw AutoencError.badData(name, "expected a PNG image, found " + NPY.describeStart(Array(bytes.prefix(8))))
        }
        let side = UInt32(IDX.imageSide)
        var result = cpng_result()
        let status = bytes.withUnsafeBufferPointer {
            cpng_decode_gray8($0.baseAddress, $0.count, side, side, out, &result)
        }
        switch Int(status) {
        case Int(CPNG_DECODED):
            return
        case Int(CPNG_OTHER_FORMAT):
            throw AutoencError.badData(name, "\(describe(result)), expected 28x28 8-bit grayscale")
        default:
            let message = withUnsafeBytes(of: result.message) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            throw AutoencError.badData(name, "damaged PNG: \(message)")
        }
    }

    /// "32x32 8-bit RGB", "28x28 16-bit grayscale", "28x28 8-bit palette" from a header.
    static func describe(_ header: cpng_result) -> String {
        let kind: String
        // PNG's colour types (the PNG_COLOR_TYPE_* of png.h).
        switch header.color_type {
        case 0: kind = "grayscale"
        case 2: kind = "RGB"
        case 3: kind = "palette"
        case 4: kind = "grayscale with alpha"
        case 6: kind = "RGBA"
        default: kind = "colour type \(header.color_type)"
        }
        return "\(header.width)x\(header.height) \(header.bit_depth)-bit \(kind)"
    }
}
