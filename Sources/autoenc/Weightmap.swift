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

    @Option(parsing: .unconditional, help: ArgumentHelp("Magnify every pixel K x K (.pgm and .png only).", valueName: "k"))
    var scale: Int = 1

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try check(scale, Limits.scale, "--scale")
        try output.checkFormat()
    }

    func run() throws {
        try reportingErrors {
            try output.prepare()
            let loaded = try Checkpoint.load(modelInput.model)
            let (bytes, description, _) = try OutputFiles.weightMap(loaded.parameters, as: output.format, scale: scale)
            try AtomicFile.write(bytes, to: output.out)
            quiet.say("wrote \(output.out) (\(description))")
        }
    }
}
