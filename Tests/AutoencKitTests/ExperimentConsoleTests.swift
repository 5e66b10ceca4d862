import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// What compare and sweep say and record around their runs, without the command line:
/// the data line, the closing lines, the error a signal ends them with, and the records
/// each run's observer keeps (`ExperimentConsole`). The lines reaching standard output or
/// standard error are checked end to end in `CompareCommandTests` and `SweepCommandTests`.
@Suite struct ExperimentConsoleTests {
    @Test("the data line says whether the data set has labels for the probe")
    func dataLine() {
        let location = DataLocation(directory: "data")
        #expect(Experiment.dataLine(location, trainImages: 500, testImages: 100, labeled: true)
                == "data: data (500 training, 100 test images, labels)")
        #expect(Experiment.dataLine(location, trainImages: 500, testImages: 100, labeled: false)
                == "data: data (500 training, 100 test images, no labels: no probe)")
    }

    @Test("the last lines: the table between blank lines, then what was written into --out")
    func outputLines() {
        let outputs = ExperimentOutputs(table: "model  test_mse\nnone   0.01",
                                        files: ["report.html", "metrics.json", "runs/"])
        #expect(outputs.lines(directory: "compare") == ["", "model  test_mse\nnone   0.01", "",
                                                        "wrote compare/: report.html, metrics.json, runs/"])
    }

    @Test("a signal ends an experiment with 128 + its number, what was kept and that the same command goes on",
          arguments: [SIGINT, SIGTERM])
    func stopped(signal: Int32) {
        let error = Experiment.stopped(by: signal, finished: 2, of: 6, directory: "out",
                                       again: "autoenc compare --seeds 2")
        #expect(error.status == (signal == SIGINT ? .interrupted : .terminated))
        #expect(error.status.rawValue == 128 + signal)
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(error.message == """
            stopped by \(name); 2 of 6 runs finished and kept in out/runs/, the unfinished ones discarded; \
            the same command trains the rest: autoenc compare --seeds 2
            """)
    }

    @Test("each run's observer appends the run's records to the shared --log")
    func records() throws {
        let dir = try TemporaryDirectory()
        var options = TrainingOptions()
        options.batchSize = 2
        options.threads = 1
        let train = ImageSet(count: 8, bytes: Fixtures.pixels(count: 8), source: "train")
        let test = ImageSet(count: 4, bytes: Fixtures.pixels(count: 4, salt: 1), source: "test")
        func run() -> TrainingRun {
            TrainingRun(config: ModelConfig(hidden: 4), options: options, train: train, test: test, dataset: "data",
                        limit: nil, output: nil)
        }
        let log = dir.file("runs.jsonl")
        let first = run(), second = run()
        for training in [first, second] {
            let observer = ExperimentConsole(prefix: "none-seed0", console: Console(quiet: true), log: log)
            #expect(try training.run(through: 2, observer: observer) == .finished)
        }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6, "two runs, each its own record and two epochs: \(lines)")
        #expect(lines.filter { $0.contains("\"run\":\"\(first.id)\"") }.count == 3, "\(lines)")
        #expect(lines.filter { $0.contains("\"run\":\"\(second.id)\"") }.count == 3, "\(lines)")
    }

    /// A design that trains nothing and records what `perform` hands it.
    final class StubDesign: ExperimentDesign, @unchecked Sendable {
        var cut: Int
        var refuse: Bool
        var written: (records: Int, trained: Int, test: Int, threads: Int, directory: String)?

        init(cut: Int, refuse: Bool = false) {
            self.cut = cut
            self.refuse = refuse
        }

        var headline: String { "stub: nothing to train" }
        var note: String? { nil }
        var runs: [ExperimentRun] { [] }
        var outputFiles: [String] { [] }

        func trainImages(of train: ImageSet, data: String) throws -> ImageSet {
            if refuse { throw AutoencError(.usage, "\(data): holds \(train.count) training images, fewer than asked") }
            return train.prefix(cut)
        }

        func writeOutputs(_ records: [ExperimentRecord], test: ImageSet, data: String, trained: ImageSet, threads: Int,
                          directory: String) throws -> ExperimentOutputs {
            written = (records.count, trained.count, test.count, threads, directory)
            return ExperimentOutputs(table: "", files: [])
        }
    }

    @Test("perform loads the data set, cuts it as the design says, trains and hands every record to the outputs")
    func perform() throws {
        let dir = try TemporaryDirectory()
        try dir.write("train-images-idx3-ubyte", Fixtures.images(count: 12))
        try dir.write("t10k-images-idx3-ubyte", Fixtures.images(count: 5, salt: 1))
        let location = DataLocation(directory: dir.path)
        let out = dir.file("out")
        let design = StubDesign(cut: 7)
        try Experiment.perform(design, location: location, directory: out, jobs: nil, threads: 1, outputThreads: 2,
                               console: Console(quiet: true), log: nil, again: "autoenc compare")
        let written = try #require(design.written, "the outputs were not written")
        #expect(written.records == 0 && written.trained == 7 && written.test == 5 && written.threads == 2
                && written.directory == out, "\(written)")
        #expect(FileManager.default.fileExists(atPath: Experiment.runsDirectory(out)))

        let refusing = StubDesign(cut: 7, refuse: true)
        let other = dir.file("other")
        #expect(throws: AutoencError.self) {
            try Experiment.perform(refusing, location: location, directory: other, jobs: nil, threads: 1,
                                   outputThreads: 1, console: Console(quiet: true), log: nil, again: "autoenc sweep")
        }
        #expect(refusing.written == nil, "a refused design wrote outputs")
        #expect(!FileManager.default.fileExists(atPath: Experiment.runsDirectory(other)), "a refused design trained")
    }
}
