import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Gzipped IDX files: concatenated members, and every way a gzip stream can be broken.
@Suite struct GzipTests {
    /// The size of ByteSource's read buffer; its first refill covers file offsets
    /// 2 ..< 2 + this (the two magic bytes are read on their own first).
    static let inputCapacity = 1 << 18

    func read(_ bytes: [UInt8], name: String = "images.gz") throws -> (IDXFile, String) {
        let dir = try TemporaryDirectory()
        let path = try dir.write(name, bytes)
        return (try IDX.read(path, kind: .images), path)
    }

    func expectRefused(_ bytes: [UInt8], containing parts: [String] = [],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("broken.gz", bytes)
        expectAutoencError(.dataError, naming: path, containing: parts, sourceLocation: sourceLocation) {
            _ = try IDX.read(path, kind: .images)
        }
    }

    // MARK: - Valid streams

    @Test(arguments: [Int32(0), 1, 6, 9])
    func compressionLevels(level: Int32) throws {
        let (file, _) = try read(Deflate.gzip(Fixtures.images(count: 3), level: level))
        #expect(file.bytes == Fixtures.pixels(count: 3))
    }

    /// Concatenated members are one stream (RFC 1952 2.2): split inside the magic,
    /// inside the dimensions, inside the pixels, and with an empty member in between.
    @Test(arguments: [[2], [7], [16, 500], [1000, 1000, 2000]])
    func concatenatedMembers(cuts: [Int]) throws {
        let plain = Fixtures.images(count: 4)
        var gz: [UInt8] = []
        var start = 0
        for cut in cuts + [plain.count] {
            gz += Deflate.gzip(Array(plain[start..<cut]))
            start = cut
        }
        let (file, _) = try read(gz)
        #expect(file.bytes == Fixtures.pixels(count: 4))
    }

    /// A first member ending exactly `pending` bytes before the end of the reader's
    /// buffer, so the next member's magic is split across two reads (pending 1) or
    /// starts a fresh read (pending 0).
    @Test(arguments: [0, 1, 2, 3])
    func memberBoundaryAtBufferEnd(pending: Int) throws {
        let plain = Fixtures.images(count: 340)
        let targetSize = 2 + Self.inputCapacity - pending
        // Stored (level 0) members grow one byte per input byte between block boundaries.
        var length = targetSize - 60
        var first = Deflate.gzip(Array(plain[0..<length]), level: 0)
        for _ in 0..<4 where first.count != targetSize {
            length += targetSize - first.count
            first = Deflate.gzip(Array(plain[0..<length]), level: 0)
        }
        try #require(first.count == targetSize, "could not size the first member: \(first.count) != \(targetSize)")
        let (file, _) = try read(first + Deflate.gzip(Array(plain[length...])))
        #expect(file.header.count == 340)
        #expect(file.bytes == Fixtures.pixels(count: 340))
    }

    static let gzipTool = "/usr/bin/gzip"

