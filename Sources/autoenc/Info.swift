import ArgumentParser
import AutoencKit
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint (.safetensors) or an IDX data file (gzipped or not).",
        discussion: """
            For safetensors: the metadata, each tensor's name, dtype and shape, and the \
            parameter count; an autoenc model is also checked as `reconstruct` would load it. \
            For IDX: the magic, what it holds and its dimensions, after checking that the \
            file is as long as its header promises.
            """)

    @Argument(help: ArgumentHelp("The file to describe.", valueName: "file"), completion: .file())
    var file: String

    func validate() throws { try refuse(Limits.nameProblem(file, flag: "FILE", what: "a file")) }

    func run() throws {
        try reportingErrors { print(try Inspection.describe(file)) }
    }
}
