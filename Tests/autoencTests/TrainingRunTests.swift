import AutoencKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whole training runs on fixtures: logs, resuming, signals, and the train ->
/// reconstruct -> weightmap chain.
@Suite struct TrainingRunTests {
    // MARK: - End to end

    @Test("train, reconstruct and weightmap chain with default file names")
    func chain() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let train = try scratch.run(["train", "--data", "data", "--limit", "64", "--hidden", "16", "--epochs", "2",
                                     "--batch-size", "16", "--threads", "1", "--drop-p", "0.5"])
        #expect(train.status == 0, "\(train)")
        #expect(train.stdout.contains("epoch 2/2"), "\(train)")
        #expect(train.stdout.contains("64 training"), "\(train)")
        let reconstruct = try scratch.run(["reconstruct", "--data", "data", "--count", "8"])
        #expect(reconstruct.status == 0, "\(reconstruct)")
        #expect(reconstruct.stdout.contains("test_mse"), "\(reconstruct)")
        let weightmap = try scratch.run(["weightmap", "--scale", "2"])
        #expect(weightmap.status == 0, "\(weightmap)")
        #expect(scratch.listing() == ["data", "model.safetensors", "model.state.safetensors", "reconstructions.pgm",
                                      "weightmap.pgm"])

        for name in ["reconstructions.pgm", "weightmap.pgm"] {
            let bytes = try scratch.bytes(name)
            let (width, height, headerLength) = try Self.pgmHeader(bytes, name)
            #expect(bytes.count == headerLength + width * height, "\(name): \(width)x\(height), \(bytes.count) bytes")
        }
        let (width, height, _) = try Self.pgmHeader(try scratch.bytes("weightmap.pgm"), "weightmap.pgm")
        #expect(width * height >= 16 * 28 * 28 * 4, "weightmap \(width)x\(height) cannot hold 16 tiles at scale 2")

        // The model file holds exactly the four nn.Linear tensors (strict PyTorch loading).
        let model = try safetensorsParts(try scratch.bytes("model.safetensors"))
        #expect(model.keys == ["__metadata__", "encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"])
        let state = try TrainingState.load(scratch.path("model.state.safetensors"))
        #expect(state.epochsCompleted == 2)
        #expect(state.step == 8)
        #expect(state.config.dropP == 0.5)
    }

    /// Parses `P5\n<w> <h>\n255\n`.
    static func pgmHeader(_ bytes: [UInt8], _ name: String) throws -> (Int, Int, Int) {
        let prefix = String(decoding: bytes.prefix(32), as: UTF8.self)
        let fields = prefix.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false)
        try #require(fields.count == 4, "\(name): header \(prefix.debugDescription)")
        #expect(fields[0] == "P5", "\(name)")
        #expect(fields[2] == "255", "\(name)")
        let size = fields[1].split(separator: " ").compactMap { Int($0) }
        try #require(size.count == 2, "\(name): size line \(fields[1])")
        return (size[0], size[1], fields[0].count + fields[1].count + fields[2].count + 3)
    }

    // MARK: - Log and temporaries

    @Test("--log appends one parseable JSON object per epoch")
    func log() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let first = try scratch.run(tinyTraining(epochs: 2, ["--log", "log.jsonl"]))
        #expect(first.status == 0, "\(first)")
        let second = try scratch.run(tinyTraining(epochs: 3, ["--resume", "model.safetensors", "--log", "log.jsonl"]))
        #expect(second.status == 0, "\(second)")
        let lines = try String(contentsOfFile: scratch.path("log.jsonl"), encoding: .utf8).split(separator: "\n")
        let records = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
        // each run's record, then its epochs: two runs told apart by their ids
        try #require(records.count == 5, "\(lines)")
        let runs = [records[0], records[3]]
        #expect(runs.allSatisfy { Set($0.keys) == ["run", "started", "resumed_at", "autoenc_version", "command", "blas",
                                                   "settings"] }, "\(runs)")
        #expect(runs.allSatisfy { $0["autoenc_version"] as? String == Provenance.version }, "\(runs)")
        #expect((runs[1]["command"] as? String)?.hasPrefix("autoenc train --data data") == true, "\(runs)")
        // settings: numbers as numbers, words and digests as strings
        let settings = try #require(runs[0]["settings"] as? [String: Any])
        #expect(settings["hidden"] as? Int == 16 && settings["lr"] as? Double == 0.001, "\(settings)")
        #expect(settings["activation"] as? String == "relu" && settings["data_digest"] is String, "\(settings)")
        #expect(runs[0]["resumed_at"] is NSNull && (runs[1]["resumed_at"] as? [String: Any])?["epoch"] as? Int == 3,
                "\(runs)")
        let ids = runs.compactMap { $0["run"] as? String }
        #expect(ids.count == 2 && ids[0] != ids[1], "\(ids)")
        let epochs = [records[1], records[2], records[4]]
        #expect(epochs.map { $0["run"] as? String } == [ids[0], ids[0], ids[1]])
        for (index, record) in epochs.enumerated() {
            let line = "\(record)"
            #expect(Set(record.keys) == ["run", "epoch", "train_loss", "test_mse", "seconds",
                                         "images_per_second"], "\(line)")
            #expect((record["epoch"] as? NSNumber)?.intValue == index + 1, "\(line)")
            for key in ["train_loss", "test_mse"] {
                let value = try #require((record[key] as? NSNumber)?.doubleValue, "\(key) in \(line)")
                #expect(value.isFinite && value >= 0, "\(line)")
            }
        }
    }

    @Test("temporary files of killed runs are removed at start; a live process's are kept")
    func staleTemporaries() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let dead = Int32.max - 1 // above any pid_max
        let stale = [".model.safetensors.tmp-\(dead)", ".model.state.safetensors.tmp-\(dead)"]
        let live = ".model.safetensors.tmp-\(getpid())"
        for name in stale + [live] { try scratch.write([1, 2, 3], to: name) }
        let result = try scratch.run(tinyTraining(epochs: 1))
        #expect(result.status == 0, "\(result)")
        #expect(temporaries(in: scratch) == [live])
    }

    @Test("outputs through a symbolic link replace the file it leads to; --log /dev/null works")
    func symlinkedOutputs() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        try scratch.makeDirectory("real")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("model.safetensors"),
                                                   withDestinationPath: "real/model.safetensors")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("weightmap.pgm"),
                                                   withDestinationPath: scratch.path("real/w.pgm"))
        let train = try scratch.run(tinyTraining(epochs: 1, ["--log", "/dev/null"]))
        #expect(train.status == 0, "\(train)")
        let weightmap = try scratch.run(["weightmap"])
        #expect(weightmap.status == 0, "\(weightmap)")
        for link in ["model.safetensors", "weightmap.pgm"] {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: scratch.path(link))) != nil,
                    "\(link) is no longer a link")
        }
        #expect(scratch.listing("real") == ["model.safetensors", "w.pgm"])
        _ = try Checkpoint.load(scratch.path("model.safetensors"))
    }

    // MARK: - Resume

    @Test("two epochs, then --resume to four, is bit-identical to four in one go")
    func resumeIsExact() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        for flags in [[], ["--drop-p", "0.3", "--drop-mode", "dropconnect"],
                      ["--drop-p", "0.5", "--optimizer", "momentum"],
                      ["--keep-p", "0.5", "--dropout-scaling", "classic", "--input-drop-p", "0.2", "--max-norm", "2"]] {
            let whole = try scratch.run(tinyTraining(epochs: 4, flags + ["--out", "whole.safetensors", "--force"]))
            try #require(whole.status == 0, "\(whole)")
            let half = try scratch.run(tinyTraining(epochs: 2, flags + ["--out", "split.safetensors", "--force"]))
            try #require(half.status == 0, "\(half)")
            let halfModel = try scratch.bytes("split.safetensors")
            let rest = try scratch.run(["train", "--data", "data", "--threads", "1", "--epochs", "4", "--resume",
                                        "split.safetensors"])
            try #require(rest.status == 0, "\(rest)")
            #expect(rest.stdout.contains("epoch 3/4") && !rest.stdout.contains("epoch 2/4"), "\(rest)")

            let a = try safetensorsParts(try scratch.bytes("whole.safetensors"))
            let b = try safetensorsParts(try scratch.bytes("split.safetensors"))
            #expect(a.data == b.data, "\(flags): resumed weights differ from an uninterrupted run's")
            #expect(try safetensorsParts(halfModel).data != b.data, "\(flags): resuming trained nothing")
            #expect(try scratch.bytes("whole.state.safetensors") == scratch.bytes("split.state.safetensors"),
                    "\(flags)")
        }
    }

    // MARK: - Signals

    /// Starts a long training run and waits until its first checkpoint exists.
    static func startLongRun(_ scratch: Scratch, name: String, _ more: [String] = []) throws -> (Process, URL, URL) {
        let run = try CLI.start(tinyTraining(epochs: 100_000, more), in: scratch.url, name: name)
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: scratch.path("model.state.safetensors"))
            || !FileManager.default.fileExists(atPath: scratch.path("model.safetensors")) {
            guard run.0.isRunning, Date() < deadline else {
                kill(run.0.processIdentifier, SIGKILL)
                run.0.waitUntilExit()
                let result = CLI.finish(run.0, run.1, run.2)
                Issue.record("no checkpoint appeared: \(result)")
                throw CancellationError()
            }
            usleep(20_000)
        }
        usleep(50_000) // into the next epoch
        return run
    }

    @Test("SIGINT / SIGTERM: finish the step, save a loadable pair, exit 128 + signal", arguments: [SIGINT, SIGTERM])
    func signal(_ signal: Int32) throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let run = try Self.startLongRun(scratch, name: "long")
        kill(run.0.processIdentifier, signal)
        CLI.wait(run.0, ["train", "interrupted by signal \(signal)"], limit: 60)
        let result = CLI.finish(run.0, run.1, run.2)
        #expect(run.0.terminationReason == .exit, "\(result)")
        #expect(result.status == 128 + signal, "\(result)")
        #expect(result.stderr.contains(signal == SIGINT ? "SIGINT" : "SIGTERM"), "\(result)")
        #expect(result.stderr.contains("--resume"), "\(result)")
        #expect(temporaries(in: scratch).isEmpty)

        let model = try Checkpoint.load(scratch.path("model.safetensors"))
        let state = try TrainingState.load(scratch.path("model.state.safetensors"))
        #expect(TrainingState.digest(model.parameters) == state.modelDigest)
        #expect(model.metadata["step"] == String(state.step))

        // It resumes, and finishes the epoch it was in.
        let resumed = try scratch.run(["train", "--data", "data", "--threads", "1", "--resume", "model.safetensors",
                                       "--epochs", String(state.epochsCompleted + 1)])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try TrainingState.load(scratch.path("model.state.safetensors")).epochsCompleted
                == state.epochsCompleted + 1)

        // Wherever the signal landed (mid-epoch, usually), stopping and resuming changed nothing.
        let whole = try scratch.run(tinyTraining(epochs: state.epochsCompleted + 1, ["--out", "whole.safetensors"]))
        try #require(whole.status == 0, "\(whole)")
        let a = try safetensorsParts(try scratch.bytes("whole.safetensors"))
        let b = try safetensorsParts(try scratch.bytes("model.safetensors"))
        #expect(a.data == b.data, "stopped at step \(state.step), resumed: weights differ from an uninterrupted run's")
    }

    @Test("a second signal exits at once; the checkpoint still loads")
    func secondSignal() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let run = try Self.startLongRun(scratch, name: "long")
        kill(run.0.processIdentifier, SIGTERM)
        kill(run.0.processIdentifier, SIGTERM)
        CLI.wait(run.0, ["train", "interrupted twice"], limit: 60)
        let result = CLI.finish(run.0, run.1, run.2)
        #expect(result.status == 128 + SIGTERM, "\(result)")
        _ = try Checkpoint.load(scratch.path("model.safetensors"))
    }

    // MARK: - The data a run was trained on

    /// A second data set with the same counts as `data/` but other images.
    static func otherData(_ scratch: Scratch, in directory: String) throws {
        try scratch.makeDirectory(directory)
        try scratch.write(Fixtures.idxImages(Fixtures.images(count: Fixtures.trainCount, seed: 7),
                                             count: Fixtures.trainCount),
                          to: directory + "/" + DataLocation.trainImages)
        try scratch.write(Fixtures.idxImages(Fixtures.images(count: Fixtures.testCount, seed: 8),
                                             count: Fixtures.testCount),
                          to: directory + "/" + DataLocation.testImages)
    }

    /// --resume trains on the data set the checkpoint records (it used to fall back to
    /// the default data set, checking only the count), refuses other images of the same
    /// count with one line naming both, and says when the recorded set is gone.
    @Test func resumeKeepsItsDataSet() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        try Self.otherData(scratch, in: "digits")
        let first = try scratch.run(["train", "--data", "digits", "--limit", "32", "--hidden", "8",
                                     "--batch-size", "16",
                                     "--threads", "1", "--epochs", "1"])
        #expect(first.status == 0, "\(first)")
        let state = try TrainingState.load(scratch.path("model.state.safetensors"))
        #expect(state.dataset == scratch.path("digits"), "\(state.dataset ?? "none")")
        // the same count of other images
        let other = try scratch.run(["train", "--resume", "model.safetensors", "--epochs", "2", "--data", "data"])
        #expect(other.status == 64, "\(other)")
        #expect(other.stderr.contains("the training images in data are not those the checkpoint was trained on")
                && other.stderr.contains(scratch.path("digits")) && other.stderr.contains("leave --data out"),
                "\(other)")
        // without --data: the recorded set
        let resumed = try scratch.run(["train", "--resume", "model.safetensors", "--epochs", "2"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("data: \(scratch.path("digits")) (32 training"), "\(resumed)")
        // the recorded set is gone
        try FileManager.default.moveItem(atPath: scratch.path("digits"), toPath: scratch.path("moved"))
        let gone = try scratch.run(["train", "--resume", "model.safetensors", "--epochs", "3"])
        #expect(gone.status == 66, "\(gone)")
        #expect(gone.stderr.contains(scratch.path("digits")) && gone.stderr.contains("--data"), "\(gone)")
    }

    /// reconstruct and activations say when their images come from another data set
    /// than the model was trained on, and say nothing when they do not.
    @Test func evaluationNamesOtherData() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        try Self.otherData(scratch, in: "digits")
        let train = try scratch.run(tinyTraining(epochs: 1))
        #expect(train.status == 0, "\(train)")
        let same = try scratch.run(["reconstruct", "--data", "data"])
        #expect(same.status == 0 && !same.stdout.contains("note:"), "\(same)")
        let other = try scratch.run(["reconstruct", "--data", "digits"])
        #expect(other.status == 0, "\(other)")
        let note = """
            note: the model was trained on \(scratch.path("data")); \
            these images are from \(scratch.path("digits"))
            """
        #expect(other.stdout.contains(note), "\(other)")
        let activations = try scratch.run(["activations", "--data", "digits", "--threads", "1"])
        #expect(activations.status == 0 && activations.stdout.contains("note: the model was trained on"),
                "\(activations)")
    }
}
