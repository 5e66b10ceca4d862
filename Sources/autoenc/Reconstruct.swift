import ArgumentParser
import AutoencKit
import Foundation

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconstruct test images: write originals beside reconstructions, print the test-set MSE.")

    @OptionGroup var modelInput: ModelInput
    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Test images to draw.", valueName: "n"))
    var count: Int = 32

    @Option(name: .long, help: ArgumentHelp("Image to write (binary PGM).", valueName: "file"))
    var out: String = "reconstructions.pgm"

    func validate() throws {
        guard count >= 1, count <= 10000 else { throw ValidationError("--count must be in 1...10000, got \(count)") }
    }

    func run() throws {
        try reportingErrors {
            try AtomicFile.checkWritable(out, what: "--out")
            let model = try Checkpoint.load(modelInput.model).model
            let test = try dataOptions.location().load(train: false)
            let shown = min(count, test.count)
            var sheet: GrayImage?
            var total = 0.0
            model.reconstruct(test) { start, m, x, y in
                total += Layers.sumSquaredError(x, y, count: m * ModelConfig.inputs)
                if start == 0 { sheet = Grids.reconstructions(original: x, reconstructed: y, count: min(shown, m)) }
            }
            try AtomicFile.write(sheet!.pgm, to: out)
            let mse = total / Double(test.count * ModelConfig.inputs)
            print(String(format: "test_mse %.6f over %d images", mse, test.count))
            print("wrote \(out) (\(shown) originals, each left of its reconstruction)")
        }
    }
}