    /// A file written by the gzip tool itself (its header carries the file name and
    /// time, which zlib's deflate leaves out), also concatenated with `cat`.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gzipTool)))
    func fileWrittenByGzipTool() throws {
        let dir = try TemporaryDirectory()
        let plain = Fixtures.images(count: 6, salt: 3)
        let path = try dir.write("train-images-idx3-ubyte", plain)
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: Self.gzipTool)
        tool.arguments = ["-k", "-9", path]
        try tool.run()
        tool.waitUntilExit()
        try #require(tool.terminationStatus == 0)
        let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
        #expect(gz[3] & 0x08 != 0, "expected the FNAME flag in the tool's header")
        let file = try IDX.read(path + ".gz", kind: .images)
        #expect(file.bytes == Fixtures.pixels(count: 6, salt: 3))
        // Two tool-written members, as `cat a.gz b.gz` makes.
        let half = 16 + 3 * 784
        try dir.write("a", Array(plain[0..<half]))
        try dir.write("b", Array(plain[half...]))
        let both = Process()
        both.executableURL = URL(fileURLWithPath: Self.gzipTool)
        both.arguments = ["-k", dir.file("a"), dir.file("b")]
        try both.run()
        both.waitUntilExit()
        let joined = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.file("a.gz"))))
            + [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.file("b.gz"))))
        let (concatenated, _) = try read(joined)
        #expect(concatenated.bytes == Fixtures.pixels(count: 6, salt: 3))
    }

    @Test func gzippedEmptyFile() throws {
        try expectRefused(Deflate.gzip([]), containing: ["header"])
    }

    // MARK: - Broken streams

    /// Cut after the gzip header, in the middle of the deflate data, inside the trailer
    /// (CRC and length), and one byte short.
    @Test(arguments: [10, -1, -4, -8])
    func truncatedStream(cut: Int) throws {
        let gz = Deflate.gzip(Fixtures.images(count: 3, salt: 5))
        let keep = cut > 0 ? cut : gz.count + cut
        try #require(keep > 10 || cut == 10)
        try expectRefused(Array(gz[0..<keep]), containing: ["truncated"])
    }

    @Test func truncatedMidway() throws {
        let gz = Deflate.gzip(Fixtures.images(count: 3, salt: 5))
        try expectRefused(Array(gz[0..<gz.count / 2]))
    }

    @Test(arguments: [0, 1, 2, 3])
    func crcMismatch(byte: Int) throws {
        var gz = Deflate.gzip(Fixtures.images(count: 2))
        gz[gz.count - 8 + byte] ^= 0x10
        try expectRefused(gz, containing: ["gzip"])
    }

    @Test(arguments: [UInt32(1), 0xFFFF_FFFF, 784])
    func lengthMismatch(delta: UInt32) throws {
        var gz = Deflate.gzip(Fixtures.images(count: 2))
        let isize = Fixtures.littleEndian(gz, at: gz.count - 4)
        Fixtures.setLittleEndian(&gz, at: gz.count - 4, isize &+ delta)
        try expectRefused(gz, containing: ["gzip"])
    }

    @Test func corruptDeflateData() throws {
        var gz = Deflate.gzip(Fixtures.images(count: 2))
        // Block type 11 (reserved) in the first deflate block header.
        gz[10] |= 0b110
        try expectRefused(gz, containing: ["gzip"])
    }

    @Test(arguments: [[UInt8(0)], [0, 0, 0, 0], Array("garbage".utf8), [0x1f], [0x1f, 0x8c, 0, 0]])
    func garbageAfterLastMember(garbage: [UInt8]) throws {
        let gz = Deflate.gzip(Fixtures.images(count: 2))
        try expectRefused(gz + garbage)
    }

    /// A lone gzip magic after the last member starts a member that never arrives.
    @Test func magicOnlyAfterLastMember() throws {
        try expectRefused(Deflate.gzip(Fixtures.images(count: 2)) + [0x1f, 0x8b], containing: ["truncated"])
    }

    @Test func fewerImagesThanPromised() throws {
        let plain = Fixtures.header(magic: Fixtures.imageMagic, [3, 28, 28]) + Fixtures.pixels(count: 2)
        try expectRefused(Deflate.gzip(plain), containing: ["expects \(16 + 3 * 784) bytes, found \(16 + 2 * 784)"])
    }

    @Test func moreImagesThanPromised() throws {
        let plain = Fixtures.header(magic: Fixtures.imageMagic, [2, 28, 28]) + Fixtures.pixels(count: 3)
        try expectRefused(Deflate.gzip(plain), containing: ["expects \(16 + 2 * 784) bytes, found \(16 + 3 * 784)"])
    }

    /// A header claiming 10 images followed by 50 MB of zeros (a 50 KB file): reading
    /// must stop with a data error, not hand back or hold 50 MB.
    @Test func decompressionBomb() throws {
        let plain = Fixtures.header(magic: Fixtures.imageMagic, [10, 28, 28]) + [UInt8](repeating: 0, count: 50_000_000)
        let gz = Deflate.gzip(plain)
        #expect(gz.count < 100_000)
        let start = Date()
        try expectRefused(gz, containing: ["expects \(16 + 10 * 784) bytes"])
        #expect(Date().timeIntervalSince(start) < 10, "took \(Date().timeIntervalSince(start)) s")
    }

    /// 200 MB of zeros in 40 members: the reader gives up after its trailing-data limit
    /// instead of inflating everything.
    @Test func decompressionBombBeyondTheTrailingLimit() throws {
        let header = Fixtures.header(magic: Fixtures.imageMagic, [10, 28, 28])
        let head = Deflate.gzip(header + [UInt8](repeating: 0, count: 7840))
        let zeros = Deflate.gzip([UInt8](repeating: 0, count: 5_000_000))
        var gz = head
        for _ in 0..<40 { gz += zeros }
        let start = Date()
        try expectRefused(gz, containing: ["expects \(16 + 10 * 784) bytes, found more than"])
        #expect(Date().timeIntervalSince(start) < 10, "took \(Date().timeIntervalSince(start)) s")
    }

    /// A header promising more than a file of this size could inflate to is refused
    /// before anything is allocated or inflated.
    @Test func implausibleSizeForTheFile() throws {
        let plain = Fixtures.header(magic: Fixtures.imageMagic, [1 << 20, 28, 28]) + Fixtures.pixels(count: 1)
        try expectRefused(Deflate.gzip(plain), containing: ["more than a"])
    }
}
