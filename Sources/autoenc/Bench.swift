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
            var options = TrainingOptions()
            options.batchSize = batchSize
            options.threads = threadCount
            var rows: [(mode: Benchmark.Mode, imagesPerSecond: Double, images: Int)] = []
            let warmupImages = warmup ?? 4 * batchSize
            for mode in modes.split(separator: ",").compactMap({ Benchmark.Mode(rawValue: String($0)) }) {
                let n = mode == .dropconnectExample ? max(batchSize, images / 4) : images
                let rate = try Benchmark.training(data, config: mode.config(dropP: dropP), options: options, images: n,
                                                  warmup: warmupImages, repeats: repeats)
                rows.append((mode, rate, n))
            }
            // products last: OpenBLAS's own threads, once woken by a multithreaded product,
            // keep spinning for a while and would slow the training timings down
            BLAS.setThreads(1)
            let single = Benchmark.products(batch: batchSize, hidden: 256)
            BLAS.setThreads(threadCount)
            let products = threadCount > 1 ? Benchmark.products(batch: batchSize, hidden: 256) : single
            let report = Benchmark.Report(threads: threadCount, batchSize: batchSize, warmupImages: warmupImages, repeats: repeats,
                                          dropP: dropP, data: location.directory, products: Array(zip(single, products)), training: rows)
            print(json ? report.json : report.table)
        }
    }
}
