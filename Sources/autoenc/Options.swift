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

/// Checks a flag's value, when given, against its `Limits`: "FLAG must be EXPECTED, got
/// VALUE" as a usage error (exit 64).
func check<Value>(_ value: Value?, _ limit: Limit<Value>, _ flag: String) throws {
    if let value, let problem = limit.problem(value, name: flag) { throw ValidationError(problem) }
}
