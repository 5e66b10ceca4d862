import Foundation

extension Benchmark {
    /// The benchmark modes: a regularizer each, as `autoenc bench --modes` names them.
    public enum Mode: String, CaseIterable, Sendable {
        case none, dropout
        case dropconnectExample = "dropconnect-example"
        case dropconnectBatch = "dropconnect-batch"

        /// The model this mode trains, at drop probability `dropP` when it regularizes.
        public func config(dropP: Float) -> ModelConfig {
            switch self {
            case .none: return ModelConfig()
            case .dropout: return ModelConfig(dropP: dropP, dropMode: .dropout)
            case .dropconnectExample: return ModelConfig(dropP: dropP, dropMode: .dropconnect, masks: .example)
            case .dropconnectBatch: return ModelConfig(dropP: dropP, dropMode: .dropconnect, masks: .batch)
            }
        }
    }

    /// `autoenc bench`: times training in each mode (per-example DropConnect on a
    /// quarter of `images`), then the five products on one thread and on `threads`.
    public static func run(_ data: ImageSet, modes: [Mode], images: Int, warmup: Int, repeats: Int, threads: Int,
                           batchSize: Int, dropP: Float, dataName: String) throws -> Report {
        var options = TrainingOptions()
        options.batchSize = batchSize
        options.threads = threads
        var rows: [(mode: Mode, imagesPerSecond: Double, images: Int)] = []
        for mode in modes {
            let n = mode == .dropconnectExample ? max(batchSize, images / 4) : images
            let rate = try training(data, config: mode.config(dropP: dropP), options: options, images: n,
                                    warmup: warmup, repeats: repeats)
            rows.append((mode, rate, n))
        }
        // products last: OpenBLAS's own threads, once woken by a multithreaded product,
        // keep spinning for a while and would slow the training timings down
        BLAS.setThreads(1)
        let single = products(batch: batchSize, hidden: 256)
        BLAS.setThreads(threads)
        let all = threads > 1 ? products(batch: batchSize, hidden: 256) : single
        return Report(threads: threads, batchSize: batchSize, warmupImages: warmup, repeats: repeats,
                      dropP: dropP, data: dataName, products: Array(zip(single, all)), training: rows)
    }

    /// What `autoenc bench` measured, and how it prints it.
    public struct Report {
        public var threads: Int, batchSize: Int, warmupImages: Int, repeats: Int
        public var dropP: Float
        public var data: String
        /// Each product on one thread, then on `threads` threads.
        public var products: [(one: ProductTiming, all: ProductTiming)]
        public var training: [(mode: Mode, imagesPerSecond: Double, images: Int)]

        public init(threads: Int, batchSize: Int, warmupImages: Int, repeats: Int, dropP: Float, data: String,
                    products: [(one: ProductTiming, all: ProductTiming)],
                    training: [(mode: Mode, imagesPerSecond: Double, images: Int)]) {
            self.threads = threads
            self.batchSize = batchSize
            self.warmupImages = warmupImages
            self.repeats = repeats
            self.dropP = dropP
            self.data = data
            self.products = products
            self.training = training
        }

        /// The vector kernels' level and how it was chosen.
        public static var vectorKernels: String {
            let level = Kernels.current.level.rawValue
            let runs = KernelLevel.supported.map(\.rawValue).joined(separator: ", ")
            if ProcessInfo.processInfo.environment[KernelLevel.environmentVariable].map({ !$0.isEmpty }) == true {
                return "\(level) (\(KernelLevel.environmentVariable) set by the user; this CPU runs \(runs))"
            }
            return "\(level) (the best this CPU runs: \(runs))"
        }

        /// One JSON object.
        public var json: String {
            let p = products.map { one, all in
                "{\"product\":\"\(one.name)\",\"m\":\(one.m),\"n\":\(one.n),\"k\":\(one.k),\"gflops_1_thread\":\(String(format: "%.1f", one.gflops)),\"gflops\":\(String(format: "%.1f", all.gflops)),\"max_rel_error\":\(max(one.maxRelativeError, all.maxRelativeError))}"
            }
            let t = training.map { "{\"mode\":\"\($0.mode.rawValue)\",\"images_per_second\":\(Int($0.imagesPerSecond)),\"images\":\($0.images)}" }
            return "{\"blas\":\"\(BLASRuntime.library)\",\"kernel\":\"\(BLASRuntime.coreName)\",\"kernel_report\":\"\(BLASRuntime.report)\",\"vector_kernels\":\"\(Kernels.current.level.rawValue)\",\"threads\":\(threads),\"batch_size\":\(batchSize),\"warmup_images\":\(warmupImages),\"drop_p\":\(dropP),\"sgemm\":[\(p.joined(separator: ","))],\"training\":[\(t.joined(separator: ","))]}"
        }

        /// The table a person reads.
        public var table: String {
            var lines = ["blas     \(BLASRuntime.library)", "kernel   \(BLASRuntime.report)", "vectors  \(Self.vectorKernels)",
                         "threads  \(threads), batch \(batchSize), drop-p \(dropP), data \(data)", "",
                         "sgemm at the model's shapes       m     n     k   GFLOP/s 1 thread   \(counted(threads, "thread").padding(toLength: 9, withPad: " ", startingAt: 0))   max rel err vs naive"]
            for (one, all) in products {
                lines.append("  " + one.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                             + String(format: "        %5d %5d %5d   %9.1f   %9.1f   %.1e", one.m, one.n, one.k, one.gflops, all.gflops,
                                      max(one.maxRelativeError, all.maxRelativeError)))
            }
            lines += ["", "training (images/s, median of \(repeats), after \(warmupImages) images of warm-up)"]
            for row in training {
                lines.append(row.mode.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %9.0f", row.imagesPerSecond))
            }
            return lines.joined(separator: "\n")
        }
    }
}
