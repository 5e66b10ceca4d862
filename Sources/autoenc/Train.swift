import ArgumentParser
import AutoencKit
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an autoencoder and save it after every epoch.",
        discussion: """
            Every save replaces two files atomically, the training state first: the model \
            (--out; only the four nn.Linear tensors, loadable by a strict PyTorch \
            load_state_dict) and its training state beside it (model.safetensors -> \
            model.state.safetensors: optimizer moments, step, epoch and settings).

            --resume FILE continues such a pair where it stopped, with the settings it was \
            trained with; flags given again must agree with them, except --lr, --threads, \
            --epochs (the total, counting the epochs already done), --out and --log. With the \
            same --threads the result is bit for bit the one of an uninterrupted run.

            Ctrl-C or SIGTERM finishes the current step, saves both files and exits 130 or \
            143; a second signal exits at once. A loss or weight that stops being finite ends \
            the run with status 1 and leaves the last checkpoint as it was.

            Output: a header, then one line per epoch on standard output; while an epoch \
            runs, a progress bar on standard error when that is a terminal (images/s, \
            running loss, time left). --quiet prints only errors. --log - writes the JSON \
            lines to standard output and moves the human lines to standard error.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Train on the first N training images only.", valueName: "n"))
    var limit: Int?

    @Option(name: .customLong("drop-p"), parsing: .unconditional, help: ArgumentHelp(
        "Probability of dropping a hidden unit (dropout) or a connection (DropConnect), as in PyTorch; "
            + "the paper's keep probability is 1 - this. 0 means no regularizer. (default: 0)",
        valueName: "p"))
    var dropP: Float?

    @Option(name: .customLong("keep-p"), parsing: .unconditional, help: ArgumentHelp(
        "The papers' spelling: probability of keeping a hidden unit or connection, \(Limits.keepP.expected); "
            + "sets --drop-p to 1 - this. Not with --drop-p.",
        valueName: "p"))
    var keepP: Float?

    @Option(name: .customLong("drop-mode"), help: ArgumentHelp(
        """
        Regularizer applied when --drop-p > 0: dropout drops hidden units, dropconnect encoder connections, \
        gaussian multiplies each hidden unit by 1 + sigma eps, eps ~ N(0, 1), sigma^2 = p / (1 - p). (default: dropout)
        """,
        valueName: "mode"))
    var dropMode: DropMode?

    @OptionGroup var model: ModelFlags
    @OptionGroup var constraints: ConstraintFlags
    @OptionGroup var optimization: OptimizerFlags

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Random seed for initialization, shuffling and masks. (default: 0)", valueName: "n"))
    var seed: UInt64?

    @OptionGroup var threads: ThreadsOption

    @Option(parsing: .unconditional, help: ArgumentHelp("Passes over the training set, in all (with --resume, "
        + "counting those already done).", valueName: "n"))
    var epochs: Int = 10

    @Option(help: ArgumentHelp(
        "Continue training the checkpoint FILE, "
            + "with the training state beside it (FILE.safetensors -> FILE.state.safetensors).",
        valueName: "file"), completion: .checkpoint)
    var resume: String?

    @Option(name: .long, help: ArgumentHelp(
        "Checkpoint to write, replaced atomically after every epoch, with its training state beside it. Default: "
            + "the --resume file, else model.safetensors.",
        valueName: "file"), completion: .checkpoint)
    var out: String?

    @Option(help: ArgumentHelp(
        "Append one JSON object per epoch to this file; "
            + "- writes them to standard output (the human lines then go to standard error).",
        valueName: "file"), completion: .file())
    var log: String?

    @Option(help: ArgumentHelp(
        "Draw the training loss and test MSE of every epoch (with --resume, the epochs before it too) "
            + "to this .png, .svg or .pdf chart (by its extension), replaced atomically after every epoch.",
        valueName: "file"), completion: .chart)
    var plot: String?

    @Flag(help: ArgumentHelp("Replace the model and training state at --out when a new run finds them there "
        + "(without it, train refuses with exit 73 and says what is there)."))
    var force = false

    @Flag(name: [.short, .long], help: "Print nothing but errors: no header, epoch lines or progress bar.")
    var quiet = false

    func validate() throws {
        try refuse(plan.problem)
    }

    /// What the flags ask for (`TrainingRun.Plan`).
    var plan: TrainingRun.Plan {
        var r = RunRequest()
        model.fill(&r)
        constraints.fill(&r)
        optimization.fill(&r)
        r.seed = seed
        r.dropP = dropP
        r.keepP = keepP
        r.dropMode = dropMode
        r.limit = limit
        return TrainingRun.Plan(r, epochs: epochs, resume: resume, out: out, log: log, plot: plot, force: force)
    }

    func run() throws {
        try reportingErrors {
            try plan.run(data: dataOptions.data, threads: threads.count, console: Console(quiet: quiet, log: log))
        }
    }
}
