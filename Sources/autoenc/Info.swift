import ArgumentParser
import AutoencKit
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint, a data file (IDX, .npy, .npz, PNG) or a data set directory.",
        discussion: """
            For safetensors: the metadata, each tensor's name, dtype and shape, and the \
            parameter count; an autoenc model is also checked as `reconstruct` would load it. \
            For IDX: the magic, what it holds and its dimensions, after checking that the \
            file is as long as its header promises. For .npy (and each array of a .npz): \
            dtype, shape, order, value range and whether autoenc reads it as images or labels. \
            For a data set (a directory, or a .npz with x_train and x_test): its layout \
            (IDX files; x_train.npy and x_test.npy; train/CLASS/*.png and test/CLASS/*.png), \
            both splits read as `train` reads them, their counts, labels and pixel range.
            """)

    @Argument(help: ArgumentHelp("The file or data set directory to describe.", valueName: "path"),
              completion: .file())
    var file: String

    func validate() throws { try refuse(Limits.nameProblem(file, flag: "PATH", what: "a file or directory")) }

    func run() throws {
        try reportingErrors { print(try Inspection.describe(file)) }
    }
}
