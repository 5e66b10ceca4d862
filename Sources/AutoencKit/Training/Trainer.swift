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
public final class Trainer: @unchecked Sendable {
    public let model: Autoencoder
    public let options: TrainingOptions
    public let optimizer: Optimizer
    public let pass: TrainingPass
    /// Optimizer steps taken so far; also the index of the masks of the next step.
    public var step: UInt64 = 0

    public init(model: Autoencoder, options: TrainingOptions) {
        self.model = model
        self.options = options
        optimizer = Optimizer(kind: options.optimizer, learningRate: options.learningRate, count: model.parameters.count)
        pass = TrainingPass(model: model, maxBatch: options.batchSize, threads: options.threads, seed: options.seed)
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
    /// Throws `.diverged` (before changing any weight) when the loss is not finite.
    public func trainStep(_ data: ImageSet, _ indices: ArraySlice<Int32>, epoch: Int) throws -> Float {
        pass.load(data, indices)
        let loss = pass.run(batch: indices.count, step: step)
        guard loss.isFinite else {
            throw AutoencError(.diverged, "training diverged at epoch \(epoch), step \(step + 1): the loss became \(loss); lower --lr (now \(options.learningRate)). The last checkpoint is unchanged.")
        }
        optimizer.update(model.parameters.base, gradient: pass.gradients.base, count: model.parameters.count)
        step += 1
        return loss
    }

    /// Trains one epoch over `train`, then measures the test-set MSE.
    /// `shouldStop` is asked after each step; when it says yes the epoch ends early and
    /// the report covers the steps taken. Throws `.diverged` when the loss or the
    /// weights stop being finite.
    public func trainEpoch(_ train: ImageSet, test: ImageSet, epoch: Int,
                           shouldStop: () -> Bool = { false },
                           progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> EpochReport {
        let order = Self.order(count: train.count, seed: options.seed, epoch: epoch)
        let start = DispatchTime.now().uptimeNanoseconds
        var lossSum = 0.0, seen = 0
        var offset = 0
        while offset < order.count {
            let end = min(offset + options.batchSize, order.count)
            let loss = try trainStep(train, order[offset..<end], epoch: epoch)
            lossSum += Double(loss) * Double(end - offset)
            seen += end - offset
            offset = end
            progress(seen, order.count, lossSum / Double(seen))
            if shouldStop() { break }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard model.parameters.isFinite else {
            throw AutoencError(.diverged, "training diverged in epoch \(epoch): the weights are no longer finite; lower --lr. The last checkpoint is unchanged.")
        }
        let mse = model.meanSquaredError(test)
        return EpochReport(epoch: epoch, trainLoss: lossSum / Double(max(seen, 1)), testMSE: mse,
                           seconds: seconds, imagesPerSecond: Double(seen) / seconds)
    }
}
