import Foundation

/// Everything besides the model that `autoenc train --resume` needs to continue a run
/// exactly where it stopped: the optimizer's moments and step count, the training step
/// (masks and shuffles are pure functions of (seed, step) and (seed, epoch), so the step
/// is the whole random state), the epoch, and the settings the run used.
///
/// It lives beside the model, `NAME.safetensors` -> `NAME.state.safetensors` (any other
/// name gets `.state.safetensors` appended), so the model file keeps exactly the four
/// `nn.Linear` tensors a strict PyTorch `load_state_dict` expects. The state file is
/// safetensors too: per parameter, the optimizer's buffers under PyTorch's names
/// (`encoder.weight.exp_avg`, `encoder.weight.exp_avg_sq` for Adam,
/// `encoder.weight.momentum_buffer` for momentum, none for SGD), and the rest as
/// `__metadata__` strings. `model_digest` ties it to the model file it was saved with:
/// a state is only used with the exact weights it belongs to.
///
/// Under classic dropout scaling the model file holds inference-ready decoder weights,
/// w2 * (1 - p), while training goes on with the unscaled w2; dividing back would not
/// give w2 bit for bit, so the state also stores the unscaled w2 as
/// `decoder.weight.unscaled` (784, hidden), after the optimizer's buffers, and resuming
/// puts it back. `model_digest` is then the digest of the inference-ready weights, as
/// saved in the model file.
public struct TrainingState: Sendable {
    /// The `format` the metadata records; a state of another format is refused.
    public static let formatVersion = "autoenc-state-1"

    /// The model's shape and regularizer.
    public var config: ModelConfig
    /// The seed the run started from.
    public var seed: UInt64
    /// The update rule.
    public var optimizer: OptimizerKind
    /// The learning rate.
    public var learningRate: Float
    /// Images per step.
    public var batchSize: Int
    /// `--limit` as given, if any.
    public var limit: Int?
    /// Training images per epoch (after `--limit`).
    public var trainImages: Int
    /// The data set's directory, absolute, and `ImageSet.digest` of the training images
    /// (after `--limit`); nil in states saved before they were recorded.
    public var dataset: String? = nil
    /// The training images' `ImageSet.digest`, after `--limit` (see `dataset`).
    public var dataDigest: String? = nil
    /// The training loss and test MSE of each completed epoch, first to last, for charts
    /// that go on after a resume; empty in states saved before it was recorded.
    public var history: [EpochFigures] = []
    /// The run's `--log` and `--plot` (absolute paths, or `RunRecords.standardOutput`),
    /// which a resumed run goes on writing unless told otherwise; nil when it had none.
    public var log: String? = nil
    /// The run's `--plot`, as `log` records its `--log`.
    public var plot: String? = nil
    /// Epochs whose every step was taken.
    public var epochsCompleted: Int
    /// Training steps taken in all (`Trainer.step`).
    public var step: UInt64
    /// The optimizer's update count (Adam's t).
    public var optimizerSteps: Int
    /// `TrainingState.digest` of the model's parameters.
    public var modelDigest: UInt64
    /// The optimizer's buffers by PyTorch name, each laid out like `Parameters`.
    public var buffers: [String: [Float]]
    /// The decoder weights training continues from, (784, hidden), when they differ from
    /// the model file's (`config.scalesForInference`); nil otherwise.
    public var unscaledDecoderWeight: [Float]? = nil

    /// The tensor name of `unscaledDecoderWeight`.
    public static let unscaledDecoderName = "decoder.weight.unscaled"

    /// The state file that belongs with model file `model`.
    public static func path(besideModel model: String) -> String {
        let suffix = ".safetensors"
        let stem = model.hasSuffix(suffix) && model.count > suffix.count ? String(model.dropLast(suffix.count)) : model
        return stem + ".state" + suffix
    }

    /// How a state file's name ends.
    public static let fileSuffix = ".state.safetensors"

    /// Whether `path` is named as a state file is.
    public static func isStatePath(_ path: String) -> Bool { path.hasSuffix(fileSuffix) }

    /// The model file that state file `state` belongs with (the inverse of
    /// `path(besideModel:)` for the names it gives).
    public static func path(besideState state: String) -> String {
        isStatePath(state) ? String(state.dropLast(fileSuffix.count)) + ".safetensors" : state
    }

