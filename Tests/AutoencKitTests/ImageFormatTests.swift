import CZlib
import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// A minimal PNG reader written from the specification, independent of `PNG`: it
/// walks the chunks, checks each CRC with zlib's crc32, inflates the IDAT data with
/// zlib's uncompress and undoes the row filters we use (0, none).
struct DecodedPNG {
    var chunkTypes: [String] = []
    var width = 0, height = 0
    var bitDepth: UInt8 = 0, colorType: UInt8 = 0, interlace: UInt8 = 0
    var pixels: [UInt8] = []

    static func bigEndian(_ b: [UInt8], _ at: Int) -> Int {
        (0..<4).reduce(0) { $0 << 8 | Int(b[at + $1]) }
    }

    init(_ bytes: [UInt8]) throws {
        try #require(bytes.count >= 8)
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        var offset = 8
        var idat: [UInt8] = []
        while offset < bytes.count {
            try #require(offset + 12 <= bytes.count, "chunk header at \(offset) runs past the end")
            let length = Self.bigEndian(bytes, offset)
            try #require(offset + 12 + length <= bytes.count, "chunk at \(offset) claims \(length) bytes")
            let typeAndData = Array(bytes[offset + 4..<offset + 8 + length])
            let type = String(decoding: typeAndData[0..<4], as: UTF8.self)
            let data = Array(typeAndData[4...])
            let stored = UInt32(Self.bigEndian(bytes, offset + 8 + length))
            let computed = typeAndData.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            #expect(stored == computed, "\(type) CRC stored \(stored), computed \(computed)")
            chunkTypes.append(type)
            switch type {
            case "IHDR":
                try #require(data.count == 13)
                width = Self.bigEndian(data, 0)
                height = Self.bigEndian(data, 4)
                bitDepth = data[8]
                colorType = data[9]
                #expect(data[10] == 0 && data[11] == 0, "compression and filter method 0")
                interlace = data[12]
            case "IDAT": idat += data
            default: break
            }
            offset += 12 + length
        }
        #expect(offset == bytes.count)
        // Filtered rows: one filter byte then `width` pixels each.
        let rowBytes = width + 1
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        var rawLength = uLong(raw.count)
        let status = uncompress(&raw, &rawLength, idat, uLong(idat.count))
        try #require(status == Z_OK, "uncompress: zlib status \(status)")
        try #require(Int(rawLength) == raw.count, "IDAT inflates to \(rawLength) bytes, expected \(raw.count)")
        for y in 0..<height {
            #expect(raw[y * rowBytes] == 0, "row \(y) filter \(raw[y * rowBytes])")
            pixels += raw[y * rowBytes + 1..<(y + 1) * rowBytes]
        }
    }
}

@Suite struct PNGTests {
    static func randomImage(width: Int, height: Int, seed: UInt64) -> GrayImage {
        var rng = TestRandom(seed)
        var image = GrayImage(width: width, height: height)
        image.pixels = (0..<width * height).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) }
        return image
    }

    @Test("PNG decodes back to the source pixels, with valid CRCs",
          arguments: [(1, 1), (3, 2), (28, 28), (57, 30), (300, 7)])
    func roundTrip(width: Int, height: Int) throws {
        let image = Self.randomImage(width: width, height: height, seed: UInt64(width * 1000 + height))
        let decoded = try DecodedPNG(image.png)
        #expect(decoded.chunkTypes.first == "IHDR")
        #expect(decoded.chunkTypes.last == "IEND")
        #expect(Set(decoded.chunkTypes) == ["IHDR", "IDAT", "IEND"])
        #expect(decoded.width == width && decoded.height == height)
        #expect(decoded.bitDepth == 8 && decoded.colorType == 0 && decoded.interlace == 0,
                "8-bit grayscale, not interlaced")
        #expect(decoded.pixels == image.pixels)
    }

    @Test("a weight map survives PNG, and compresses")
    func weightMap() throws {
        let parameters = Parameters(hidden: 9)
        parameters.initialize(seed: 1)
        let image = Grids.weightMap(parameters)
        let png = image.png
        #expect(try DecodedPNG(png).pixels == image.pixels)
        #expect(png.count < image.pgm.count, "PNG \(png.count) bytes, PGM \(image.pgm.count)")
    }

    @Test("PNG.crc32 is the CRC-32 of the specification")
    func crc() {
        // The standard check value: CRC-32 of "123456789".
        #expect(PNG.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        // IEND's CRC, the same in every PNG file.
        #expect(PNG.crc32(Array("IEND".utf8)) == 0xAE42_6082)
    }
}

