import AutoencKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Failures end with the sysexits status, one line on stderr naming the file or flag,
/// and every existing file as it was.
@Suite struct FailureTests {
    /// A scratch directory with fixtures in data/ and a trained checkpoint pair
    /// model.safetensors + model.state.safetensors.
    static func trained() throws -> Scratch {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(tinyTraining(epochs: 1))
        try #require(result.status == 0, "\(result)")
        return scratch
    }

    /// Snapshot of every file's bytes below the scratch directory.
    static func snapshot(_ scratch: Scratch) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: scratch.url.path)
        while let name = enumerator?.nextObject() as? String {
            var info = stat()
            guard lstat(scratch.path(name), &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG: files[name] = try scratch.bytes(name)
            case S_IFDIR: break
            default: files[name] = [] // FIFOs and links: present, not read
            }
        }
        return files
    }

    /// Runs `arguments`, expects `status` and a message containing every one of `names`
    /// on stderr, no crash, and no file created, changed or removed.
    static func expectFailure(_ scratch: Scratch, _ arguments: [String], status: Int32, naming names: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try snapshot(scratch)
        let result = try scratch.run(arguments)
        #expect(result.status == status, "\(arguments): \(result)", sourceLocation: sourceLocation)
        for name in names {
            #expect(result.stderr.contains(name), "\(arguments): stderr lacks \(name): \(result.stderr)",
                    sourceLocation: sourceLocation)
        }
        for crash in ["Fatal error", "fatalError", "Stack dump", "backtrace", "Illegal instruction"] {
            #expect(!result.stderr.contains(crash), "\(arguments) crashed: \(result.stderr)",
                    sourceLocation: sourceLocation)
        }
        #expect(!result.stdout.contains("epoch 1/"), "\(arguments) trained before failing",
                sourceLocation: sourceLocation)
        let after = try snapshot(scratch)
        #expect(after.keys.sorted() == before.keys.sorted(), "\(arguments) created or removed files",
                sourceLocation: sourceLocation)
        for (name, bytes) in before where after[name] != bytes {
            Issue.record("\(arguments) changed \(name)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Bad flags, end to end

    @Test("bad flags exit 64 naming the flag before reading anything", arguments: [
        (["--drop-p", "1"], "--drop-p"), (["--drop-p", "nan"], "--drop-p"), (["--epochs", "0"], "--epochs"),
        (["--batch-size", "0"], "--batch-size"), (["--lr", "0"], "--lr"), (["--lr", "nan"], "--lr"),
        (["--drop-mode", "sometimes"], "--drop-mode"),
    ])
    func badFlag(flags: [String], flag: String) throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        try Self.expectFailure(scratch, ["train", "--data", "data", "--epochs", "1"] + flags, status: 64,
                               naming: [flag])
    }

    // MARK: - Outputs that cannot be created (73)

    @Test("an output that cannot be created exits 73 before training, creating nothing")
    func cannotCreate() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        try scratch.makeDirectory("adir")
        try scratch.makeDirectory("adir.pgm")
        try scratch.makeDirectory("adir.safetensors")
        let train = tinyTraining(epochs: 1)
        try Self.expectFailure(scratch, train + ["--out", "missing/model.safetensors"], status: 73,
                               naming: ["--out", "missing"])
        try Self.expectFailure(scratch, train + ["--out", "adir.safetensors"], status: 73,
                               naming: ["--out", "adir.safetensors", "directory"])
        try Self.expectFailure(scratch, train + ["--log", "missing/log.jsonl"], status: 73,
                               naming: ["--log", "missing"])
        try Self.expectFailure(scratch, train + ["--log", "adir"], status: 73, naming: ["--log", "adir"])
        try Self.expectFailure(scratch, ["reconstruct", "--data", "data", "--out", "missing/r.pgm"], status: 73,
                               naming: ["--out", "missing"])
        try Self.expectFailure(scratch, ["reconstruct", "--data", "data", "--out", "adir.pgm"], status: 73,
                               naming: ["--out", "adir.pgm"])
        try Self.expectFailure(scratch, ["weightmap", "--out", "missing/w.pgm"], status: 73,
                               naming: ["--out", "missing"])
        try Self.expectFailure(scratch, ["weightmap", "--out", "adir.pgm"], status: 73, naming: ["--out", "adir.pgm"])
    }

    @Test("a device, FIFO or socket as --out exits 73 and is not replaced")
    func specialFiles() throws {
        let scratch = try Self.trained()
        try #require(mkfifo(scratch.path("fifo.pgm"), 0o644) == 0)
        try #require(mkfifo(scratch.path("fifo.safetensors"), 0o644) == 0)
        try Self.expectFailure(scratch, ["weightmap", "--out", "fifo.pgm"], status: 73, naming: ["--out", "fifo.pgm"])
        try Self.expectFailure(scratch, ["reconstruct", "--data", "data", "--out", "fifo.pgm"], status: 73,
                               naming: ["fifo.pgm"])
        try Self.expectFailure(scratch, tinyTraining(epochs: 1, ["--out", "fifo.safetensors"]), status: 73,
                               naming: ["fifo.safetensors"])
        try FileManager.default.createSymbolicLink(atPath: scratch.path("null.pgm"), withDestinationPath: "/dev/null")
        try Self.expectFailure(scratch, ["weightmap", "--out", "null.pgm"], status: 73,
                               naming: ["null.pgm", "/dev/null"])
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "/dev/null was replaced")
    }

    // MARK: - Write failures (74)

    @Test("a write that fails exits 74, leaving the previous files and no temporary file")
    func writeFails() throws {
        let scratch = try Self.trained()
        let first = try scratch.run(["weightmap", "--scale", "4"])
        try #require(first.status == 0, "\(first)")
        let before = try Self.snapshot(scratch)
        let results = [
            try scratch.runWithSmallFileLimit(["weightmap", "--scale", "4"]),
            try scratch.runWithSmallFileLimit(tinyTraining(epochs: 2, ["--resume", "model.safetensors"])),
            try scratch.runWithSmallFileLimit(tinyTraining(epochs: 1, ["--force"])),
        ]
        for (result, file) in zip(results, ["weightmap.pgm", "model.state.safetensors", "model.state.safetensors"]) {
            #expect(result.status == 74, "\(result)")
            #expect(result.stderr.contains(file) && result.stderr.contains("unchanged"), "\(result)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result)")
        }
        #expect(try Self.snapshot(scratch) == before)
    }

    // MARK: - Missing and corrupt inputs (66, 65)

    @Test("a missing data directory or file exits 66 naming it")
    func missingData() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        try Self.expectFailure(scratch, ["train", "--data", "nowhere", "--epochs", "1"], status: 66,
                               naming: ["nowhere"])
        try FileManager.default.removeItem(atPath: scratch.path("data/" + DataLocation.testImages))
        try Self.expectFailure(scratch, tinyTraining(epochs: 1), status: 66, naming: [DataLocation.testImages])
        try Self.expectFailure(scratch, ["reconstruct", "--data", "data"], status: 66, naming: ["model.safetensors"])
    }

    @Test("corrupt IDX and gzip files exit 65 naming the file",
          arguments: ["magic", "truncated", "size", "empty", "gzip"])
    func corruptData(kind: String) throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let name = "data/" + DataLocation.trainImages
        var bytes = try scratch.bytes(name)
        switch kind {
        case "magic": bytes[3] = 0x01 // labels
        case "truncated": bytes.removeLast(100)
        case "size": bytes[11] = 27 // 27 rows
        case "empty": bytes = []
        default: // gzip magic and method, then garbage
            try FileManager.default.removeItem(atPath: scratch.path(name))
            bytes = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03] + [UInt8](repeating: 0xAB, count: 64)
            try scratch.write(bytes, to: name + ".gz")
            try Self.expectFailure(scratch, tinyTraining(epochs: 1), status: 65,
                                   naming: [DataLocation.trainImages + ".gz"])
            return
        }
        try scratch.write(bytes, to: name)
        try Self.expectFailure(scratch, tinyTraining(epochs: 1), status: 65, naming: [DataLocation.trainImages])
    }

    @Test("reconstruct and weightmap: missing checkpoint 66, corrupt checkpoint 65")
    func badCheckpoint() throws {
        let scratch = try Self.trained()
        for command in [["reconstruct", "--data", "data"], ["weightmap"]] {
            try Self.expectFailure(scratch, command + ["--model", "absent.safetensors"], status: 66,
                                   naming: ["absent.safetensors"])
            try Self.expectFailure(scratch, command + ["--model", "data"], status: 66, naming: ["data"])
        }
        var model = try scratch.bytes("model.safetensors")
        let corruptions: [(String, [UInt8])] = [
            ("short", Array(model[0..<5])),
            ("truncated", Array(model.dropLast(8))),
            ("garbage", [UInt8](repeating: 0x7B, count: 4096)),
            ("header", { model[0] = 0xFF; model[5] = 0x40; return model }()),
        ]
        for (name, bytes) in corruptions {
            try scratch.write(bytes, to: "\(name).safetensors")
            for command in [["reconstruct", "--data", "data"], ["weightmap"]] {
                try Self.expectFailure(scratch, command + ["--model", "\(name).safetensors"], status: 65,
                                       naming: ["\(name).safetensors"])
            }
        }
    }

    @Test("--resume: missing checkpoint or state 66, corrupt state 65, state of other weights 65")
    func badResume() throws {
        let scratch = try Self.trained()
        let resume = tinyTraining(epochs: 3, ["--resume", "model.safetensors"])
        try Self.expectFailure(scratch, tinyTraining(epochs: 3, ["--resume", "absent.safetensors"]), status: 66,
                               naming: ["absent.safetensors"])
        try Self.expectFailure(scratch, tinyTraining(epochs: 3, ["--resume", "model.state.safetensors"]), status: 64,
                               naming: ["--resume", "model.safetensors"])

        let state = try scratch.bytes("model.state.safetensors")
        try FileManager.default.removeItem(atPath: scratch.path("model.state.safetensors"))
        try Self.expectFailure(scratch, resume, status: 66, naming: ["model.state.safetensors"])

        try scratch.write(Array(state.dropLast(4)), to: "model.state.safetensors")
        try Self.expectFailure(scratch, resume, status: 65, naming: ["model.state.safetensors"])

        // A state beside weights it was not saved with (another seed's model).
        try scratch.write(state, to: "model.state.safetensors")
        let other = try scratch.run(tinyTraining(epochs: 1, ["--seed", "5", "--out", "other.safetensors"]))
        try #require(other.status == 0, "\(other)")
        try scratch.write(try scratch.bytes("other.safetensors"), to: "model.safetensors")
        try Self.expectFailure(scratch, resume, status: 65, naming: ["model.state.safetensors", "model.safetensors"])
    }

    @Test("--resume with different settings exits 64 listing every difference")
    func resumeDifferentSettings() throws {
        let scratch = try Self.trained()
        let result = try scratch.run(tinyTraining(epochs: 3, ["--resume", "model.safetensors", "--hidden", "8",
                                                              "--seed", "3", "--drop-p", "0.5",
                                                              "--activation", "sigmoid", "--max-norm", "3"]))
        #expect(result.status == 64, "\(result)")
        for part in ["--hidden 8 (checkpoint: 16)", "--seed 3 (checkpoint: 0)", "--drop-p 0.5", "--activation sigmoid",
                     "--max-norm 3"] {
            #expect(result.stderr.contains(part), "stderr lacks \(part): \(result.stderr)")
        }
        let sameLength = try scratch.run(tinyTraining(epochs: 1, ["--resume", "model.safetensors"]))
        #expect(sameLength.status == 64, "\(sameLength)")
        #expect(sameLength.stderr.contains("--epochs"), "\(sameLength)")
        let fewerImages = try scratch.run(tinyTraining(epochs: 2, ["--resume", "model.safetensors", "--limit", "50"]))
        #expect(fewerImages.status == 64, "\(fewerImages)")
        #expect(fewerImages.stderr.contains("--limit 50"), "\(fewerImages)")
    }

    // MARK: - Divergence (1)

    @Test("a diverging run exits 1 naming epoch and step, leaving the checkpoint pair byte-identical")
    func diverged() throws {
        let scratch = try Self.trained()
        // --lr 1e12 does not do it: ReLU units die and the sigmoid output saturates, so the
        // loss stays finite. 3e38 overflows Adam's first step size lr / (1 - beta1).
        try Self.expectFailure(scratch, tinyTraining(epochs: 3, ["--resume", "model.safetensors", "--lr", "3e38"]),
                               status: 1, naming: ["diverged", "epoch 2", "step 7",
                                                   "The last checkpoint is unchanged."])
        // A fresh run over an existing checkpoint: it stays as it was.
        try Self.expectFailure(scratch, tinyTraining(epochs: 2, ["--lr", "3e38", "--log", "log.jsonl", "--force"]),
                               status: 1, naming: ["diverged", "epoch 1", "step 1",
                                                   "The last checkpoint is unchanged."])
        // A fresh run with nowhere saved yet says so.
        try Self.expectFailure(scratch, tinyTraining(epochs: 2, ["--lr", "3e38", "--out", "new.safetensors"]),
                               status: 1, naming: ["diverged", "Nothing was saved."])
    }

    @Test("whatever the learning rate, no checkpoint holds a non-finite weight", arguments: ["1e12", "1e30", "3e38"])
    func neverNaN(lr: String) throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(tinyTraining(epochs: 2, ["--lr", lr]))
        #expect(result.status == 0 || result.status == 1, "\(result)")
        if FileManager.default.fileExists(atPath: scratch.path("model.safetensors")) {
            let loaded = try Checkpoint.load(scratch.path("model.safetensors"))
            #expect(loaded.parameters.isFinite)
        }
        #expect(temporaries(in: scratch).isEmpty)
    }

    // MARK: - Outputs that would clobber another file (64) or another run's (73)

    /// train writes a model and its state: a name that is not a model's, or that is
    /// another output of the same run, is refused before anything is read or written
    /// (train --out model.state.safetensors overwrote another model's state, and --out
    /// model.png wrote a checkpoint named model.png).
    @Test func namesThatWouldClobberAreRefused() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let train = tinyTraining(epochs: 1)
        try Self.expectFailure(scratch, train + ["--out", "model.state.safetensors"], status: 64,
                               naming: ["--out", "model.state.safetensors", "training state"])
        try Self.expectFailure(scratch, train + ["--out", "model.png"], status: 64,
                               naming: ["--out", "model.png", ".safetensors"])
        try Self.expectFailure(scratch, train + ["--plot", "model.safetensors"], status: 64,
                               naming: ["--plot", "model.safetensors"])
        try Self.expectFailure(scratch, train + ["--plot", "m.svg", "--log", "m.svg"], status: 64,
                               naming: ["--log", "--plot", "m.svg"])
    }

    /// While one run writes a checkpoint pair, a second run onto the same --out is
    /// refused with 73 naming the file and the holder's pid (both used to print "saved",
    /// one run silently lost); the lock file goes when the holder releases it.
    @Test func aSecondWriterIsRefused() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let lock = try OutputLock(for: scratch.path("model.safetensors"), what: "--out")
        try Self.expectFailure(scratch, tinyTraining(epochs: 1), status: 73,
                               naming: ["--out", "model.safetensors", "process \(getpid())"])
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: OutputLock.path(for: scratch.path("model.safetensors"))))
        let result = try scratch.run(tinyTraining(epochs: 1))
        #expect(result.status == 0, "\(result)")
        #expect(!scratch.listing().contains(".model.safetensors.lock"), "\(scratch.listing())")
    }

    /// A save killed between its two renames (state replaced, model not) leaves the old
    /// state kept aside: --resume continues from the pair that belongs together, and
    /// ends bit for bit where the uninterrupted run did. Without the kept state the
    /// split pair is refused (65) as before.
    @Test func aSaveSplitBetweenItsRenamesResumes() throws {
        let scratch = try Self.trained()
        let firstModel = try scratch.bytes("model.safetensors")
        let firstState = try scratch.bytes("model.state.safetensors")
        let second = try scratch.run(tinyTraining(epochs: 2, ["--resume", "model.safetensors"]))
        try #require(second.status == 0, "\(second)")
        let secondModel = try scratch.bytes("model.safetensors")
        #expect(!scratch.listing().contains(".model.state.safetensors.previous"), "\(scratch.listing())")

        // what a kill between the renames leaves: the new state, the old model, the old state kept
        try scratch.write(firstModel, to: "model.safetensors")
        try Self.expectFailure(scratch, tinyTraining(epochs: 2, ["--resume", "model.safetensors"]), status: 65,
                               naming: ["model.state.safetensors", "cannot be resumed"])
        try scratch.write(firstState, to: ".model.state.safetensors.previous")
        let resumed = try scratch.run(tinyTraining(epochs: 2, ["--resume", "model.safetensors"]))
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try scratch.bytes("model.safetensors") == secondModel,
                "the resumed run's epoch 2 differs from the uninterrupted one's")
        #expect(!scratch.listing().contains(".model.state.safetensors.previous"), "\(scratch.listing())")
    }

    /// --log appends to a log only: an existing file that is not one (a checkpoint) is
    /// refused before training, unchanged; a log of earlier runs is appended to.
    @Test func logAppendsOnlyToALog() throws {
        let scratch = try Self.trained()
        try Self.expectFailure(scratch, tinyTraining(epochs: 1, ["--out", "b.safetensors", "--log",
                                                                 "model.safetensors"]),
                               status: 73, naming: ["--log", "model.safetensors", "not a JSON-lines log"])
        let first = try scratch.run(tinyTraining(epochs: 1, ["--out", "b.safetensors", "--log", "log.jsonl"]))
        try #require(first.status == 0, "\(first)")
        let again = try scratch.run(tinyTraining(epochs: 1, ["--out", "c.safetensors", "--log", "log.jsonl"]))
        #expect(again.status == 0, "\(again)")
        #expect(String(decoding: try scratch.bytes("log.jsonl"), as: UTF8.self).split(separator: "\n").count == 4)
    }

    /// --resume naming a directory is missing input (66) naming --resume, not --out.
    @Test func resumeFromADirectory() throws {
        let scratch = try Self.trained()
        try scratch.makeDirectory("adir")
        try Self.expectFailure(scratch, tinyTraining(epochs: 2, ["--resume", "adir"]), status: 66,
                               naming: ["--resume adir", "is a directory"])
    }
}
