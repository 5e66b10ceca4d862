import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// `.npy` arrays read as images and labels: shapes, dtypes, the float conversion, and
/// every refusal naming the file.
@Suite struct NPYReaderTests {
    static func readImages(_ path: String) throws -> (count: Int, bytes: [UInt8]) {
        try NPY.readImages(try FileByteStream(path: path))
    }

    @Test("uint8 images in every accepted shape read as the same bytes", arguments: [
        [3, 784], [3, 28, 28], [3, 28, 28, 1], [3, 1, 28, 28],
    ])
    func uint8Shapes(shape: [Int]) throws {
        let dir = try TemporaryDirectory()
        let pixels = Fixtures.pixels(count: 3)
        let path = try dir.write("x.npy", NumPyFixtures.npy(descr: "|u1", shape: shape, data: pixels))
        let read = try Self.readImages(path)
        #expect(read.count == 3)
        #expect(read.bytes == pixels)
    }

    @Test("version 2.0 headers and Python 2's long integers read too")
    func otherHeaderSpellings() throws {
        let dir = try TemporaryDirectory()
        let pixels = Fixtures.pixels(count: 2)
        let v2 = try dir.write("v2.npy", NumPyFixtures.npy(descr: "|u1", shape: [2, 784], data: pixels, version: 2))
        #expect(try Self.readImages(v2).bytes == pixels)
        var header = Array("{'shape': (2L, 784L), 'fortran_order': False, \"descr\": '<u1'}".utf8)
        while (10 + header.count + 1) % 16 != 0 { header.append(0x20) }
        header.append(0x0A)
        let file = NPY.magic + [1, 0, UInt8(header.count), 0] + header + pixels
        #expect(try Self.readImages(try dir.write("py2.npy", file)).bytes == pixels)
    }

    /// float32 scaled in float32 and rounded to nearest, ties to even, as np.rint(x * 255):
    /// k / 255 comes back as k for every byte, 0.5 is 127.5 and rounds to 128.
    @Test func floatsRoundToBytes() throws {
        let dir = try TemporaryDirectory()
        var values = (0..<784).map { Float($0 % 256) / 255 }
        values[1] = 0.5
        values[2] = 1
        values[3] = 0.4 / 255  // 0.4 -> 0
        values[4] = 0.6 / 255  // 0.6 -> 1
        let expected = values.map { UInt8(($0 * 255).rounded(.toNearestOrEven)) }
        #expect(expected[1] == 128 && expected[2] == 255 && expected[3] == 0 && expected[4] == 1)
        #expect((0..<784).filter { ![1, 2, 3, 4].contains($0) }.allSatisfy { expected[$0] == UInt8($0 % 256) })
        let little = try dir.write("f4.npy", NumPyFixtures.npy(descr: "<f4", shape: [1, 28, 28],
                                                              data: NumPyFixtures.float32(values)))
        #expect(try Self.readImages(little).bytes == expected)
        let big = try dir.write("f4be.npy", NumPyFixtures.npy(descr: ">f4", shape: [1, 784],
                                                             data: NumPyFixtures.float32(values, bigEndian: true)))
        #expect(try Self.readImages(big).bytes == expected)
        let doubles = try dir.write("f8.npy", NumPyFixtures.npy(descr: "<f8", shape: [1, 784],
                                                               data: NumPyFixtures.float64(values.map(Double.init))))
        #expect(try Self.readImages(doubles).bytes == expected)
    }

    @Test("floats outside [0, 1] or not finite are refused, naming file, element, image and pixel", arguments: [
        (Float(1.5), "is 1.5"), (-0.25, "is -0.25"), (.nan, "is nan"), (.infinity, "is inf"), (200, "divide by 255"),
    ])
    func floatsOutOfRange(value: Float, text: String) throws {
        let dir = try TemporaryDirectory()
        var values = [Float](repeating: 0.5, count: 2 * 784)
        values[784 + 30] = value
        let path = try dir.write("bad.npy", NumPyFixtures.npy(descr: "<f4", shape: [2, 784],
                                                             data: NumPyFixtures.float32(values)))
        expectAutoencError(.dataError, naming: path, containing: ["element 814 (image 1, pixel 30)", text]) {
            _ = try Self.readImages(path)
        }
    }

