import Testing
@testable import AutoencCore
@testable import AutoencKit

/// End-to-end training on a small synthetic set: the loss falls, a seed reproduces a
/// run bit for bit, divergence is caught.
@Suite struct TrainingTests {
    /// `count` 28x28 images of bars and blobs: a horizontal bar, a vertical bar, a disk,
    /// or a cross, at positions that vary with the index.
    static func shapes(count: Int, offset: Int = 0) -> ImageSet {
        var bytes = [UInt8](repeating: 0, count: count * 784)
        for k in 0..<count {
            let m = k + offset
            let a = 4 + (m * 7) % 18, b = 4 + (m * 11) % 18
            for y in 0..<28 {
                for x in 0..<28 {
                    let on: Bool
                    switch m % 4 {
                    case 0: on = abs(y - a) <= 2
                    case 1: on = abs(x - b) <= 2
                    case 2: on = (x - b) * (x - b) + (y - a) * (y - a) <= 16 + (m % 3) * 8
                    default: on = abs(y - a) <= 1 || abs(x - b) <= 1
                    }
                    if on { bytes[k * 784 + y * 28 + x] = UInt8(200 + (m % 5) * 11) }
                }
            }
        }
        return ImageSet(count: count, bytes: bytes, source: "synthetic")
    }

    static let train = shapes(count: 160)
    static let test = shapes(count: 40, offset: 1000)

    static func options(seed: UInt64 = 1, batch: Int = 20, lr: Float = 0.01, optimizer: OptimizerKind = .adam,
                        threads: Int = 1) -> TrainingOptions {
        var o = TrainingOptions()
        o.seed = seed
        o.batchSize = batch
        o.learningRate = lr
        o.optimizer = optimizer
        o.threads = threads
        return o
    }

    static let configs: [ModelConfig] = [
        ModelConfig(hidden: 16, activation: .relu),
        ModelConfig(hidden: 16, activation: .sigmoid, dropP: 0.2, dropMode: .dropout),
        ModelConfig(hidden: 16, activation: .relu, dropP: 0.5, dropMode: .dropconnect, masks: .example),
        ModelConfig(hidden: 16, activation: .relu, dropP: 0.3, dropMode: .dropconnect, masks: .batch),
    ]

    /// Three epochs over 160 images: the test MSE ends below half of the untrained
    /// model's, and the last epoch's training loss well below the first's.
    @Test(arguments: configs)
    func lossFalls(config: ModelConfig) throws {
        let model = Autoencoder(config: config, seed: 1)
        let before = model.meanSquaredError(Self.test)
        let trainer = Trainer(model: model, options: Self.options())
        var reports: [EpochReport] = []
        for epoch in 1...3 {
            reports.append(try trainer.trainEpoch(Self.train, test: Self.test, epoch: epoch))
        }
        let after = reports.last!.testMSE
        #expect(after < 0.5 * before, "test MSE \(before) before, \(after) after; epochs \(reports.map(\.testMSE))")
        #expect(reports.last!.trainLoss < 0.8 * reports.first!.trainLoss, "training losses \(reports.map(\.trainLoss))")
        #expect(reports.allSatisfy { $0.steps == 8 && $0.completed })
        #expect(trainer.step == 24)
        #expect(model.parameters.isFinite)
        // The report's MSE is the model's, measured again.
        #expect(abs(model.meanSquaredError(Self.test) - after) <= 1e-12 * after)
    }

    func trainedParameters(config: ModelConfig, seed: UInt64, threads: Int = 1,
                           optimizer: OptimizerKind = .adam, lr: Float = 0.01) throws -> [Float] {
        let model = Autoencoder(config: config, seed: seed)
        let trainer = Trainer(model: model, options: Self.options(seed: seed, batch: 25, lr: lr, optimizer: optimizer,
                                                                  threads: threads))
        let data = Self.train.prefix(100)
        for epoch in 1...2 { _ = try trainer.trainEpoch(data, test: Self.test, epoch: epoch) }
        return model.parameters.values
    }

