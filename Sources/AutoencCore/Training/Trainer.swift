import Foundation

/// The settings of a training run that are not part of the model.
public struct TrainingOptions: Sendable {
    /// Images per step.
    public var batchSize: Int = 128
    /// The optimizer's learning rate.
    public var learningRate: Float = 1e-3
    /// The update rule.
    public var optimizer: OptimizerKind = .adam
    /// The seed of the shuffles and masks (the weights' own comes with the model).
    public var seed: UInt64 = 0
    /// Threads a step runs on.
    public var threads: Int = 1
    /// The vector kernels' instruction-set level.
    public var kernels: KernelLevel = Kernels.current.level

    /// Creates the defaults: Adam at 0.001, batches of 128, seed 0, one thread, the best kernels.
    public init() {}
}

/// What one epoch did.
public struct EpochReport: Sendable {
    /// The epoch, counted from 1.
    public var epoch: Int
    /// Steps taken by this call (fewer than the epoch's when it was stopped or resumed mid-way).
    public var steps: Int = 0
    /// Whether the epoch's last step was taken.
    public var completed: Bool = true
    /// Steps of the epoch taken before this call (a run resumed mid-epoch).
    public var startingStep: Int = 0
    /// The mean training loss over the epoch's steps.
    public var trainLoss: Double
    /// The test set's mean squared error after the epoch.
    public var testMSE: Double
    /// Training time of the epoch, evaluation excluded.
    public var seconds: Double
    /// Training throughput: images per second of `seconds`.
    public var imagesPerSecond: Double

    /// Creates a report from its figures.
    public init(epoch: Int, steps: Int = 0, completed: Bool = true, startingStep: Int = 0, trainLoss: Double,
                testMSE: Double,
                seconds: Double, imagesPerSecond: Double) {
        self.epoch = epoch
        self.steps = steps
        self.completed = completed
        self.startingStep = startingStep
        self.trainLoss = trainLoss
        self.testMSE = testMSE
        self.seconds = seconds
        self.imagesPerSecond = imagesPerSecond
    }

    /// One JSON object, as written to `--log`: the epoch and its figures, the run it
    /// belongs to, and for an epoch resumed part-way `resumed_from_step` (its figures then
    /// cover the steps after it only).
    public func json(run: String) -> String {
        func f(_ x: Double) -> JSON { .rounded(x, digits: 6) }
        var fields: [(String, JSON)] = [
            ("run", .string(run)), ("epoch", .number(Double(epoch))), ("train_loss", f(trainLoss)),
            ("test_mse", f(testMSE)), ("seconds", f(seconds)), ("images_per_second", f(imagesPerSecond)),
        ]
        if startingStep > 0 { fields.append(("resumed_from_step", .number(Double(startingStep)))) }
        return JSON.object(fields).compact
    }
}

/// Trains an autoencoder: shuffles each epoch, runs the steps, evaluates the test set.
///
/// With `threads` > 1 each step runs in `TrainingPass`'s phases, one after the other
/// (`forwardPhases`, `gradientPhases`): the weights' derived copies split by rows, the
/// minibatch's examples split across threads for the forward and backward passes, then
/// the weight rows split across threads for the weight gradients and the optimizer
/// update. BLAS runs one thread per call, so nothing synchronizes inside a product, and
/// the result does not depend on the number of threads beyond rounding.
public final class Trainer: @unchecked Sendable {
    /// The model trained in place.
    public let model: Autoencoder
    /// The run's settings besides the model.
    public let options: TrainingOptions
    /// The optimizer and its state.
    public let optimizer: Optimizer
    /// The step's buffers and passes, shared by the threads.
    public let pass: TrainingPass
    /// Threads a step uses.
    public let threads: Int
    /// The threads, kept between steps.
    let pool: WorkerPool
    let shardLosses: FloatBuffer
    let shardFinite: UnsafeMutablePointer<Bool>
    /// Optimizer steps taken so far; also the index of the masks of the next step.
    public var step: UInt64 = 0
    /// Inference-ready weights when they differ from the trained ones (classic dropout
    /// scaling), refreshed by `inferenceModel()`.
    let inferenceCopy: Autoencoder?