@Suite struct NPYTests {
    /// The header np.save (NumPy 2.4) writes for a float32 C-order array of `shape`.
    static func numpyHeader(_ dict: String) -> [UInt8] {
        let padded = dict + String(repeating: " ", count: 117 - dict.utf8.count) + "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0x00] + Array(padded.utf8)
    }

    @Test("headers are byte for byte what np.save writes", arguments: [
        ([3, 28, 28], "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }"),
        ([5], "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"),
        ([256, 28, 28], "{'descr': '<f4', 'fortran_order': False, 'shape': (256, 28, 28), }"),
    ])
    func matchesNumPy(shape: [Int], dict: String) {
        let header = NPY.header(shape: shape)
        #expect(header.count == 128)
        #expect(header == Self.numpyHeader(dict))
    }

    @Test("header: magic, version 1.0, length, dict, spaces, newline; a multiple of 64 bytes",
          arguments: [[1, 28, 28], [32, 28, 28], [10000, 28, 28], [16384, 28, 28], [7], [0, 28, 28],
                      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]])
    func header(shape: [Int]) throws {
        let header = NPY.header(shape: shape)
        #expect(Array(header[0..<6]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) // \x93NUMPY
        #expect(header[6] == 1 && header[7] == 0, "version 1.0")
        let length = Int(header[8]) | Int(header[9]) << 8
        #expect(10 + length == header.count, "HEADER_LEN \(length) for a \(header.count)-byte header")
        #expect(header.count % 64 == 0, "\(header.count) bytes")
        let text = try #require(String(bytes: header[10...], encoding: .ascii))
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
        #expect(text.hasPrefix(dict), "\(text)")
        #expect(text.hasSuffix("\n"))
        let padding = text.dropFirst(dict.count).dropLast()
        #expect(padding.allSatisfy { $0 == " " }, "padding is spaces")
        #expect(padding.count < 64, "no more padding than alignment needs")
    }

    @Test("data: every float as little-endian IEEE 754 after the header, in C order")
    func data() throws {
        var rng = TestRandom(5)
        var values = rng.floats(2 * 28 * 28 - 6, -3, 3)
        values += [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let file = NPY.encode(values, shape: [2, 28, 28])
        let start = NPY.header(shape: [2, 28, 28]).count
        try #require(file.count == start + 4 * values.count)
        for (i, v) in values.enumerated() {
            let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(file[start + 4 * i + $1]) << (8 * UInt32($1)) }
            #expect(bits == v.bitPattern, "value \(i): \(Float(bitPattern: bits)) vs \(v)")
        }
        let nan = NPY.encode([.nan], shape: [1]), at = NPY.header(shape: [1]).count
        try #require(nan.count == at + 4)
        let bits = UInt32(nan[at]) | UInt32(nan[at + 1]) << 8 | UInt32(nan[at + 2]) << 16 | UInt32(nan[at + 3]) << 24
        #expect(Float(bitPattern: bits).isNaN)
    }
}

@Suite struct OutputFormatTests {
    @Test("the extension picks the format, in any case", arguments: [
        ("a.pgm", OutputFormat.pgm), ("dir/B.PNG", .png), ("x.y/recon.npy", .npy), ("./w.Npy", .npy),
    ])
    func known(path: String, format: OutputFormat) {
        #expect(OutputFormat(path: path) == format)
    }

