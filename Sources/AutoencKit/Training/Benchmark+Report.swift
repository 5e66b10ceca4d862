import Foundation

extension Benchmark {
    /// One (hidden units, batch size) pair the benchmark measures.
    public struct Size: Sendable, Equatable {
        public var hidden: Int
        public var batchSize: Int

        public init(hidden: Int, batchSize: Int) {
            self.hidden = hidden
            self.batchSize = batchSize
        }
    }

    /// One product at one size, on one thread and on all.
    public struct ProductRow: Sendable {
        public var size: Size
        public var one: ProductTiming
        public var all: ProductTiming
        /// The kernels' own product on one thread, where the training step runs it instead of BLAS.
        public var own: ProductTiming?

        public init(size: Size, one: ProductTiming, all: ProductTiming, own: ProductTiming? = nil) {
            self.size = size
            self.one = one
            self.all = all
            self.own = own
        }
    }

    /// One mode's training at one size.
    public struct TrainingRow: Sendable {
        public var mode: Mode
        public var size: Size
        /// Images timed per repeat, and run untimed before.
        public var images: Int
        public var warmupImages: Int
        /// The median over the repeats.
        public var imagesPerSecond: Double
        /// The timed steps of every repeat, by phase.
        public var breakdown: StepBreakdown
        /// The slowest and the fastest repeat's images/s, where measured.
        public var imagesPerSecondRange: ClosedRange<Double>?

        public init(mode: Mode, size: Size, images: Int, warmupImages: Int, imagesPerSecond: Double,
                    breakdown: StepBreakdown, imagesPerSecondRange: ClosedRange<Double>? = nil) {
            self.mode = mode
            self.size = size
            self.images = images
            self.warmupImages = warmupImages
            self.imagesPerSecond = imagesPerSecond
            self.breakdown = breakdown
            self.imagesPerSecondRange = imagesPerSecondRange
        }

        /// Milliseconds of a full step at the median rate.
        public var millisecondsPerStep: Double { 1000 * Double(min(size.batchSize, images)) / imagesPerSecond }

        /// The dense step's multiply-adds per image, as flops: five products of 2 x 784 x hidden.
        public var flopsPerImage: Double { 10 * Double(ModelConfig.inputs) * Double(size.hidden) }

        /// The median rate's flops, as if every product were dense, over `peak` (GFLOP/s):
        /// 1 means the products alone ran at the CPU's multiply-add peak; skipping dead units
        /// or dark pixels counts in the step's favour, so above 1 is possible.
        public func efficiency(peak: Double) -> Double { imagesPerSecond * flopsPerImage / (peak * 1e9) }

        /// The `count` phases that took the longest, largest first, "z2 31%, dw2 24%".
        public func largestPhases(_ count: Int = 3) -> String {
            breakdown.phases.sorted { $0.microseconds > $1.microseconds }.prefix(count)
                .map { "\($0.phase.short) " + String(format: "%.0f%%", breakdown.percent($0.microseconds)) }
                .joined(separator: ", ")
        }
    }

    /// What `autoenc bench` measured, and how it prints it.
    public struct Report {
        public var threads: Int
        public var hiddenSizes: [Int], batchSizes: [Int]
        /// Untimed images before each timing, as asked (nil: 4 batches).
        public var warmup: Int?
        public var repeats: Int
        public var dropP: Float
        public var data: String
        /// Each product at each size, sizes in the order measured.
        public var products: [ProductRow]
        /// Each mode at each size: sizes in the order measured, modes in the order asked.
        public var training: [TrainingRow]
        /// The CPU's multiply-add peak, when measured.
        public var peak: Peak?
        /// Adam's pass alone at each hidden size, when measured.
        public var optimizer: [OptimizerTiming]