    /// The names of `kind`'s buffers, in the order they are stored.
    public static func bufferNames(_ kind: OptimizerKind) -> [String] {
        switch kind {
        case .adam: return ["exp_avg", "exp_avg_sq"]
        case .momentum: return ["momentum_buffer"]
        case .sgd: return []
        }
    }

    /// Captures `trainer`'s state.
    public init(trainer: Trainer, limit: Int?, trainImages: Int, epochsCompleted: Int,
                dataset: String? = nil, dataDigest: String? = nil, history: [EpochFigures] = []) {
        self.dataset = dataset
        self.dataDigest = dataDigest
        self.history = history
        config = trainer.model.config
        seed = trainer.options.seed
        optimizer = trainer.options.optimizer
        learningRate = trainer.options.learningRate
        batchSize = trainer.options.batchSize
        self.limit = limit
        self.trainImages = trainImages
        self.epochsCompleted = epochsCompleted
        step = trainer.step
        optimizerSteps = trainer.optimizer.steps
        modelDigest = Self.digest(trainer.inferenceModel().parameters)
        if config.scalesForInference {
            unscaledDecoderWeight = Array(UnsafeBufferPointer(start: trainer.model.parameters.w2,
                                                              count: config.hidden * ModelConfig.inputs))
        }
        let sources = [trainer.optimizer.first, trainer.optimizer.second]
        var buffers: [String: [Float]] = [:]
        for (name, source) in zip(Self.bufferNames(optimizer), sources) { buffers[name] = source.array }
        self.buffers = buffers
    }

    /// Steps of the epoch in progress already taken (0 at an epoch boundary).
    public var stepsIntoEpoch: Int {
        let perEpoch = UInt64(Trainer.stepsPerEpoch(images: trainImages, batchSize: batchSize))
        return Int(step - min(step, UInt64(epochsCompleted) * perEpoch))
    }

