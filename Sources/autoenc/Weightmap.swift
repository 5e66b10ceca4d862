import ArgumentParser
import AutoencKit
import Foundation

struct Weightmap: ParsableCommand, WritesOutputFile {
    static let configuration = CommandConfiguration(
        abstract: "Draw each hidden unit's 784 input weights as a 28x28 tile.")
    static let defaultOutput = "weightmap.pgm"
    static let outputContents = ".pgm or .png (the tiles), .npy (the raw encoder weights, float32, shape (hidden, 28, 28))"

    @OptionGroup var modelInput: ModelInput

    @OptionGroup var output: OutputFile<Weightmap>

    @Option(help: ArgumentHelp("Magnify every pixel K x K (.pgm and .png only).", valueName: "k"))
    var scale: Int = 1

    func validate() throws {
        guard scale >= 1, scale <= 16 else { throw ValidationError("--scale must be in 1...16, got \(scale)") }
        try output.checkFormat()
    }

    func run() throws {
        try reportingErrors {
            try output.prepare()
            let loaded = try Checkpoint.load(modelInput.model)
            if output.format == .npy {
                let hidden = loaded.config.hidden
                // w1: (hidden, 784) as (hidden, 28, 28), unscaled.
                let weights = UnsafeBufferPointer(start: loaded.parameters.w1, count: hidden * ModelConfig.inputs)
                try AtomicFile.write(NPY.encode(weights, shape: [hidden, Grids.side, Grids.side]), to: output.out)
                print("wrote \(output.out) (encoder weights, float32 (\(hidden), 28, 28))")
                return
            }
            let map = Grids.weightMap(loaded.parameters)
            guard map.width * scale * map.height * scale <= 1 << 30 else {
                throw AutoencError(.usage, "--scale \(scale): \(loaded.config.hidden) units would make a \(map.width * scale)x\(map.height * scale) image; use a smaller --scale")
            }
            let image = map.scaled(scale)
            try AtomicFile.write(output.format == .png ? image.png : image.pgm, to: output.out)
            print("wrote \(output.out) (\(loaded.config.hidden) units, \(image.width)x\(image.height))")
        }
    }
}
