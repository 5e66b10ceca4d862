import ArgumentParser
import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// The dropout papers' flags: --keep-p, --dropout-scaling, --input-drop-p, --max-norm on
/// train, and --inference on reconstruct.
@Suite struct RegularizerFlagTests {
    static let badFlags: [(arguments: [String], flag: String)] = [
        (["train", "--keep-p", "0.5", "--drop-p", "0.5"], "--keep-p"),
        (["train", "--keep-p", "0"], "--keep-p"),
        (["train", "--keep-p", "1.5"], "--keep-p"),
        (["train", "--keep-p=-0.2"], "--keep-p"),
        (["train", "--keep-p", "nan"], "--keep-p"),
        // 1 - keep rounds to a drop probability of 1 in Float: every unit dropped
        (["train", "--keep-p", "1e-40"], "--keep-p must be in (0, 1] and above 3e-8"),
        (["train", "--keep-p", "2.9e-8"], "--keep-p"),
        (["train", "--dropout-scaling", "sideways"], "--dropout-scaling"),
        (["train", "--dropout-scaling", "classic", "--drop-mode", "dropconnect"], "--dropout-scaling"),
        (["train", "--dropout-scaling", "classic", "--drop-mode", "gaussian", "--drop-p", "0.5"],
         "--dropout-scaling classic applies to --drop-mode dropout only; Gaussian dropout"),
        (["train", "--drop-mode", "gaussian"], "--drop-mode gaussian needs --drop-p"),
        (["compare", "--models", "none,zoneout"], "--models: unknown model zoneout"),
        (["compare", "--models", "none,dropout,none"], "--models must name each of"),
        (["compare", "--models", "dropout,gaussian"], "--models must name none"),
        (["compare", "--models", "none"], "--models must name none and at least one regularizer"),
        (["sweep", "--drop-p", "0.2,0.5", "--models", "gaussian,gaussian"], "--models must name each of"),
        (["train", "--input-drop-p", "1"], "--input-drop-p"),
        (["train", "--input-drop-p=-0.1"], "--input-drop-p"),
        (["train", "--max-norm", "0"], "--max-norm"),
        (["train", "--max-norm=-2"], "--max-norm"),
        (["train", "--max-norm", "inf"], "--max-norm"),
        (["reconstruct", "--inference", "sample:0"], "--inference"),
        (["reconstruct", "--inference", "sample:"], "--inference"),
        (["reconstruct", "--inference", "median"], "--inference"),
        (["reconstruct", "--inference", "sample:1001"], "--inference sample:K must be in 1...1000, got 1001"),
        // settings of a regularizer the run does not use
        (["train", "--dropconnect-masks", "batch"], "--dropconnect-masks"),
        (["train", "--drop-p", "0.5", "--dropconnect-masks", "batch"], "--dropconnect-masks"),
        (["train", "--dropout-scaling", "classic"], "--dropout-scaling"),
        (["train", "--drop-mode", "dropconnect"], "--drop-mode"),
        (["train", "--drop-mode", "dropconnect", "--keep-p", "1"], "--drop-mode"),
        (["reconstruct", "--inference", "sample:-4"], "--inference"),
        // DropConnect's masks drop in steps of 1/256: these round to none or to all
        (["train", "--drop-mode", "dropconnect", "--drop-p", "0.001"],
         "--drop-p 0.001 rounds to 0, dropping no connection"),
        (["train", "--drop-mode", "dropconnect", "--drop-p", "0.999"],
         "--drop-p 0.999 rounds to 1, dropping every connection"),
        (["train", "--drop-mode", "dropconnect", "--keep-p", "0.9995"], "--keep-p 0.9995 rounds to 0"),
        (["bench", "--modes", "none,dropconnect-batch", "--drop-p", "0.001"], "under DropConnect"),
        (["bench", "--modes", "none,dropout,none"], "--modes lists none twice"),
        // empty names
        (["train", "--data", ""], "--data must name a directory or .npz file"),
        (["reconstruct", "--model", ""], "--model must name a file"),
        (["reconstruct", "--out", ""], "--out must name a file"),
        (["info", ""], "must name a file"),
    ]

