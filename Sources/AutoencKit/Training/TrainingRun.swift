import Foundation

/// A training run: a model and its trainer, the data it trains on, and the checkpoint pair
/// it saves after every epoch.
///
/// Started fresh or resumed from a saved pair, it runs epochs until the last or until told
/// to stop, and reports through a `TrainingObserver`. `train` and `compare` are built on
/// it.
public final class TrainingRun {
    /// Where a run saves: the model file and its training state beside it.
    public struct Output: Sendable {
        public let model: String
        public let state: String
        /// The flag that named the model file, for messages: --out, or --resume when the
        /// run saves over the pair it continues.
        public let flag: String

        public init(model: String, flag: String = "--out") {
            self.model = model
            self.flag = flag
            state = TrainingState.path(besideModel: model)
        }

        /// `train`'s model file when neither --out nor --resume names one.
        public static let defaultModel = "model.safetensors"

        /// Where `train` saves: `out` (--out) when given, else over the pair `resume`
        /// (--resume) continues, else `defaultModel`.
        public init(out: String?, resume: String?) {
            self.init(model: out ?? resume ?? Self.defaultModel,
                      flag: out == nil && resume != nil ? "--resume" : "--out")
        }

        /// Why these outputs would clobber a file, as a usage message, or nil: a model
        /// named (`named`: by --out) with another extension than .safetensors or a
        /// training state's name, or a `log` or `plot` that is the pair or each other.
        public func problem(named: Bool, log: String?, plot: String?) -> String? {
            if named && !model.hasSuffix(".safetensors") {
                return "--out \(model): expected a .safetensors file name (the model; "
                    + "its training state goes beside it)"
            }
            if named && TrainingState.isStatePath(model) {
                return "--out \(model): a name ending in .state.safetensors is a training state's; "
                    + "name the model file, its state goes beside it"
            }
            let standard = { (path: String) in (path as NSString).standardizingPath }
            let pair = [model, state].map(standard)
            for (flag, path) in [("--log", log), ("--plot", plot)] {
                if let path, pair.contains(standard(path)) {
                    return "\(flag) \(path) would overwrite the checkpoint or its training state; name another file"
                }
            }
            if let log, let plot, standard(log) == standard(plot) {
                return "--log and --plot both name \(log); name two files"
            }
            return nil
        }
    }

    /// How `run` ended.
    public enum Outcome: Equatable, Sendable {
        /// Every epoch asked for was trained and saved.
        case finished
        /// The observer asked to stop; what was trained is saved. `stepsIntoEpoch` steps
        /// of epoch `epoch` were taken.
        case stopped(epoch: Int, stepsIntoEpoch: Int)
    }

    public let trainer: Trainer
    /// The training images (after `limit`) and the test images.
    public let train: ImageSet
    public let test: ImageSet
    /// The data set's directory, recorded in the checkpoint (absolute when it is a
    /// `DataLocation.absoluteDirectory`), and the training images' digest.
    public let dataset: String
    public let dataDigest: String
    /// `ImageSet.digest` of the test images, recorded in the model file so that
    /// `reconstruct` and the others can tell whether its data set has changed since.
    public let testDigest: String
    /// The `--limit` the run was asked for, if any (recorded for resuming).
    public let limit: Int?
    public let output: Output?
    /// The run's `--log` and `--plot` as they are recorded in its training state
    /// (`RunRecords.recorded`), for a resumed run to go on with; nil when it has none.
    public var log: String?
    public var plot: String?
    /// Epochs whose every step was taken.
    public private(set) var epochsCompleted: Int
    /// Steps of epoch `epochsCompleted + 1` already taken (a resumed or stopped epoch).
    public private(set) var stepsIntoEpoch: Int
    /// The figures of every completed epoch, those before a resume included (when the
    /// state recorded them).
    public private(set) var history: [EpochFigures]
    /// Tells this run's records from others' in a shared log: 16 hex digits, new each run.
    public let id: String = {
        let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }()

    public var model: Autoencoder { trainer.model }
    public var config: ModelConfig { trainer.model.config }
    public var options: TrainingOptions { trainer.options }
    public var stepsPerEpoch: Int { Trainer.stepsPerEpoch(images: train.count, batchSize: options.batchSize) }