        public init(threads: Int, hiddenSizes: [Int], batchSizes: [Int], warmup: Int?, repeats: Int,
                    dropP: Float, data: String,
                    products: [ProductRow], training: [TrainingRow], peak: Peak? = nil,
                    optimizer: [OptimizerTiming] = []) {
            self.threads = threads
            self.hiddenSizes = hiddenSizes
            self.batchSizes = batchSizes
            self.warmup = warmup
            self.repeats = repeats
            self.dropP = dropP
            self.data = data
            self.products = products
            self.training = training
            self.peak = peak
            self.optimizer = optimizer
        }

        /// Whether several sizes were measured: the training section is then the scaling table.
        public var scales: Bool { hiddenSizes.count > 1 || batchSizes.count > 1 }

        /// The vector kernels' level and how it was chosen.
        public static var vectorKernels: String {
            let level = Kernels.current.level.rawValue
            let runs = KernelLevel.supported.map(\.rawValue).joined(separator: ", ")
            if ProcessInfo.processInfo.environment[KernelLevel.environmentVariable].map({ !$0.isEmpty }) == true {
                return "\(level) (\(KernelLevel.environmentVariable) set by the user; this CPU runs \(runs))"
            }
            return "\(level) (the best this CPU runs: \(runs))"
        }

        // MARK: - JSON

        /// One JSON object: with one size its `hidden` and `batch_size` (and
        /// `warmup_images`) at the top, as well as in every row.
        public var json: String {
            func fixed(_ x: Double, _ decimals: Int) -> JSON { .rounded(x, decimals: decimals) }
            func int(_ x: Int) -> JSON { .number(Double(x)) }
            let p: [JSON] = products.map { row in
                let one = row.one, all = row.all
                return .object([("product", .string(one.name)), ("hidden", int(row.size.hidden)),
                                ("batch_size", int(row.size.batchSize)), ("m", int(one.m)), ("n", int(one.n)),
                                ("k", int(one.k)), ("gflops_1_thread", fixed(one.gflops, 1)),
                                ("gflops", fixed(all.gflops, 1)),
                                ("max_rel_error", .number(Double(max(one.maxRelativeError, all.maxRelativeError)))),
                                ("own_gflops_1_thread", row.own.map { fixed($0.gflops, 1) } ?? .null),
                                ("own_max_rel_error", row.own.map { .number($0.maxRelativeError) } ?? .null)])
            }
            let t: [JSON] = training.map { row in
                let b = row.breakdown
                func phase(_ name: String, _ microseconds: Double) -> JSON {
                    .object([("phase", .string(name)), ("us_per_step", fixed(microseconds, 1)),
                             ("percent", fixed(b.percent(microseconds), 2))])
                }
                let phases = b.phases.map { phase($0.phase.rawValue, $0.microseconds) }
                    + [phase("other", b.otherMicroseconds)]
                let range = row.imagesPerSecondRange
                return .object([("mode", .string(row.mode.rawValue)), ("hidden", int(row.size.hidden)),
                                ("batch_size", int(row.size.batchSize)),
                                ("images_per_second", int(Int(row.imagesPerSecond))),
                                ("images_per_second_min", range.map { int(Int($0.lowerBound)) } ?? .null),
                                ("images_per_second_max", range.map { int(Int($0.upperBound)) } ?? .null),
                                ("ms_per_step", fixed(row.millisecondsPerStep, 3)), ("images", int(row.images)),
                                ("efficiency", peak.map { fixed(row.efficiency(peak: $0.allThreads), 3) } ?? .null),
                                ("warmup_images", int(row.warmupImages)), ("steps_timed", int(b.steps)),
                                ("step_us", fixed(b.stepMicroseconds, 1)), ("phases", .array(phases))])
            }
            var fields: [(String, JSON)] = [
                ("blas", .string(BLASRuntime.library)), ("kernel", .string(BLASRuntime.coreName)),
                ("kernel_report", .string(BLASRuntime.report)), ("vector_kernels",
                                                                 .string(Kernels.current.level.rawValue)),
                ("threads", int(threads)),
            ]
            if let peak {
                fields += [("peak_gflops_1_thread", fixed(peak.oneThread, 1)),
                           ("peak_gflops", fixed(peak.allThreads, 1)),
                           ("peak_level", .string(peak.level.rawValue))]
            }
            if !scales, let h = hiddenSizes.first, let batch = batchSizes.first {
                fields += [("hidden", int(h)), ("batch_size", int(batch)), ("warmup_images", int(warmup ?? 4 * batch))]
            }
            fields += [("hidden_sizes", .array(hiddenSizes.map(int))), ("batch_sizes", .array(batchSizes.map(int))),
                       ("repeats", int(repeats)), ("drop_p", .float(dropP)), ("sgemm", .array(p)),
                       ("adam", .array(optimizer.map { o in
                           .object([("hidden", int(o.hidden)), ("parameters", int(o.parameters)),
                                    ("ns_per_parameter", fixed(o.nanosecondsPerParameter, 3))])
                       })), ("training", .array(t))]
            return JSON.object(fields).compact
        }

