import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// What `train` starts from, without the command line: the pair claimed, the names of
/// its records checked, the data found and cut, and the settings of a new or resumed run
/// (`TrainingRun.Setup`).
@Suite struct TrainingSetupTests {
    /// Trains every epoch, silently.
    final class Silent: TrainingObserver {
        var shouldStop: Bool { false }
        func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
                   train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
            try train { _, _, _ in }
        }
        func completed(_ report: EpochReport, of epochs: Int) throws {}
    }

    /// A data set of 8 training and 4 test images in `dir`/data.
    static func data(_ dir: TemporaryDirectory) throws -> String {
        let data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try dir.write("data/" + DataLocation.trainImages, Fixtures.images(count: 8))
        try dir.write("data/" + DataLocation.testImages, Fixtures.images(count: 4, salt: 1))
        return data
    }

    static func request(hidden: Int = 4, limit: Int? = nil) -> RunRequest {
        var r = RunRequest()
        r.hidden = hidden
        r.batchSize = 2
        r.limit = limit
        return r
    }

    @Test("a new run: the data --data names, cut to --limit, the settings asked for")
    func newRun() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.data(dir)
        let setup = try TrainingRun.Setup(Self.request(limit: 5), resume: nil, data: data, epochs: 1)
        #expect(setup.location.directory == data && setup.saved == nil)
        #expect(setup.train.count == 5 && setup.test.count == 4 && setup.limit == 5)
        #expect(setup.config.hidden == 4 && setup.options.batchSize == 2)
    }

    @Test("a resumed run: the recorded data and limit, the checkpoint's settings; flags that disagree are refused")
    func resumed() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.data(dir)
        let output = TrainingRun.Output(model: dir.file("m.safetensors"))
        var first = try TrainingRun.Setup(Self.request(limit: 6), resume: nil, data: data, epochs: 1)
        first.options.threads = 1
        #expect(try first.run(output: output).run(through: 1, observer: Silent()) == .finished)

        // no --data and no --limit: the run's own
        let setup = try TrainingRun.Setup(RunRequest(), resume: output.model, data: nil, epochs: 2)
        #expect(setup.saved?.state.epochsCompleted == 1)
        #expect(setup.location.directory == DataLocation(directory: data).absoluteDirectory)
        #expect(setup.limit == 6 && setup.train.count == 6 && setup.config.hidden == 4 && setup.options.batchSize == 2)
        #expect(setup.run(output: output).epochsCompleted == 1)

        expectAutoencError(.usage, containing: ["--hidden 8 (checkpoint: 4)"]) {
            _ = try TrainingRun.Setup(Self.request(hidden: 8), resume: output.model, data: nil, epochs: 2)
        }
        expectAutoencError(.usage, containing: ["--epochs 1", "already completed 1 epochs"]) {
            _ = try TrainingRun.Setup(RunRequest(), resume: output.model, data: nil, epochs: 1)
        }
        expectAutoencError(.usage, containing: ["expected the model file, found its training state"]) {
            _ = try TrainingRun.Setup(RunRequest(), resume: output.state, data: nil, epochs: 2)
        }
    }

    /// Stops after its first step.
    final class StopsAtOnce: TrainingObserver {
        var steps = 0
        var shouldStop: Bool { steps > 0 }
        func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
                   train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
            try train { _, _, _ in self.steps += 1 }
        }
        func completed(_ report: EpochReport, of epochs: Int) throws {}
    }

    /// A run stopped part-way through epoch 2 cannot be resumed to 1 epoch: it used to
    /// save and exit 0 having trained nothing.
    @Test func resumingPartWayNeedsTheEpochInProgress() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.data(dir)
        let output = TrainingRun.Output(model: dir.file("m.safetensors"))
        var first = try TrainingRun.Setup(Self.request(limit: 6), resume: nil, data: data, epochs: 1)
        first.options.threads = 1
        #expect(try first.run(output: output).run(through: 1, observer: Silent()) == .finished)
        var second = try TrainingRun.Setup(RunRequest(), resume: output.model, data: nil, epochs: 2)
        second.options.threads = 1
        #expect(try second.run(output: output).run(through: 2, observer: StopsAtOnce())
                == .stopped(epoch: 2, stepsIntoEpoch: 1))
        expectAutoencError(.usage, containing: ["--epochs 1",
                                                "already completed 1 epochs and is part-way through epoch 2"]) {
            _ = try TrainingRun.Setup(RunRequest(), resume: output.model, data: nil, epochs: 1)
        }
        _ = try TrainingRun.Setup(RunRequest(), resume: output.model, data: nil, epochs: 2)
    }

    @Test("--keep-p's floor is where 1 - keep stops rounding to a drop probability of 1 in Float")
    func keepFloor() {
        let edge = Float(1) / Float(1 << 25) // 2^-25: 1 - edge ties to 1
        #expect(1 - edge == 1 && 1 - edge.nextUp < 1)
        #expect(Limits.keepP.problem(edge, name: "--keep-p") != nil)
        #expect(Limits.keepP.problem(edge.nextUp, name: "--keep-p") == nil)
        #expect(Limits.keepP.problem(3e-8, name: "--keep-p") == nil, "the floor the message names")
        #expect(Limits.regularizingKeepP.problem(edge, name: "--keep-p") != nil)
    }

    @Test("where train saves: --out, else the pair --resume continues, else model.safetensors")
    func outputNames() {
        #expect(TrainingRun.Output(out: "a.safetensors", resume: "b.safetensors").model == "a.safetensors")
        #expect(TrainingRun.Output(out: nil, resume: "b.safetensors").model == "b.safetensors")
        let fresh = TrainingRun.Output(out: nil, resume: nil)
        #expect(fresh.model == "model.safetensors" && fresh.state == "model.state.safetensors")
    }

    @Test("train's plan: the first problem among its flags, in the order they are checked")
    func planProblems() {
        var request = RunRequest()
        func problem(epochs: Int = 1, resume: String? = nil, out: String? = nil, log: String? = nil) -> String? {
            TrainingRun.Plan(request, epochs: epochs, resume: resume, out: out, log: log, plot: nil).problem
        }
        #expect(problem() == nil)
        #expect(problem(epochs: 0, resume: "") == "--epochs must be at least 1, got 0")
        #expect(problem(resume: "") == "--resume must name a file, got an empty string")
        #expect(problem(out: "m.bin")
                == "--out m.bin: expected a .safetensors file name (the model; its training state goes beside it)")
        #expect(problem(log: "model.state.safetensors")?.hasPrefix("--log model.state.safetensors would overwrite")
                == true)
        request.masks = .batch
        // a new run refuses DropConnect's masks without DropConnect; a resumed one checks them against its checkpoint
        #expect(problem()?.hasPrefix("--dropconnect-masks applies to DropConnect only") == true)
        #expect(problem(resume: "m.safetensors") == nil)
        #expect(TrainingRun.Plan(request, epochs: 1, resume: "m.safetensors", out: nil, log: nil,
                                 plot: nil).output.flag == "--resume")
    }

    @Test("claiming a pair locks it: a second claim is refused until the first is released")
    func claim() throws {
        let dir = try TemporaryDirectory()
        let output = TrainingRun.Output(model: dir.file("m.safetensors"))
        let lock = try output.claim(log: nil, plot: nil)
        expectAutoencError(.cannotCreate, containing: ["--out", "another run is writing it"]) {
            _ = try output.claim(log: nil, plot: nil)
        }
        lock.release()
        try output.claim(log: nil, plot: nil).release()
        expectAutoencError(.cannotCreate, containing: ["--plot"]) {
            _ = try output.claim(log: nil, plot: dir.file("missing/curve.png"))
        }
    }

    @Test("--log and --plot names: not empty, a chart's extension, two files", arguments: [
        (nil, nil, nil), ("log.jsonl", "curve.svg", nil), ("-", "curve.png", nil), (nil, "curve.PDF", nil),
        ("", nil, "--log must name a file, got an empty string"),
        (nil, "", "--plot must name a file, got an empty string"),
        (nil, "curve.gif", "--plot curve.gif: expected a file name ending in .png, .svg or .pdf"),
        ("x.png", "x.png", "--log and --plot both name x.png; name two files"),
    ] as [(String?, String?, String?)])
    func records(log: String?, plot: String?, problem: String?) {
        #expect(RunRecords.problem(log: log, plot: plot) == problem)
    }

    @Test("an epoch's human line")
    func epochLine() {
        let report = EpochReport(epoch: 3, trainLoss: 0.012341, testMSE: 0.011111, seconds: 6.5,
                                 imagesPerSecond: 9231.4)
        #expect(report.line(of: 10) == "epoch 3/10  train_loss 0.01234  test_mse 0.01111  6.50 s  9231 images/s")
    }
}
