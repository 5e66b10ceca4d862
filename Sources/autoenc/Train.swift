import ArgumentParser
import AutoencKit
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an autoencoder and save it after every epoch.")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Train on the first N training images only.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Hidden units.", valueName: "n"))
    var hidden: Int = 256

    @Option(help: ArgumentHelp("Hidden activation.", valueName: "name"))
    var activation: Activation = .relu

    @Option(name: .customLong("drop-p"), help: ArgumentHelp(
        "Probability of dropping a hidden unit (dropout) or a connection (DropConnect), as in PyTorch; the paper's keep probability is 1 - this. 0 means no regularizer.",
        valueName: "p"))
    var dropP: Float = 0

    @Option(name: .customLong("drop-mode"), help: ArgumentHelp("Regularizer applied when --drop-p > 0.", valueName: "mode"))
    var dropMode: DropMode = .dropout

    @Option(name: .customLong("dropconnect-masks"), help: ArgumentHelp(
        "DropConnect masks: a fresh one per example (Wan et al. 2013) or one shared by each minibatch.",
        valueName: "sharing"))
    var masks: MaskSharing = .example

    @Option(help: ArgumentHelp("Passes over the training set.", valueName: "n"))
    var epochs: Int = 10

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Images per optimizer step.", valueName: "n"))
    var batchSize: Int = 128

    @Option(help: ArgumentHelp("Learning rate.", valueName: "rate"))
    var lr: Float = 1e-3

    @Option(help: ArgumentHelp("Update rule (momentum is SGD with momentum 0.9).", valueName: "name"))
    var optimizer: OptimizerKind = .adam

    @Option(help: ArgumentHelp("Random seed for initialization, shuffling and masks.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Threads for BLAS and the DropConnect kernels. Default: all cores.", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Checkpoint to write (replaced atomically after every epoch).", valueName: "file"))
    var out: String = "model.safetensors"

    @Option(help: ArgumentHelp("Append one JSON object per epoch to this file.", valueName: "file"))
    var log: String?

    func validate() throws {
        guard dropP.isFinite, dropP >= 0, dropP < 1 else {
            throw ValidationError("--drop-p must be in [0, 1), got \(dropP)")
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard hidden >= 1, hidden <= 16384 else { throw ValidationError("--hidden must be in 1...16384, got \(hidden)") }
        try requireFinite(lr, "--lr", { $0 > 0 }, "a positive number")
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        try reportingErrors {
            try AtomicFile.checkWritable(out, what: "--out")
            if let log { try AtomicFile.checkWritable(log, what: "--log") }
            let location = try dataOptions.location()
            let train = try location.load(train: true).prefix(limit)
            let test = try location.load(train: false)
            AtomicFile.removeStaleTemporaries(for: out)
            var logHandle: FileHandle?
            if let log {
                if !FileManager.default.fileExists(atPath: log) {
                    FileManager.default.createFile(atPath: log, contents: nil)
                }
                guard let handle = FileHandle(forWritingAtPath: log) else {
                    throw AutoencError(.cannotCreate, "--log \(log): cannot open for appending")
                }
                handle.seekToEndOfFile()
                logHandle = handle
            }

            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            BLAS.setThreads(threadCount)
            let config = ModelConfig(hidden: hidden, activation: activation, dropP: dropP, dropMode: dropMode, masks: masks)
            var options = TrainingOptions()
            options.epochs = epochs
            options.batchSize = batchSize
            options.learningRate = lr
            options.optimizer = optimizer
            options.seed = seed
            options.threads = threadCount
            let model = Autoencoder(config: config, seed: seed)
            let trainer = Trainer(model: model, options: options)

            print("data: \(location.directory) (\(train.count) training, \(test.count) test images)")
            print("model: 784-\(hidden)-784, \(activation.rawValue), \(describe(config)); \(optimizer.rawValue) lr \(lr), batch \(batchSize), seed \(seed), \(threadCount) threads, BLAS \(BLASRuntime.coreName)")
            for epoch in 1...epochs {
                let report = try trainer.trainEpoch(train, test: test, epoch: epoch)
                let metadata = CheckpointMetadata(config: config, seed: seed, epoch: epoch, dataset: location.directory,
                                                  extra: ["optimizer": optimizer.rawValue, "lr": String(lr),
                                                          "batch_size": String(batchSize), "step": String(trainer.step)])
                try Checkpoint.save(model.parameters, metadata: metadata, to: out)
                print(String(format: "epoch %d/%d  train_loss %.5f  test_mse %.5f  %.2f s  %.0f images/s",
                             epoch, epochs, report.trainLoss, report.testMSE, report.seconds, report.imagesPerSecond))
                logHandle?.write(Data((report.json + "\n").utf8))
            }
            print("saved \(out)")
        }
    }
}

func describe(_ config: ModelConfig) -> String {
    guard config.dropP > 0 else { return "no regularizer" }
    switch config.dropMode {
    case .dropout: return "dropout p_drop \(config.dropP)"
    case .dropconnect: return "DropConnect p_drop \(config.dropP), masks per \(config.masks.rawValue)"
    }
}
