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
        "Directory holding train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz], relative to the current directory. A bare NAME that is no directory here means ./Data/NAME, else $AUTOENC_DATA/NAME (default ~/.local/share/autoenc/NAME, where autoenc download puts it). Default: ./Data when it holds a data set, else /usr/share/datasets/fashion-mnist.",
        valueName: "dir"))
    var data: String?

    func validate() throws { try checkNamed(data, "--data", "a directory") }

    func location() throws -> DataLocation {
        try DataLocation.resolve(data)
    }
}

/// What a command that writes one `--out` file in any `OutputFormat` says about it:
/// the default path and, for the help, what each format holds.
protocol WritesOutputFile {
    /// `--out`'s default, e.g. "weightmap.pgm".
    static var defaultOutput: String { get }
    /// What each format holds, e.g. ".pgm or .png (the tiles), .npy (the raw encoder
    /// weights, float32, shape (hidden, 28, 28))".
    static var outputContents: String { get }
}

/// `--out` of reconstruct and weightmap: the file to write, its format chosen by the
/// extension. `Command` supplies the default and the help's description of the formats.
struct OutputFile<Command: WritesOutputFile>: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "File to write; its extension picks the format: \(Command.outputContents).",
        valueName: "file"))
    var out: String = Command.defaultOutput

    /// Refuses an empty name or an extension other than .pgm, .png and .npy (a usage
    /// error). Called from the command's `validate()`, after its own checks.
    func checkFormat() throws {
        if let problem = OutputFormat.problem(out, flag: "--out") { throw ValidationError(problem) }
    }
}

/// `--scale` of reconstruct and weightmap: every pixel of a .pgm or .png drawn K x K.
struct ScaleOption: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Magnify every pixel K x K (.pgm and .png only).", valueName: "k"))
    var scale: Int = 1

    /// Refuses a scale outside `Limits.scale` (a usage error). Called from the command's
    /// `validate()`, in its place among the command's own checks.
    func check() throws {
        try autoenc.check(scale, Limits.scale, "--scale")
    }
}

/// The checkpoint a command reads.
struct ModelInput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Checkpoint to read.", valueName: "file"))
    var model: String = "model.safetensors"

    func validate() throws { try checkNamed(model, "--model", "a file") }
}

/// Refuses an empty string where a flag names a file or directory (a usage error).
func checkNamed(_ value: String?, _ flag: String, _ what: String) throws {
    if let problem = Limits.nameProblem(value, flag: flag, what: what) { throw ValidationError(problem) }
}

/// Checks a flag's value, when given, against its `Limits`: "FLAG must be EXPECTED, got
/// VALUE" as a usage error (exit 64).
func check<Value>(_ value: Value?, _ limit: Limit<Value>, _ flag: String) throws {
    if let problem = limit.problem(value, name: flag) { throw ValidationError(problem) }
}

/// Runs a library check from `validate()`: a usage error it throws (`AutoencError` with
/// status `.usage`) becomes a `ValidationError`, printed with the usage hint, exit 64.
func usageErrors<Result>(_ check: () throws -> Result) throws -> Result {
    do {
        return try check()
    } catch let error as AutoencError where error.status == .usage {
        throw ValidationError(error.message)
    }
}

/// `-q`: print nothing but errors. Shared by the commands that report what they wrote.
struct QuietOption: ParsableArguments {
    @Flag(name: [.short, .long], help: "Print nothing but errors.")
    var quiet = false

    /// Where the command's lines go: standard output, or nowhere when quiet.
    var console: Console { Console(quiet: quiet) }
}

/// Checks `--log` and `--plot` names (`RunRecords.problem`): a usage error when they
/// cannot be a run's records.
func checkRecords(log: String?, plot: String?) throws {
    if let problem = RunRecords.problem(log: log, plot: plot) { throw ValidationError(problem) }
}

extension ParsableCommand {
    /// The command line as typed, for "run it again" hints.
    static var commandLine: String {
        (["autoenc"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
