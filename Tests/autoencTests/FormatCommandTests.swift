@testable import AutoencCore
@testable import AutoencKit
import Foundation
import Testing

/// `--out` formats by extension for reconstruct and weightmap, and `autoenc info`.
@Suite struct FormatCommandTests {
    // MARK: - Reading what was written

    /// The shape and values of a float32 .npy file, after checking its header.
    static func readNPY(_ bytes: [UInt8],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> (shape: [Int], values: [Float]) {
        try #require(bytes.count >= 10 && Array(bytes[0..<8]) == [0x93] + Array("NUMPY".utf8) + [1, 0],
                     sourceLocation: sourceLocation)
        let end = 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
        #expect(end % 64 == 0, sourceLocation: sourceLocation)
        let header = try #require(String(bytes: bytes[10..<end], encoding: .ascii), sourceLocation: sourceLocation)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': ("), "\(header)",
                sourceLocation: sourceLocation)
        let inside = try #require(header.split(separator: "(").last?.split(separator: ")").first,
                                  sourceLocation: sourceLocation)
        let shape = inside.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        try #require((bytes.count - end) == 4 * shape.reduce(1, *), "\(bytes.count - end) data bytes for \(shape)",
                     sourceLocation: sourceLocation)
        let values = stride(from: end, to: bytes.count, by: 4).map { i in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) })
        }
        return (shape, values)
    }

    /// Width and height from a PNG's IHDR, after checking the signature.
    static func pngSize(_ bytes: [UInt8]) throws -> (width: Int, height: Int) {
        try #require(bytes.count > 33 && Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        func word(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        return (word(16), word(20))
    }

    /// Width and height from a binary PGM's header.
    static func pgmSize(_ bytes: [UInt8]) throws -> (width: Int, height: Int) {
        let fields = String(decoding: bytes.prefix(32), as: UTF8.self).split(whereSeparator: \.isWhitespace)
        try #require(fields.count >= 3 && fields[0] == "P5")
        return (try #require(Int(fields[1])), try #require(Int(fields[2])))
    }

    // MARK: - --out extensions

    @Test("an unknown --out extension is a usage error naming the flag and the accepted ones",
          arguments: [["reconstruct"], ["weightmap"]], ["out.jpg", "out", "out.pgm.gz", "out.npz"])
    func unknownExtension(command: [String], out: String) throws {
        let scratch = try Scratch()
        try FailureTests.expectFailure(scratch, command + ["--out", out], status: 64,
                                       naming: ["--out", ".pgm, .png or .npy", out])
    }

    @Test("reconstruct --out .npy holds the first --count reconstructions as (n, 28, 28) float32")
    func reconstructNPY() throws {
        let scratch = try FailureTests.trained()
        let result = try scratch.run(["reconstruct", "--data", "data", "--count", "5", "--out", "r.npy"])
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.contains("wrote r.npy (5 reconstructions"), "\(result)")
        let (shape, values) = try Self.readNPY(try scratch.bytes("r.npy"))
        #expect(shape == [5, 28, 28])

        // The same images through the library's own inference.
        let model = try Checkpoint.load(scratch.path("model.safetensors")).model
        let test = try DataLocation(directory: scratch.path("data")).load(train: false)
        var expected = [Float]()
        model.reconstruct(test, range: 0..<5) { _, m, _, y in
            expected += UnsafeBufferPointer(start: y, count: m * 784)
        }
        #expect(values == expected)
        #expect(temporaries(in: scratch).isEmpty)
    }

    @Test("reconstruct --count beyond one chunk of 500 still writes every requested image")
    func reconstructManyNPY() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch, train: 32, test: 600)
        try #require(try scratch.run(tinyTraining(epochs: 1)).status == 0)
        let result = try scratch.run(["reconstruct", "--data", "data", "--count", "550", "--out", "r.npy"])
        try #require(result.status == 0, "\(result)")
        #expect(try Self.readNPY(try scratch.bytes("r.npy")).shape == [550, 28, 28])
        let png = try scratch.run(["reconstruct", "--data", "data", "--count", "550", "--out", "r.png"])
        try #require(png.status == 0, "\(png)")
        // the label strip (17 pixels), then 8 pairs per row: 69 rows of 29 pixels, plus the border.
        #expect(try Self.pngSize(try scratch.bytes("r.png")).height == 17 + 69 * 29 + 1)
    }

    @Test("reconstruct and weightmap --out .png are the PGM's image", arguments: [
        ["reconstruct", "--data", "data", "--count", "7"], ["weightmap", "--scale", "2"],
    ])
    func pngMatchesPGM(command: [String]) throws {
        let scratch = try FailureTests.trained()
        for out in ["a.pgm", "a.png"] {
            let result = try scratch.run(command + ["--out", out])
            try #require(result.status == 0, "\(result)")
        }
        let pgm = try Self.pgmSize(try scratch.bytes("a.pgm")), png = try Self.pngSize(try scratch.bytes("a.png"))
        #expect(pgm == png)
    }

    @Test("weightmap --out .npy holds encoder.weight unscaled as (hidden, 28, 28)")
    func weightmapNPY() throws {
        let scratch = try FailureTests.trained()
        let result = try scratch.run(["weightmap", "--out", "w.NPY"])
        try #require(result.status == 0, "\(result)")
        let (shape, values) = try Self.readNPY(try scratch.bytes("w.NPY"))
        #expect(shape == [16, 28, 28])
        let loaded = try Checkpoint.load(scratch.path("model.safetensors"))
        #expect(values == Array(UnsafeBufferPointer(start: loaded.parameters.w1, count: 16 * 784)))
    }

    @Test("help names the formats and the info command", arguments: [
        (["--help"], "info"), (["reconstruct", "--help"], ".npy"), (["weightmap", "--help"], "(hidden, 28, 28)"),
        (["info", "--help"], "IDX"),
    ])
    func help(arguments: [String], expected: String) throws {
        let result = try Scratch().run(arguments)
        #expect(result.status == 0 && result.stdout.contains(expected), "\(result)")
    }

    // MARK: - info

    @Test("info on a checkpoint: metadata, tensors and shapes, parameter count")
    func infoCheckpoint() throws {
        let scratch = try FailureTests.trained()
        let result = try scratch.run(["info", "model.safetensors"])
        try #require(result.status == 0, "\(result)")
        for line in ["an autoenc model (784-16-784, relu)", "format", "autoenc-1", "activation", "hidden",
                     "encoder.weight  F32  (16, 784)", "encoder.bias    F32  (16,)",
                     "decoder.weight  F32  (784, 16)", "decoder.bias    F32  (784,)", "parameters: 25888"] {
            #expect(result.stdout.contains(line), "stdout lacks \(line): \(result.stdout)")
        }
        let state = try scratch.run(["info", "model.state.safetensors"])
        try #require(state.status == 0, "\(state)")
        #expect(state.stdout.contains("encoder.weight.exp_avg"), "\(state)")
    }

    @Test("info on IDX files, plain and gzipped: magic, kind, dimensions")
    func infoIDX() throws {
        let scratch = try Scratch()
        let images = Fixtures.idxImages(Fixtures.images(count: 3, seed: 1), count: 3)
        try scratch.write(images, to: "images")
        try scratch.write(Deflate.gzip(images), to: "images.gz")
        try scratch.write([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4], to: "labels")
        for name in ["images", "images.gz"] {
            let result = try scratch.run(["info", name])
            try #require(result.status == 0, "\(result)")
            for line in ["magic:      0x00000803 (unsigned byte, 3 dimensions)", "kind:       images",
                         "dimensions: 3 x 28 x 28", "count:      3 images of 28x28"] {
                #expect(result.stdout.contains(line), "\(name): stdout lacks \(line): \(result.stdout)")
            }
            #expect(result.stdout.contains("(gzip)") == name.hasSuffix(".gz"))
        }
        let labels = try scratch.run(["info", "labels"])
        #expect(labels.status == 0 && labels.stdout.contains("kind:       labels")
                && labels.stdout.contains("count:      4 labels"), "\(labels)")
    }

    @Test("info failures: 66 when missing, 65 for bad data, one line on stderr naming the file")
    func infoFailures() throws {
        let scratch = try Scratch()
        let images = Fixtures.idxImages(Fixtures.images(count: 2, seed: 1), count: 2)
        try scratch.write(Array(images.dropLast(5)), to: "short-idx")
        try scratch.write(Array(Deflate.gzip(images + [9])), to: "long-idx.gz")
        try scratch.write(Array("hello, world\n".utf8), to: "text")
        try scratch.write([0x10, 0, 0, 0, 0, 0, 0, 0] + Array("{\"a\":".utf8), to: "bad.safetensors")
        try scratch.write([0, 0, 0, 0, 0, 0, 0, 0], to: "empty.safetensors")
        let cases: [(String, Int32)] = [("missing.safetensors", 66), ("missing-idx", 66), ("short-idx", 65),
                                        ("long-idx.gz", 65), ("text", 65), ("bad.safetensors", 65),
                                        ("empty.safetensors", 65)]
        for (name, status) in cases {
            try FailureTests.expectFailure(scratch, ["info", name], status: status, naming: [name])
            let result = try scratch.run(["info", name])
            #expect(result.stderr.hasPrefix("autoenc: ") && result.stderr.split(separator: "\n").count == 1,
                    "\(name): \(result)")
        }
    }
}
