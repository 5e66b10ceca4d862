import ArgumentParser
import AutoencKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure BLAS and training speed on this machine.",
        discussion: "Prints the BLAS kernel in use, sgemm GFLOP/s at the model's five products, and training images/s for each regularizer.")

    @OptionGroup var dataOptions: DataOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Training images timed per mode and repeat (per-example DropConnect uses a quarter).", valueName: "n"))
    var images: Int = 30000

    @Option(parsing: .unconditional, help: ArgumentHelp("Training images run, untimed, before each mode's timing (default: 4 batches).", valueName: "n"))
    var warmup: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Timed repeats per mode; the median is reported.", valueName: "n"))
    var repeats: Int = 3

    @Option(parsing: .unconditional, help: ArgumentHelp("Threads (default: all cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("Images per step.", valueName: "n"))
    var batchSize: Int = 128

    @Option(name: .customLong("drop-p"), parsing: .unconditional, help: ArgumentHelp("Drop probability for the regularized modes.", valueName: "p"))
    var dropP: Float = 0.5

    @Option(help: ArgumentHelp("Modes to time, comma-separated: none, dropout, dropconnect-example, dropconnect-batch.", valueName: "list"))
    var modes: String = "none,dropout,dropconnect-example,dropconnect-batch"

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard images >= 1 else { throw ValidationError("--images must be at least 1, got \(images)") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be at least 0, got \(warmup)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        try check(batchSize, Limits.batchSize, "--batch-size")
        try check(threads, Limits.threads, "--threads")
        try check(dropP, Limits.regularizingDropP, "--drop-p")
        guard !modes.split(separator: ",").isEmpty else {
            throw ValidationError("--modes: expected at least one of none, dropout, dropconnect-example, dropconnect-batch, got '\(modes)'")
        }
        for mode in modes.split(separator: ",") where Benchmark.Mode(rawValue: String(mode)) == nil {
            throw ValidationError("--modes: unknown mode '\(mode)', expected none, dropout, dropconnect-example or dropconnect-batch")
        }
    }

    func run() throws {
        try reportingErrors {
            let threadCount = threadCount(threads)
            let location = try dataOptions.location()
            let data = try location.load(train: true)
            let report = try Benchmark.run(data, modes: modes.split(separator: ",").compactMap { Benchmark.Mode(rawValue: String($0)) },
                                           images: images, warmup: warmup ?? 4 * batchSize, repeats: repeats, threads: threadCount,
                                           batchSize: batchSize, dropP: dropP, dataName: location.directory)
            print(json ? report.json : report.table)
        }
    }
}