    /// A run of `config` trained with `options` on `train` (already cut to `limit`),
    /// evaluated on `test`, saved to `output` (nothing is saved when nil). With
    /// `resuming`, the run continues that saved pair, whose settings the caller has
    /// reconciled (`RunRequest.resumed`); otherwise the model starts from `options.seed`.
    public init(config: ModelConfig, options: TrainingOptions, train: ImageSet, test: ImageSet, dataset: String,
                limit: Int?, output: Output?, resuming saved: SavedRun? = nil) {
        let model = saved.map { Autoencoder(config: config, parameters: $0.parameters) }
            ?? Autoencoder(config: config, seed: options.seed)
        trainer = Trainer(model: model, options: options, largestBatch: train.count)
        saved?.state.restore(into: trainer)
        self.train = train
        self.test = test
        self.dataset = dataset
        dataDigest = train.digest
        testDigest = test.digest
        self.limit = limit
        self.output = output
        epochsCompleted = saved?.state.epochsCompleted ?? 0
        stepsIntoEpoch = saved?.state.stepsIntoEpoch ?? 0
        history = saved.map { Array($0.state.history.prefix($0.state.epochsCompleted)) } ?? []
    }

    /// The first record of the run in a `--log`: its id, when it started, whether it
    /// resumed, what made it (version, command line, BLAS core; the kernels are among the
    /// settings) and its settings, numbers as JSON numbers (`JSON.setting`).
    public func startRecord(threads: Int, provenance: Provenance = .current()) -> String {
        var settings = config.metadata.merging(options.metadata) { _, new in new }
        settings["threads"] = String(threads)
        settings["kernels"] = options.kernels.rawValue
        settings["dataset"] = dataset
        settings["data_digest"] = dataDigest
        settings["train_images"] = String(train.count)
        if let limit { settings["limit"] = String(limit) }
        // numbers as numbers (`JSON.setting`); the digest stays a string, as its hex may spell one
        let values = settings.sorted { $0.key < $1.key }.map { key, value in
            (key, key == "data_digest" ? JSON.string(value) : JSON.setting(value))
        }
        let resumed: JSON = epochsCompleted > 0 || stepsIntoEpoch > 0
            ? .object([("epoch", .number(Double(epochsCompleted + 1))), ("step", .number(Double(trainer.step)))])
            : .null
        return JSON.object([
            ("run", .string(id)), ("started", .string(provenance.date)), ("resumed_at", resumed),
            ("autoenc_version", .string(provenance.version)), ("command", .string(provenance.command)),
            ("blas", .string(provenance.blas)), ("settings", .object(values)),
        ]).compact
    }

    /// Trains epochs `epochsCompleted + 1 ... epochs`, saving after each (and after a
    /// stopped one). The observer shows the epochs and decides when to stop.
    /// Throws `.diverged` (the last save is kept, and the message says whether there is
    /// one) and the save's errors.
    public func run(through epochs: Int, observer: TrainingObserver) throws -> Outcome {
        do {
            return try runEpochs(through: epochs, observer: observer)
        } catch let error as AutoencError where error.status == .diverged {
            guard let output else { throw error }
            let saved = FileManager.default.fileExists(atPath: output.model)
            let kept = saved ? " The last checkpoint is unchanged." : " Nothing was saved."
            throw AutoencError(.diverged, error.userMessage + kept)
        }
    }

    private func runEpochs(through epochs: Int, observer: TrainingObserver) throws -> Outcome {
        observer.started(self)
        var epoch = epochsCompleted + 1
        while epoch <= epochs {
            if observer.shouldStop { return .stopped(epoch: epoch, stepsIntoEpoch: stepsIntoEpoch) }
            let alreadyDone = min(train.count, stepsIntoEpoch * options.batchSize)
            let report = try observer.epoch(epoch, of: epochs, images: train.count,
                                            alreadyDone: alreadyDone) { progress in
                try trainer.trainEpoch(train, test: test, epoch: epoch, startingStep: stepsIntoEpoch,
                                       shouldStop: { observer.shouldStop }, progress: progress)
            }
            if report.completed {
                epochsCompleted = epoch
                stepsIntoEpoch = 0
                history.append(EpochFigures(trainLoss: report.trainLoss, testMSE: report.testMSE))
            } else {
                stepsIntoEpoch += report.steps
            }
            try save()
            guard report.completed else { return .stopped(epoch: epoch, stepsIntoEpoch: stepsIntoEpoch) }
            try observer.completed(report, of: epochs)
            epoch += 1
        }
        return .finished
    }

    /// What the model file's metadata records of this run after `epochsCompleted` epochs.
    public func checkpointMetadata() -> CheckpointMetadata {
        var extra = options.metadata
        (extra["step"], extra["data_digest"]) = (String(trainer.step), dataDigest)
        extra[Checkpoint.Loaded.testDigestKey] = testDigest
        if stepsIntoEpoch > 0 { extra["interrupted_in_epoch"] = String(epochsCompleted + 1) }
        return CheckpointMetadata(config: config, seed: options.seed, epoch: epochsCompleted,
                                  dataset: dataset, extra: extra)
    }

