import AutoencKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A new user's day, each defect with the test that would have caught it: the commands
/// that read a model score it on its own data, a new run never replaces a model
/// silently, a resumed run goes on with its log and chart, a stalled loss is said, and
/// a training state holding values that are not finite is refused.
@Suite struct NewUserTests {
    // MARK: - The data the model records

    /// The MSE `reconstruct` prints: "test_mse 0.012345 over N images".
    static func mse(_ result: RunResult) -> String? {
        result.stdout.split(separator: "\n").first { $0.hasPrefix("test_mse ") }.map(String.init)
    }

    @Test func evaluationUsesTheRecordedData() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch) // data/: what the commands would read by default (./Data is not there)
        try TrainingRunTests.otherData(scratch, in: "digits")
        let train = try scratch.run(["train", "--data", "digits", "--hidden", "16", "--batch-size", "16",
                                     "--threads", "1", "--epochs", "1"])
        try #require(train.status == 0, "\(train)")

        // no --data: the recorded digits, no note, the same MSE as naming them
        let plain = try scratch.run(["reconstruct", "--threads", "1"])
        let named = try scratch.run(["reconstruct", "--threads", "1", "--data", "digits", "--out", "named.pgm"])
        #expect(plain.status == 0 && named.status == 0, "\(plain)\n\(named)")
        #expect(!plain.stdout.contains("note:"), "\(plain)")
        #expect(Self.mse(plain) != nil && Self.mse(plain) == Self.mse(named), "\(plain)\n\(named)")
        // other data named explicitly: scored there, with today's note
        let other = try scratch.run(["reconstruct", "--threads", "1", "--data", "data", "--out", "other.pgm"])
        #expect(other.status == 0 && other.stdout.contains("note: the model was trained on \(scratch.path("digits"))"),
                "\(other)")
        #expect(Self.mse(other) != Self.mse(plain), "\(other)")
        for command in [["weightmap", "--out", "w.pgm"], ["activations", "--threads", "1", "--out", "act"]] {
            let result = try scratch.run(command)
            #expect(result.status == 0 && !result.stdout.contains("note:"), "\(result)")
        }

        // the recorded test images changed: refused, naming the data set and --data
        try scratch.write(Fixtures.idxImages(Fixtures.images(count: Fixtures.testCount, seed: 9),
                                             count: Fixtures.testCount),
                          to: "digits/" + DataLocation.testImages)
        for command in [["reconstruct", "--out", "changed.pgm"], ["weightmap", "--out", "changed-w.pgm"],
                        ["activations", "--out", "changed-act"]] {
            let changed = try scratch.run(command)
            #expect(changed.status == 66, "\(changed)")
            #expect(changed.stderr.contains("digits") && changed.stderr.contains("has changed")
                    && changed.stderr.contains("--data"), "\(changed)")
            #expect(!scratch.listing().contains(command[2]), "\(command): wrote \(command[2])")
        }
        // the recorded data set moved away: refused, naming it and --data
        try FileManager.default.moveItem(atPath: scratch.path("digits"), toPath: scratch.path("moved"))
        let gone = try scratch.run(["reconstruct", "--out", "gone.pgm"])
        #expect(gone.status == 66, "\(gone)")
        #expect(gone.stderr.contains(scratch.path("digits")) && gone.stderr.contains("--data"), "\(gone)")
        let elsewhere = try scratch.run(["reconstruct", "--data", "moved", "--out", "moved.pgm"])
        #expect(elsewhere.status == 0 && Self.mse(elsewhere) != nil, "\(elsewhere)")
    }

    // MARK: - Nothing overwritten silently

    @Test func aNewRunDoesNotReplaceAModel() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let first = try scratch.run(tinyTraining(epochs: 2, ["--out", "m.safetensors", "--drop-p", "0.5"]))
        try #require(first.status == 0, "\(first)")
        let model = try scratch.bytes("m.safetensors"), state = try scratch.bytes("m.state.safetensors")

        let again = try scratch.run(tinyTraining(epochs: 1, ["--out", "m.safetensors"]))
        #expect(again.status == 73, "\(again)")
        for part in ["--out m.safetensors", "2 epochs", "dropout p_drop 0.5", "saved 2", "--resume m.safetensors",
                     "--force", "another --out"] {
            #expect(again.stderr.contains(part), "missing \(part): \(again)")
        }
        #expect(again.stderr.split(separator: "\n").count == 1, "\(again)")
        #expect(try scratch.bytes("m.safetensors") == model && scratch.bytes("m.state.safetensors") == state)

        // --resume of another pair onto it is refused the same way; onto itself it continues
        let elsewhere = try scratch.run(tinyTraining(epochs: 1, ["--out", "n.safetensors"]))
        try #require(elsewhere.status == 0, "\(elsewhere)")
        let onto = try scratch.run(tinyTraining(epochs: 2, ["--resume", "n.safetensors", "--out", "m.safetensors"]))
        #expect(onto.status == 73 && onto.stderr.contains("--force"), "\(onto)")
        #expect(try scratch.bytes("m.safetensors") == model)
        let resumed = try scratch.run(tinyTraining(epochs: 3, ["--resume", "m.safetensors"]))
        #expect(resumed.status == 0, "\(resumed)")

        // a lone training state is not lost either
        try FileManager.default.removeItem(atPath: scratch.path("n.safetensors"))
        let lone = try scratch.run(tinyTraining(epochs: 1, ["--out", "n.safetensors"]))
        #expect(lone.status == 73 && lone.stderr.contains("its training state n.state.safetensors holds"), "\(lone)")

        let forced = try scratch.run(tinyTraining(epochs: 1, ["--out", "m.safetensors", "--force"]))
        #expect(forced.status == 0, "\(forced)")
        #expect(try Checkpoint.load(scratch.path("m.safetensors")).metadata["epoch"] == "1")
    }

    // MARK: - Resume keeps the log and the chart

    @Test func resumeGoesOnWithTheLogAndChart() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        try scratch.makeDirectory("records")
        let run = try TrainingRunTests.startLongRun(scratch, name: "logged",
                                                    ["--log", "records/log.jsonl", "--plot", "records/curve.svg"])
        // until an epoch line is logged
        let deadline = Date().addingTimeInterval(120)
        func logLines() -> [Substring] {
            ((try? String(contentsOfFile: scratch.path("records/log.jsonl"), encoding: .utf8)) ?? "")
                .split(separator: "\n")
        }
        while logLines().count < 2 && Date() < deadline && run.0.isRunning { usleep(20_000) }
        kill(run.0.processIdentifier, SIGINT)
        CLI.wait(run.0, ["train", "interrupted"], limit: 60)
        let stopped = CLI.finish(run.0, run.1, run.2)
        #expect(stopped.status == 130, "\(stopped)")
        #expect(stopped.stderr.contains("--log records/log.jsonl --plot records/curve.svg"), "\(stopped)")
        let before = logLines().count
        try #require(before >= 2, "\(stopped)")
        let state = try TrainingState.load(scratch.path("model.state.safetensors"))
        #expect(state.log == scratch.path("records/log.jsonl") && state.plot == scratch.path("records/curve.svg"))
        try FileManager.default.removeItem(atPath: scratch.path("records/curve.svg"))

        // resumed from another directory, without --log or --plot: both go on
        try scratch.makeDirectory("elsewhere")
        let resumed = try CLI.run(["train", "--resume", scratch.path("model.safetensors"), "--data",
                                   scratch.path("data"),
                                   "--threads", "1", "--epochs", String(state.epochsCompleted + 1)],
                                  in: scratch.url.appendingPathComponent("elsewhere"))
        #expect(resumed.status == 0, "\(resumed)")
        let lines = logLines()
        #expect(lines.count == before + 2, "\(lines)") // the resumed run's record and its epoch's
        let last = try JSONSerialization.jsonObject(with: Data(lines[lines.count - 1].utf8)) as? [String: Any]
        #expect(last?["epoch"] as? Int == state.epochsCompleted + 1, "\(lines)")
        #expect(FileManager.default.fileExists(atPath: scratch.path("records/curve.svg")))
        #expect(scratch.listing("elsewhere").isEmpty, "\(scratch.listing("elsewhere"))")
    }

    // MARK: - Learning that has stopped

    @Test func aStalledLossIsSaid() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let stuck = try scratch.run(tinyTraining(epochs: 4, ["--lr", "100"]))
        #expect(stuck.status == 0, "\(stuck)")
        let warnings = stuck.stdout.split(separator: "\n").filter {
            $0.hasPrefix("warning: the training loss has not moved")
        }
        #expect(warnings.count == 1 && warnings[0].contains("--lr"), "\(stuck)")
        let learning = try scratch.run(tinyTraining(epochs: 4, ["--out", "learning.safetensors"]))
        #expect(learning.status == 0 && !learning.stdout.contains("warning:"), "\(learning)")
    }

    // MARK: - Bad values in a training state

    @Test(arguments: ["exp_avg", "exp_avg_sq"])
    func aStateThatIsNotFiniteIsRefused(_ buffer: String) throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let first = try scratch.run(tinyTraining(epochs: 1))
        try #require(first.status == 0, "\(first)")
        let path = scratch.path("model.state.safetensors")
        var state = try TrainingState.load(path)
        state.buffers[buffer]![5] = .nan
        try Data(state.encode()).write(to: URL(fileURLWithPath: path))
        let model = try scratch.bytes("model.safetensors"), bytes = try scratch.bytes("model.state.safetensors")
        let resumed = try scratch.run(tinyTraining(epochs: 2, ["--resume", "model.safetensors"]))
        #expect(resumed.status == 65, "\(resumed)")
        #expect(resumed.stderr.contains("model.state.safetensors")
                && resumed.stderr.contains("encoder.weight.\(buffer)") && resumed.stderr.contains("nan"), "\(resumed)")
        #expect(try scratch.bytes("model.safetensors") == model && scratch.bytes("model.state.safetensors") == bytes)
    }
}