    /// Puts the optimizer buffers and step counters into `trainer`, whose model must
    /// already hold the weights this state was saved with (as the model file holds them),
    /// and, under classic scaling, the unscaled decoder weights training continues from.
    public func restore(into trainer: Trainer) {
        precondition(trainer.options.optimizer == optimizer && trainer.model.config.hidden == config.hidden)
        trainer.step = step
        trainer.optimizer.steps = optimizerSteps
        for (name, target) in zip(Self.bufferNames(optimizer), [trainer.optimizer.first, trainer.optimizer.second]) {
            let values = buffers[name]!
            precondition(values.count == target.count)
            values.withUnsafeBufferPointer { target.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
        if let unscaledDecoderWeight {
            precondition(unscaledDecoderWeight.count == config.hidden * ModelConfig.inputs)
            unscaledDecoderWeight.withUnsafeBufferPointer {
                trainer.model.parameters.w2.update(from: $0.baseAddress!, count: $0.count)
            }
        }
    }

    /// FNV-1a over the parameters' bit patterns, one word each: equal weights, equal digest.
    public static func digest(_ parameters: Parameters) -> UInt64 {
        var fnv = FNV1a()
        let base = parameters.base
        for i in 0..<parameters.count { fnv.add(UInt64(base[i].bitPattern)) }
        return fnv.hash
    }

    // MARK: - File format

    /// The optimizer, rate, batch size and seed the run trains with.
    var options: TrainingOptions {
        var options = TrainingOptions()
        (options.optimizer, options.learningRate) = (optimizer, learningRate)
        (options.batchSize, options.seed) = (batchSize, seed)
        return options
    }

    var metadata: [String: String] {
        var m = config.metadata.merging(options.metadata) { _, new in new }
        m.merge([
            "format": Self.formatVersion,
            "train_images": String(trainImages),
            "epochs_completed": String(epochsCompleted),
            "step": String(step),
            "optimizer_steps": String(optimizerSteps),
            "model_digest": String(modelDigest, radix: 16),
        ]) { _, new in new }
        if let limit { m["limit"] = String(limit) }
        if let dataset { m["dataset"] = dataset }
        if let dataDigest { m["data_digest"] = dataDigest }
        if let log { m["log"] = log }
        if let plot { m["plot"] = plot }
        if !history.isEmpty { m["history"] = history.map { "\($0.trainLoss):\($0.testMSE)" }.joined(separator: ",") }
        return m
    }

    /// Epochs and optimizer steps done: none or more.
    static let count = Limit<Int>(expected: "at least 0") { $0 >= 0 }

    /// The tensors a state of `config` trained with `optimizer` holds, in file order: per
    /// buffer (`bufferNames`) the parameters' four tensors, then under classic scaling the
    /// unscaled decoder weights.
    static func tensors(_ config: ModelConfig, _ optimizer: OptimizerKind) -> [(name: String, shape: [Int])] {
        let parameters = Parameters.tensors(hidden: config.hidden)
        var list = bufferNames(optimizer).flatMap { buffer in parameters.map { ($0.name + "." + buffer, $0.shape) } }
        if config.scalesForInference { list.append((unscaledDecoderName, [ModelConfig.inputs, config.hidden])) }
        return list
    }

    /// The file's bytes: safetensors, buffers in `bufferNames` order, each split into
    /// the parameters' four tensors.
    public func encode() -> [UInt8] {
        var bytes = SafetensorsHeader.encode(metadata: metadata, tensors: Self.tensors(config, optimizer))
        for name in Self.bufferNames(optimizer) {
            buffers[name]!.withUnsafeBytes { bytes += $0 } // little-endian hosts, as Checkpoint
        }
        unscaledDecoderWeight?.withUnsafeBytes { bytes += $0 }
        return bytes
    }

    /// Loads and checks a training state file.
    ///
    /// - Parameter path: The `.state.safetensors` file.
    /// - Returns: The state.
    /// - Throws: `AutoencError` with `.noInput` when the file is missing, `.dataError` naming it when
    ///   anything in it is wrong.
    public static func load(_ path: String) throws -> TrainingState {
        let missing = AutoencError(.noInput, naming: "\(path): no training state: \(setting: .resume) needs the "
                                   + ".state.safetensors file that `autoenc train` writes beside the model")
        try SafetensorsHeader.requireFile(path, missing: missing, directory: missing)
        return try decode(SafetensorsHeader.contents(path), path: path)
    }

    /// Checks and reads a training state's bytes, as `load(_:)` does with a file's.
    ///
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - path: The file's name, for messages.
    /// - Returns: The state, its settings checked against their limits and its buffers finite.
    /// - Throws: `AutoencError.badData` naming `path` when the bytes are no valid training state.
    public static func decode(_ bytes: [UInt8], path: String) throws -> TrainingState {
        func bad(_ what: String) -> AutoencError { .badData(path, "not a valid autoenc training state: \(what)") }
        let header = try SafetensorsHeader.parse(bytes, bad: bad)
        guard header.hasMetadata else { throw bad("no __metadata__") }
        let m = header.metadata
        guard m["format"] == formatVersion else {
            throw bad("format \(m["format"] ?? "missing"), this autoenc reads \(formatVersion)")
        }
        let field = MetadataReader(metadata: m, bad: bad)
        let config = try ModelConfig(metadata: m, hidden: nil, complete: true, bad: bad)
        let options = try TrainingOptions(metadata: field)
        let optimizer = options.optimizer
        var state = TrainingState(
            config: config,
            seed: options.seed,
            optimizer: optimizer,
            learningRate: options.learningRate,
            batchSize: options.batchSize,
            limit: try field.value("limit", required: false, within: Limits.limit),
            // an IDX file holds at most 2^32 - 1 images; wider values would overflow
            // Trainer.stepsPerEpoch below
            trainImages: try field.value("train_images", required: true, within: Limit(1...Int(UInt32.max)))!,
            epochsCompleted: try field.value("epochs_completed", required: true, within: Self.count)!,
            step: try field.value("step") { UInt64($0) },
            optimizerSteps: try field.value("optimizer_steps", required: true, within: Self.count)!,
            modelDigest: try field.value("model_digest") { UInt64($0, radix: 16) },
            buffers: [:])
        state.dataset = m["dataset"]
        state.dataDigest = m["data_digest"]
        (state.log, state.plot) = (m["log"], m["plot"])
        for (key, value) in [("log", state.log), ("plot", state.plot)] where value?.isEmpty == true {
            throw bad("metadata \(key) is empty, expected a path")
        }
        if let text = m["history"] {
            state.history = try text.split(separator: ",").map { pair in
                let parts = pair.split(separator: ":")
                guard parts.count == 2, let loss = Double(parts[0]), let mse = Double(parts[1]) else {
                    throw bad("metadata history holds \(pair), expected TRAIN_LOSS:TEST_MSE")
                }
                return EpochFigures(trainLoss: loss, testMSE: mse)
            }
        }
        let perEpoch = UInt64(Trainer.stepsPerEpoch(images: state.trainImages, batchSize: state.batchSize))
        let (before, overflow) = UInt64(state.epochsCompleted).multipliedReportingOverflow(by: perEpoch)
        guard !overflow, state.step >= before, state.step - before < perEpoch else {
            throw bad("step \(state.step) is not within epoch \(state.epochsCompleted + 1) "
                + "(\(perEpoch) steps per epoch)")
        }
        // exactly the optimizer's buffers (and the unscaled decoder weights), contiguous
        try header.requireF32(tensors(config, optimizer), bad: bad)
        let count = Parameters.count(hidden: config.hidden)
        for name in bufferNames(optimizer) {
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { target in
                for tensor in Parameters.tensors(hidden: config.hidden) {
                    header.copyFloats(tensor.name + "." + name, from: bytes, to: target.baseAddress! + tensor.offset)
                }
            }
            state.buffers[name] = values
        }
        if config.scalesForInference {
            state.unscaledDecoderWeight = header.floats(unscaledDecoderName, from: bytes)
        }
        try state.checkValues(bad: bad)
        return state
    }

    /// Refuses values that would poison the run it resumes: anything not finite in any
    /// tensor (the optimizer's moments and the unscaled decoder weights), and a negative
    /// second moment (Adam's `exp_avg_sq` is a running mean of squares; its square root
    /// would be NaN). Throws `bad`'s error naming the tensor, the element and the value.
    func checkValues(bad: (String) -> AutoencError) throws {
        var tensors = Self.bufferNames(optimizer).compactMap { name in buffers[name].map { (name, $0) } }
        if let unscaledDecoderWeight { tensors.append((Self.unscaledDecoderName, unscaledDecoderWeight)) }
        for (buffer, values) in tensors {
            let nonNegative = buffer == "exp_avg_sq"
            guard let i = values.firstIndex(where: { !$0.isFinite || (nonNegative && $0 < 0) }) else { continue }
            // the buffers are laid out like Parameters: name the tensor the element is in
            let (tensor, offset) = buffer == Self.unscaledDecoderName ? (buffer, i)
                : Parameters.tensors(hidden: config.hidden).last { $0.offset <= i }
                    .map { ("\($0.name).\(buffer)", i - $0.offset) } ?? (buffer, i)
            let expected = values[i].isFinite ? "must not be negative" : "must be finite"
            throw bad("\(tensor) holds \(values[i]) at element \(offset); its values \(expected)")
        }
    }

    /// Creates a state from the run's settings, position and optimizer buffers.
    public init(config: ModelConfig, seed: UInt64, optimizer: OptimizerKind, learningRate: Float, batchSize: Int,
                limit: Int?, trainImages: Int, epochsCompleted: Int, step: UInt64, optimizerSteps: Int,
                modelDigest: UInt64, buffers: [String: [Float]]) {
        self.config = config
        self.seed = seed
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.limit = limit
        self.trainImages = trainImages
        self.epochsCompleted = epochsCompleted
        self.step = step
        self.optimizerSteps = optimizerSteps
        self.modelDigest = modelDigest
        self.buffers = buffers
    }
}

/// An epoch's figures, as a chart draws them.
public struct EpochFigures: Sendable, Equatable {
    /// The epoch's mean training loss.
    public var trainLoss: Double
    /// The test set's mean squared error after the epoch.
    public var testMSE: Double

    /// Creates an epoch's figures.
    public init(trainLoss: Double, testMSE: Double) {
        self.trainLoss = trainLoss
        self.testMSE = testMSE
    }
}

extension EpochFigures {
    /// The largest relative change of the training loss, over the last `epochs` epochs,
    /// that still counts as "has not moved": 1e-4, below what the printed five digits of
    /// a loss near 0.1 can show, far below what a run that learns moves in an epoch (the
    /// README session's third epoch: 11%), far above float noise in a mean over images.
    public static let stalledChange = 1e-4

    /// Whether the training loss of `history`'s last `epochs` + 1 epochs (the last `epochs`
    /// epochs' changes) stayed within `stalledChange` of its mean: learning that has
    /// stopped, as when the outputs saturate under too high a learning rate.
    ///
    /// False while the history is shorter.
    public static func lossStalled(_ history: [EpochFigures], epochs: Int = 2) -> Bool {
        guard epochs > 0, history.count > epochs else { return false }
        let losses = history.suffix(epochs + 1).map(\.trainLoss)
        let mean = losses.reduce(0, +) / Double(losses.count)
        guard mean.isFinite, mean > 0 else { return false }
        return (losses.max()! - losses.min()!) <= stalledChange * mean
    }
}