    /// Saves the training state, then the model, as one atomic pair (nothing when the run
    /// has no output). The model file holds inference-ready weights (under classic
    /// scaling, decoder weights times 1 - p). Never writes non-finite weights. The old
    /// state is kept aside until the model is replaced too, so that a process killed
    /// between the two renames leaves a pair `SavedRun.load` can resume.
    public func save() throws {
        guard let output else { return }
        guard model.parameters.isFinite else { // Trainer throws first; never write NaN weights
            throw AutoencError(.diverged, "training diverged by step \(trainer.step): "
                + "the weights are not finite; nothing saved")
        }
        var state = TrainingState(trainer: trainer, limit: limit, trainImages: train.count,
                                  epochsCompleted: epochsCompleted,
                                  dataset: dataset, dataDigest: dataDigest, history: history)
        (state.log, state.plot) = (log, plot)
        let stateBytes = state.encode()
        let inference = trainer.inferenceModel().parameters
        try withExtendedLifetime(inference) {
            let (header, data) = Checkpoint.encode(inference, metadata: checkpointMetadata())
            try stateBytes.withUnsafeBytes { stateFile in
                try header.withUnsafeBytes { modelHeader in
                    try AtomicFile.write([(output.state, [stateFile]), (output.model, [modelHeader, data])],
                                         keepingPrevious: true)
                }
            }
        }
    }
}

/// What a `TrainingRun` shows and asks while it runs.
///
/// `train` implements it with its epoch lines, progress bar, log and chart, and Ctrl-C;
/// `compare` with a line per epoch.
public protocol TrainingObserver: AnyObject {
    /// Asked before each epoch and after each step: whether to stop (and save).
    var shouldStop: Bool { get }
    /// Runs epoch `epoch`'s training, `train`, which reports its progress (images seen,
    /// images in the epoch, running loss) through the closure it is given.
    func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
               train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport
    /// An epoch completed and was saved.
    func completed(_ report: EpochReport, of epochs: Int) throws
    /// `run` is about to train its first epoch (or not, when stopped at once).
    func started(_ run: TrainingRun)
}

extension TrainingObserver {
    public func started(_ run: TrainingRun) {}
}

/// A saved checkpoint pair, checked to belong together: what `--resume` continues.
public struct SavedRun: Sendable {
    public var parameters: Parameters
    public var state: TrainingState

    /// Loads `path` and the training state beside it. A save killed between its two
    /// renames leaves the new state beside the old model: then the old state, which
    /// `TrainingRun.save` kept aside (`AtomicFile.previousVersion`), is the model's.
    /// Throws `.usage` (64) when `path` is the state file itself, `.noInput` (66) when
    /// either file is missing, `.dataError` (65) when either is invalid or they do not
    /// belong together.
    public static func load(_ path: String) throws -> SavedRun {
        if TrainingState.isStatePath(path) {
            throw AutoencError(.usage, "--resume \(path): expected the model file, found its training state; "
                + "pass \(TrainingState.path(besideState: path))")
        }
        let loaded = try Checkpoint.load(path)
        let statePath = TrainingState.path(besideModel: path)
        let state = try TrainingState.load(statePath)
        guard state.config == loaded.config else {
            throw AutoencError.badData(statePath, "describes a 784-\(state.config.hidden)-784 \(state.config.summary) "
                + "model, but \(path) holds 784-\(loaded.config.hidden)-784 \(loaded.config.summary)")
        }
        let digest = TrainingState.digest(loaded.parameters)
        guard digest == state.modelDigest else {
            let previous = AtomicFile.previousVersion(of: statePath)
            if FileManager.default.fileExists(atPath: previous), let kept = try? TrainingState.load(previous),
               kept.config == loaded.config, kept.modelDigest == digest {
                return SavedRun(parameters: loaded.parameters, state: kept)
            }
            throw AutoencError.badData(statePath, "was saved with other weights than those now in \(path) "
                + "(its step \(state.step), the model's \(loaded.metadata["step"] ?? "unknown")); "
                + "the pair cannot be resumed")
        }
        return SavedRun(parameters: loaded.parameters, state: state)
    }
}

