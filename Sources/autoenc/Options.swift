import ArgumentParser
import AutoencKit
import Foundation

extension Activation: ExpressibleByArgument {}
extension DropMode: ExpressibleByArgument {}
extension MaskSharing: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension DropoutScaling: ExpressibleByArgument {}

extension InferenceRule: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

/// Where the data set is: shared by every command that reads images.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Directory holding train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz]. A bare NAME that is no directory here means the project's Data/NAME (see autoenc download). Default: the project's Data/ when it holds a data set, else /usr/share/datasets/fashion-mnist.",
        valueName: "dir"))
    var data: String?

    func location() throws -> DataLocation {
        try DataLocation.resolve(data)
    }
}

/// The checkpoint a command reads.
struct ModelInput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Checkpoint to read.", valueName: "file"))
    var model: String = "model.safetensors"
}

/// Flags shared by checks of numeric options.
func requireFinite(_ value: Float, _ flag: String, _ rule: (Float) -> Bool, _ expected: String) throws {
    guard value.isFinite, rule(value) else {
        throw ValidationError("\(flag) must be \(expected), got \(value)")
    }
}
