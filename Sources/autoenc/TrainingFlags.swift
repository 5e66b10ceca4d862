import ArgumentParser
import AutoencKit

/// The model's shape and the details of its regularizers: shared by train, compare and
/// sweep. Unset flags stay nil: a new run's defaults, or a resumed run's checkpoint.
struct ModelFlags: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden units. (default: 256)", valueName: "n"))
    var hidden: Int?

    @Option(help: ArgumentHelp("Hidden activation. (default: relu)", valueName: "name"))
    var activation: Activation?

    @Option(name: .customLong("dropout-scaling"), help: ArgumentHelp(
        "Where dropout's 1/(1 - p) goes: inverted divides kept units by 1 - p while training; "
            + "classic (Srivastava et al.) "
            + "trains unscaled and multiplies the decoder weights by 1 - p for inference and in the checkpoint. "
            + "Dropout only. (default: inverted)",
        valueName: "rule"))
    var dropoutScaling: DropoutScaling?

    @Option(name: .customLong("dropconnect-masks"), help: ArgumentHelp(
        "DropConnect masks: a fresh one per example (Wan et al. 2013) or one shared by each minibatch. "
            + "DropConnect only. (default: example)",
        valueName: "sharing"))
    var masks: MaskSharing?

    func fill(_ r: inout RunRequest) {
        r.hidden = hidden
        r.activation = activation
        r.scaling = dropoutScaling
        r.masks = masks
    }
}

/// Input dropout and max-norm, which act on every model of an experiment alike: train's
/// and compare's (a sweep takes them as lists).
struct ConstraintFlags: ParsableArguments {
    @Option(name: .customLong("input-drop-p"), parsing: .unconditional, help: ArgumentHelp(
        "Probability of dropping each input pixel on its way into the encoder (the paper used 0.2), "
            + "with inverted scaling; the reconstruction target stays the clean image. (default: 0)",
        valueName: "p"))
    var inputDropP: Float?

    @Option(name: .customLong("max-norm"), parsing: .unconditional, help: ArgumentHelp(
        "After every update, scale each hidden unit's incoming weight vector (a row of the encoder weights) "
            + "back to L2 norm C when it is longer. Default: no constraint.",
        valueName: "C"))
    var maxNorm: Float?

    func fill(_ r: inout RunRequest) {
        r.inputDropP = inputDropP
        r.maxNorm = maxNorm
    }
}

/// The optimizer and the batches: shared by train, compare and sweep (each says what its
/// `--seed` seeds: train one run, compare and sweep the first of `--seeds`).
struct OptimizerFlags: ParsableArguments {
    @Option(name: .customLong("batch-size"), parsing: .unconditional,
            help: ArgumentHelp("Images per optimizer step. (default: 128)", valueName: "n"))
    var batchSize: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Learning rate. (default: 0.001)", valueName: "rate"))
    var lr: Float?

    @Option(help: ArgumentHelp("Update rule (momentum is SGD with momentum 0.9). (default: adam)", valueName: "name"))
    var optimizer: OptimizerKind?

    func fill(_ r: inout RunRequest) {
        r.batchSize = batchSize
        r.learningRate = lr
        r.optimizer = optimizer
    }
}

/// `--threads`, shared by every command that computes.
struct ThreadsOption: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Threads. Default: all cores (more than the cores are "
        + "capped at the cores).", valueName: "n"))
    var threads: Int?

    func validate() throws { try refuse(Limits.threads.problem(threads, name: "--threads")) }

    /// The threads to use, saying on standard error when capped.
    var count: Int { Limits.threadsToUse(threads) }
}
