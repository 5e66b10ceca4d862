import CZlib

/// zlib's deflate over a whole buffer at once, in the two wrappers this project writes:
/// a zlib stream (PNG's IDAT data) and a gzip member (a `.gz` file, as the tests' IDX
/// fixtures are; `ByteSource` reads them back).
///
/// `level` is zlib's: 0 stores the data uncompressed (the output's size then follows
/// from the input's), 1 is fastest, 9 smallest, 6 the default.
public enum Deflate {
    /// `bytes` as one zlib stream: 2-byte header, deflate data, Adler-32.
    public static func zlib(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        compress(bytes, level: level, windowBits: 15)
    }

    /// `bytes` as one gzip member: 10-byte header (no file name, no time), deflate data,
    /// CRC-32 and length.
    static func gzip(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        compress(bytes, level: level, windowBits: 15 + 16)
    }

    /// One deflate call with `Z_FINISH` into a buffer of `deflateBound` bytes, which
    /// counts the wrapper `windowBits` asks for and guarantees room for the whole stream.
    private static func compress(_ bytes: [UInt8], level: Int32, windowBits: Int32) -> [UInt8] {
        var stream = z_stream()
        let status = czlib_deflate_init(&stream, level, windowBits)
        precondition(status == Z_OK, "deflateInit2 failed: \(status) (level \(level), windowBits \(windowBits))")
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        var input = bytes
        let end: Int32 = input.withUnsafeMutableBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(end == Z_STREAM_END, "deflate did not finish within deflateBound: \(end)")
        return Array(out[0..<Int(stream.total_out)])
    }
}
