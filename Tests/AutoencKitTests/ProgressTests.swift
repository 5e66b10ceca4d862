import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Long evaluations report their progress through a `ProgressHandler`: each task from 0
/// to its total, in order, from however many threads, without changing what they compute.
@Suite struct ProgressTests {
    static let images: ImageSet = {
        var rng = TestRandom(91)
        let count = 700
        return ImageSet(count: count, bytes: (0..<count * 784).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                        labels: (0..<count).map { UInt8($0 % 10) }, source: "random")
    }()

    /// Every report a handler heard, in order.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var heard: [WorkProgress] = []

        var handler: ProgressHandler { { report in self.lock.withLock { self.heard.append(report) } } }
        var reports: [WorkProgress] { lock.withLock { heard } }
        func task(_ name: String) -> ProgressTask { ProgressTask(name, handler) }
    }

    /// The tasks the reports name, in order, each checked to count from 0 up to its
    /// total, every report larger than the one before, with one total and one unit.
    static func tasks(_ reports: [WorkProgress], sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        var names: [String] = []
        var previous: WorkProgress?
        for report in reports {
            if report.task != previous?.task {
                if let previous {
                    #expect(previous.done == previous.total, "\(previous.task) ended at \(previous)",
                            sourceLocation: sourceLocation)
                }
                #expect(report.done == 0, "\(report.task) began at \(report)", sourceLocation: sourceLocation)
                names.append(report.task)
            } else if let previous {
                #expect(report.done > previous.done && report.done <= report.total, "\(previous) then \(report)",
                        sourceLocation: sourceLocation)
                #expect(report.total == previous.total && report.unit == previous.unit, "\(previous) then \(report)",
                        sourceLocation: sourceLocation)
            }
            previous = report
        }
        if let previous {
            #expect(previous.done == previous.total, "\(previous.task) ended at \(previous)",
                    sourceLocation: sourceLocation)
        }
        return names
    }

    @Test func description() {
        #expect(WorkProgress(task: "sampling inference (1000 draws)", done: 3200, total: 10000,
                             unit: .images).description
                == "sampling inference (1000 draws) 3200/10000 images")
        #expect(WorkProgress(task: "probe training", done: 12, total: 50,
                             unit: .epochs).description == "probe training 12/50 epochs")
        #expect(InferenceRule.sample(1).phrase == "sampling inference (1 draw)")
        #expect(InferenceRule.mean.phrase == "mean inference")
    }

    /// Codes and the MSE count images from every thread into one rising total, and the
    /// result is the one computed without a handler.
    @Test(arguments: [1, 2, 3])
    func codesAndMSE(threads: Int) {
        let model = Autoencoder(config: ModelConfig(hidden: 8), seed: 1)
        let recorder = Recorder()
        let codes = model.codes(Self.images, threads: threads, chunk: 64, progress: recorder.task("codes"))
        let plain = model.codes(Self.images, threads: threads, chunk: 64)
        #expect(Array(UnsafeBufferPointer(start: codes.pointer, count: Self.images.count * 8))
                == Array(UnsafeBufferPointer(start: plain.pointer, count: Self.images.count * 8)))
        let mse = model.meanSquaredError(Self.images, threads: threads, progress: recorder.task("mse"))
        #expect(mse == model.meanSquaredError(Self.images, threads: threads))
        let reports = recorder.reports
        #expect(Self.tasks(reports) == ["codes", "mse"])
        #expect(reports.allSatisfy { $0.total == Self.images.count && $0.unit == .images })
        // a report per chunk: more than the threads' one each, so the line moves
        #expect(reports.filter { $0.task == "codes" }.count >= 1 + Self.images.count / 64)
    }

    /// Sampling inference goes in chunks of `samplingChunk` images, so that its reports
    /// come often even at K = 1000; the draws are keyed per image, so the MSE is that of
    /// one big chunk to rounding.
    @Test func samplingReportsEveryChunk() {
        let model = Autoencoder(config: ModelConfig(hidden: 8, dropP: 0.5, dropMode: .dropconnect), seed: 2)
        let recorder = Recorder()
        let mse = model.meanSquaredError(Self.images, inference: .sample(3), progress: recorder.task("sampling"))
        let reports = recorder.reports
        #expect(Self.tasks(reports) == ["sampling"])
        #expect(reports.map(\.done) == Array(stride(from: 0, to: Self.images.count,
                                                    by: Autoencoder.samplingChunk)) + [Self.images.count])
        var whole = 0.0
        model.reconstruct(Self.images, chunk: Self.images.count, inference: .sample(3)) { _, m, x, y in
            whole += Layers.sumSquaredError(x, y, count: m * 784)
        }
        whole /= Double(Self.images.count * 784)
        #expect(abs(mse - whole) <= 1e-6 * whole, "chunks of \(Autoencoder.samplingChunk): \(mse), one chunk: \(whole)")
    }

    /// `reconstruct`'s file names what it does: sampling only when the rule draws.
    @Test(arguments: [
        (ModelConfig(hidden: 8, dropP: 0.5, dropMode: .dropconnect), InferenceRule.sample(5),
         "sampling inference (5 draws)"),
        (ModelConfig(hidden: 8, dropP: 0.5, dropMode: .dropconnect), InferenceRule.mean, "reconstructing"),
        (ModelConfig(hidden: 8, dropP: 0.5, dropMode: .dropout), InferenceRule.sample(5), "reconstructing"),
    ])
    func reconstructions(config: ModelConfig, rule: InferenceRule, task: String) throws {
        let model = Autoencoder(config: config, seed: 3)
        let recorder = Recorder()
        let result = try OutputFiles.Reconstructions(model, test: Self.images, count: 4, inference: rule,
                                                     progress: recorder.handler)
        #expect(Self.tasks(recorder.reports) == [task])
        #expect(recorder.reports.last?.total == Self.images.count)
        #expect(result.mse == (try OutputFiles.Reconstructions(model, test: Self.images, count: 4,
                                                               inference: rule)).mse)
    }

    /// The probe counts its epochs, 0 to `epochs`, and trains the same with a handler.
    @Test func probeEpochs() {
        let features = 6, count = 300
        var rng = TestRandom(5)
        let codes = (0..<count * features).map { _ in Float(rng.next() % 1000) / 1000 }
        let labels = (0..<count).map { UInt8($0 % 3) }
        var options = LinearProbe.Options(seed: 4)
        options.epochs = 7
        let recorder = Recorder()
        let probe = LinearProbe(codes: codes, count: count, features: features, labels: labels, classes: 3,
                                options: options,
                                progress: recorder.task("probe training"))
        let plain = LinearProbe(codes: codes, count: count, features: features, labels: labels, classes: 3,
                                options: options)
        #expect(probe.weights == plain.weights)
        #expect(Self.tasks(recorder.reports) == ["probe training"])
        #expect(recorder.reports.map(\.done) == Array(0...7))
        #expect(recorder.reports.allSatisfy { $0.unit == .epochs && $0.total == 7 })
    }

    /// `activations`' evaluation reports each of its tasks in turn, each to its end; a
    /// DropConnect model adds its sampling MSE, and the metrics are those measured
    /// without a handler.
    @Test(arguments: [DropMode.dropout, .dropconnect])
    func evaluation(mode: DropMode) {
        let model = Autoencoder(config: ModelConfig(hidden: 8, dropP: 0.5, dropMode: mode), seed: 6)
        let test = Self.images.prefix(300), train = Self.images
        let recorder = Recorder()
        let (diagnostics, _) = Diagnostics.evaluate(model, name: "m", test: test, train: train, seed: 1, threads: 2,
                                                    progress: recorder.handler)
        let (plain, _) = Diagnostics.evaluate(model, name: "m", test: test, train: train, seed: 1, threads: 2)
        var expected = ["test codes", "training codes", "probe training", "test MSE"]
        if mode == .dropconnect {
            expected.append("test MSE, sampling inference (\(Diagnostics.dropConnectSamples) draws)")
        }
        let reports = recorder.reports
        #expect(Self.tasks(reports) == expected)
        #expect(reports.first { $0.task == "training codes" }?.total == train.count)
        #expect(reports.first { $0.task == "probe training" }?.total == LinearProbe.Options().epochs)
        // bit for bit: reporting changes nothing in the computation
        #expect(diagnostics.metrics.map(\.value.bitPattern) == plain.metrics.map(\.value.bitPattern))
    }
}
