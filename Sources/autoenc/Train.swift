import ArgumentParser
import AutoencKit
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an autoencoder and save it after every epoch.",
        discussion: """
            Every save replaces two files atomically, the training state first: the model \
            (--out; only the four nn.Linear tensors, loadable by a strict PyTorch \
            load_state_dict) and its training state beside it (model.safetensors -> \
            model.state.safetensors: optimizer moments, step, epoch and settings).

            --resume FILE continues such a pair where it stopped, with the settings it was \
            trained with; flags given again must agree with them, except --lr, --threads, \
            --epochs (the total, counting the epochs already done), --out and --log. With the \
            same --threads the result is bit for bit the one of an uninterrupted run.

            Ctrl-C or SIGTERM finishes the current step, saves both files and exits 130 or \
            143; a second signal exits at once. A loss or weight that stops being finite ends \
            the run with status 1 and leaves the last checkpoint as it was.

            Output: a header, then one line per epoch on standard output; while an epoch \
            runs, a progress bar on standard error when that is a terminal (images/s, \
            running loss, time left). --quiet prints only errors. --log - writes the JSON \
            lines to standard output and moves the human lines to standard error.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Train on the first N training images only.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Hidden units. (default: 256)", valueName: "n"))
    var hidden: Int?

    @Option(help: ArgumentHelp("Hidden activation. (default: relu)", valueName: "name"))
    var activation: Activation?

    @Option(name: .customLong("drop-p"), help: ArgumentHelp(
        "Probability of dropping a hidden unit (dropout) or a connection (DropConnect), as in PyTorch; the paper's keep probability is 1 - this. 0 means no regularizer. (default: 0)",
        valueName: "p"))
    var dropP: Float?

    @Option(name: .customLong("keep-p"), help: ArgumentHelp(
        "The papers' spelling: probability of keeping a hidden unit or connection, in (0, 1]; sets --drop-p to 1 - this. Not with --drop-p.",
        valueName: "p"))
    var keepP: Float?

    @Option(name: .customLong("dropout-scaling"), help: ArgumentHelp(
        "Where dropout's 1/(1 - p) goes: inverted divides kept units by 1 - p while training; classic (Srivastava et al.) trains unscaled and multiplies the decoder weights by 1 - p for inference and in the checkpoint. Dropout mode only. (default: inverted)",
        valueName: "rule"))
    var dropoutScaling: DropoutScaling?

    @Option(name: .customLong("input-drop-p"), help: ArgumentHelp(
        "Probability of dropping each input pixel on its way into the encoder (the paper used 0.2), with inverted scaling; the reconstruction target stays the clean image. (default: 0)",
        valueName: "p"))
    var inputDropP: Float?

    @Option(name: .customLong("max-norm"), help: ArgumentHelp(
        "After every update, scale each hidden unit's incoming weight vector (a row of the encoder weights) back to L2 norm C when it is longer. Default: no constraint.",
        valueName: "C"))
    var maxNorm: Float?

    @Option(name: .customLong("drop-mode"), help: ArgumentHelp(
        "Regularizer applied when --drop-p > 0. (default: dropout)", valueName: "mode"))
    var dropMode: DropMode?

    @Option(name: .customLong("dropconnect-masks"), help: ArgumentHelp(
        "DropConnect masks: a fresh one per example (Wan et al. 2013) or one shared by each minibatch. (default: example)",
        valueName: "sharing"))
    var masks: MaskSharing?

    @Option(help: ArgumentHelp("Passes over the training set, in all (with --resume, counting those already done).", valueName: "n"))
    var epochs: Int = 10

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Images per optimizer step. (default: 128)", valueName: "n"))
    var batchSize: Int?

    @Option(help: ArgumentHelp("Learning rate. (default: 0.001)", valueName: "rate"))
    var lr: Float?

    @Option(help: ArgumentHelp("Update rule (momentum is SGD with momentum 0.9). (default: adam)", valueName: "name"))
    var optimizer: OptimizerKind?

    @Option(help: ArgumentHelp("Random seed for initialization, shuffling and masks. (default: 0)", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Threads for the training steps. Default: all cores.", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp(
        "Continue training the checkpoint FILE, with the training state beside it (FILE.safetensors -> FILE.state.safetensors).",
        valueName: "file"))
    var resume: String?

    @Option(name: .long, help: ArgumentHelp(
        "Checkpoint to write, replaced atomically after every epoch, with its training state beside it. Default: the --resume file, else model.safetensors.",
        valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp(
        "Append one JSON object per epoch to this file; - writes them to standard output (the human lines then go to standard error).",
        valueName: "file"))
    var log: String?

    @Option(help: ArgumentHelp(
        "Draw the training loss and test MSE per epoch (of this run) to this .png or .svg chart, replaced atomically after every epoch.",
        valueName: "file"))
    var plot: String?

    @Flag(name: [.short, .long], help: "Print nothing but errors: no header, epoch lines or progress bar.")
    var quiet = false

    static let defaultOut = "model.safetensors"

    func validate() throws {
        if let dropP {
            guard dropP.isFinite, dropP >= 0, dropP < 1 else {
                throw ValidationError("--drop-p must be in [0, 1), got \(dropP)")
            }
        }
        if let keepP {
            guard dropP == nil else {
                throw ValidationError("--keep-p and --drop-p say the same thing (keep = 1 - drop); give one of them")
            }
            guard keepP.isFinite, keepP > 0, keepP <= 1 else {
                throw ValidationError("--keep-p must be in (0, 1], got \(keepP)")
            }
        }
        if let inputDropP {
            guard inputDropP.isFinite, inputDropP >= 0, inputDropP < 1 else {
                throw ValidationError("--input-drop-p must be in [0, 1), got \(inputDropP)")
            }
        }
        if let maxNorm { try requireFinite(maxNorm, "--max-norm", { $0 > 0 }, "a positive number") }
        if dropoutScaling == .classic && dropMode == .dropconnect {
            throw ValidationError("--dropout-scaling classic applies to --drop-mode dropout only; DropConnect trains with inverted scaling")
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let batchSize, !(1...65536).contains(batchSize) {
            throw ValidationError("--batch-size must be in 1...65536, got \(batchSize)")
        }
        if let hidden, !(1...16384).contains(hidden) {
            throw ValidationError("--hidden must be in 1...16384, got \(hidden)")
        }
        if let lr { try requireFinite(lr, "--lr", { $0 > 0 }, "a positive number") }
        if let threads, !(1...1024).contains(threads) {
            throw ValidationError("--threads must be in 1...1024, got \(threads)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        for (flag, path) in [("--resume", resume), ("--out", out), ("--log", log), ("--plot", plot)] where path?.isEmpty == true {
            throw ValidationError("\(flag) must name a file, got an empty string")
        }
        if let plot, LineChart.Format(path: plot) == nil {
            throw ValidationError("--plot \(plot): expected a .png or .svg file name")
        }
        if let log {
            let out = self.out ?? resume ?? Self.defaultOut
            let standard = { (path: String) in (path as NSString).standardizingPath }
            if [out, TrainingState.path(besideModel: out)].map(standard).contains(standard(log)) {
                throw ValidationError("--log \(log) would overwrite the checkpoint or its training state; name another file")
            }
        }
    }

    func run() throws {
        try reportingErrors {
            // Outputs first: nothing is read, trained or created when one cannot be written.
            let out = self.out ?? resume ?? Self.defaultOut
            let statePath = TrainingState.path(besideModel: out)
            try AtomicFile.checkWritable(out, what: "--out")
            try AtomicFile.checkWritable(statePath, what: "--out (training state)")
            try TrainReporter.checkOutputs(log: log, plot: plot)
            AtomicFile.removeStaleTemporaries(for: out)
            AtomicFile.removeStaleTemporaries(for: statePath)

            let previous = try resume.map(Self.loadResumable)
            let location = try dataOptions.location()
            let limit = self.limit ?? previous?.state.limit
            // the test set inflates on a second core while the training set inflates here
            let (fullTrain, test) = try location.loadBoth()
            let train = fullTrain.prefix(limit)

            let settings: Settings
            if let previous {
                settings = try resolve(against: previous.state, trainImages: train.count, data: location.directory)
            } else {
                settings = Settings(flags: self)
            }
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            var options = TrainingOptions()
            options.epochs = epochs
            options.batchSize = settings.batchSize
            options.learningRate = settings.learningRate
            options.optimizer = settings.optimizer
            options.seed = settings.seed
            options.threads = threadCount
            let config = settings.config
            let model = previous.map { Autoencoder(config: config, parameters: $0.parameters) }
                ?? Autoencoder(config: config, seed: settings.seed)
            let trainer = Trainer(model: model, options: options, largestBatch: train.count)
            previous?.state.restore(into: trainer)
            let reporter = TrainReporter(quiet: quiet, log: log, plot: plot)

            /// Saves the training state, then the model, as one atomic set.
            func save(epochsCompleted: Int, interruptedIn: Int?) throws {
                var extra = ["optimizer": settings.optimizer.rawValue, "lr": String(settings.learningRate),
                             "batch_size": String(settings.batchSize), "step": String(trainer.step)]
                if let interruptedIn { extra["interrupted_in_epoch"] = String(interruptedIn) }
                let metadata = CheckpointMetadata(config: config, seed: settings.seed, epoch: epochsCompleted,
                                                  dataset: location.directory, extra: extra)
                guard model.parameters.isFinite else { // Trainer throws first; never write NaN weights
                    throw AutoencError(.diverged, "training diverged by step \(trainer.step): the weights are not finite; nothing saved")
                }
                let state = TrainingState(trainer: trainer, limit: limit, trainImages: train.count, epochsCompleted: epochsCompleted)
                let stateBytes = state.encode()
                // inference-ready: under classic scaling, decoder weights times 1 - p
                let (header, data) = Checkpoint.encode(trainer.inferenceModel().parameters, metadata: metadata)
                try stateBytes.withUnsafeBytes { stateFile in
                    try header.withUnsafeBytes { modelHeader in
                        try AtomicFile.write([(statePath, [stateFile]), (out, [modelHeader, data])])
                    }
                }
            }

            let firstEpoch = (previous?.state.epochsCompleted ?? 0) + 1
            var skipSteps = previous?.state.stepsIntoEpoch ?? 0
            let stepsPerEpoch = Trainer.stepsPerEpoch(images: train.count, batchSize: settings.batchSize)
            reporter.say("data: \(location.directory) (\(train.count) training, \(test.count) test images)")
            reporter.say("model: 784-\(config.hidden)-784, \(config.activation.rawValue), \(describe(config)); \(settings.optimizer.rawValue) lr \(settings.learningRate), batch \(settings.batchSize), seed \(settings.seed), \(threadCount) threads, BLAS \(BLASRuntime.coreName), vectors \(Kernels.current.level.rawValue)")
            if let resume, let previous {
                reporter.say("resuming \(resume) at epoch \(firstEpoch), step \(previous.state.step) (\(skipSteps) of \(stepsPerEpoch) steps of this epoch done)")
            }

            StopSignals.install()
            if let started = ProcessClock.secondsSinceStart() {
                reporter.say(String(format: "first batch after %.2f s (start-up and reading the data)", started))
            }
            var epoch = firstEpoch
            while epoch <= epochs, StopSignals.pending == nil {
                let report = try reporter.epoch("epoch \(epoch)/\(epochs)", images: train.count,
                                                alreadyDone: min(train.count, skipSteps * settings.batchSize)) { progress in
                    try trainer.trainEpoch(train, test: test, epoch: epoch, startingStep: skipSteps,
                                           shouldStop: { StopSignals.pending != nil }, progress: progress)
                }
                skipSteps = 0
                try save(epochsCompleted: report.completed ? epoch : epoch - 1, interruptedIn: report.completed ? nil : epoch)
                guard report.completed else { break }
                try reporter.completed(report, of: epochs)
                epoch += 1
            }
            if let signal = StopSignals.pending, epoch <= epochs {
                let done = trainer.step - min(trainer.step, UInt64(epoch - 1) * UInt64(stepsPerEpoch))
                var again = "autoenc train --resume \(out) --epochs \(epochs)"
                if let data = dataOptions.data { again += " --data \(data)" }
                printError("autoenc: stopped by \(StopSignals.name(signal)) in epoch \(epoch) after step \(trainer.step) (\(done) of \(stepsPerEpoch) steps of the epoch); saved \(out) and \(statePath); continue with: \(again)")
                throw ExitCode(128 + signal)
            }
            reporter.say("saved \(out)")
        }
    }

    // MARK: - Resuming

    /// A checkpoint and its training state, checked to belong together.
    struct Resumable {
        var parameters: Parameters
        var state: TrainingState
    }

    /// Loads `path` and the state beside it. Throws `.noInput` (66) when either is
    /// missing, `.dataError` (65) when either is invalid or they do not belong together.
    static func loadResumable(_ path: String) throws -> Resumable {
        if path.hasSuffix(".state.safetensors") {
            throw AutoencError(.usage, "--resume \(path): expected the model file, found its training state; pass \(path.dropLast(".state.safetensors".count)).safetensors")
        }
        let loaded = try Checkpoint.load(path)
        let statePath = TrainingState.path(besideModel: path)
        let state = try TrainingState.load(statePath)
        guard state.config == loaded.config else {
            throw AutoencError.badData(statePath, "describes a 784-\(state.config.hidden)-784 \(describe(state.config)) model, but \(path) holds 784-\(loaded.config.hidden)-784 \(describe(loaded.config))")
        }
        guard TrainingState.digest(loaded.parameters) == state.modelDigest else {
            throw AutoencError.badData(statePath, "was saved with other weights than those now in \(path) (its step \(state.step), the model's \(loaded.metadata["step"] ?? "unknown")); the pair cannot be resumed")
        }
        return Resumable(parameters: loaded.parameters, state: state)
    }

    /// The settings to continue with: the checkpoint's, with --lr allowed to change.
    /// Throws `.usage` (64) listing every flag that disagrees with the checkpoint.
    func resolve(against state: TrainingState, trainImages: Int, data: String) throws -> Settings {
        var differences: [String] = []
        func check<T: Equatable>(_ flag: String, _ given: T?, _ saved: T) {
            if let given, given != saved { differences.append("\(flag) \(given) (checkpoint: \(saved))") }
        }
        check("--hidden", hidden, state.config.hidden)
        check("--activation", activation?.rawValue, state.config.activation.rawValue)
        check("--drop-p", dropP, state.config.dropP)
        check("--drop-mode", dropMode?.rawValue, state.config.dropMode.rawValue)
        check("--dropconnect-masks", masks?.rawValue, state.config.masks.rawValue)
        if let keepP, 1 - keepP != state.config.dropP { // as Settings(flags:) derives it
            differences.append("--keep-p \(keepP) (checkpoint: \(state.config.keepP))")
        }
        check("--dropout-scaling", dropoutScaling?.rawValue, state.config.scaling.rawValue)
        check("--input-drop-p", inputDropP, state.config.inputDropP)
        if let maxNorm, maxNorm != state.config.maxNorm {
            differences.append("--max-norm \(maxNorm) (checkpoint: \(state.config.maxNorm.map { "\($0)" } ?? "none"))")
        }
        check("--seed", seed, state.seed)
        check("--optimizer", optimizer?.rawValue, state.optimizer.rawValue)
        check("--batch-size", batchSize, state.batchSize)
        if let limit, limit != state.limit {
            differences.append("--limit \(limit) (checkpoint: \(state.limit.map(String.init) ?? "none"))")
        }
        if differences.isEmpty && trainImages != state.trainImages {
            differences.append("--data \(data) gives \(trainImages) training images (checkpoint: \(state.trainImages))")
        }
        guard differences.isEmpty else {
            throw AutoencError(.usage, "--resume \(resume!): flags disagree with the checkpoint's settings: \(differences.joined(separator: "; ")); leave them out to use the checkpoint's")
        }
        if state.stepsIntoEpoch == 0 && state.epochsCompleted >= epochs {
            throw AutoencError(.usage, "--epochs \(epochs): \(resume!) has already completed \(state.epochsCompleted) epochs; pass a larger --epochs to train more")
        }
        return Settings(config: state.config, seed: state.seed, optimizer: state.optimizer,
                        learningRate: lr ?? state.learningRate, batchSize: state.batchSize)
    }

    /// What defines a run besides its length.
    struct Settings {
        var config: ModelConfig
        var seed: UInt64
        var optimizer: OptimizerKind
        var learningRate: Float
        var batchSize: Int
    }
}

extension Train.Settings {
    /// A new run's settings: the flags given, defaults for the rest.
    init(flags: Train) {
        let defaults = ModelConfig()
        config = ModelConfig(hidden: flags.hidden ?? defaults.hidden, activation: flags.activation ?? defaults.activation,
                             dropP: flags.dropP ?? flags.keepP.map { 1 - $0 } ?? defaults.dropP,
                             dropMode: flags.dropMode ?? defaults.dropMode, masks: flags.masks ?? defaults.masks,
                             scaling: flags.dropoutScaling ?? defaults.scaling,
                             inputDropP: flags.inputDropP ?? defaults.inputDropP, maxNorm: flags.maxNorm ?? defaults.maxNorm)
        let options = TrainingOptions()
        seed = flags.seed ?? options.seed
        optimizer = flags.optimizer ?? options.optimizer
        learningRate = flags.lr ?? options.learningRate
        batchSize = flags.batchSize ?? options.batchSize
    }
}

func describe(_ config: ModelConfig) -> String {
    var parts: [String] = []
    if config.inputDropP > 0 { parts.append("input dropout p_drop \(config.inputDropP)") }
    if config.dropP > 0 {
        switch config.dropMode {
        case .dropout:
            parts.append("dropout p_drop \(config.dropP)" + (config.scaling == .classic ? ", classic scaling" : ""))
        case .dropconnect: parts.append("DropConnect p_drop \(config.dropP), masks per \(config.masks.rawValue)")
        }
    }
    if let c = config.maxNorm { parts.append("max-norm \(c)") }
    return parts.isEmpty ? "no regularizer" : parts.joined(separator: ", ")
}
