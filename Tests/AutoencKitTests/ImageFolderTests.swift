import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// PNG files built by hand: any size, bit depth, colour type and interlace, for what the
/// project's own writer (`PNG.encode`, 8-bit grayscale only) cannot make.
enum PNGFixtures {
    /// A PNG of `width` x `height` with the given header fields; `samples` are the image's
    /// bytes row by row (`width` x bytes per pixel each), filtered with type 0.
    static func png(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8 = 0, interlaced: Bool = false,
                    samples: [UInt8], bytesPerPixel: Int = 1, palette: Bool = false) -> [UInt8] {
        let ihdr = PNG.bigEndian(UInt32(width)) + PNG.bigEndian(UInt32(height))
            + [bitDepth, colorType, 0, 0, interlaced ? 1 : 0]
        var raw: [UInt8] = []
        let passes = interlaced ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                                   (0, 1, 1, 2)] : [(0, 0, 1, 1)]
        for (x0, y0, dx, dy) in passes {
            guard x0 < width, y0 < height else { continue }
            for y in stride(from: y0, to: height, by: dy) {
                raw.append(0)
                for x in stride(from: x0, to: width, by: dx) {
                    let at = (y * width + x) * bytesPerPixel
                    raw += samples[at..<at + bytesPerPixel]
                }
            }
        }
        let plte = palette ? PNG.chunk("PLTE", (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] }) : []
        return PNG.signature + PNG.chunk("IHDR", ihdr) + plte + PNG.chunk("IDAT", Deflate.zlib(raw))
            + PNG.chunk("IEND", [])
    }

    /// A 28x28 8-bit grayscale PNG as the project's writer makes it.
    static func gray(_ pixels: [UInt8]) -> [UInt8] {
        var image = GrayImage(width: 28, height: 28)
        image.pixels = pixels
        return image.png
    }
}

