import ArgumentParser
import AutoencKit
import Foundation

struct Weightmap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw each hidden unit's 784 input weights as a 28x28 tile.")

    @OptionGroup var modelInput: ModelInput

    @Option(name: .long, help: ArgumentHelp("Image to write (binary PGM).", valueName: "file"))
    var out: String = "weightmap.pgm"

    @Option(help: ArgumentHelp("Magnify every pixel K x K.", valueName: "k"))
    var scale: Int = 1

    func validate() throws {
        guard scale >= 1, scale <= 16 else { throw ValidationError("--scale must be in 1...16, got \(scale)") }
    }

    func run() throws {
        try reportingErrors {
            try AtomicFile.checkWritable(out, what: "--out")
            let loaded = try Checkpoint.load(modelInput.model)
            let image = Grids.weightMap(loaded.parameters).scaled(scale)
            try AtomicFile.write(image.pgm, to: out)
            print("wrote \(out) (\(loaded.config.hidden) units, \(image.width)x\(image.height))")
        }
    }
}