    /// The edges of DropConnect's drop probabilities: 0.002 and 0.998 keep a step of
    /// 1/256 from none and from all, and dropout takes any p.
    @Test func dropConnectEdgesAreAccepted() throws {
        for p in ["0.002", "0.998", "0.5"] {
            _ = try Autoenc.parseAsRoot(["train", "--drop-mode", "dropconnect", "--drop-p", p])
        }
        _ = try Autoenc.parseAsRoot(["train", "--drop-p", "0.001"])
        #expect(DropConnectMask.problem(dropP: 0.002, given: "") == nil
                && DropConnectMask.problem(dropP: 0.998, given: "") == nil)
        #expect(DropConnectMask.problem(dropP: 0.0019, given: "") != nil
                && DropConnectMask.problem(dropP: 0.9981, given: "") != nil)
    }

    @Test("bad values are usage errors naming the flag", arguments: badFlags)
    func badFlag(arguments: [String], flag: String) {
        expectUsageError(arguments, naming: flag)
    }

    @Test func keepPSetsDropP() throws {
        let parsed = try Autoenc.parseAsRoot(["train", "--keep-p", "0.8", "--input-drop-p", "0.2",
                                              "--max-norm", "3", "--dropout-scaling", "classic"])
        let command = try #require(parsed as? Train)
        let settings = command.plan.request.newRun()
        #expect(settings.config.dropP == 1 - Float(0.8))
        #expect(settings.config.inputDropP == 0.2)
        #expect(settings.config.maxNorm == 3)
        #expect(settings.config.scaling == .classic)
        let defaults = try #require(try Autoenc.parseAsRoot(["train"]) as? Train).plan.request.newRun()
        #expect(defaults.config == ModelConfig())
        let keepAll = try #require(try Autoenc.parseAsRoot(["train", "--keep-p", "1"]) as? Train).plan.request.newRun()
        #expect(keepAll.config.dropP == 0)
        let rule = try #require(try Autoenc.parseAsRoot(["reconstruct", "--inference", "sample:16"]) as? Reconstruct)
        #expect(rule.inference == .sample(16))
    }

    @Test func helpListsTheFlags() {
        let train = Train.helpMessage()
        for flag in ["--keep-p", "--dropout-scaling", "--input-drop-p", "--max-norm", "inverted", "classic"] {
            #expect(train.contains(flag), "train --help lacks \(flag)")
        }
        let reconstruct = Reconstruct.helpMessage()
        #expect(reconstruct.contains("--inference") && reconstruct.contains("sample:K"), "\(reconstruct)")
    }

    /// A classic-scaled run with every new knob: the checkpoint records the settings and
    /// holds w2 * (1 - p) next to the state's unscaled w2; stopping after two epochs and
    /// resuming to four gives the weights of four in one go; a resume with a different
    /// setting is refused; reconstruct reports the MSE under sample:K.
    @Test func classicRunResumesExactly() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let flags = ["--keep-p", "0.5", "--dropout-scaling", "classic", "--input-drop-p", "0.2", "--max-norm", "2"]
        let whole = try scratch.run(tinyTraining(epochs: 4, flags + ["--out", "whole.safetensors"]))
        try #require(whole.status == 0, "\(whole)")
        #expect(whole.stdout.contains("input dropout p_drop 0.2, dropout p_drop 0.5, classic scaling, max-norm 2.0"),
                "\(whole)")
        let half = try scratch.run(tinyTraining(epochs: 2, flags + ["--out", "split.safetensors"]))
        try #require(half.status == 0, "\(half)")

        let model = try Checkpoint.load(scratch.path("split.safetensors"))
        #expect(model.metadata["dropout_scaling"] == "classic")
        #expect(model.metadata["input_drop_p"] == "0.2")
        #expect(model.metadata["max_norm"] == "2.0")
        #expect(model.metadata["drop_p"] == "0.5")
        let state = try TrainingState.load(scratch.path("split.state.safetensors"))
        let unscaled = try #require(state.unscaledDecoderWeight)
        let p = model.parameters
        #expect((0..<unscaled.count).allSatisfy { p.w2[$0] == unscaled[$0] * 0.5 },
                "saved decoder.weight is not w2 * (1 - p)")

        let refused = try scratch.run(["train", "--data", "data", "--threads", "1", "--epochs", "4", "--resume",
                                       "split.safetensors",
                                       "--dropout-scaling", "inverted", "--max-norm", "3"])
        #expect(refused.status == 64, "\(refused)")
        #expect(refused.stderr.contains("--dropout-scaling inverted") && refused.stderr.contains("--max-norm 3"),
                "\(refused)")

        let rest = try scratch.run(["train", "--data", "data", "--threads", "1", "--epochs", "4", "--resume",
                                    "split.safetensors",
                                    "--keep-p", "0.5", "--max-norm", "2"])
        try #require(rest.status == 0, "\(rest)")
        let a = try safetensorsParts(try scratch.bytes("whole.safetensors"))
        let b = try safetensorsParts(try scratch.bytes("split.safetensors"))
        #expect(a.data == b.data, "resumed weights differ from an uninterrupted run's")
        #expect(try scratch.bytes("whole.state.safetensors") == scratch.bytes("split.state.safetensors"))

        // reconstruct under each rule; a dropout model is the same under both
        let mean = try scratch.run(["reconstruct", "--data", "data", "--model", "whole.safetensors", "--count", "4"])
        let sampled = try scratch.run(["reconstruct", "--data", "data", "--model", "whole.safetensors", "--count", "4",
                                       "--inference", "sample:8"])
        #expect(mean.status == 0 && sampled.status == 0, "\(mean)\n\(sampled)")
        #expect(sampled.stdout.contains("(inference sample:8, the same as mean for this model)"), "\(sampled)")
        func mse(_ r: RunResult) -> String {
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("test_mse") }
            return String(line?.split(separator: " ")[1] ?? "")
        }
        #expect(mse(mean) == mse(sampled) && !mse(mean).isEmpty, "\(mean)\n\(sampled)")
    }

    /// DropConnect: sample:K changes the reported MSE, only a little.
    /// train --drop-mode gaussian end to end: it says so, records drop_mode gaussian in the
    /// checkpoint, learns, and reconstruct reads the model (inference: no noise).
    @Test func gaussianDropoutTrains() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let train = try scratch.run(tinyTraining(epochs: 2, ["--drop-p", "0.5", "--drop-mode", "gaussian"]))
        try #require(train.status == 0, "\(train)")
        #expect(train.stdout.contains("Gaussian dropout p_drop 0.5 (sigma 1.0)"), "\(train)")
        let info = try scratch.run(["info", "model.safetensors"])
        #expect(info.status == 0 && info.stdout.contains("gaussian"), "\(info)")
        let mean = try scratch.run(["reconstruct", "--data", "data", "--count", "4"])
        #expect(mean.status == 0 && mean.stdout.contains("test_mse"), "\(mean)")
    }

    @Test func dropConnectSampledInference() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let train = try scratch.run(tinyTraining(epochs: 1, ["--drop-p", "0.5", "--drop-mode", "dropconnect"]))
        try #require(train.status == 0, "\(train)")
        let mean = try scratch.run(["reconstruct", "--data", "data", "--count", "4", "--inference", "mean"])
        let sampled = try scratch.run(["reconstruct", "--data", "data", "--count", "4", "--inference", "sample:32"])
        #expect(mean.status == 0 && sampled.status == 0, "\(mean)\n\(sampled)")
        #expect(sampled.stdout.contains("(inference sample:32)"), "\(sampled)")
        func mse(_ r: RunResult) -> Double? {
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("test_mse") }
            return line.flatMap { Double($0.split(separator: " ")[1]) }
        }
        let m = try #require(mse(mean)), s = try #require(mse(sampled))
        #expect(m != s && abs(m - s) < 0.2 * m, "mean \(m), sample:32 \(s)")
    }
}