        // MARK: - Tables

        /// The tables a person reads: the machine, sgemm at each size's shapes, then with
        /// one size each mode's images/s and the breakdown of its step, with several the
        /// scaling table.
        public var table: String {
            let sizes = hiddenSizes.map(String.init).joined(separator: ",")
            let allThreads = threads > 1 ? counted(threads, "thread") : "(same)"
            let model = hiddenSizes == [Benchmark.referenceHidden] ? "" : "hidden \(sizes), "
            var lines = ["blas     \(BLASRuntime.library)", "kernel   \(BLASRuntime.report)",
                         "vectors  \(Self.vectorKernels)"]
                + (peak.map { [$0.line] } ?? [])
            lines += ["threads  \(threads), \(model)batch \(batchSizes.map(String.init).joined(separator: ",")), "
                + "drop-p \(dropP), data \(data)", "",
                         "sgemm at the model's shapes       m     n     k   GFLOP/s 1 thread   "
                             + allThreads.padding(toLength: 9, withPad: " ", startingAt: 0) + "   max rel err vs naive"
                             + (ownKernels ? "   own, 1 thread" : "")]
            for (i, row) in products.enumerated() {
                if i > 0 && row.size != products[i - 1].size { lines.append("") }
                let one = row.one, all = row.all
                let own = !ownKernels ? "" : row.own.map { String(format: "         %9.1f", $0.gflops) }
                    ?? "                 -"
                lines.append("  " + one.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                             + String(format: "        %5d %5d %5d   %9.1f   %9.1f   %.1e", one.m, one.n, one.k,
                                      one.gflops, all.gflops,
                                      max(one.maxRelativeError, all.maxRelativeError)) + own)
            }
            if ownKernels {
                lines.append("own: the kernels' own product, which the training step runs instead of sgemm "
                    + "where shown (z1, z2 as w x^T, stored transposed); up to "
                    + "\(TrainingPass.groupedEncoderUnits) hidden units its z1 runs over each image's lit pixels "
                    + "instead, timed in the encoder's phase below")
            }
            if !optimizer.isEmpty { lines += [""] + optimizerLines }
            lines.append("")
            lines += scales ? scalingTable : trainingTable + [""] + breakdownTable
            return lines.joined(separator: "\n")
        }

        /// Adam's pass alone, a line per hidden size, then what it leaves out.
        var optimizerLines: [String] {
            optimizer.map { o in
                String(format: "adam     %.3f ns a parameter on 1 thread, hidden %d: %d parameters",
                       o.nanosecondsPerParameter, o.hidden, o.parameters)
            } + ["adam: the update alone, the same parameters, gradients and moments pass after pass; "
                + "in a step it also waits for them to come from memory (the optimizer phase)"]
        }

        /// Whether any product ran the kernels' own code, and the table has its column.
        var ownKernels: Bool { products.contains { $0.own != nil } }

        var warmupDescription: String {
            if let warmup { return "after \(warmup) images of warm-up" }
            if let batch = batchSizes.first, batchSizes.count == 1 { return "after \(4 * batch) images of warm-up" }
            return "after 4 batches of warm-up"
        }

