import ArgumentParser
import AutoencKit
import Foundation

struct Reconstruct: ParsableCommand, WritesOutputFile {
    static let configuration = CommandConfiguration(
        abstract: "Reconstruct test images: write originals beside reconstructions, print the test-set MSE.",
        discussion: """
            Every test image is reconstructed for the MSE; the first --count are written. \
            When that takes more than a second (sample:K with a large K), a status line on \
            standard error, when that is a terminal, shows how many images are done and the \
            time left. -q prints only errors.
            """)
    static let defaultOutput = "reconstructions.pgm"
    static let outputContents = ".pgm or .png (originals beside reconstructions), .npy (the reconstructions, "
        + "float32, shape (n, 28, 28))"

    @OptionGroup var files: ImageFileFlags<Reconstruct>

    @Option(parsing: .unconditional, help: ArgumentHelp("Test images to draw.", valueName: "n"))
    var count: Int = 32

    @Option(help: ArgumentHelp(
        "How a DropConnect model's hidden layer is evaluated: mean keeps every connection; "
            + "sample:K is Wan et al.'s Gaussian moment matching, "
            + "averaging the activation over K draws per unit (K \(Limits.samples.expected)). "
            + "Dropout models are the same under both.",
        valueName: "rule"))
    var inference: InferenceRule = .mean

    @OptionGroup var threads: ThreadsOption

    func validate() throws {
        try refuse(Limits.drawnReconstructions.problem(count, name: "--count"), inference.problem)
        try files.check()
    }

    func run() throws {
        try reportingErrors {
            try OutputFiles.reconstruct(files.modelInput.model, data: files.dataOptions.data, count: count,
                                        inference: inference, scale: files.scale, threads: threads.count,
                                        to: files.out, console: files.quiet.console)
        }
    }
}
