import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// `autoenc bench`'s choices that are not measurements (those are tested end to end in
/// `BenchCommandTests`, which never assert a speed).
@Suite struct BenchmarkTests {
    /// Above 256 hidden units the images timed shrink as 256/hidden, at least a batch
    /// unless fewer were asked for; per-example DropConnect takes a quarter.
    @Test func timedImagesScaleWithTheHiddenLayer() {
        #expect(Benchmark.timedImages(30000, mode: .none, hidden: 256, batchSize: 128) == 30000)
        #expect(Benchmark.timedImages(30000, mode: .none, hidden: 64, batchSize: 128) == 30000)
        #expect(Benchmark.timedImages(30000, mode: .dropout, hidden: 1024, batchSize: 128) == 7500)
        #expect(Benchmark.timedImages(30000, mode: .none, hidden: 4096, batchSize: 128) == 1875)
        #expect(Benchmark.timedImages(30000, mode: .dropconnectExample, hidden: 256, batchSize: 128) == 7500)
        #expect(Benchmark.timedImages(30000, mode: .dropconnectExample, hidden: 4096, batchSize: 512) == 512)
        #expect(Benchmark.timedImages(1000, mode: .none, hidden: 16384, batchSize: 512) == 512)
        #expect(Benchmark.timedImages(100, mode: .none, hidden: 16384, batchSize: 512) == 100)
    }

    /// Each mode trains what `train` resolves for the same flags: valid settings, the
    /// mode's regularizer and mask sharing, the size asked for, Adam's defaults.
    @Test(arguments: Benchmark.Mode.allCases)
    func modesAreTrainRequests(mode: Benchmark.Mode) {
        let request = mode.request(dropP: 0.3, hidden: 64, batchSize: 32)
        #expect(request.problem(newRun: true) == nil)
        let (config, options) = request.newRun()
        #expect(config.hidden == 64 && options.batchSize == 32 && options.optimizer == .adam)
        switch mode {
        case .none: #expect(config.dropP == 0)
        case .dropout: #expect(config.dropP == 0.3 && config.dropMode == .dropout)
        case .dropconnectExample:
            #expect(config.dropP == 0.3 && config.dropMode == .dropconnect && config.masks == .example)
        case .dropconnectBatch:
            #expect(config.dropP == 0.3 && config.dropMode == .dropconnect && config.masks == .batch)
        }
    }

    /// A report of made-up figures at every (hidden, batch) pair of `hidden` x `batches`
    /// for `modes`: one 1 ms step of 600 µs z1 and 300 µs dw2.
    static func report(hidden: [Int], batches: [Int], modes: [Benchmark.Mode]) -> Benchmark.Report {
        let sizes = hidden.flatMap { h in batches.map { Benchmark.Size(hidden: h, batchSize: $0) } }
        let breakdown = StepBreakdown(steps: 10, stepMicroseconds: 1000,
                                      phases: [(.encoder, 600), (.decoderGradient, 300)])
        let training = sizes.flatMap { size in
            modes.map { Benchmark.TrainingRow(mode: $0, size: size, images: 1000, warmupImages: 4 * size.batchSize,
                                              imagesPerSecond: Double(size.batchSize) * 1000, breakdown: breakdown) }
        }
        let product = Benchmark.ProductTiming(name: "x w1^T", m: 1, n: 1, k: 1, gflops: 1, maxRelativeError: 0)
        return Benchmark.Report(threads: 2, hiddenSizes: hidden, batchSizes: batches, warmup: nil,
                                repeats: 3, dropP: 0.5, data: "data",
                                products: sizes.map { Benchmark.ProductRow(size: $0, one: product, all: product) },
                                training: training)
    }

