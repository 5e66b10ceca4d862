import CZlib

/// 8-bit grayscale PNG, written with zlib: the signature, then IHDR, one IDAT and IEND,
/// each chunk carrying its CRC-32. Rows use filter 0 (none); deflate at level 6 still
/// shrinks weight maps and sheets several times over a PGM.
public enum PNG {
    /// The eight bytes every PNG file starts with.
    public static var signature: [UInt8] { PNGDecoder.signature }

    /// The whole file for `image` (width and height at least 1, as PNG requires).
    public static func encode(_ image: GrayImage, level: Int32 = 6) -> [UInt8] {
        precondition(image.width >= 1 && image.height >= 1, "PNG.encode: an image needs at least one pixel")
        precondition(image.pixels.count == image.width * image.height, "PNG.encode: pixels must be width x height")
        // IHDR: width, height (big-endian), bit depth 8, colour type 0 (grayscale),
        // compression 0 (deflate), filter method 0, no interlace.
        let ihdr = bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height)) + [8, 0, 0, 0, 0]
        // The filtered image: each row preceded by its filter type byte (0: none).
        var raw = [UInt8]()
        raw.reserveCapacity((image.width + 1) * image.height)
        for y in 0..<image.height {
            raw.append(0)
            raw += image.pixels[y * image.width..<(y + 1) * image.width]
        }
        return signature + chunk("IHDR", ihdr) + chunk("IDAT", Deflate.zlib(raw, level: level)) + chunk("IEND", [])
    }

    /// One chunk: data length (big-endian), the 4-byte type, the data, and the CRC-32
    /// of type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4, "PNG chunk types are 4 bytes")
        let body = typeBytes + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// zlib's CRC-32 (the one PNG specifies) of `bytes`.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }
}

extension GrayImage {
    /// The image as an 8-bit grayscale PNG file.
    public var png: [UInt8] { PNG.encode(self) }
}
