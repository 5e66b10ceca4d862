import Foundation

/// The settings of a training run that are not part of the model.
public struct TrainingOptions: Sendable {
    public var epochs: Int = 10
    public var batchSize: Int = 128
    public var learningRate: Float = 1e-3
    public var optimizer: OptimizerKind = .adam
    public var seed: UInt64 = 0
    public var threads: Int = 1

    public init() {}
}

/// What one epoch did.
public struct EpochReport: Sendable {
    public var epoch: Int
    /// Steps taken by this call (fewer than the epoch's when it was stopped or resumed mid-way).
    public var steps: Int = 0
    /// Whether the epoch's last step was taken.
    public var completed: Bool = true
    public var trainLoss: Double
    public var testMSE: Double
    /// Training time of the epoch, evaluation excluded.
    public var seconds: Double
    public var imagesPerSecond: Double

    /// One JSON object, as written to `--log`.
    public var json: String {
        func f(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "null" }
        return "{\"epoch\":\(epoch),\"train_loss\":\(f(trainLoss)),\"test_mse\":\(f(testMSE)),\"seconds\":\(f(seconds)),\"images_per_second\":\(f(imagesPerSecond))}"
    }
}

/// Trains an autoencoder: shuffles each epoch, runs the steps, evaluates the test set.
///
/// With `threads` > 1 each minibatch is split into that many contiguous shards, one
/// single-threaded pass each (BLAS is then kept to one thread per call), and the shards'
/// gradients are summed: data parallelism, with no synchronization inside a product.
public final class Trainer: @unchecked Sendable {
    public let model: Autoencoder
    public let options: TrainingOptions
    public let optimizer: Optimizer
    /// One pass per thread; `shards[0]` also receives the summed gradient.
    public let shards: [TrainingPass]
    let shardLosses: FloatBuffer
    let shardGradients: [UnsafeMutablePointer<Float>]
    /// Optimizer steps taken so far; also the index of the masks of the next step.
    public var step: UInt64 = 0

    /// `largestBatch` caps the step buffers when the training set is smaller than a
    /// batch (default: `options.batchSize`).
    public init(model: Autoencoder, options: TrainingOptions, largestBatch: Int? = nil) {
        self.model = model
        self.options = options
        optimizer = Optimizer(kind: options.optimizer, learningRate: options.learningRate, count: model.parameters.count)
        let batch = max(1, min(options.batchSize, largestBatch ?? options.batchSize))
        let threads = max(1, min(options.threads, batch))
        let shardBatch = (batch + threads - 1) / threads
        shards = (0..<threads).map { _ in TrainingPass(model: model, maxBatch: shardBatch, seed: options.seed) }
        shardLosses = FloatBuffer(count: threads)
        shardGradients = shards.map { $0.gradients.base }
        BLAS.setThreads(1)
    }

    /// Optimizer steps in one epoch over `images` images: the last batch may be short.
    public static func stepsPerEpoch(images: Int, batchSize: Int) -> Int {
        (images + batchSize - 1) / batchSize
    }

    /// The order in which epoch `epoch` (1-based) visits the training images: a
    /// Fisher-Yates shuffle keyed by (seed, epoch).
    public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int32] {
        var indices = (0..<Int32(count)).map { $0 }
        var rng = RandomStream(seed: seed, .shuffle, UInt64(epoch))
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            indices.swapAt(i, j)
        }
        return indices
    }

    /// Runs one optimizer step on images `indices` of `data`; returns the batch loss.
    /// Throws `.diverged` when the loss is not finite (before changing any weight) or
    /// when the update made a weight non-finite (the weights are then unusable, and the
    /// caller must not save them).
    public func trainStep(_ data: ImageSet, _ indices: ArraySlice<Int32>, epoch: Int) throws -> Float {
        let total = indices.count
        let parts = min(shards.count, total)
        let current = step, shards = shards, shared = Shared((data, indices, shardLosses.pointer))
        let work: @Sendable (Int) -> Void = { s in
            let (data, indices, losses) = shared.value
            let lower = indices.startIndex + total * s / parts, upper = indices.startIndex + total * (s + 1) / parts
            shards[s].load(data, indices[lower..<upper])
            losses[s] = shards[s].run(batch: upper - lower, step: current, exampleOffset: lower - indices.startIndex, total: total)
        }
        if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
        var loss: Float = 0
        for s in 0..<parts { loss += shardLosses.pointer[s] }
        guard loss.isFinite else {
            throw AutoencError(.diverged, "training diverged at epoch \(epoch), step \(step + 1): the loss became \(loss); lower --lr (now \(options.learningRate)). The last checkpoint is unchanged.")
        }
        optimizer.update(model.parameters.base, gradients: parts == shards.count ? shardGradients : Array(shardGradients[0..<parts]),
                         count: model.parameters.count, threads: shards.count)
        step += 1
        guard model.parameters.isFinite else {
            throw AutoencError(.diverged, "training diverged at epoch \(epoch), step \(step): the update made weights non-finite (the loss before it was \(loss)); lower --lr (now \(options.learningRate)). The last checkpoint is unchanged.")
        }
        return loss
    }

    /// Trains one epoch over `train`, then measures the test-set MSE.
    /// `startingStep` skips the epoch's first steps (a run resumed mid-epoch: the order
    /// is a pure function of (seed, epoch), so the remaining batches are the same).
    /// `shouldStop` is asked after each step; when it says yes the epoch ends early and
    /// the report covers the steps taken (`completed` false unless that was the last).
    /// Throws `.diverged` when the loss, the weights or the test MSE stop being finite.
    public func trainEpoch(_ train: ImageSet, test: ImageSet, epoch: Int, startingStep: Int = 0,
                           shouldStop: () -> Bool = { false },
                           progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> EpochReport {
        let order = Self.order(count: train.count, seed: options.seed, epoch: epoch)
        let start = DispatchTime.now().uptimeNanoseconds
        var lossSum = 0.0, seen = 0, steps = 0
        var offset = min(max(startingStep, 0) * options.batchSize, order.count)
        while offset < order.count {
            let end = min(offset + options.batchSize, order.count)
            let loss = try trainStep(train, order[offset..<end], epoch: epoch)
            lossSum += Double(loss) * Double(end - offset)
            seen += end - offset
            steps += 1
            offset = end
            progress(seen, order.count, lossSum / Double(seen))
            if shouldStop() { break }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let mse = model.meanSquaredError(test)
        guard mse.isFinite else {
            throw AutoencError(.diverged, "training diverged at epoch \(epoch), step \(step): the test MSE became \(mse); lower --lr (now \(options.learningRate)). The last checkpoint is unchanged.")
        }
        return EpochReport(epoch: epoch, steps: steps, completed: offset >= order.count,
                           trainLoss: lossSum / Double(max(seen, 1)), testMSE: mse,
                           seconds: seconds, imagesPerSecond: Double(seen) / seconds)
    }
}