/// The settings a user asked for; nil leaves a setting to its default (a new run) or to the
/// checkpoint (a resumed run).
///
/// Field names follow `autoenc train`'s flags, which messages name.
public struct RunRequest: Sendable {
    public var hidden: Int?
    public var activation: Activation?
    public var dropP: Float?
    /// The papers' spelling, 1 - dropP; not with `dropP`.
    public var keepP: Float?
    public var dropMode: DropMode?
    public var masks: MaskSharing?
    public var scaling: DropoutScaling?
    public var inputDropP: Float?
    public var maxNorm: Float?
    public var optimizer: OptimizerKind?
    public var learningRate: Float?
    public var batchSize: Int?
    public var seed: UInt64?
    public var limit: Int?

    public init() {}

    /// The first value outside `Limits`, or the first meaningless combination, as a
    /// usage message naming the flag; nil when all is well. A new run (`newRun`) also
    /// refuses the settings of a regularizer it does not use (a resumed run takes its
    /// regularizer from the checkpoint, and checks the flags against it).
    public func problem(newRun: Bool) -> String? {
        if let problem = Limits.dropP.problem(dropP, name: "--drop-p") { return problem }
        if keepP != nil && dropP != nil {
            return "--keep-p and --drop-p say the same thing (keep = 1 - drop); give one of them"
        }
        if let problem = Limits.keepP.problem(keepP, name: "--keep-p")
            ?? Limits.inputDropP.problem(inputDropP, name: "--input-drop-p")
            ?? Limits.maxNorm.problem(maxNorm, name: "--max-norm")
            ?? Limits.batchSize.problem(batchSize, name: "--batch-size")
            ?? Limits.hidden.problem(hidden,
                                     name: "--hidden") ?? Limits.learningRate.problem(learningRate, name: "--lr")
            ?? Limits.limit.problem(limit, name: "--limit") {
            return problem
        }
        if scaling == .classic && dropMode == .dropconnect {
            return "--dropout-scaling classic applies to --drop-mode dropout only; "
                + "DropConnect trains with inverted scaling"
        }
        if scaling == .classic && dropMode == .gaussian {
            return "--dropout-scaling classic applies to --drop-mode dropout only; Gaussian dropout's factor "
                + "1 + sigma eps has mean 1, so it needs no scaling at test time"
        }
        if dropMode == .dropconnect, let p = dropP ?? keepP.map({ 1 - $0 }),
           let problem = DropConnectMask.problem(dropP: p, given: keepP.map { "--keep-p \($0)" } ?? "--drop-p \(p)") {
            return problem
        }
        guard newRun else { return nil }
        let regularized = (dropP ?? keepP.map { 1 - $0 } ?? 0) > 0
        if masks != nil && !(regularized && (dropMode ?? .dropout) == .dropconnect) {
            return "--dropconnect-masks applies to DropConnect only: give --drop-mode dropconnect and --drop-p"
        }
        if scaling == .classic && !regularized {
            return "--dropout-scaling classic applies to dropout only: "
                + "give --drop-p (without it there is no dropout to scale)"
        }
        if let mode = dropMode, mode != .dropout, !regularized {
            return "--drop-mode \(mode.rawValue) needs --drop-p (or --keep-p below 1): "
                + "without it there is no regularizer"
        }
        return nil
    }

    /// A line for a new run whose settings will barely learn: SGD or momentum with Adam's
    /// default rate. Nil otherwise.
    public var note: String? {
        guard learningRate == nil, let optimizer, optimizer != .adam else { return nil }
        return "note: --lr \(TrainingOptions().learningRate) is Adam's default; "
            + "with --optimizer \(optimizer.rawValue) it learns slowly, so pass a larger --lr"
    }

    /// A new run's settings: the values asked for, defaults for the rest.
    public func newRun() -> (config: ModelConfig, options: TrainingOptions) {
        let model = ModelConfig()
        let config = ModelConfig(hidden: hidden ?? model.hidden, activation: activation ?? model.activation,
                                 dropP: dropP ?? keepP.map { 1 - $0 } ?? model.dropP,
                                 dropMode: dropMode ?? model.dropMode, masks: masks ?? model.masks,
                                 scaling: scaling ?? model.scaling,
                                 inputDropP: inputDropP ?? model.inputDropP, maxNorm: maxNorm ?? model.maxNorm)
        var options = TrainingOptions()
        options.seed = seed ?? options.seed
        options.optimizer = optimizer ?? options.optimizer
        options.learningRate = learningRate ?? options.learningRate
        options.batchSize = batchSize ?? options.batchSize
        return (config, options)
    }

