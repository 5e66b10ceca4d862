import ArgumentParser
import AutoencKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure BLAS and training speed on this machine.",
        discussion: """
            Prints the BLAS kernel in use, the CPU's multiply-add peak, sgemm GFLOP/s at the model's five products \
            (beside them, where the training step runs its own product instead, that one's on one thread), \
            Adam's update alone in nanoseconds a parameter (on one thread, the same parameters pass after pass), \
            training images/s for each regularizer (the median of the repeats, and their range) with its \
            efficiency against the peak, and where a step's time \
            goes: each phase's microseconds per step and share of the step (the phases of a training step, timed \
            inside the timed steps; "other" is threads waiting for each other and the work between phases).

            Given several --hidden or --batch-size values, it measures every combination and prints a table of \
            images/s and ms per step for each size and mode, with each row's largest phases; --json carries every \
            row's whole breakdown. Above 256 hidden units the images timed shrink as 256/hidden, so that a size \
            takes about as long as 256 does: --images 30000 times 1875 images at --hidden 4096.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Training images timed per mode and repeat at up to 256 "
        + "hidden units; above, n x 256 / hidden (per-example DropConnect uses a quarter).", valueName: "n"))
    var images: Int = 30000

    @Option(parsing: .unconditional, help: ArgumentHelp("Training images run, untimed, "
        + "before each mode's timing (default: 4 batches).", valueName: "n"))
    var warmup: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Timed repeats per mode; the median is reported, "
        + "and of several their range.", valueName: "n"))
    var repeats: Int = 3

    @OptionGroup var threads: ThreadsOption

    @Option(name: .customLong("hidden"), parsing: .unconditional,
            help: ArgumentHelp("Hidden units, or a comma-separated list of sizes to measure each in turn.",
                               valueName: "n[,n...]"))
    var hidden: String = "256"

    @Option(name: .customLong("batch-size"), parsing: .unconditional,
            help: ArgumentHelp("Images per step, or a comma-separated list to measure each with each --hidden.",
                               valueName: "n[,n...]"))
    var batchSize: String = "128"

    @Option(name: .customLong("drop-p"), parsing: .unconditional,
            help: ArgumentHelp("Drop probability for the regularized modes.", valueName: "p"))
    var dropP: Float = 0.5

    @Option(help: ArgumentHelp("Modes to time, comma-separated: none, dropout, dropconnect-example, dropconnect-batch.",
                               valueName: "list"))
    var modes: String = "none,dropout,dropconnect-example,dropconnect-batch"

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws { _ = try usageErrors(plan) }

    /// What the flags ask for, checked (`Benchmark.Plan`).
    func plan() throws -> Benchmark.Plan {
        try Benchmark.Plan(modes: modes, hidden: hidden, batchSizes: batchSize, images: images, warmup: warmup,
                           repeats: repeats, dropP: dropP)
    }

    func run() throws {
        try reportingErrors {
            let report = try Benchmark.run(try plan(), data: dataOptions.data, threads: threads.count)
            print(json ? report.json : report.table)
        }
    }
}