/// torchvision's ImageFolder layout read through libpng: order, labels, and each refusal
/// naming the file and what it is.
@Suite struct ImageFolderTests {
    /// Writes `DIR/split/class/name` with `bytes`, making the folders.
    static func put(_ dir: TemporaryDirectory, _ path: String, _ bytes: [UInt8]) throws {
        let full = dir.file(path)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    static func image(_ k: Int) -> [UInt8] { Fixtures.pixels(count: 1, salt: k) }

    @Test("classes and files in code-point order, labels the class's index, pixels as written")
    func sortedOrderAndLabels() throws {
        let dir = try TemporaryDirectory()
        // sorted: "10" < "2" < "a" < "b"; "img10.png" < "img2.png"
        let layout: [(String, Int)] = [("b/img2.png", 0), ("b/img10.png", 1), ("2/x.png", 2), ("10/y.png", 3),
                                       ("a/z.png", 4)]
        for (path, k) in layout { try Self.put(dir, "train/" + path, PNGFixtures.gray(Self.image(k))) }
        try Self.put(dir, "train/.DS_Store", [1, 2, 3])
        try Self.put(dir, "test/2/t.png", PNGFixtures.gray(Self.image(7)))
        let location = try DataLocation.resolve(dir.path)
        #expect(location.layout == .imageFolder)
        #expect(location.hasLabels)
        let train = try location.load(train: true, labels: true)
        #expect(train.count == 5)
        #expect(train.bytes == [3, 2, 4, 1, 0].flatMap(Self.image))
        #expect(train.labels == [0, 1, 2, 3, 3])
        let test = try location.load(train: false, labels: true)
        #expect(test.bytes == Self.image(7) && test.labels == [1])  // "2" is the training set's class 1
    }

    @Test func interlacedReadsLikePlain() throws {
        let dir = try TemporaryDirectory()
        let pixels = Self.image(3)
        let path = try dir.write("adam7.png", PNGFixtures.png(width: 28, height: 28, interlaced: true, samples: pixels))
        var out = [UInt8](repeating: 0, count: 784)
        var decoder = PNGDecoder()
        try out.withUnsafeMutableBufferPointer { try decoder.decode(path, into: $0.baseAddress!) }
        #expect(out == pixels)
    }

    static let refusedImages: [(name: String, bytes: [UInt8], message: String)] = {
        let good = PNGFixtures.gray(image(1))
        var badCRC = good
        badCRC[good.count - 20] ^= 0xFF  // inside IDAT's data
        let ones = { (count: Int) in [UInt8](repeating: 1, count: count) }
        return [
            ("rgb", PNGFixtures.png(width: 32, height: 32, colorType: 2, samples: ones(32 * 32 * 3), bytesPerPixel: 3),
             "32x32 8-bit RGB, expected 28x28 8-bit grayscale"),
            ("gray16", PNGFixtures.png(width: 28, height: 28, bitDepth: 16, samples: ones(784 * 2), bytesPerPixel: 2),
             "28x28 16-bit grayscale, expected"),
            ("palette", PNGFixtures.png(width: 28, height: 28, colorType: 3, samples: image(2), palette: true),
             "28x28 8-bit palette, expected"),
            ("alpha", PNGFixtures.png(width: 28, height: 28, colorType: 4, samples: ones(784 * 2), bytesPerPixel: 2),
             "28x28 8-bit grayscale with alpha, expected"),
            ("27x28", PNGFixtures.png(width: 27, height: 28, samples: ones(27 * 28)),
             "27x28 8-bit grayscale, expected 28x28"),
            ("crc", badCRC, "damaged PNG"),
            ("truncated", Array(good.prefix(good.count / 2)), "damaged PNG"),
            ("text", Array("not an image".utf8), "expected a PNG image"),
        ]
    }()

    @Test(arguments: refusedImages)
    func refusedImage(name: String, bytes: [UInt8], message: String) throws {
        let dir = try TemporaryDirectory()
        try Self.put(dir, "train/3/\(name).png", bytes)
        try Self.put(dir, "test/3/ok.png", PNGFixtures.gray(Self.image(0)))
        expectAutoencError(.dataError, naming: dir.file("train/3/\(name).png"), containing: [message]) {
            _ = try DataLocation(directory: dir.path).load(train: true)
        }
    }

    @Test func refusedLayouts() throws {
        let good = PNGFixtures.gray(Self.image(0))
        let notes = try TemporaryDirectory()
        try Self.put(notes, "train/0/a.png", good)
        try Self.put(notes, "train/0/notes.txt", [1])
        expectAutoencError(.dataError, naming: notes.file("train/0/notes.txt"), containing: ["only .png images"]) {
            _ = try DataLocation(directory: notes.path).load(train: true)
        }
        let beside = try TemporaryDirectory()
        try Self.put(beside, "train/0/a.png", good)
        try Self.put(beside, "train/b.png", good)
        expectAutoencError(.dataError, naming: beside.file("train/b.png"),
                           containing: ["expected only class folders"]) {
            _ = try DataLocation(directory: beside.path).load(train: true)
        }
        let empty = try TemporaryDirectory()
        try Self.put(empty, "train/0/a.png", good)
        try FileManager.default.createDirectory(atPath: empty.file("train/1"), withIntermediateDirectories: true)
        expectAutoencError(.dataError, naming: empty.file("train/1"), containing: ["empty class"]) {
            _ = try DataLocation(directory: empty.path).load(train: true)
        }
        let loose = try TemporaryDirectory()
        try Self.put(loose, "train/a.png", good)
        expectAutoencError(.noInput, naming: loose.file("train"),
                           containing: ["expected class folders", "a.png lies"]) {
            _ = try DataLocation(directory: loose.path).load(train: true)
        }
        expectAutoencError(.noInput, naming: loose.file("test"),
                           containing: ["train/CLASS/*.png and test/CLASS/*.png"]) {
            _ = try DataLocation(directory: loose.path).load(train: false)
        }
    }

    @Test func labelsNeedAtMostTenClassesAndTheTestClassesAmongThem() throws {
        let good = PNGFixtures.gray(Self.image(0))
        let eleven = try TemporaryDirectory()
        for k in 0...10 { try Self.put(eleven, "train/c\(k)/a.png", good) }
        try Self.put(eleven, "test/c0/a.png", good)
        let location = DataLocation(directory: eleven.path)
        #expect(!location.hasLabels)
        #expect(try location.load(train: true).count == 11)
        expectAutoencError(.dataError, naming: eleven.file("train"), containing: ["at most 10 class folders"]) {
            _ = try location.load(train: true, labels: true)
        }
        let stray = try TemporaryDirectory()
        try Self.put(stray, "train/0/a.png", good)
        try Self.put(stray, "test/7/a.png", good)
        #expect(!DataLocation(directory: stray.path).hasLabels)
        expectAutoencError(.dataError, naming: stray.file("test/7"),
                           containing: ["a test class the training set does not have"]) {
            _ = try DataLocation(directory: stray.path).load(train: false, labels: true)
        }
    }
}