    /// `largestBatch` caps the step buffers when the training set is smaller than a
    /// batch (default: `options.batchSize`).
    public init(model: Autoencoder, options: TrainingOptions, largestBatch: Int? = nil) {
        self.model = model
        self.options = options
        let kernels = Kernels(options.kernels)
        optimizer = Optimizer(kind: options.optimizer, learningRate: options.learningRate,
                              count: model.parameters.count,
                              kernels: kernels)
        let batch = Self.stepBatch(options, largestBatch: largestBatch)
        threads = max(1, min(options.threads, batch))
        pool = WorkerPool(threads: threads)
        pass = TrainingPass(model: model, maxBatch: batch, seed: options.seed, kernels: kernels)
        shardLosses = FloatBuffer(count: threads)
        shardFinite = .allocate(capacity: threads)
        shardFinite.initialize(repeating: true, count: threads)
        inferenceCopy = model.config.scalesForInference
            ? Autoencoder(config: model.config, parameters: Parameters(hidden: model.config.hidden)) : nil
        BLAS.setThreads(1)
    }

    /// The most images a step of `options` takes: the batch size, capped at
    /// `largestBatch` (a training set smaller than a batch). The step's buffers are
    /// allocated for it.
    static func stepBatch(_ options: TrainingOptions, largestBatch: Int?) -> Int {
        max(1, min(options.batchSize, largestBatch ?? options.batchSize))
    }

    /// The model as inference and checkpoints use it.
    ///
    /// That is `model` itself, except under classic dropout scaling: then training keeps unscaled
    /// decoder weights, and this returns a copy (allocated once, refreshed at each call) whose
    /// decoder weights are multiplied by the keep probability, w2 * (1 - p).
    ///
    /// - Returns: The inference-ready model.
    public func inferenceModel() -> Autoencoder {
        guard let inferenceCopy else { return model }
        Self.inferenceWeights(of: model, into: inferenceCopy.parameters)
        return inferenceCopy
    }

    /// Writes `model`'s inference-ready parameters into `out`: a copy, with the decoder
    /// weights multiplied by the keep probability when `config.scalesForInference`.
    public static func inferenceWeights(of model: Autoencoder, into out: Parameters) {
        out.copy(from: model.parameters)
        guard model.config.scalesForInference else { return }
        let keep = model.config.keepP
        let w2 = out.w2
        for i in 0..<(model.config.hidden * ModelConfig.inputs) { w2[i] *= keep }
    }

    deinit { shardFinite.deallocate() }

    /// Times the phases of the steps from now on; `stopTimingPhases()` ends it.
    ///
    /// The steps compute the same either way.
    ///
    /// - Returns: The timer the steps record into, which replaces any before it.
    public func timePhases() -> StepTimer {
        let timer = StepTimer(threads: threads)
        pass.timer = timer
        return timer
    }

    /// Steps from now on are not timed.
    public func stopTimingPhases() { pass.timer = nil }

    /// Optimizer steps in one epoch over `images` images: the last batch may be short.
    public static func stepsPerEpoch(images: Int, batchSize: Int) -> Int {
        (images + batchSize - 1) / batchSize
    }