    /// Several sizes: the scaling table has a row per size and mode, in the order
    /// measured, with images/s, ms per step, images timed and the largest phases; the
    /// JSON a training row for each.
    @Test func scalingTableHasARowPerSizeAndMode() throws {
        let report = Self.report(hidden: [256, 1024], batches: [128, 512], modes: [.none, .dropout])
        #expect(report.scales)
        let lines = report.table.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("hidden  batch  mode") }, "\(report.table)")
        let rows = lines[(header + 1)...].map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map { $0[0...2].joined(separator: " ") } == [
            "256 128 none", "256 128 dropout", "256 512 none", "256 512 dropout",
            "1024 128 none", "1024 128 dropout", "1024 512 none", "1024 512 dropout",
        ], "\(report.table)")
        // batch 128 at 128k images/s: 1 ms a step
        #expect(rows[0][3...].joined(separator: " ") == "128000 1.00 1000 z1 60%, dw2 30%", "\(rows[0])")
        #expect(!report.table.contains("where a step's time goes"))
        #expect(report.table.contains("after 4 batches of warm-up"))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        let training = try #require(json["training"] as? [[String: Any]])
        #expect(training.count == 8)
        let phases = try #require(training.first?["phases"] as? [[String: Any]])
        #expect(phases.compactMap { $0["phase"] as? String } == ["encoder", "decoder-gradient", "other"])
        #expect(phases.compactMap { $0["us_per_step"] as? Double } == [600, 300, 100])
        #expect(phases.compactMap { $0["percent"] as? Double } == [60, 30, 10])
        #expect(!report.table.contains("peak") && json["peak_gflops"] == nil)
    }

    /// With several repeats a mode's line gives the slowest and fastest repeat after its
    /// median, and the JSON both; with one, or no range measured, the line has none and
    /// the JSON fields are null.
    @Test func rangeOfTheRepeatsIsReported() throws {
        var report = Self.report(hidden: [256], batches: [128], modes: [.none, .dropout])
        report.training[0].imagesPerSecondRange = 120_000.4...131_000.6
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines.contains("training (images/s, median of 3 and their range, after 512 images of warm-up)"),
                "\(report.table)")
        #expect(lines.contains("none                      128000   range 120000-131001"), "\(report.table)")
        #expect(lines.contains("dropout                   128000"), "\(report.table)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        let training = try #require(json["training"] as? [[String: Any]])
        #expect(training[0]["images_per_second_min"] as? Int == 120_000, "\(training[0])")
        #expect(training[0]["images_per_second_max"] as? Int == 131_000, "\(training[0])")
        #expect(training[1]["images_per_second_min"] is NSNull && training[1]["images_per_second_max"] is NSNull)

        report.repeats = 1
        #expect(report.table.contains("training (images/s, median of 1, after"), "\(report.table)")
        #expect(!report.table.contains("range"), "\(report.table)")
    }

    /// The multiply-add peak, when measured, is a line under the kernels and three JSON
    /// fields; one thread's figure alone when the bench ran on one.
    @Test func peakIsReported() throws {
        var report = Self.report(hidden: [256], batches: [128], modes: [.none])
        report.peak = Benchmark.Peak(level: .avx2, oneThread: 39.84, allThreads: 79.0, threads: 2)
        let lines = report.table.split(separator: "\n").map(String.init)
        let vectors = try #require(lines.firstIndex { $0.hasPrefix("vectors") })
        #expect(lines[vectors + 1] == """
            peak     39.8 GFLOP/s on 1 thread, 79.0 on 2 \
            (fp32 multiply-adds, avx2 instructions: no product can go faster)
            """)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["peak_gflops_1_thread"] as? Double == 39.8 && json["peak_gflops"] as? Double == 79
                && json["peak_level"] as? String == "avx2")
        report.peak = Benchmark.Peak(level: .generic, oneThread: 9.5, allThreads: 9.5, threads: 1)
        #expect(report.table.contains("peak     9.5 GFLOP/s on 1 thread (fp32 multiply-adds, generic instructions"))
    }

    /// --hidden and --batch-size: one size or a list, spaces around the commas allowed,
    /// in the order given, each within its limit, none twice.
    @Test func sizeLists() throws {
        #expect(try Limits.hidden.list("256", flag: "--hidden") == [256])
        #expect(try Limits.hidden.list("4096, 256,1024", flag: "--hidden") == [4096, 256, 1024])
        #expect(try Limits.batchSize.list("65536", flag: "--batch-size") == [65536])
    }

    @Test("what the size lists' errors say", arguments: [
        ("256,abc", "--hidden must be a number or a comma-separated list of numbers, got '256,abc'"),
        ("256,,1024", "--hidden must be a number or a comma-separated list of numbers, got '256,,1024'"),
        ("", "--hidden must be a number or a comma-separated list of numbers, got ''"),
        ("0,256", "--hidden must be in 1...16384, got 0"),
        ("20000", "--hidden must be in 1...16384, got 20000"),
        ("64, 128,64", "--hidden lists 64 twice"),
    ])
    func sizeListErrors(text: String, message: String) {
        #expect(Self.usageMessage { _ = try Limits.hidden.list(text, flag: "--hidden") } == message)
    }

    /// The message of the usage error `body` throws; nil when it throws none or another.
    static func usageMessage(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as AutoencError where error.status == .usage { return error.message } catch {}
        return nil
    }

    /// --modes: the modes in the order given, empty items skipped; none at all, or an
    /// unknown one, is a usage error that lists the modes.
    @Test func modeLists() throws {
        #expect(try Benchmark.Mode.list("dropconnect-batch,none") == [.dropconnectBatch, .none])
        #expect(try Benchmark.Mode.list(",dropout,,") == [.dropout])
        for (text, message) in [
            ("", "--modes: expected at least one of none, dropout, dropconnect-example, dropconnect-batch, got ''"),
            (",", "--modes: expected at least one of none, dropout, dropconnect-example, dropconnect-batch, got ','"),
            ("none,fast",
             "--modes: unknown mode 'fast', expected none, dropout, dropconnect-example or dropconnect-batch"),
        ] {
            #expect(Self.usageMessage { _ = try Benchmark.Mode.list(text) } == message)
        }
    }

    /// bench's flags as a plan: the lists parsed in order, the counts kept; each flag
    /// outside its limit, and a drop probability a mode's run refuses, is a usage error
    /// naming it, checked in the order the flags are listed in the help.
    @Test func planFromTheFlags() throws {
        let plan = try Benchmark.Plan(modes: "dropout,none", hidden: "64, 256", batchSizes: "32",
                                      images: 100, warmup: nil,
                                      repeats: 2, dropP: 0.25)
        #expect(plan.modes == [.dropout, .none] && plan.hidden == [64, 256] && plan.batchSizes == [32])
        #expect(plan.images == 100 && plan.warmup == nil && plan.repeats == 2 && plan.dropP == 0.25)
        func refusal(modes: String = "none", hidden: String = "256", images: Int = 1, warmup: Int? = 0,
                     repeats: Int = 1,
                     dropP: Float = 0.5) -> String? {
            Self.usageMessage {
                _ = try Benchmark.Plan(modes: modes, hidden: hidden, batchSizes: "128", images: images, warmup: warmup,
                                       repeats: repeats, dropP: dropP)
            }
        }
        #expect(refusal(images: 0) == "--images must be at least 1, got 0")
        #expect(refusal(warmup: -1) == "--warmup must be at least 0, got -1")
        #expect(refusal(repeats: 0, dropP: 2) == "--repeats must be at least 1, got 0")
        #expect(refusal(hidden: "0") == "--hidden must be in 1...16384, got 0")
        #expect(refusal(dropP: 0) == "--drop-p must be in (0, 1), got 0.0")
        #expect(refusal(modes: "none,none") == "--modes lists none twice")
        // DropConnect's masks drop in steps of 1/256: a mode that uses them refuses 0.001
        #expect(refusal(modes: "dropout", dropP: 0.001) == nil)
        #expect(refusal(modes: "dropout,dropconnect-batch", dropP: 0.001)?.hasPrefix("--drop-p 0.001") == true)
    }

    /// One size: the training section of old, then the breakdown with a row per phase
    /// that ran, "other" and the step, and the same in the JSON; no scaling table.
    @Test func oneSizeHasTheBreakdown() throws {
        let report = Self.report(hidden: [256], batches: [128], modes: [.none, .dropconnectBatch])
        #expect(!report.scales)
        let lines = report.table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("threads  2, batch 128, drop-p 0.5, data data"), "\(report.table)")
        #expect(lines.contains("training (images/s, median of 3, after 512 images of warm-up)"), "\(report.table)")
        let header = try #require(lines.firstIndex { $0.hasPrefix("phase ") }, "\(report.table)")
        #expect(Array(lines[(header + 1)...]) == [
            "1a encoder z1 = xd w1^T              600.0  60.0%       600.0  60.0%",
            "2  dw2 = dz2^T hd, db2               300.0  30.0%       300.0  30.0%",
            "   other                             100.0  10.0%       100.0  10.0%",
            "   step                             1000.0 100.0%      1000.0 100.0%",
        ], "\(report.table)")
        #expect(!report.table.contains("largest phases"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["hidden"] as? Int == 256 && json["batch_size"] as? Int == 128
                && json["warmup_images"] as? Int == 512)
    }

    /// With a peak, each training row gives its efficiency: images/s x 10 x 784 x hidden
    /// (the five dense products' flops an image) over the all-thread peak, in the table
    /// to two decimals and in the JSON to three. 128,000 images/s at 256 units is
    /// 128000 x 2,007,040 = 256.9 GFLOP/s: 1.2845 of a 200 GFLOP/s peak, over 1 because
    /// skipped work counts in the step's favour.
    @Test func efficiencyAgainstThePeak() throws {
        var report = Self.report(hidden: [256], batches: [128], modes: [.none, .dropout])
        #expect(!report.table.contains("of peak"))
        report.peak = Benchmark.Peak(level: .avx512, oneThread: 100, allThreads: 200, threads: 2)
        let row = try #require(report.training.first)
        #expect(abs(row.efficiency(peak: 200) - 1.2845056) < 1e-9)
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines.contains("none                      128000    1.28 of peak"), "\(report.table)")
        #expect(lines.contains { $0.hasPrefix("of peak: images/s x 10 x 784 x hidden") }, "\(report.table)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        let training = try #require(json["training"] as? [[String: Any]])
        #expect(training.compactMap { $0["efficiency"] as? Double } == [1.285, 1.285])

        // several sizes: a column; 1024 units at the same rate is four times the flops
        report = Self.report(hidden: [256, 1024], batches: [128], modes: [.none])
        report.peak = Benchmark.Peak(level: .avx512, oneThread: 100, allThreads: 200, threads: 2)
        let rows = report.table.split(separator: "\n").filter { $0.hasPrefix("  1024") || $0.hasPrefix("   256") }
        #expect(rows.map { $0.split(separator: " ")[6] } == ["1.28", "5.14"], "\(report.table)")
    }

    /// The peak reported is the highest measured, on one thread and on all each on its own:
    /// a measurement taken while another process shared the cores must not lower it.
    @Test func peakKeepsTheHighestMeasurement() {
        let first = Benchmark.Peak(level: .avx512, oneThread: 110, allThreads: 120, threads: 2)
        let second = Benchmark.Peak(level: .avx512, oneThread: 90, allThreads: 230, threads: 2)
        let higher = first.higher(second)
        #expect(higher.oneThread == 110 && higher.allThreads == 230, "\(higher)")
        #expect(second.higher(first).oneThread == 110 && second.higher(first).allThreads == 230)
        #expect(higher.threads == 2 && higher.level == .avx512)
    }

    /// `products(own:)` times the own z1 product exactly where the step runs it: at AVX2
    /// up to `TrainingPass.ownEncoderUnitsAtAVX2` units (not above), at AVX-512 always;
    /// the others' products at AVX2 are BLAS's (nil). Each timing is checked against the
    /// naive product inside `products` (error |c - r| / (|r| + 1)): two float sums of k =
    /// 784 terms, each term at most 1 in size, differ by at most 2 k^2 2^-24 (0.073), where
    /// a wrong product is off by the size of its terms.
    @Test(arguments: KernelLevel.supported.filter { $0 >= .avx2 })
    func ownProductsWhereTheStepRunsThem(level: KernelLevel) {
        let kernels = Kernels(level), limit = TrainingPass.ownEncoderUnitsAtAVX2
        for hidden in [16, limit + 8] {
            let own = Benchmark.products(batch: 8, hidden: hidden, seconds: 0.001, own: true, kernels: kernels)
            let expected = level == .avx512 || hidden <= limit
            #expect((own[0] != nil) == expected, "\(level) \(hidden) units: z1 \(String(describing: own[0]))")
            if let z1 = own[0] { #expect(z1.maxRelativeError <= 2 * 784 * 784 * 0x1p-24, "\(level) \(hidden): \(z1)") }
            if level == .avx2 { #expect(own[1...].allSatisfy { $0 == nil }, "\(level) \(hidden): \(own)") }
        }
    }

    /// The own kernels' column: shown only when some product ran them, with "-" where the
    /// step leaves a product to BLAS; the JSON carries the figure or null.
    @Test func ownProductColumn() throws {
        var report = Self.report(hidden: [256], batches: [128], modes: [.none])
        #expect(!report.table.contains("own, 1 thread"), "\(report.table)")
        let product = Benchmark.ProductTiming(name: "x w1^T", m: 1, n: 1, k: 1, gflops: 1, maxRelativeError: 0)
        let own = Benchmark.ProductTiming(name: "x w1^T", m: 1, n: 1, k: 1, gflops: 123.4, maxRelativeError: 0)
        let size = Benchmark.Size(hidden: 256, batchSize: 128)
        report.products = [Benchmark.ProductRow(size: size, one: product, all: product, own: own),
                           Benchmark.ProductRow(size: size, one: product, all: product)]
        let lines = report.table.split(separator: "\n").map(String.init)
        let rows = lines.filter { $0.hasPrefix("  x w1^T") }
        #expect(rows.count == 2 && rows[0].hasSuffix("123.4") && rows[1].hasSuffix(" -"), "\(report.table)")
        #expect(lines.contains { $0.hasSuffix("own, 1 thread") }, "\(report.table)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        let sgemm = try #require(json["sgemm"] as? [[String: Any]])
        #expect(sgemm.first?["own_gflops_1_thread"] as? Double == 123.4 && sgemm.last?["own_gflops_1_thread"] is NSNull)
    }
}