    /// With one thread, the same seed gives the same parameters, bit for bit (masks,
    /// shuffles and initialization all follow from it); another seed gives others.
    @Test(arguments: configs)
    func seedReproducesARun(config: ModelConfig) throws {
        let first = try trainedParameters(config: config, seed: 42)
        let second = try trainedParameters(config: config, seed: 42)
        let differing = zip(first, second).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) parameters differ between identical runs; \(comparison(first, second))")
        let other = try trainedParameters(config: config, seed: 43)
        #expect(zip(first, other).filter { $0 != $1 }.count > first.count / 2,
                "another seed gave mostly the same parameters")
    }

    /// Two threads compute the same step as one, up to rounding (SGD, so that Adam's
    /// normalization cannot magnify a last-bit difference in a near-zero gradient).
    @Test(arguments: [configs[0], configs[2], configs[3]])
    func threadsAgreeUpToRounding(config: ModelConfig) throws {
        let one = try trainedParameters(config: config, seed: 5, threads: 1, optimizer: .sgd, lr: 1)
        let two = try trainedParameters(config: config, seed: 5, threads: 2, optimizer: .sgd, lr: 1)
        let start = Autoencoder(config: config, seed: 5).parameters.values
        let moved = zip(one, start).map { abs($0 - $1) }.max()!
        #expect(moved > 1e-4, "training barely moved the parameters (\(moved))")
        #expect(largestDifference(one, two).difference <= 1e-3 * moved, "\(comparison(two, one))")
    }

    @Test func shuffleOrder() {
        let a = Trainer.order(count: 100, seed: 3, epoch: 1)
        #expect(a.sorted() == (0..<100).map { Int32($0) }, "not a permutation")
        #expect(Trainer.order(count: 100, seed: 3, epoch: 1) == a)
        #expect(Trainer.order(count: 100, seed: 3, epoch: 2) != a)
        #expect(Trainer.order(count: 100, seed: 4, epoch: 1) != a)
        #expect(a != (0..<100).map { Int32($0) })
        // Every position receives every image about equally often over many epochs.
        let epochs = 2000
        var firstCounts = [Int](repeating: 0, count: 10)
        for e in 1...epochs { firstCounts[Int(Trainer.order(count: 10, seed: 1, epoch: e)[0])] += 1 }
        let expected = Double(epochs) / 10, sd = (Double(epochs) * 0.1 * 0.9).squareRoot()
        #expect(firstCounts.allSatisfy { abs(Double($0) - expected) < 5 * sd }, "first-position counts \(firstCounts)")
    }

    /// A learning rate that overflows the weights stops training with `.diverged`.
    @Test func overflowingWeightsAreReported() throws {
        let model = Autoencoder(config: ModelConfig(hidden: 8), seed: 1)
        let trainer = Trainer(model: model, options: Self.options(batch: 10, lr: 1e38))
        let batch = Array(0..<10).map(Int32.init)[0...]
        var status: AutoencKit.ExitStatus?
        var steps = 0
        do {
            for _ in 0..<20 {
                _ = try trainer.trainStep(Self.train, batch, epoch: 1)
                steps += 1
            }
        } catch let error as AutoencError {
            status = error.status
        }
        #expect(status == .diverged, "no divergence reported after \(steps) steps")
        #expect(!model.parameters.isFinite, "divergence reported with finite weights after \(steps) steps")
    }

    /// `autoenc bench`'s training timing stops at a divergence instead of timing the
    /// steps that follow it.
    @Test func benchmarkReportsDivergence() {
        expectAutoencError(.diverged, containing: ["diverged"]) {
            _ = try Benchmark.training(Self.train, config: ModelConfig(hidden: 8),
                                       options: Self.options(batch: 10, lr: 1e38),
                                       images: 200, repeats: 1)
        }
    }

    /// A non-finite loss stops the step before any weight changes.
    @Test func nonFiniteLossIsReported() throws {
        let model = Autoencoder(config: ModelConfig(hidden: 8), seed: 1)
        model.parameters.b2[100] = .nan
        let before = model.parameters.values.map(\.bitPattern)
        let trainer = Trainer(model: model, options: Self.options(batch: 10))
        expectAutoencError(.diverged, containing: ["loss"]) {
            _ = try trainer.trainStep(Self.train, Array(0..<10).map(Int32.init)[0...], epoch: 1)
        }
        #expect(model.parameters.values.map(\.bitPattern) == before, "weights changed on a non-finite loss")
        #expect(trainer.step == 0)
    }
}
