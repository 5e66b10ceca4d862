import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// What `train` says and records around its run, without the command line: the header
/// (`TrainingRun.Setup.header`), the error a signal ends it with (`TrainingRun.stopped`),
/// and the records its observer keeps (`TrainingConsole`). The lines reaching standard
/// output or standard error are checked end to end in `TrainOutputTests`.
@Suite struct TrainingConsoleTests {
    /// A new SGD run of 4 hidden units, 2 images a step, on the 8 + 4 images in `dir`.
    static func setup(_ dir: TemporaryDirectory, resume: String? = nil) throws -> TrainingRun.Setup {
        var request = resume == nil ? TrainingSetupTests.request() : RunRequest()
        request.optimizer = .sgd
        var setup = try TrainingRun.Setup(request, resume: resume,
                                          data: resume == nil ? TrainingSetupTests.data(dir) : nil,
                                          epochs: 2)
        setup.options.threads = 1
        return setup
    }

    @Test("a new run's header: the data, the model and how it trains, the request's note")
    func newRunHeader() throws {
        let dir = try TemporaryDirectory()
        let setup = try Self.setup(dir)
        let run = setup.run(output: TrainingRun.Output(model: dir.file("m.safetensors")))
        let model = """
            model: 784-4-784, relu, no regularizer; sgd lr 0.001, batch 2, seed 0, 1 thread, \
            BLAS \(BLASRuntime.coreName), vectors \(run.options.kernels.rawValue)
            """
        #expect(setup.header(for: run) == [
            "data: \(dir.file("data")) (8 training, 4 test images)",
            model,
            "note: --lr 0.001 is Adam's default; with --optimizer sgd it learns slowly, so pass a larger --lr",
        ])
    }

    @Test("a resumed run's header: the recorded data, where it takes up, no note (the checkpoint's settings)")
    func resumedHeader() throws {
        let dir = try TemporaryDirectory()
        let output = TrainingRun.Output(model: dir.file("m.safetensors"))
        #expect(try Self.setup(dir).run(output: output).run(through: 1,
                                                            observer: TrainingSetupTests.Silent()) == .finished)

        let setup = try Self.setup(dir, resume: output.model)
        #expect(setup.note == nil && setup.resume == output.model && setup.data == nil)
        let run = setup.run(output: output)
        let lines = setup.header(for: run)
        #expect(lines.count == 3, "\(lines)")
        let data = DataLocation(directory: dir.file("data")).absoluteDirectory
        #expect(lines.first == "data: \(data) (8 training, 4 test images)")
        #expect(lines.last == "resuming \(output.model) at epoch 2, step 4 (0 of 4 steps of this epoch done)")
    }

    @Test("a signal ends train with 128 + its number, what was saved and the command that continues",
          arguments: [SIGINT, SIGTERM])
    func stopped(signal: Int32) throws {
        let dir = try TemporaryDirectory()
        let output = TrainingRun.Output(model: dir.file("m.safetensors"))
        let run = try Self.setup(dir).run(output: output)
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        let error = run.stopped(by: signal, epoch: 1, stepsIntoEpoch: 3, epochs: 5,
                                data: signal == SIGINT ? nil : "fixtures")
        #expect(error.status == (signal == SIGINT ? .interrupted : .terminated))
        #expect(error.status.rawValue == 128 + signal)
        let data = signal == SIGINT ? "" : " --data fixtures"
        #expect(error.message == """
            stopped by \(name) in epoch 1 after step 0 (3 of 4 steps of the epoch); \
            saved \(output.model) and \(output.state); \
            continue with: autoenc train --resume \(output.model) --epochs 5\(data)
            """)
    }

    @Test("the observer records every completed epoch into --log and --plot, after the run's own record")
    func records() throws {
        let dir = try TemporaryDirectory()
        let run = try Self.setup(dir).run(output: TrainingRun.Output(model: dir.file("m.safetensors")))
        let log = dir.file("run.jsonl"), plot = dir.file("curve.svg")
        let observer = TrainingConsole(Console(quiet: true), log: log, plot: plot)
        #expect(try run.run(through: 2, observer: observer) == .finished)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first?.contains("\"run\":\"\(run.id)\",\"started\"") == true, "\(lines)")
        #expect(lines.dropFirst().map { $0.contains("\"run\":\"\(run.id)\",\"epoch\":") } == [true, true], "\(lines)")
        #expect(lines.last?.contains("\"epoch\":2,") == true, "\(lines)")
        #expect(try String(contentsOfFile: plot, encoding: .utf8).contains("<svg "))
    }

    /// The stalled-loss rule: three equal losses (two epochs without a change) stall, a
    /// change of 2e-4 of the loss does not, a shorter history never does.
    @Test func stalledLoss() {
        func history(_ losses: [Double]) -> [EpochFigures] { losses.map { EpochFigures(trainLoss: $0, testMSE: 0.1) } }
        #expect(EpochFigures.lossStalled(history([0.2, 0.11243, 0.11243, 0.11243])))
        #expect(EpochFigures.lossStalled(history([0.11243, 0.11243 * (1 + 0.5e-4), 0.11243])))
        #expect(!EpochFigures.lossStalled(history([0.11243, 0.11243, 0.11243 * (1 - 2e-4)])))
        #expect(!EpochFigures.lossStalled(history([0.11243, 0.11243])))
        #expect(!EpochFigures.lossStalled(history([0.03895, 0.02282, 0.02037])))
        #expect(!EpochFigures.lossStalled(history([.nan, .nan, .nan])))
        let line = TrainingConsole.stalledWarning(history([0.11243, 0.11243, 0.11243]), learningRate: 100)
        #expect(line == "warning: the training loss has not moved for two epochs (0.11243); the outputs may be "
                + "saturated and --lr 100.0 too high: try a smaller --lr")
        #expect(TrainingConsole.stalledWarning(history([0.2, 0.1, 0.05]), learningRate: 100) == nil)
        let slow = TrainingConsole.stalledWarning(history([0.16960, 0.16960, 0.16960]), learningRate: 0.0001)
        #expect(slow == "warning: the training loss has not moved for two epochs (0.16960); --lr 0.0001 may be too "
                + "small to move the weights: try a larger --lr")
    }
}
