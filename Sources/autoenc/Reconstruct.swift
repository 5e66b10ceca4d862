import ArgumentParser
import AutoencKit
import Foundation

struct Reconstruct: ParsableCommand, WritesOutputFile {
    static let configuration = CommandConfiguration(
        abstract: "Reconstruct test images: write originals beside reconstructions, print the test-set MSE.")
    static let defaultOutput = "reconstructions.pgm"
    static let outputContents = ".pgm or .png (originals beside reconstructions), .npy (the reconstructions, float32, shape (n, 28, 28))"

    @OptionGroup var modelInput: ModelInput
    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Test images to draw.", valueName: "n"))
    var count: Int = 32

    @OptionGroup var output: OutputFile<Reconstruct>

    @Option(help: ArgumentHelp(
        "How a DropConnect model's hidden layer is evaluated: mean keeps every connection; sample:K is Wan et al.'s Gaussian moment matching, averaging the activation over K draws per unit (K >= 1). Dropout models are the same under both.",
        valueName: "rule"))
    var inference: InferenceRule = .mean

    func validate() throws {
        guard count >= 1, count <= 10000 else { throw ValidationError("--count must be in 1...10000, got \(count)") }
        try output.checkFormat()
    }

    func run() throws {
        try reportingErrors {
            try output.prepare()
            let model = try Checkpoint.load(modelInput.model).model
            let test = try dataOptions.location().load(train: false)
            let shown = min(count, test.count)
            // The first `shown` originals and reconstructions: (shown, 784) each.
            var originals = [Float](), outputs = [Float]()
            var total = 0.0
            model.reconstruct(test, inference: inference) { start, m, x, y in
                total += Layers.sumSquaredError(x, y, count: m * ModelConfig.inputs)
                let kept = max(0, min(m, shown - start)) * ModelConfig.inputs
                originals += UnsafeBufferPointer(start: x, count: kept)
                outputs += UnsafeBufferPointer(start: y, count: kept)
            }
            guard shown > 0 else { throw AutoencError.badData(test.source, "expected at least one test image, found none") }
            try AtomicFile.write(encoded(originals, outputs, count: shown), to: output.out)
            let mse = total / Double(test.count * ModelConfig.inputs)
            let rule = inference == .mean ? "" : " (inference \(inference)\(model.config.dropMode == .dropconnect && model.config.dropP > 0 ? "" : ", the same as mean for this model"))"
            print(String(format: "test_mse %.6f over %d images", mse, test.count) + rule)
            if output.format == .npy {
                print("wrote \(output.out) (\(shown) reconstructions, float32 (\(shown), 28, 28))")
            } else {
                print("wrote \(output.out) (\(shown) originals, each left of its reconstruction)")
            }
        }
    }

    /// The file for `--out`: the sheet as PGM or PNG, or the reconstructions as .npy.
    /// originals, outputs: (count, 784).
    func encoded(_ originals: [Float], _ outputs: [Float], count: Int) -> [UInt8] {
        let format = output.format
        if format == .npy { return NPY.encode(outputs, shape: [count, Grids.side, Grids.side]) }
        let sheet = originals.withUnsafeBufferPointer { x in
            outputs.withUnsafeBufferPointer { y in
                Grids.reconstructions(original: x.baseAddress!, reconstructed: y.baseAddress!, count: count)
            }
        }
        return format == .png ? sheet.png : sheet.pgm
    }
}