    static let refusedHeaders: [(name: String, file: [UInt8], message: String)] = {
        let pixels = Fixtures.pixels(count: 2)
        let good = NumPyFixtures.npy(descr: "|u1", shape: [2, 784], data: pixels)
        let zeros = { (count: Int) in [UInt8](repeating: 0, count: count) }
        return [
            ("fortran", NumPyFixtures.npy(descr: "|u1", shape: [2, 784], fortran: true, data: pixels),
             "fortran_order is True"),
            ("int64 pixels", NumPyFixtures.npy(descr: "<i8", shape: [1, 784], data: zeros(784 * 8)),
             "dtype '<i8' (int64): expected uint8"),
            ("float16", NumPyFixtures.npy(descr: "<f2", shape: [1, 784], data: zeros(784 * 2)),
             "dtype '<f2'"),
            ("32x32", NumPyFixtures.npy(descr: "|u1", shape: [1, 32, 32], data: zeros(1024)),
             "shape (1, 32, 32): expected images of (N, 784) or (N, 28, 28)"),
            ("1-d", NumPyFixtures.npy(descr: "|u1", shape: [784], data: zeros(784)), "shape (784,)"),
            ("no images", NumPyFixtures.npy(descr: "|u1", shape: [0, 784], data: []), "at least one image"),
            ("truncated", Array(good.dropLast(5)),
             "header promises (2, 784) uint8 (\(good.count) bytes) but the file holds \(good.count - 5) bytes"),
            ("extra byte", good + [0], "but the file holds \(good.count + 1) bytes"),
            ("huge count", NumPyFixtures.npy(descr: "|u1", shape: [1 << 40, 784], data: pixels),
             "header promises (1099511627776, 784) uint8"),
            ("overflowing shape", NumPyFixtures.npy(descr: "<f4", shape: [1 << 31, 1 << 31, 1 << 31], data: []),
             "promises more than 2^63 bytes"),
            ("not npy", Array("hello".utf8), "expected a .npy array"),
            ("a zip", [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0, 0], "a zip archive (a .npz?"),
            ("version 4", NPY.magic + [4, 0, 0, 0], "version 1.0, 2.0 or 3.0, found 4.0"),
            ("header too long", NPY.magic + [1, 0, 0xFF, 0xFF] + Array("{}".utf8), "header of 65535 bytes runs past"),
            ("not a dict", NPY.magic + [1, 0, 4, 0] + Array("abc\n".utf8), "not a Python dictionary literal"),
            ("no shape", NumPyFixtures.header("{'descr': '|u1', 'fortran_order': False}"), "no 'shape' tuple"),
            ("no order", NumPyFixtures.header("{'descr': '|u1', 'shape': (1, 784)}"),
             "no 'fortran_order' True or False"),
            ("short preamble", NPY.magic + [1, 0], "the .npy header ends after 8 bytes"),
            ("unclosed", NumPyFixtures.header("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784"),
             "not a Python dictionary literal"),
            ("structured", NumPyFixtures.header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
             "no 'descr' string (a structured dtype?)"),
            ("negative", NumPyFixtures.header("{'descr': '|u1', 'fortran_order': False, 'shape': (-1, 784), }"),
             "not a Python dictionary literal"),
        ]
    }()

    @Test(arguments: refusedHeaders)
    func refusals(name: String, file: [UInt8], message: String) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("\(name).npy", file)
        expectAutoencError(.dataError, naming: path, containing: [message]) { _ = try Self.readImages(path) }
    }

    @Test func labels() throws {
        let dir = try TemporaryDirectory()
        func labels(_ values: [Int64]) -> [UInt8] {
            NumPyFixtures.npy(descr: "<i8", shape: [values.count], data: NumPyFixtures.int64(values))
        }
        let int64 = try dir.write("y.npy", labels([7, 0, 9]))
        #expect(try NPY.readLabels(try FileByteStream(path: int64), count: 3) == [7, 0, 9])
        let big = try dir.write("y10.npy", labels([7, -1, 9]))
        expectAutoencError(.dataError, naming: big, containing: ["expected labels 0 to 9, found -1 at index 1"]) {
            _ = try NPY.readLabels(try FileByteStream(path: big), count: 3)
        }
        expectAutoencError(.dataError, naming: int64, containing: ["holds 3 labels, expected 4"]) {
            _ = try NPY.readLabels(try FileByteStream(path: int64), count: 4)
        }
        let matrix = try dir.write("y2.npy", NumPyFixtures.npy(descr: "|u1", shape: [3, 1], data: [1, 2, 3]))
        expectAutoencError(.dataError, naming: matrix, containing: ["shape (3, 1): expected labels of shape (N,)"]) {
            _ = try NPY.readLabels(try FileByteStream(path: matrix), count: 3)
        }
        let floats = try dir.write("yf.npy", NumPyFixtures.npy(descr: "<f4", shape: [1],
                                                              data: NumPyFixtures.float32([1])))
        expectAutoencError(.dataError, naming: floats, containing: ["expected integer labels"]) {
            _ = try NPY.readLabels(try FileByteStream(path: floats), count: 1)
        }
    }
}

