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
            For DropConnect also test_mse_sample\(Compare.samples), under Wan et al.'s \
            sampling inference.
            """)

    /// Draws per unit for the DropConnect sampling inference.
    static let samples = 64

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Passes over the training set for each model.", valueName: "n"))
    var epochs: Int = 10

    @Option(name: .customLong("drop-p"), help: ArgumentHelp(
        "Probability of dropping a unit (dropout) or a connection (DropConnect), as in PyTorch.", valueName: "p"))
    var dropP: Float = 0.5

    @Option(help: ArgumentHelp("Random seed for the shared initialization, the shuffling, the masks and the probe.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Directory for the figures, metrics and models (created if missing).", valueName: "dir"))
    var out: String = "compare"

    @Option(help: ArgumentHelp("Threads for training and evaluation. Default: all cores.", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp("Train (models and probe) on the first N training images only.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Hidden units.", valueName: "n"))
    var hidden: Int = 256

    @Option(help: ArgumentHelp("Hidden activation.", valueName: "name"))
    var activation: Activation = .relu

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Images per optimizer step.", valueName: "n"))
    var batchSize: Int = 128

    @Option(help: ArgumentHelp("Test images drawn in reconstructions.png.", valueName: "n"))
    var count: Int = 10

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

    /// The three variants: name and model configuration.
    var variants: [(name: String, config: ModelConfig)] {
        [("none", ModelConfig(hidden: hidden, activation: activation, dropP: 0)),
         ("dropout", ModelConfig(hidden: hidden, activation: activation, dropP: dropP, dropMode: .dropout)),
         ("dropconnect", ModelConfig(hidden: hidden, activation: activation, dropP: dropP, dropMode: .dropconnect, masks: .example))]
    }

    func run() throws {
        try reportingErrors {
            try OutputDirectory.prepare(out, what: "--out")
            let location = try dataOptions.location()
            let labeled = OutputDirectory.hasLabels(location)
            let train = try location.load(train: true, labels: labeled).prefix(limit)
            let test = try location.load(train: false, labels: labeled)
            guard test.count > 0 else { throw AutoencError.badData(test.source, "expected at least one test image, found none") }
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            var options = TrainingOptions()
            options.batchSize = batchSize
            options.seed = seed
            options.threads = threadCount
            print("data: \(location.directory) (\(train.count) training, \(test.count) test images\(labeled ? ", labels" : ", no labels: no probe"))")
            print("models: 784-\(hidden)-784 \(activation.rawValue), none / dropout / dropconnect (masks per example) at drop-p \(dropP); \(options.optimizer.rawValue) lr \(options.learningRate), batch \(batchSize), seed \(seed), \(threadCount) threads")

            let shown = min(count, test.count)
            var results: [(name: String, model: Autoencoder, diagnostics: Diagnostics, codes: FloatBuffer, reconstructions: [Float])] = []
            for (name, config) in variants {
                let run = TrainingRun(config: config, options: options, train: train, test: test, dataset: location.directory,
                                      limit: limit, output: nil)
                _ = try run.run(through: epochs, observer: EpochLines(prefix: name))
                let model = run.model
                try Checkpoint.save(model.parameters, metadata: run.checkpointMetadata(), to: path("model-\(name).safetensors"))
                var codes: FloatBuffer?
                var diagnostics = Diagnostics.measure(model, name: name, test: test, train: labeled ? train : nil,
                                                      probe: .init(seed: seed), threads: threadCount, codes: { codes = $0 })
                if config.dropMode == .dropconnect {
                    let rule = InferenceRule.sample(Self.samples)
                    diagnostics.extraMSE.append(("test_mse_sample\(Self.samples)",
                                                 model.meanSquaredError(test, threads: threadCount, inference: rule, seed: seed)))
                }
                var reconstructions: [Float] = []
                model.reconstruct(test, range: 0..<shown) { _, m, _, y in
                    reconstructions += UnsafeBufferPointer(start: y, count: m * ModelConfig.inputs)
                }
                results.append((name, model, diagnostics, codes!, reconstructions))
            }

            // Figures: the same axes for every model.
            var originals = [Float](repeating: 0, count: shown * ModelConfig.inputs)
            test.gather((0..<Int32(shown)).map { $0 }[...], into: &originals)
            let weightMaps = ComparisonSheets.weightMaps(results.map { ($0.name, $0.model.parameters) })
            let sheet = ComparisonSheets.reconstructions(originals: originals, rows: results.map { ($0.name, $0.reconstructions) }, count: shown)
            let histograms = ComparisonSheets.histograms(ActivationHistograms.sharedAxes(
                results.map { ($0.name, $0.codes, $0.diagnostics.statistics) }, activation: activation))
            try AtomicFile.write(weightMaps.png, to: path("weightmaps.png"))
            try AtomicFile.write(sheet.png, to: path("reconstructions.png"))
            try AtomicFile.write(histograms.png, to: path("histograms.png"))
            let settings: [(String, String)] = [("data", Diagnostics.quoted(location.directory)), ("train_images", "\(train.count)"),
                                                ("test_images", "\(test.count)"), ("epochs", "\(epochs)"), ("drop_p", "\(dropP)"),
                                                ("seed", "\(seed)"), ("hidden", "\(hidden)"), ("activation", "\"\(activation.rawValue)\"")]
            try AtomicFile.write(Array(Diagnostics.json(results.map(\.diagnostics), settings: settings).utf8), to: path("metrics.json"))
            print("")
            print(Diagnostics.table(results.map(\.diagnostics)))
            print("")
            print("wrote \(out)/: weightmaps.png, reconstructions.png, histograms.png, metrics.json, " +
                  results.map { "model-\($0.name).safetensors" }.joined(separator: ", "))
        }
    }

    func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
}

/// A line per completed epoch, behind a model's name.
final class EpochLines: TrainingObserver {
    let prefix: String
    init(prefix: String) { self.prefix = prefix }
    var shouldStop: Bool { false }

    func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
               train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
        try train { _, _, _ in }
    }

    func completed(_ report: EpochReport, of epochs: Int) throws {
        print(prefix.padding(toLength: 12, withPad: " ", startingAt: 0)
              + String(format: "epoch %ld/%ld  train_loss %.5f  test_mse %.5f  %.2f s  %.0f images/s",
                       report.epoch, epochs, report.trainLoss, report.testMSE, report.seconds, report.imagesPerSecond))
    }
}

/// The output directory of `compare` and `activations`.
enum OutputDirectory {
    /// Creates `path` (and its parents) when missing. Throws `.cannotCreate` (73) naming
    /// `what` when it cannot be created, is a file, or is not writable.
    static func prepare(_ path: String, what: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw AutoencError(.cannotCreate, "\(what) \(path): is a file, expected a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw AutoencError(.cannotCreate, "\(what) \(path): cannot create the directory (\(error.localizedDescription))")
            }
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw AutoencError(.cannotCreate, "\(what) \(path): directory is not writable")
        }
    }

    /// Whether the data set has both label files (for the linear probe).
    static func hasLabels(_ location: DataLocation) -> Bool {
        location.find(DataLocation.trainLabels) != nil && location.find(DataLocation.testLabels) != nil
    }
}
