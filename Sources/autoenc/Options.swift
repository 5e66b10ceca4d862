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

/// What a shell's completion offers for the flags that name files (`--generate-completion-script`).
/// Every kind with extensions offers directories too, to descend into.
extension CompletionKind {
    /// A checkpoint or training state: `.safetensors` files.
    static var checkpoint: CompletionKind { .file(extensions: ["safetensors"]) }

    /// `--data`: a data set's directory, or a `.npz` or `.npy` file. Not `.directory`, which
    /// would hide the files, nor `.default`, which bash completes with nothing at all.
    static var dataSet: CompletionKind { .file(extensions: ["npz", "npy"]) }

    /// An image or array that `reconstruct` or `weightmap` writes: `OutputFormat`'s extensions.
    static var imageOutput: CompletionKind { .file(extensions: OutputFormat.allCases.map(\.rawValue)) }

    /// A chart, `--plot`: `ChartFormat`'s extensions.
    static var chart: CompletionKind { .file(extensions: ChartFormat.allCases.map(\.rawValue)) }
}

extension ChartFormat: ExpressibleByArgument {}

/// `--charts`: the format compare, sweep and activations draw their charts in.
struct ChartsOption: ParsableArguments {
    @Option(name: .customLong("charts"), help: ArgumentHelp(
        "Format of the charts: png (at twice a screen's pixel density), svg or pdf (vector, with text as text, "
            + "for LaTeX). report.html draws them as vector graphics whatever this says.",
        valueName: "format"))
    var format: ChartFormat = .png
}

/// Where the data set is: shared by every command that reads images.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The data set, relative to the current directory: a directory holding train-images-idx3-ubyte[.gz] and "
            + "t10k-images-idx3-ubyte[.gz] (IDX), x_train.npy and x_test.npy (NumPy), or train/CLASS/*.png and "
            + "test/CLASS/*.png (image folders); or a .npz with x_train and x_test (Keras's mnist.npz). A bare NAME "
            + "that is no directory here means ./Data/NAME, else $AUTOENC_DATA/NAME (default "
            + "~/.local/share/autoenc/NAME, where autoenc download puts it). Default: for a command that reads a "
            + "model, the data set the model records (exit 66 when it has moved or changed); otherwise ./Data when "
            + "it holds a data set, else /usr/share/datasets/fashion-mnist.",
        valueName: "path"), completion: .dataSet)
    var data: String?

    func validate() throws { try refuse(Limits.nameProblem(data, flag: "--data", what: "a directory or .npz file")) }
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

/// The flags of a command that draws one image file, reconstruct's and weightmap's: the
/// checkpoint, the data, `--out` (its format chosen by the extension; `Command` supplies
/// the default and the help's description of the formats), `--scale` and -q.
struct ImageFileFlags<Command: WritesOutputFile>: ParsableArguments {
    @OptionGroup var modelInput: ModelInput
    @OptionGroup var dataOptions: DataOptions

    @Option(name: .long, help: ArgumentHelp(
        "File to write; its extension picks the format: \(Command.outputContents).",
        valueName: "file"), completion: .imageOutput)
    var out: String = Command.defaultOutput

    @Option(parsing: .unconditional, help: ArgumentHelp("Magnify every pixel K x K (.pgm and .png only).",
                                                        valueName: "k"))
    var scale: Int = 1

    @OptionGroup var quiet: QuietOption

    /// Refuses a scale outside `Limits.scale`, an empty name or an extension other than
    /// .pgm, .png and .npy (usage errors). Called from the command's `validate()`, after
    /// its own checks.
    func check() throws {
        try refuse(Limits.scale.problem(scale, name: "--scale"), OutputFormat.problem(out, flag: "--out"))
    }
}

/// The checkpoint a command reads.
struct ModelInput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Checkpoint to read.", valueName: "file"), completion: .checkpoint)
    var model: String = "model.safetensors"

    func validate() throws { try refuse(Limits.nameProblem(model, flag: "--model", what: "a file")) }
}

/// Refuses the first of `problems` that is not nil, each a library check's message
/// naming its flag (`Limit.problem`: "FLAG must be EXPECTED, got VALUE";
/// `Limits.nameProblem`; `RunRecords.problem`), as a usage error: printed with the
/// usage hint, exit 64.
func refuse(_ problems: String?...) throws {
    if let problem = problems.lazy.compactMap({ $0 }).first { throw ValidationError(problem) }
}

/// Runs a library check from `validate()`: a usage error it throws (`AutoencError` with
/// status `.usage`) becomes a `ValidationError`, printed with the usage hint, exit 64.
func usageErrors<Result>(_ check: () throws -> Result) throws -> Result {
    do {
        return try check()
    } catch let error as AutoencError where error.status == .usage {
        throw ValidationError(error.userMessage)
    }
}

/// `-q`: print nothing but errors. Shared by the commands that report what they wrote.
struct QuietOption: ParsableArguments {
    @Flag(name: [.short, .long], help: "Print nothing but errors.")
    var quiet = false

    /// Where the command's lines go: standard output, or nowhere when quiet.
    var console: Console { Console(quiet: quiet) }
}