    /// The order in which an epoch visits the training images: a Fisher-Yates shuffle keyed by (seed, epoch).
    ///
    /// - Parameters:
    ///   - count: The number of training images.
    ///   - seed: The run's seed.
    ///   - epoch: The epoch, counted from 1.
    /// - Returns: Every index below `count` once.
    public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int32] {
        var indices = (0..<Int32(count)).map { $0 }
        var rng = RandomStream(seed: seed, .shuffle, UInt64(epoch))
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            indices.swapAt(i, j)
        }
        return indices
    }

    /// Runs one optimizer step on images `indices` of `data`.
    ///
    /// - Parameters:
    ///   - data: The training images.
    ///   - indices: The batch's images, by index into `data`.
    ///   - epoch: The epoch, which the message names if training diverges.
    /// - Returns: The batch's loss, before the update.
    /// - Throws: `AutoencError` with `.diverged` when the loss is not finite (before changing any
    ///   weight) or when the update made a weight non-finite (the weights are then unusable, and the
    ///   caller must not save them).
    public func trainStep(_ data: ImageSet, _ indices: ArraySlice<Int32>, epoch: Int) throws -> Float {
        let timer = pass.timer
        let started = timer != nil ? StepTimer.now() : 0
        let total = indices.count
        let parts = min(threads, total)
        let n = ModelConfig.inputs, h = model.config.hidden
        let parallel: TrainingPass.Parallel = { [pool] parts, body in pool.run(parts, body) }
        let loss = pass.forwardPhases(batch: total, total: total, parts: parts, threads: threads, step: step,
                                      losses: shardLosses.pointer, parallel: parallel) { [pass] shard in
            let rows = TrainingPass.split(total, shard, parts)
            pass.load(data, indices[(indices.startIndex + rows.lowerBound)..<(indices.startIndex + rows.upperBound)],
                      at: rows.lowerBound)
            return rows
        }
        guard loss.isFinite else {
            throw AutoencError(.diverged, naming: "training diverged at epoch \(epoch), step \(step + 1): "
                + "the loss became \(loss); lower \(setting: .learningRate) (now \(options.learningRate)).")
        }
        // each thread updates the rows it computed, and checks they stay finite
        optimizer.beginStep()
        let p = model.parameters.base, g = pass.gradients.base
        let maxNorm = model.config.maxNorm
        let finite = shardFinite, optimizer = optimizer
        for t in 0..<threads { finite[t] = true }
        pass.gradientPhases(batch: total, threads: threads, parallel: parallel, updateEncoder: { t, units in
            var lap = timer?.lap(part: t)
            // w1's rows, then b1's entries
            var ok = optimizer.apply(p, g, (units.lowerBound * n)..<(units.upperBound * n))
            lap?.record(.optimizer)
            if let maxNorm {
                MaxNorm.apply(p, rows: units, limit: maxNorm) // w1 starts at p
                lap?.record(.maxNorm)
            }
            ok = optimizer.apply(p, g, (h * n + units.lowerBound)..<(h * n + units.upperBound)) && ok
            lap?.record(.optimizer)
            finite[t] = finite[t] && ok
        }, updateDecoder: { t, outputs in
            var lap = timer?.lap(part: t)
            // w2's rows, then b2's entries
            let w2 = h * n + h
            var ok = optimizer.apply(p, g, (w2 + outputs.lowerBound * h)..<(w2 + outputs.upperBound * h))
            ok = optimizer.apply(p, g, (w2 + n * h + outputs.lowerBound)..<(w2 + n * h + outputs.upperBound)) && ok
            lap?.record(.optimizer)
            finite[t] = finite[t] && ok
        })
        timer?.endStep(since: started)
        step += 1
        for t in 0..<threads where !shardFinite[t] {
            throw AutoencError(.diverged, naming: "training diverged at epoch \(epoch), step \(step): "
                + "the update made weights non-finite (the loss before it was \(loss)); "
                + "lower \(setting: .learningRate) (now \(options.learningRate)).")
        }
        return loss
    }

    /// Trains one epoch over `train`, then measures the test set's mean squared error.
    ///
    /// - Parameters:
    ///   - train: The training images.
    ///   - test: The test images.
    ///   - epoch: The epoch, counted from 1; with the seed it fixes the order of the images.
    ///   - startingStep: Steps of the epoch to skip, for a run resumed mid-epoch: the order is a pure
    ///     function of (seed, epoch), so the remaining batches are the same.
    ///   - shouldStop: Asked after each step; when it says yes the epoch ends early.
    ///   - progress: Told after each step the images seen, the epoch's images and the mean loss so far.
    /// - Returns: The epoch's figures; after an early stop they cover the steps taken, and `completed`
    ///   is false unless that was the last.
    /// - Throws: `AutoencError` with `.diverged` when the loss, the weights or the test MSE stop being
    ///   finite.
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
        let mse = inferenceModel().meanSquaredError(test, threads: threads)
        guard mse.isFinite else {
            throw AutoencError(.diverged, naming: "training diverged at epoch \(epoch), step \(step): "
                + "the test MSE became \(mse); lower \(setting: .learningRate) (now \(options.learningRate)).")
        }
        return EpochReport(epoch: epoch, steps: steps, completed: offset >= order.count,
                           startingStep: max(startingStep, 0),
                           trainLoss: lossSum / Double(max(seen, 1)), testMSE: mse,
                           seconds: seconds, imagesPerSecond: Double(seen) / seconds)
    }
}
