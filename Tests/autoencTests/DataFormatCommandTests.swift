import AutoencKit
import Foundation
import Testing

/// `--data` and `info` on the layouts beyond IDX, end to end: a `.npz` as Keras's
/// mnist.npz, `x_train.npy`/`x_test.npy` in a directory, and torchvision's image folders.
@Suite struct DataFormatCommandTests {
    static let train = Fixtures.images(count: 32, seed: 1), test = Fixtures.images(count: 16, seed: 2)
    static let trainLabels = (0..<32).map { UInt8($0 % 10) }, testLabels = (0..<16).map { UInt8(($0 * 3) % 10) }

    /// `np.save`'s file for a uint8 array of `shape`.
    static func npy(_ data: [UInt8], shape: [Int]) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '|u1', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        while (10 + dict.count + 1) % 64 != 0 { dict.append(0x20) }
        dict.append(0x0A)
        return NPY.magic + [1, 0, UInt8(dict.count & 0xff), UInt8(dict.count >> 8)] + dict + data
    }

    static func le(_ value: Int, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8((value >> (8 * $0)) & 0xff) } }

    /// A zip of stored members, as `np.savez` writes one (without its zip64 records).
    static func npz(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in members {
            let crc = Int(PNG.crc32(data)), nameBytes = Array((name + ".npy").utf8), offset = out.count
            let sizes = le(crc, 4) + le(data.count, 4) + le(data.count, 4) + le(nameBytes.count, 2) + le(0, 2)
            out += le(0x0403_4b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + sizes + nameBytes + data
            central += le(0x0201_4b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + sizes
            central += le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + nameBytes
        }
        let start = out.count
        return out + central + le(0x0605_4b50, 4) + le(0, 4) + le(members.count, 2) + le(members.count, 2)
            + le(central.count, 4) + le(start, 4) + le(0, 2)
    }

    static func mnistNPZ() -> [UInt8] {
        npz([("x_train", npy(train, shape: [32, 28, 28])), ("y_train", npy(trainLabels, shape: [32])),
             ("x_test", npy(test, shape: [16, 784])), ("y_test", npy(testLabels, shape: [16]))])
    }

    /// A black `side` x `side` 8-bit RGB PNG, its pixels in one stored deflate block.
    static func rgbPNG(side: Int) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            let crc = Int(PNG.crc32(body))
            return le(data.count, 4).reversed() + body + le(crc, 4).reversed()
        }
        let raw = [UInt8](repeating: 0, count: side * (1 + 3 * side))  // filter byte 0, then black pixels
        let adler = raw.count << 16 | 1  // Adler-32 of zeros: a stays 1, b adds 1 per byte
        let zlib = [0x78, 0x01, 0x01] + le(raw.count, 2) + le(~raw.count & 0xFFFF, 2) + raw + le(adler, 4).reversed()
        let header = le(side, 4).reversed() + le(side, 4).reversed() + [8, 2, 0, 0, 0]
        return PNG.signature + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    static func png(_ pixels: ArraySlice<UInt8>) -> [UInt8] {
        var image = GrayImage(width: 28, height: 28)
        image.pixels = Array(pixels)
        return image.png
    }

    /// Writes the three layouts of the same images into `scratch`: `digits.npz`,
    /// `arrays/` and `folders/` (labels as class folders).
    static func writeLayouts(_ scratch: Scratch) throws {
        try scratch.write(mnistNPZ(), to: "digits.npz")
        try scratch.makeDirectory("arrays")
        try scratch.write(npy(train, shape: [32, 784]), to: "arrays/x_train.npy")
        try scratch.write(npy(test, shape: [16, 28, 28]), to: "arrays/x_test.npy")
        for (split, pixels, labels) in [("train", train, trainLabels), ("test", test, testLabels)] {
            for (i, label) in labels.enumerated() {
                try scratch.makeDirectory("folders/\(split)/\(label)")
                try scratch.write(png(pixels[i * 784..<(i + 1) * 784]), to: "folders/\(split)/\(label)/\(i).png")
            }
        }
    }

    @Test("train reads each layout and trains end to end", arguments: ["digits.npz", "arrays", "folders"])
    func trainsOnEachLayout(data: String) throws {
        let scratch = try Scratch()
        try Self.writeLayouts(scratch)
        let result = try scratch.run(["train", "--data", data, "--hidden", "8", "--batch-size", "16", "--threads", "1",
                                      "--epochs", "1"])
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.contains("data: \(data) (32 training, 16 test images)"), "\(result)")
        #expect(result.stdout.contains("epoch 1/1"), "\(result)")
        let info = try scratch.run(["info", "model.safetensors"])
        #expect(info.stdout.contains(scratch.url.appendingPathComponent(data).standardizedFileURL.path)
                || info.stdout.contains("/" + data), "\(info)")
        let reconstruct = try scratch.run(["reconstruct", "--data", data, "--count", "2", "--out", "r.png"])
        #expect(reconstruct.status == 0 && reconstruct.stdout.contains("over 16 images"), "\(reconstruct)")
    }

    @Test("info describes a .npz and an image folder data set")
    func infoOnDataSets() throws {
        let scratch = try Scratch()
        try Self.writeLayouts(scratch)
        let npz = try scratch.run(["info", "digits.npz"])
        try #require(npz.status == 0, "\(npz)")
        for line in ["digits.npz: NumPy .npz (zip), 4 members", "x_train.npy (stored",
                     "  shape:      (32, 28, 28), C order", "  holds:      32 images of 28x28",
                     "  holds:      16 labels", "layout:     arrays x_train and x_test",
                     "train:      32 images from digits.npz, member x_train.npy, labels 0 to 9 (10 classes)",
                     "test:       16 images"] {
            #expect(npz.stdout.contains(line), "stdout lacks \(line): \(npz.stdout)")
        }
        let folders = try scratch.run(["info", "folders"])
        try #require(folders.status == 0, "\(folders)")
        for line in ["folders: a data set of image folders", "train:      32 images from folders/train, labels 0 to 9",
                     "classes:    0 = 0, 1 = 1"] {
            #expect(folders.stdout.contains(line), "stdout lacks \(line): \(folders.stdout)")
        }
        let array = try scratch.run(["info", "arrays/x_test.npy"])
        #expect(array.status == 0 && array.stdout.contains("as data:    one array is one split"), "\(array)")
        let image = try scratch.run(["info", "folders/train/0/0.png"])
        #expect(image.status == 0 && image.stdout.contains("folders/train/0/0.png: PNG, 28x28 8-bit grayscale"),
                "\(image)")
        try Fixtures.write(into: scratch)
        let idx = try scratch.run(["info", "data"])
        for line in ["data: a data set of IDX files", "test:       24 images",
                     "train:      96 images from data/train-images-idx3-ubyte, no labels"] {
            #expect(idx.stdout.contains(line), "stdout lacks \(line): \(idx)")
        }
    }

    @Test("a lone .npy, a folder without a layout, and damaged files fail naming the file and what to do")
    func failures() throws {
        let scratch = try Scratch()
        try scratch.write(Self.npy(Self.train, shape: [32, 784]), to: "digits.npy")
        try scratch.makeDirectory("loose")
        try scratch.write(Self.png(Self.train[0..<784]), to: "loose/a.png")
        let archive = Self.mnistNPZ()
        try scratch.write(Array(archive.prefix(archive.count - 30)), to: "cut.npz")
        try scratch.makeDirectory("rgb/train/0")
        try scratch.makeDirectory("rgb/test/0")
        try scratch.write(Self.png(Self.train[0..<784]), to: "rgb/test/0/a.png")
        try scratch.write(Self.rgbPNG(side: 32), to: "rgb/train/0/img7.png")
        let training = ["train", "--hidden", "8", "--epochs", "1", "--data"]
        try FailureTests.expectFailure(scratch, training + ["digits.npy"], status: 66,
                                       naming: ["digits.npy", "x_train.npy and x_test.npy", "np.savez"])
        try FailureTests.expectFailure(scratch, training + ["loose"], status: 66,
                                       naming: ["loose", "x_train.npy", "train/CLASS/*.png"])
        try FailureTests.expectFailure(scratch, training + ["cut.npz"], status: 65, naming: ["cut.npz"])
        try FailureTests.expectFailure(scratch, training + ["rgb"], status: 65,
                                       naming: ["rgb/train/0/img7.png: 32x32 8-bit RGB, expected 28x28 8-bit gray"])
        try FailureTests.expectFailure(scratch, ["info", "cut.npz"], status: 65, naming: ["cut.npz"])
        try FailureTests.expectFailure(scratch, ["info", "loose"], status: 66, naming: ["loose", "x_train.npy"])
    }
}