/// `.npz` archives as `np.savez` and `np.savez_compressed` write them, read through
/// `DataLocation`, and what a damaged archive is told.
@Suite struct NPZReaderTests {
    static let train = Fixtures.pixels(count: 5), test = Fixtures.pixels(count: 3, salt: 9)

    @Test("stored, deflated and zip64 archives give the same splits and labels", arguments: [
        (false, false), (true, false), (false, true), (true, true),
    ])
    func readsEveryWayNumPyWrites(deflated: Bool, zip64: Bool) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("mnist.npz", NumPyFixtures.mnistNPZ(train: Self.train, trainLabels: [0, 1, 2, 3, 9],
                                                                    test: Self.test, testLabels: [5, 5, 4],
                                                                    deflated: deflated, zip64: zip64))
        let location = try DataLocation.resolve(path)
        #expect(location.layout == .npz)
        #expect(location.hasLabels)
        let (train, test) = try location.loadBoth(labels: true)
        #expect(train.bytes == Self.train && train.labels == [0, 1, 2, 3, 9])
        #expect(test.bytes == Self.test && test.labels == [5, 5, 4])
        #expect(train.source == "\(path), member x_train.npy")
        #expect(location.absoluteDirectory == (path as NSString).standardizingPath)
        #expect(try DataLocation.recorded(path).layout == .npz)
    }

    @Test func withoutLabels() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.npz", NumPyFixtures.mnistNPZ(train: Self.train, test: Self.test))
        let location = DataLocation(directory: path)
        #expect(!location.hasLabels)
        expectAutoencError(.dataError, naming: path,
                           containing: ["expected an array named y_train", "x_train, x_test"]) {
            _ = try location.load(train: true, labels: true)
        }
    }

    @Test func missingSplitNamesTheKeysFound() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.npz", NumPyFixtures.zip([
            .init(name: "images.npy", data: NumPyFixtures.images(Self.train, count: 5)),
        ]))
        expectAutoencError(.dataError, naming: path, containing: ["expected an array named x_train", "found images"]) {
            _ = try DataLocation(directory: path).load(train: true)
        }
    }

    /// Damaged archives: each refused naming the archive (and the member when it is one).
    static let damaged: [(name: String, bytes: [UInt8], message: String)] = {
        let good = NumPyFixtures.mnistNPZ(train: train, test: test, deflated: true)
        var crc = good
        // the first member's CRC-32 in the central directory
        let directory = Int(NumPyFixtures.le32ToInt(good, at: good.count - 6))
        crc[directory + 16] ^= 0xFF
        var corrupt = good
        corrupt[60] ^= 0xFF
        var huge = good
        for k in 0..<4 { huge[directory + 24 + k] = 0xFF }  // claims 4 GB uncompressed
        var method = NumPyFixtures.mnistNPZ(train: train, test: test)
        let methodDirectory = Int(NumPyFixtures.le32ToInt(method, at: method.count - 6))
        method[methodDirectory + 10] = 14  // LZMA
        var offset = good
        for k in 0..<4 { offset[directory + 42 + k] = 0x7F }
        let end = good.count - 22  // the end-of-central-directory record
        func edit(_ archive: [UInt8], _ at: Int, _ bytes: [UInt8]) -> [UInt8] {
            var out = archive
            out.replaceSubrange(at..<at + bytes.count, with: bytes)
            return out
        }
        let stored = NumPyFixtures.mnistNPZ(train: train, test: test)
        let storedDirectory = Int(NumPyFixtures.le32ToInt(stored, at: stored.count - 6))
        return [
            ("spanning", edit(good, end + 4, [1, 0]), "spanning disks"),
            ("directory outside", edit(good, end + 16, [0xF0, 0xFF, 0xFF, 0x7F]), "lies outside the file's"),
            ("too many members", edit(good, end + 10, [0xFE, 0xFF]), "promises 65534 members"),
            ("zip64 without locator", edit(good, end + 8, [0xFF, 0xFF, 0xFF, 0xFF]), "zip64 directory locator missing"),
            ("damaged entry", edit(good, directory, [0]), "zip directory entry 1 of 2 is damaged"),
            ("encrypted", edit(good, directory + 8, [1]), "member x_train.npy is encrypted"),
            ("no local header", edit(good, directory + 42, [1, 0, 0, 0]), "no local header at byte 1"),
            ("stored sizes differ", edit(stored, storedDirectory + 24, NumPyFixtures.le32(4049)),
             "stored member of 4048 bytes claims 4049 bytes uncompressed"),
            ("past the end", edit(stored, storedDirectory + 20, NumPyFixtures.le32(1 << 20)), "run past the end"),
            ("deflate cut short", edit(good, directory + 20, NumPyFixtures.le32(10)), "deflate data is truncated"),
            ("crc", crc, "member x_train.npy: CRC-32 mismatch"),
            ("corrupt", corrupt, "member x_train.npy"),
            ("huge", huge, "member x_train.npy: claims 4294967295 bytes uncompressed"),
            ("method", method, "compression method 14 is not supported"),
            ("offset", offset, "local header at byte 2139062143 lies outside the file"),
            ("truncated", Array(good.prefix(good.count / 2)), "a zip archive without its directory"),
            ("empty", [], "found a file of 0 bytes"),
            ("not zip", [UInt8](repeating: 7, count: 100), "expected a .npz"),
        ]
    }()

    @Test(arguments: damaged)
    func damagedArchives(name: String, bytes: [UInt8], message: String) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("\(name).npz", bytes)
        expectAutoencError(.dataError, naming: path, containing: [message]) {
            _ = try DataLocation(directory: path).load(train: true)
        }
    }
}