        /// A row's efficiency against the all-thread peak, "   0.91 of peak", or "" without a peak.
        func efficiencyCell(_ row: TrainingRow) -> String {
            peak.map { String(format: "   %5.2f of peak", row.efficiency(peak: $0.allThreads)) } ?? ""
        }

        /// What the efficiency column means, or nothing without a peak.
        var efficiencyNote: [String] {
            guard let peak else { return [] }
            return ["of peak: images/s x 10 x 784 x hidden (the five dense products' flops an image) / "
                + String(format: "%.1f GFLOP/s,", peak.allThreads),
                    "the peak on \(counted(peak.threads, "thread")); skipped dead units or dark pixels count "
                + "in the step's favour, so above 1 is possible"]
        }

        /// One size: images/s per mode, its efficiency, and with several repeats their range.
        var trainingTable: [String] {
            ["training (images/s, median of \(repeats)\(showsRange ? " and their range" : ""), "
                + "\(warmupDescription))"]
                + training.map {
                    $0.mode.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + String(format: " %9.0f", $0.imagesPerSecond) + efficiencyCell($0) + rangeCell($0)
                }
                + efficiencyNote
        }

        /// Whether the table gives the repeats' range: there were several, and it was measured.
        var showsRange: Bool { repeats > 1 && training.contains { $0.imagesPerSecondRange != nil } }

        /// A row's slowest and fastest repeat, "   range 80123-91234", where `showsRange`.
        func rangeCell(_ row: TrainingRow) -> String {
            guard showsRange, let range = row.imagesPerSecondRange else { return "" }
            return String(format: "   range %.0f-%.0f", range.lowerBound, range.upperBound)
        }

        /// One size: each phase's µs per step and share, a column per mode; a phase no
        /// mode ran is left out, and "-" marks one a mode did not run.
        var breakdownTable: [String] {
            let labelWidth = 32
            let widths = training.map { max(15, $0.mode.rawValue.count) + 2 }
            func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
            func cells(_ value: (StepBreakdown) -> Double?) -> String {
                zip(training, widths).map { row, width in
                    pad(value(row.breakdown).map { String(format: "%8.1f %5.1f%%", $0,
                                                          row.breakdown.percent($0)) } ?? "-", width)
                }.joined()
            }
            var lines = ["where a step's time goes (µs per step and share of the step; "
                + "a phase's time is its threads' mean,",
                         "over every timed step; other: threads waiting for each other, "
                             + "work on one thread, bookkeeping)",
                         "phase".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
                             + zip(training, widths).map { pad($0.mode.rawValue, $1) }.joined()]
            let timed = StepTimer.Phase.allCases.filter { phase in
                training.contains { $0.breakdown.microseconds(phase) != nil }
            }
            for phase in timed {
                lines.append(phase.label.padding(toLength: labelWidth, withPad: " ",
                                                 startingAt: 0) + cells { $0.microseconds(phase) })
            }
            lines.append("   other".padding(toLength: labelWidth, withPad: " ",
                                            startingAt: 0) + cells { $0.otherMicroseconds })
            lines.append("   step".padding(toLength: labelWidth, withPad: " ",
                                           startingAt: 0) + cells { $0.stepMicroseconds })
            return lines
        }

        /// Several sizes: a row per size and mode.
        var scalingTable: [String] {
            var lines = ["training at each size (median of \(repeats), \(warmupDescription); "
                + "images timed shrink as 256/hidden above 256 units)",
                         "hidden  batch  mode                    images/s   ms/step   images"
                             + (peak == nil ? "" : "    efficiency") + "  largest phases"]
            for (i, row) in training.enumerated() {
                if i > 0 && row.size != training[i - 1].size { lines.append("") }
                lines.append(String(format: "%6d %6d  ", row.size.hidden, row.size.batchSize)
                             + row.mode.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)
                             + String(format: " %9.0f %9.2f %8d", row.imagesPerSecond,
                                      row.millisecondsPerStep, row.images)
                             + efficiencyCell(row) + "  " + row.largestPhases())
            }
            return lines + efficiencyNote
        }
    }
}
