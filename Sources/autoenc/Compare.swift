import ArgumentParser
import AutoencKit
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the same autoencoder without a regularizer, with dropout and with DropConnect; draw and measure them side by side.",
        discussion: """
            The three models (none, dropout, dropconnect with a mask per example) start from \
            the same weights and see the same batches with the same optimizer and seed; only \
            the regularizer differs. Into --out the command writes weightmaps.png, \
            reconstructions.png, histograms.png (Srivastava et al. 2014, Fig. 8: each unit's \
            mean activation, and all activations, over the test set), metrics.json, and each \
            model as model-NAME.safetensors; the metrics are printed as a table.

            Metrics, on the test set in inference mode: test_mse; mean_activation (mean over \
            images and units); sparsity (fraction of activations that are 0 for ReLU, below \
            0.05 for sigmoid); dead_units (units never active); probe_accuracy (a softmax \
            regression trained on the training images' codes, when the data set has label \
            files); localization (1 - spatial spread of a unit's weight energy over that of a \
            uniform spread, averaged over live units: 1 for a single pixel, about 0 for noise). \
            For DropConnect also test_mse_sample\(Diagnostics.dropConnectSamples), under Wan et al.'s \
            sampling inference.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Passes over the training set for each model.", valueName: "n"))
    var epochs: Int = 10

    @Option(name: .customLong("drop-p"), parsing: .unconditional, help: ArgumentHelp(
        "Probability of dropping a unit (dropout) or a connection (DropConnect), as in PyTorch.", valueName: "p"))
    var dropP: Float = 0.5

    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed for the shared initialization, the shuffling, the masks and the probe.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Directory for the figures, metrics and models (created if missing).", valueName: "dir"))
    var out: String = "compare"

    @Option(parsing: .unconditional, help: ArgumentHelp("Threads for training and evaluation. Default: all cores.", valueName: "n"))
    var threads: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Train (models and probe) on the first N training images only.", valueName: "n"))
    var limit: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden units.", valueName: "n"))
    var hidden: Int = 256

    @Option(help: ArgumentHelp("Hidden activation.", valueName: "name"))
    var activation: Activation = .relu

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("Images per optimizer step.", valueName: "n"))
    var batchSize: Int = 128

    @Option(parsing: .unconditional, help: ArgumentHelp("Test images drawn in reconstructions.png.", valueName: "n"))
    var count: Int = 10

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try check(epochs, Limits.epochs, "--epochs")
        try check(dropP, Limits.regularizingDropP, "--drop-p")
        try check(threads, Limits.threads, "--threads")
        try check(limit, Limits.limit, "--limit")
        try check(hidden, Limits.hidden, "--hidden")
        try check(batchSize, Limits.batchSize, "--batch-size")
        guard (1...100).contains(count) else { throw ValidationError("--count must be in 1...100, got \(count)") }
        guard !out.isEmpty else { throw ValidationError("--out must name a directory, got an empty string") }
    }

    func run() throws {
        try reportingErrors { try OutputDirectory.using(out, what: "--out") {
            let location = try dataOptions.location()
            let (loaded, test, labeled) = try location.loadForAnalysis(limit: limit, always: true)
            let train = loaded!
            let threadCount = threadCount(threads)
            var options = TrainingOptions()
            options.batchSize = batchSize
            options.seed = seed
            options.threads = threadCount
            quiet.say("data: \(location.directory) (\(train.count) training, \(test.count) test images\(labeled ? ", labels" : ", no labels: no probe"))")
            quiet.say("models: 784-\(hidden)-784 \(activation.rawValue), none / dropout / dropconnect (masks per example) at drop-p \(dropP); \(options.optimizer.rawValue) lr \(options.learningRate), batch \(batchSize), seed \(seed), \(counted(threadCount, "thread"))")

            let results = try Comparison.run(hidden: hidden, activation: activation, dropP: dropP, options: options, epochs: epochs,
                                             train: train, test: test, data: location, limit: limit, count: count, directory: out) {
                EpochLines(prefix: $0, quiet: quiet.quiet)
            }
            quiet.say("")
            quiet.say(Diagnostics.table(results.map(\.diagnostics)))
            quiet.say("")
            quiet.say("wrote \(out)/: weightmaps.png, reconstructions.png, histograms.png, metrics.json, " +
                  results.map { "model-\($0.name).safetensors" }.joined(separator: ", "))
        } }
    }
}
/// A line per completed epoch, behind a model's name.
final class EpochLines: TrainingObserver {
    let prefix: String
    let quiet: Bool
    init(prefix: String, quiet: Bool) {
        self.prefix = prefix
        self.quiet = quiet
    }
    var shouldStop: Bool { false }

    func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
               train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
        try train { _, _, _ in }
    }

    func completed(_ report: EpochReport, of epochs: Int) throws {
        guard !quiet else { return }
        print(prefix.padding(toLength: 12, withPad: " ", startingAt: 0)
              + String(format: "epoch %ld/%ld  train_loss %.5f  test_mse %.5f  %.2f s  %.0f images/s",
                       report.epoch, epochs, report.trainLoss, report.testMSE, report.seconds, report.imagesPerSecond))
    }
}

