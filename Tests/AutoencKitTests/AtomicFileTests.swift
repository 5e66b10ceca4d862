import Foundation
import Testing
@testable import AutoencCore
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
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"],
                "temporary files left behind")
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

    /// A temporary of a process that is gone goes; another file's stays. The gone process's
    /// pid is the largest a pid_t holds, above any system's pid limit (Linux's is at most
    /// 2^22), so that no live process has it: with 12345, the test failed on a machine up
    /// long enough for a running process to have that pid.
    @Test func staleTemporariesRemoved() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("model.safetensors")
        try dir.write(".model.safetensors.tmp-\(pid_t.max)", [0])
        try dir.write(".other.tmp-1", [0])
        AtomicFile.removeStaleTemporaries(for: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [".other.tmp-1"])
    }

    /// A set whose later rename fails (a directory in its place) keeps the first file's
    /// old version beside it, so that the old set can be put back together; a set
    /// written whole keeps nothing.
    @Test func previousVersionKeptUntilTheSetIsWhole() throws {
        let dir = try TemporaryDirectory()
        let first = dir.file("m.state.safetensors"), second = dir.file("m.safetensors")
        let previous = AtomicFile.previousVersion(of: first)
        #expect(previous == dir.file(".m.state.safetensors.previous"))
        func write(_ a: [UInt8], _ b: [UInt8]) throws {
            try a.withUnsafeBytes { pa in
                try b.withUnsafeBytes { pb in try AtomicFile.write([(first, [pa]), (second, [pb])],
                                                                   keepingPrevious: true) }
            }
        }
        try write([1], [1])
        try write([2], [2])
        #expect(!FileManager.default.fileExists(atPath: previous))
        try FileManager.default.removeItem(atPath: second)
        try FileManager.default.createDirectory(atPath: second + "/blocker", withIntermediateDirectories: true)
        expectAutoencError(.ioError, naming: second, containing: ["already replaced"]) { try write([3], [3]) }
        #expect(FileManager.default.contents(atPath: first) == Data([3]))
        #expect(FileManager.default.contents(atPath: previous) == Data([2]))
        try FileManager.default.removeItem(atPath: second)
        try write([4], [4])
        #expect(!FileManager.default.fileExists(atPath: previous))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(files == ["m.state.safetensors", "m.safetensors"])
    }

    /// A symbolic link to a locked output finds the same lock (it used to take a lock
    /// of its own name and write through the link into the other run's file).
    @Test func aLinkToALockedOutputIsRefused() throws {
        let dir = try TemporaryDirectory()
        let target = dir.file("m.safetensors"), link = dir.file("link.safetensors")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "m.safetensors")
        #expect(OutputLock.path(for: link) == OutputLock.path(for: target))
        let lock = try OutputLock(for: target, what: "--out")
        expectAutoencError(.cannotCreate, containing: ["--out", "another run is writing it"]) {
            _ = try OutputLock(for: link, what: "--out")
        }
        lock.release()
    }
}