    /// The settings to continue `state` with: its own, with the learning rate allowed to
    /// change. `train` is what the data in `data` give now (`dataGiven`: named by --data).
    /// Throws `.usage` (64) listing every value that disagrees with the checkpoint
    /// `checkpoint`, when the training images are not the ones it was trained on (their
    /// count or digest), or when its `epochsCompleted` already reach `epochs`.
    public func resumed(_ state: TrainingState, train: ImageSet, data: String, dataGiven: Bool, checkpoint: String,
                        epochs: Int) throws -> (config: ModelConfig, options: TrainingOptions) {
        let trainImages = train.count
        var differences: [String] = []
        func check<T: Equatable>(_ flag: String, _ given: T?, _ saved: T) {
            if let given, given != saved { differences.append("\(flag) \(given) (checkpoint: \(saved))") }
        }
        let saved = state.config
        check("--hidden", hidden, saved.hidden)
        check("--activation", activation?.rawValue, saved.activation.rawValue)
        check("--drop-p", dropP, saved.dropP)
        check("--drop-mode", dropMode?.rawValue, saved.dropMode.rawValue)
        check("--dropconnect-masks", masks?.rawValue, saved.masks.rawValue)
        if let keepP, 1 - keepP != saved.dropP { // as newRun() derives it
            differences.append("--keep-p \(keepP) (checkpoint: \(saved.keepP))")
        }
        check("--dropout-scaling", scaling?.rawValue, saved.scaling.rawValue)
        check("--input-drop-p", inputDropP, saved.inputDropP)
        if let maxNorm, maxNorm != saved.maxNorm {
            differences.append("--max-norm \(maxNorm) (checkpoint: \(saved.maxNorm.map { "\($0)" } ?? "none"))")
        }
        check("--seed", seed, state.seed)
        check("--optimizer", optimizer?.rawValue, state.optimizer.rawValue)
        check("--batch-size", batchSize, state.batchSize)
        if let limit, limit != state.limit {
            differences.append("--limit \(limit) (checkpoint: \(state.limit.map(String.init) ?? "none"))")
        }
        guard differences.isEmpty else {
            throw AutoencError(.usage, "--resume \(checkpoint): flags disagree with the checkpoint's settings: "
                + "\(differences.joined(separator: "; ")); leave them out to use the checkpoint's")
        }
        // the data: the checkpoint's unless --data said otherwise (`dataGiven`)
        let trained = state.dataset ?? "an unrecorded data set"
        let hint = dataGiven ? "; leave --data out to use the checkpoint's" : ""
        if trainImages != state.trainImages {
            throw AutoencError(.usage, "--resume \(checkpoint): the data in \(data) give \(trainImages) "
                + "training images, the checkpoint was trained on \(state.trainImages) from \(trained)\(hint)")
        }
        if let saved = state.dataDigest, saved != train.digest {
            throw AutoencError(.usage, "--resume \(checkpoint): the training images in \(data) "
                + "are not those the checkpoint was trained on (digest \(train.digest); the checkpoint's: \(saved), "
                + "from \(trained))\(hint)")
        }
        // a run stopped part-way through epoch E + 1 needs --epochs E + 1 or more to finish it
        if state.epochsCompleted >= epochs {
            let partWay = state.stepsIntoEpoch > 0 ? " and is part-way through epoch \(state.epochsCompleted + 1)" : ""
            throw AutoencError(.usage, "--epochs \(epochs): \(checkpoint) has already completed "
                               + "\(state.epochsCompleted) epochs\(partWay); pass a larger --epochs to train more")
        }
        var options = TrainingOptions()
        options.seed = state.seed
        options.optimizer = state.optimizer
        options.learningRate = learningRate ?? state.learningRate
        options.batchSize = state.batchSize
        return (saved, options)
    }
}

extension ModelConfig {
    /// "no regularizer", or the regularizers with their settings, as `train` prints them.
    public var summary: String {
        var parts: [String] = []
        if inputDropP > 0 { parts.append("input dropout p_drop \(inputDropP)") }
        if dropP > 0 {
            switch dropMode {
            case .dropout:
                parts.append("dropout p_drop \(dropP)" + (scaling == .classic ? ", classic scaling" : ""))
            case .dropconnect: parts.append("DropConnect p_drop \(dropP), masks per \(masks.rawValue)")
            case .gaussian:
                let sigma = Float(GaussianNoise(dropP: dropP, seed: 0).sigma)
                parts.append("Gaussian dropout p_drop \(dropP) (sigma \(sigma))")
            }
        }
        if let maxNorm { parts.append("max-norm \(maxNorm)") }
        return parts.isEmpty ? "no regularizer" : parts.joined(separator: ", ")
    }
}
