import Foundation
import Testing
@testable import AutoencKit

/// Atomic, durable writes and the checks made before them.
@Suite struct AtomicFileTests {
    @Test func writesAndReplaces() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("out.bin")
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
        try AtomicFile.write([9], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([9]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"], "temporary files left behind")
    }

    @Test func missingDirectoryCannotBeCreated() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("no-such-dir/out.bin")
        expectAutoencError(.cannotCreate, naming: path) { try AtomicFile.checkWritable(path, what: "--out") }
        expectAutoencError(.cannotCreate, naming: path) { try AtomicFile.write([1], to: path) }
    }

    @Test func directoryAsTarget() throws {
        let dir = try TemporaryDirectory()
        expectAutoencError(.cannotCreate, naming: dir.path, containing: ["is a directory"]) {
            try AtomicFile.checkWritable(dir.path, what: "--out")
        }
    }

    @Test func writableTargetPasses() throws {
        let dir = try TemporaryDirectory()
        try AtomicFile.checkWritable(dir.file("fine.bin"), what: "--out")
    }

    @Test func staleTemporariesRemoved() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("model.safetensors")
        try dir.write(".model.safetensors.tmp-12345", [0])
        try dir.write(".other.tmp-1", [0])
        AtomicFile.removeStaleTemporaries(for: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [".other.tmp-1"])
    }
}