/// The NumPy directory layout, and where `--data` finds each layout.
@Suite struct DataLayoutTests {
    @Test func npyPairInADirectory() throws {
        let dir = try TemporaryDirectory()
        let train = Fixtures.pixels(count: 4), test = Fixtures.pixels(count: 2, salt: 3)
        try dir.write("x_train.npy", NumPyFixtures.images(train, count: 4))
        try dir.write("x_test.npy", NumPyFixtures.npy(descr: "<f4", shape: [2, 784],
                                                     data: NumPyFixtures.float32(test.map { Float($0) / 255 })))
        let location = try DataLocation.resolve(dir.path)
        #expect(location.layout == .npy)
        #expect(!location.hasLabels)
        let (a, b) = try location.loadBoth()
        #expect(a.bytes == train && b.bytes == test)
        try dir.write("y_train.npy", NumPyFixtures.labels([1, 2, 3, 4]))
        try dir.write("y_test.npy", NumPyFixtures.npy(descr: "<i8", shape: [2], data: NumPyFixtures.int64([0, 9])))
        #expect(location.hasLabels)
        #expect(try location.load(train: false, labels: true).labels == [0, 9])
    }

    @Test func npyPairMissingTheTestArray() throws {
        let dir = try TemporaryDirectory()
        try dir.write("x_train.npy", NumPyFixtures.images(Fixtures.pixels(count: 1), count: 1))
        expectAutoencError(.noInput, naming: dir.file("x_test.npy"), containing: ["NumPy layout"]) {
            _ = try DataLocation(directory: dir.path).load(train: false)
        }
    }

    @Test("a lone .npy is told how to make a data set of it")
    func singleArray() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("digits.npy", NumPyFixtures.images(Fixtures.pixels(count: 1), count: 1))
        expectAutoencError(.noInput, naming: path, containing: ["x_train.npy and x_test.npy", "np.savez"]) {
            _ = try DataLocation.resolve(path)
        }
        expectAutoencError(.noInput, naming: path, containing: ["x_train.npy and x_test.npy"]) {
            _ = try DataLocation(directory: path).load(train: true)
        }
    }

    @Test("a directory without a data set says how each layout looks")
    func noDataSet() throws {
        let dir = try TemporaryDirectory()
        try dir.write("digit.png", GrayImage(width: 28, height: 28).png)
        let location = try DataLocation.resolve(dir.path)
        #expect(location.layout == nil)
        expectAutoencError(.noInput, naming: dir.path,
                           containing: ["train-images-idx3-ubyte[.gz]", "x_train.npy", "train/CLASS/*.png",
                                        "np.savez"]) {
            _ = try location.load(train: true)
        }
        expectAutoencError(.noInput, naming: dir.path, containing: ["is not there", "NumPy arrays"]) {
            _ = try DataLocation.recorded(dir.path)
        }
    }

    @Test func bareNameFindsAnArchiveUnderData() throws {
        let dir = try TemporaryDirectory()
        let one = Fixtures.pixels(count: 1)
        try dir.write("mnist.npz", NumPyFixtures.mnistNPZ(train: one, test: one))
        let location = try DataLocation.resolve("mnist.npz", environment: ["AUTOENC_DATA": dir.path])
        #expect(location.directory == dir.file("mnist.npz"))
        #expect(location.layout == .npz)
    }
}

extension NumPyFixtures {
    static func le32ToInt(_ bytes: [UInt8], at offset: Int) -> UInt32 { Fixtures.littleEndian(bytes, at: offset) }

    /// A version 1.0 preamble around any header `text`, followed by `data`.
    static func header(_ text: String, data: [UInt8] = []) -> [UInt8] {
        let bytes = Array(text.utf8) + [0x0A]
        return NPY.magic + [1, 0, UInt8(bytes.count & 0xff), UInt8(bytes.count >> 8)] + bytes + data
    }
}

