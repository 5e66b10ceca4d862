import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// IDX parsing and validation, plain files. Gzip-specific failures are in GzipTests.
@Suite struct IDXTests {
    // MARK: - Valid files

    @Test(arguments: [1, 3, 17])
    func readsPlainImages(count: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("images", Fixtures.images(count: count))
        let file = try IDX.read(path, kind: .images)
        #expect(file.header.magic == 0x0000_0803)
        #expect(file.header.dimensions == [count, 28, 28])
        #expect(file.bytes == Fixtures.pixels(count: count))
    }

    @Test func readsGzippedImages() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("images.gz", Deflate.gzip(Fixtures.images(count: 5)))
        let file = try IDX.read(path, kind: .images)
        #expect(file.header.dimensions == [5, 28, 28])
        #expect(file.bytes == Fixtures.pixels(count: 5))
    }

    @Test func readsLabels() throws {
        let dir = try TemporaryDirectory()
        let labels: [UInt8] = [0, 9, 3, 3, 7]
        let plain = try IDX.read(dir.write("labels", Fixtures.labels(labels)), kind: .labels)
        let gzipped = try IDX.read(dir.write("labels.gz", Deflate.gzip(Fixtures.labels(labels))), kind: .labels)
        #expect(plain.header.dimensions == [5])
        #expect(plain.bytes == labels)
        #expect(gzipped.bytes == labels)
    }

    // MARK: - Lengths

    @Test func shorterThanHeaderPromises() throws {
        let dir = try TemporaryDirectory()
        let full = Fixtures.images(count: 3)
        let path = try dir.write("short", Array(full.dropLast(100)))
        expectAutoencError(.dataError, naming: path,
                           containing: ["expects \(full.count) bytes, found \(full.count - 100)"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    @Test func longerThanHeaderPromises() throws {
        let dir = try TemporaryDirectory()
        let full = Fixtures.images(count: 3)
        let path = try dir.write("long", full + [1, 2, 3, 4, 5])
        expectAutoencError(.dataError, naming: path,
                           containing: ["expects \(full.count) bytes, found \(full.count + 5)"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    @Test func headerOnly() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("header-only", Fixtures.header(magic: Fixtures.imageMagic, [2, 28, 28]))
        expectAutoencError(.dataError, naming: path, containing: ["expects \(16 + 2 * 784) bytes, found 16"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    /// A header claiming 2^31 images (1.7 TB) on a tiny file must fail before allocating.
    @Test(arguments: [false, true])
    func hugeCountFailsAtOnce(gzipped: Bool) throws {
        let dir = try TemporaryDirectory()
        let plain = Fixtures.header(magic: Fixtures.imageMagic, [1 << 31, 28, 28]) + Fixtures.pixels(count: 2)
        let path = try dir.write(gzipped ? "huge.gz" : "huge", gzipped ? Deflate.gzip(plain) : plain)
        let start = Date()
        expectAutoencError(.dataError, naming: path, containing: ["2147483648"]) {
            _ = try IDX.read(path, kind: .images)
        }
        #expect(Date().timeIntervalSince(start) < 2, "rejecting the header took \(Date().timeIntervalSince(start)) s")
    }

    /// Every dimension at its maximum: the product must not overflow 64 bits unnoticed.
    @Test func maximalDimensionsDoNotOverflow() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("max", Fixtures.header(magic: Fixtures.imageMagic, [UInt32.max, 28, 28]) + [0, 0])
        expectAutoencError(.dataError, naming: path) { _ = try IDX.read(path, kind: .images) }
    }

    // MARK: - Header contents

    @Test func labelsFileGivenAsImages() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("labels", Fixtures.labels([1, 2, 3]))
        expectAutoencError(.dataError, naming: path, containing: ["0x00000801", "labels file"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    @Test func imagesFileGivenAsLabels() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("images", Fixtures.images(count: 1))
        expectAutoencError(.dataError, naming: path, containing: ["0x00000803"]) {
            _ = try IDX.read(path, kind: .labels)
        }
    }

    @Test(arguments: [UInt32(0x1234_5678), 0x0000_0903, 0x0000_0802, 0x0000_0D03])
    func wrongMagic(magic: UInt32) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad-magic", Fixtures.header(magic: magic, [1, 28, 28]) + Fixtures.pixels(count: 1))
        expectAutoencError(.dataError, naming: path, containing: ["magic"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    @Test(arguments: [(27, 28), (28, 27), (32, 32), (1, 784)])
    func imagesNot28x28(rows: Int, cols: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("odd-size", Fixtures.images(count: 2, rows: rows, cols: cols))
        expectAutoencError(.dataError, naming: path, containing: ["28x28", "\(rows)x\(cols)"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    @Test func zeroImages() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("zero", Fixtures.header(magic: Fixtures.imageMagic, [0, 28, 28]))
        expectAutoencError(.dataError, naming: path, containing: ["count of 0"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    @Test func zeroLabels() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("zero", Fixtures.labels([]))
        expectAutoencError(.dataError, naming: path, containing: ["count of 0"]) {
            _ = try IDX.read(path, kind: .labels)
        }
    }

    @Test(arguments: [0, 1, 3, 4, 9, 15])
    func truncatedHeader(length: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("truncated-header", Array(Fixtures.images(count: 1).prefix(length)))
        expectAutoencError(.dataError, naming: path) { _ = try IDX.read(path, kind: .images) }
    }

    @Test func emptyFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("empty", [])
        expectAutoencError(.dataError, naming: path, containing: ["0 bytes"]) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    // MARK: - Missing inputs

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("nowhere")
        expectAutoencError(.noInput, naming: path) { _ = try IDX.read(path, kind: .images) }
    }

    @Test func directoryGivenAsFile() throws {
        let dir = try TemporaryDirectory()
        expectAutoencError(.noInput, naming: dir.path) { _ = try IDX.read(dir.path, kind: .images) }
    }
}

/// Loading a split through DataLocation: file lookup, labels, missing inputs.
@Suite struct DataLocationTests {
    @Test func loadsImagesAndLabels() throws {
        let dir = try TemporaryDirectory()
        try dir.write(DataLocation.trainImages + ".gz", Deflate.gzip(Fixtures.images(count: 4)))
        try dir.write(DataLocation.trainLabels, Fixtures.labels([0, 1, 9, 5]))
        let set = try DataLocation(directory: dir.path).load(train: true, labels: true)
        #expect(set.count == 4)
        #expect(set.bytes == Fixtures.pixels(count: 4))
        #expect(set.labels == [0, 1, 9, 5])
        #expect(set.source.hasSuffix(DataLocation.trainImages + ".gz"))
    }

    @Test func prefersTheGzippedFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write(DataLocation.testImages + ".gz", Deflate.gzip(Fixtures.images(count: 2, salt: 1)))
        try dir.write(DataLocation.testImages, Fixtures.images(count: 3, salt: 2))
        let set = try DataLocation(directory: dir.path).load(train: false)
        #expect(set.count == 2)
        #expect(set.bytes == Fixtures.pixels(count: 2, salt: 1))
    }

    @Test func labelCountDiffersFromImageCount() throws {
        let dir = try TemporaryDirectory()
        try dir.write(DataLocation.trainImages, Fixtures.images(count: 3))
        let labels = try dir.write(DataLocation.trainLabels, Fixtures.labels([1, 2]))
        expectAutoencError(.dataError, naming: labels, containing: ["expected 3 labels", "found 2"]) {
            _ = try DataLocation(directory: dir.path).load(train: true, labels: true)
        }
    }

    @Test(arguments: [UInt8(10), 255])
    func labelAboveNine(label: UInt8) throws {
        let dir = try TemporaryDirectory()
        try dir.write(DataLocation.trainImages, Fixtures.images(count: 3))
        let labels = try dir.write(DataLocation.trainLabels, Fixtures.labels([1, label, 2]))
        expectAutoencError(.dataError, naming: labels, containing: ["found \(label) at index 1"]) {
            _ = try DataLocation(directory: dir.path).load(train: true, labels: true)
        }
    }

    @Test func labelsIgnoredUnlessAsked() throws {
        let dir = try TemporaryDirectory()
        try dir.write(DataLocation.trainImages, Fixtures.images(count: 3))
        try dir.write(DataLocation.trainLabels, Fixtures.labels([1, 99, 2]))
        let set = try DataLocation(directory: dir.path).load(train: true)
        #expect(set.labels == nil)
    }

    @Test func missingDirectory() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.file("no-such-dir")
        expectAutoencError(.noInput, naming: missing) { _ = try DataLocation.resolve(missing) }
        expectAutoencError(.noInput, naming: missing) { _ = try DataLocation(directory: missing).load(train: true) }
    }

    @Test func fileGivenAsDirectory() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("plain-file", [1, 2, 3])
        expectAutoencError(.noInput, naming: file) { _ = try DataLocation.resolve(file) }
    }

    @Test func missingImagesFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write(DataLocation.trainImages, Fixtures.images(count: 1))
        expectAutoencError(.noInput, containing: [DataLocation.testImages]) {
            _ = try DataLocation(directory: dir.path).load(train: false)
        }
    }

    @Test func missingLabelsFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write(DataLocation.trainImages, Fixtures.images(count: 1))
        expectAutoencError(.noInput, containing: [DataLocation.trainLabels]) {
            _ = try DataLocation(directory: dir.path).load(train: true, labels: true)
        }
    }

    @Test func resolvesAGivenDirectory() throws {
        let dir = try TemporaryDirectory()
        #expect(try DataLocation.resolve(dir.path).directory == dir.path)
    }
}