    @Test("anything else has no format", arguments: ["a.jpg", "noext", "dir.png/file", "a.pgm.gz", "", "."])
    func unknown(path: String) {
        #expect(OutputFormat(path: path) == nil)
    }

    @Test func acceptedList() {
        #expect(OutputFormat.accepted == ".pgm, .png or .npy")
    }

    @Test("--out refused: empty, or no extension of ours")
    func problems() {
        #expect(OutputFormat.problem("w.PNG", flag: "--out") == nil)
        #expect(OutputFormat.problem("", flag: "--out") == "--out must name a file, got an empty string")
        #expect(OutputFormat.problem("w.jpg", flag: "--out") == "--out must end in .pgm, .png or .npy, got w.jpg")
    }

    @Test("reconstructions say what a file of each format holds")
    func reconstructionsDescription() throws {
        let model = Autoencoder(config: ModelConfig(hidden: 4), seed: 1)
        let test = ImageSet(count: 3, bytes: Fixtures.pixels(count: 3), source: "test")
        let result = try OutputFiles.Reconstructions(model, test: test, count: 2, inference: .mean)
        #expect(result.description(as: .npy) == "2 reconstructions, float32 (2, 28, 28)")
        #expect(result.description(as: .png) == "2 originals, each left of its reconstruction")
        #expect(result.description(as: .pgm) == result.description(as: .png))
    }

    @Test("reconstruct's MSE line names a rule other than mean, and says when it did not draw")
    func reconstructionsSummary() throws {
        let test = ImageSet(count: 3, bytes: Fixtures.pixels(count: 3), source: "test")
        let dropout = Autoencoder(config: ModelConfig(hidden: 4, dropP: 0.5), seed: 1)
        let dropConnect = Autoencoder(config: ModelConfig(hidden: 4, dropP: 0.5, dropMode: .dropconnect), seed: 1)
        let mean = try OutputFiles.Reconstructions(dropConnect, test: test, count: 2, inference: .mean)
        #expect(mean.summary == String(format: "test_mse %.6f over 3 images", mean.mse))
        let sampled = try OutputFiles.Reconstructions(dropConnect, test: test, count: 2, inference: .sample(2))
        #expect(sampled.draws
                && sampled.summary == String(format: "test_mse %.6f over 3 images (inference sample:2)", sampled.mse))
        let same = try OutputFiles.Reconstructions(dropout, test: test, count: 2, inference: .sample(2))
        #expect(!same.draws)
        let sameFormat = "test_mse %.6f over 3 images (inference sample:2, the same as mean for this model)"
        #expect(same.summary == String(format: sameFormat, same.mse))
    }

    /// What reconstruct and weightmap check before drawing: 10000 reconstructions at
    /// --scale 16 make a 7440x580288 image (the label strip included), past 2^30 pixels (64); an image that fits the
    /// cap but not the memory available, at 3 bytes a pixel, is 69; one that fits is fine.
    @Test func imagesTooLargeToDrawAreRefused() throws {
        let size = Grids.reconstructionsSize(count: 10000)
        #expect(size.width == 465 && size.height == 36268)
        expectAutoencError(.usage, containing: ["--scale 16: 10000 reconstructions would make a 7440x580288 image",
                                                "1024 million pixels"]) {
            try GrayImage.checkDrawable(width: size.width, height: size.height, scale: 16,
                                        what: "--scale 16: 10000 reconstructions")
        }
        let bytes = 3 * 1860 * 145072
        expectAutoencError(.unavailable,
                           containing: ["drawing x as a 1860x145072 image needs about", "smaller --scale"]) {
            try GrayImage.checkDrawable(width: size.width, height: size.height, scale: 4, what: "x",
                                        available: bytes - 1)
        }
        try GrayImage.checkDrawable(width: size.width, height: size.height, scale: 4, what: "x", available: bytes)
        let blank = [Float](repeating: 0, count: 784 * 9)
        #expect(Grids.reconstructions(original: blank, reconstructed: blank, count: 9).width
                == Grids.reconstructionsSize(count: 9).width)
    }
}
