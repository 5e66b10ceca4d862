import ArgumentParser
import AutoencKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure BLAS and training speed on this machine.",
        discussion: "Prints the BLAS kernel in use, sgemm GFLOP/s at the model's five products, and training images/s for each regularizer.")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Training images timed per mode and repeat (per-example DropConnect uses a quarter).", valueName: "n"))
    var images: Int = 30000

    @Option(help: ArgumentHelp("Training images run, untimed, before each mode's timing (default: 4 batches).", valueName: "n"))
    var warmup: Int?

    @Option(help: ArgumentHelp("Timed repeats per mode; the median is reported.", valueName: "n"))
    var repeats: Int = 3

    @Option(help: ArgumentHelp("Threads (default: all cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Images per step.", valueName: "n"))
    var batchSize: Int = 128

    @Option(name: .customLong("drop-p"), help: ArgumentHelp("Drop probability for the regularized modes.", valueName: "p"))
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
        for mode in modes.split(separator: ",") where Self.mode(String(mode)) == nil {
            throw ValidationError("--modes: unknown mode '\(mode)', expected none, dropout, dropconnect-example or dropconnect-batch")
        }
    }

    static func mode(_ name: String) -> (DropMode, MaskSharing, Bool)? {
        switch name {
        case "none": return (.dropout, .example, false)
        case "dropout": return (.dropout, .example, true)
        case "dropconnect-example": return (.dropconnect, .example, true)
        case "dropconnect-batch": return (.dropconnect, .batch, true)
        default: return nil
        }
    }

    func run() throws {
        try reportingErrors {
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            let location = try dataOptions.location()
            let data = try location.load(train: true)
            var options = TrainingOptions()
            options.batchSize = batchSize
            options.threads = threadCount
            var rows: [(String, Double, Int)] = []
            let warmupImages = warmup ?? 4 * batchSize
            for name in modes.split(separator: ",").map(String.init) {
                let (mode, masks, regularized) = Self.mode(name)!
                let config = ModelConfig(dropP: regularized ? dropP : 0, dropMode: mode, masks: masks)
                let n = name == "dropconnect-example" ? max(batchSize, images / 4) : images
                let rate = try Benchmark.training(data, config: config, options: options, images: n,
                                              warmup: warmupImages, repeats: repeats)
                rows.append((name, rate, n))
            }
            // products last: OpenBLAS's own threads, once woken by a multithreaded product,
            // keep spinning for a while and would slow the training timings down
            BLAS.setThreads(1)
            let single = Benchmark.products(batch: batchSize, hidden: 256)
            BLAS.setThreads(threadCount)
            let products = threadCount > 1 ? Benchmark.products(batch: batchSize, hidden: 256) : single
            if json {
                let p = zip(single, products).map { one, all in
                    "{\"product\":\"\(one.name)\",\"m\":\(one.m),\"n\":\(one.n),\"k\":\(one.k),\"gflops_1_thread\":\(String(format: "%.1f", one.gflops)),\"gflops\":\(String(format: "%.1f", all.gflops)),\"max_rel_error\":\(max(one.maxRelativeError, all.maxRelativeError))}"
                }
                let t = rows.map { "{\"mode\":\"\($0.0)\",\"images_per_second\":\(Int($0.1)),\"images\":\($0.2)}" }
                print("{\"blas\":\"\(BLASRuntime.library)\",\"kernel\":\"\(BLASRuntime.coreName)\",\"kernel_report\":\"\(BLASRuntime.report)\",\"vector_kernels\":\"\(Kernels.current.level.rawValue)\",\"threads\":\(threadCount),\"batch_size\":\(batchSize),\"warmup_images\":\(warmupImages),\"drop_p\":\(dropP),\"sgemm\":[\(p.joined(separator: ","))],\"training\":[\(t.joined(separator: ","))]}")
                return
            }
            print("blas     \(BLASRuntime.library)")
            print("kernel   \(BLASRuntime.report)")
            print("vectors  \(Self.vectorReport)")
            print("threads  \(threadCount), batch \(batchSize), drop-p \(dropP), data \(location.directory)")
            print("")
            print("sgemm at the model's shapes       m     n     k   GFLOP/s 1 thread   \(threadCount) threads   max rel err vs naive")
            for (one, all) in zip(single, products) {
                print("  " + one.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: "        %5d %5d %5d   %9.1f   %9.1f   %.1e", one.m, one.n, one.k, one.gflops, all.gflops,
                               max(one.maxRelativeError, all.maxRelativeError)))
            }
            print("")
            print("training (images/s, median of \(repeats), after \(warmupImages) images of warm-up)")
            for (name, rate, _) in rows {
                print(name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %9.0f", rate))
            }
        }
    }

    /// The vector kernels' level and how it was chosen.
    static var vectorReport: String {
        let level = Kernels.current.level.rawValue
        let runs = KernelLevel.supported.map(\.rawValue).joined(separator: ", ")
        if ProcessInfo.processInfo.environment[KernelLevel.environmentVariable].map({ !$0.isEmpty }) == true {
            return "\(level) (\(KernelLevel.environmentVariable) set by the user; this CPU runs \(runs))"
        }
        return "\(level) (the best this CPU runs: \(runs))"
    }
}
