import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// `autoenc bench`: the JSON report carries every product and mode asked for, with
/// figures that are measurements (positive, finite), each mode's step broken down by
/// phase; several sizes give a row per size and mode; bad flags are refused. No test
/// asserts a speed.
@Suite struct BenchCommandTests {
    @Test func jsonReportHasEveryProductAndMode() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(["bench", "--data", "data", "--images", "48", "--warmup", "32", "--repeats", "1",
                                      "--batch-size", "16", "--threads", "2",
                                      "--modes", "none,dropout,dropconnect-batch", "--json"])
        #expect(result.status == 0, "\(result)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let report = try #require(parsed as? [String: Any], "\(result)")
        let sgemm = try #require(report["sgemm"] as? [[String: Any]])
        #expect(sgemm.count == 5)
        for product in sgemm {
            let gflops = try #require(product["gflops"] as? Double)
            let error = try #require(product["max_rel_error"] as? Double)
            #expect(gflops > 0 && gflops.isFinite, "\(product)")
            #expect(error < 1e-4, "BLAS against the naive product: \(product)")
            // the kernels' own product, where the step runs it: also checked against the naive one
            if let own = product["own_gflops_1_thread"] as? Double {
                let ownError = try #require(product["own_max_rel_error"] as? Double)
                #expect(own > 0 && own.isFinite && ownError < 1e-4, "the own product: \(product)")
            } else {
                #expect(product["own_gflops_1_thread"] is NSNull, "\(product)")
            }
        }
        // at the AVX-512 level the step runs all five in its own kernel (batch 16, 256 units)
        let ownRows = sgemm.filter { $0["own_gflops_1_thread"] is Double }.count
        #expect(ownRows == ((try? KernelLevel.requested()) == .avx512 ? 5 : 0), "\(sgemm)")
        let training = try #require(report["training"] as? [[String: Any]])
        #expect(training.compactMap { $0["mode"] as? String } == ["none", "dropout", "dropconnect-batch"])
        for row in training {
            let rate = try #require(row["images_per_second"] as? Int)
            #expect(rate > 0, "\(row)")
            // one repeat: it is the slowest and the fastest
            #expect(row["images_per_second_min"] as? Int == rate && row["images_per_second_max"] as? Int == rate,
                    "\(row)")
            #expect(row["images"] as? Int == 48, "\(row)")
            try Self.expectPhasesAddUp(row)
        }
        // Adam's pass alone, over the 256-unit model's parameters
        let adam = try #require(report["adam"] as? [[String: Any]], "\(report)")
        #expect(adam.count == 1 && adam.first?["hidden"] as? Int == 256, "\(adam)")
        #expect(adam.first?["parameters"] as? Int == Parameters.count(hidden: 256), "\(adam)")
        let perParameter = try #require(adam.first?["ns_per_parameter"] as? Double, "\(adam)")
        #expect(perParameter > 0 && perParameter.isFinite, "\(adam)")
        #expect(report["threads"] as? Int == 2)
        #expect(report["hidden"] as? Int == 256)
        #expect(report["batch_size"] as? Int == 16)
        #expect(report["warmup_images"] as? Int == 32)
        // the best level, or AUTOENC_KERNELS's
        #expect(report["vector_kernels"] as? String == Kernels.current.level.rawValue, "\(report)")
        // the peak is measured with the best instructions whatever AUTOENC_KERNELS says
        #expect(report["peak_level"] as? String == KernelLevel.best.rawValue, "\(report)")
        for key in ["peak_gflops_1_thread", "peak_gflops"] {
            let peak = try #require(report[key] as? Double, "\(report)")
            #expect(peak > 0 && peak.isFinite, "\(key): \(peak)")
        }
    }

    /// A row's phases, each non-negative, and "other" add up to the step: to 0.05 µs per
    /// figure (the JSON rounds each to 0.1 µs) plus 0.1% of the step for "other", which
    /// may dip below zero by that much (clocks read on different cores).
    static func expectPhasesAddUp(_ row: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let step = try #require(row["step_us"] as? Double, sourceLocation: sourceLocation)
        let phases = try #require(row["phases"] as? [[String: Any]], sourceLocation: sourceLocation)
        #expect(step > 0 && (row["steps_timed"] as? Int ?? 0) > 0, "\(row)", sourceLocation: sourceLocation)
        #expect(phases.last?["phase"] as? String == "other", "\(row)", sourceLocation: sourceLocation)
        let known = Set(StepTimer.Phase.allCases.map(\.rawValue))
        var sum = 0.0, percent = 0.0
        for phase in phases {
            let name = try #require(phase["phase"] as? String, sourceLocation: sourceLocation)
            let us = try #require(phase["us_per_step"] as? Double, sourceLocation: sourceLocation)
            percent += try #require(phase["percent"] as? Double, sourceLocation: sourceLocation)
            sum += us
            if name == "other" {
                #expect(us >= -1e-3 * step - 0.05, "\(row)", sourceLocation: sourceLocation)
            } else {
                #expect(known.contains(name) && us >= 0, "\(name): \(row)", sourceLocation: sourceLocation)
            }
        }
        #expect(abs(sum - step) <= 0.05 * Double(phases.count + 1), "phases \(sum) µs, step \(step) µs: \(row)",
                sourceLocation: sourceLocation)
        #expect(abs(percent - 100) <= 0.005 * Double(phases.count), "\(percent)%: \(row)",
                sourceLocation: sourceLocation)
        for name in ["encoder", "decoder", "encoder-gradient", "decoder-gradient", "optimizer"] {
            #expect(phases.contains { $0["phase"] as? String == name }, "no \(name): \(row)",
                    sourceLocation: sourceLocation)
        }
    }

    /// With one size the table is the one it always was, followed by the breakdown: a
    /// column per mode, a row per phase that ran, then "other" and the step at 100%.
    @Test func tableWithOneSizeEndsWithTheBreakdown() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(["bench", "--data", "data", "--images", "32", "--warmup", "16", "--repeats", "1",
                                      "--batch-size", "16", "--threads", "2", "--modes", "none,dropconnect-batch"])
        #expect(result.status == 0, "\(result)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("threads  2, batch 16, drop-p 0.5, data data"), "\(result.stdout)")
        // Adam's pass alone, after the products
        #expect(lines.contains {
            $0.hasPrefix("adam     ") && $0.hasSuffix(" ns a parameter on 1 thread, hidden 256: 402448 parameters")
        }, "\(result.stdout)")
        let training = try #require(lines.firstIndex {
            $0.hasPrefix("training (images/s, median of 1, after 16 images of warm-up)")
        }, "\(result.stdout)")
        #expect(lines[training + 1].hasPrefix("none ") && lines[training + 2].hasPrefix("dropconnect-batch "),
                "\(result.stdout)")
        let header = try #require(lines.firstIndex { $0.hasPrefix("phase ") }, "\(result.stdout)")
        #expect(header > training && lines[header].split(separator: " ") == ["phase", "none", "dropconnect-batch"],
                "\(lines[header])")
        let rows = lines[(header + 1)...].filter { !$0.isEmpty }
        // phase 0: per-batch DropConnect's masked w1, and where the own product runs
        // (AVX-512) w1^T's panels for every mode; otherwise nothing without a regularizer
        let everyMode = Matrix.hasOwnProduct(Kernels.current)
        #expect(rows.contains { $0.hasPrefix("0  masked w1, w1^T, w2^T") && $0.contains(" - ") != everyMode },
                "phase 0 \(everyMode ? "in both modes" : "only for per-batch DropConnect"): \(rows)")
        #expect(rows.contains { $0.hasPrefix("1b decoder z2 = hd w2^T") }, "\(rows)")
        #expect(!rows.contains { $0.hasPrefix("1a input dropout") || $0.hasPrefix("2  max-norm") },
                "phases no mode ran: \(rows)")
        #expect(rows.suffix(2).first?.hasPrefix("   other") == true, "\(rows)")
        let step = try #require(rows.last)
        #expect(step.hasPrefix("   step") && step.components(separatedBy: "100.0%").count == 3, "\(step)")
        #expect(!result.stdout.contains("largest phases"), "no scaling table with one size")
    }

    /// Lists of sizes: a row per (hidden, batch) and mode, in the table and in the JSON,
    /// and sgemm at each size's shapes.
    @Test func severalSizesGiveARowPerSizeAndMode() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let flags = ["bench", "--data", "data", "--images", "32", "--warmup", "0", "--repeats", "1", "--threads", "2",
                     "--hidden", "8,300", "--batch-size", "16,32", "--modes", "none,dropout"]
        let sizes = [(8, 16), (8, 32), (300, 16), (300, 32)]
        let modes = ["none", "dropout"]

        let table = try scratch.run(flags)
        #expect(table.status == 0, "\(table)")
        #expect(table.stdout.contains("threads  2, hidden 8,300, batch 16,32, drop-p 0.5"), "\(table.stdout)")
        #expect(table.stdout.contains("hidden  batch  mode "), "\(table.stdout)")
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            .filter { $0.count >= 6 && Int($0[0]) != nil && Int($0[1]) != nil && modes.contains($0[2]) }
        let expected = sizes.flatMap { size in modes.map { "\(size.0) \(size.1) \($0)" } }
        #expect(rows.map { $0[0...2].joined(separator: " ") } == expected, "\(table.stdout)")
        for row in rows {
            let rate = try #require(Double(row[3])), ms = try #require(Double(row[4]))
            #expect(rate > 0 && ms > 0, "\(row)")
        }
        // 300 units: 32 x 256 / 300 = 27 images timed, at least a batch of 16 and at most the 32 asked for
        #expect(rows.map { Int($0[5]) } == [32, 32, 32, 32, 27, 27, 32, 32], "\(table.stdout)")
        #expect(!table.stdout.contains("where a step's time goes"), "the breakdown of several sizes is in --json")

        let json = try scratch.run(flags + ["--json"])
        #expect(json.status == 0, "\(json)")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8))
        let report = try #require(parsed as? [String: Any], "\(json)")
        #expect(report["hidden_sizes"] as? [Int] == [8, 300] && report["batch_sizes"] as? [Int] == [16, 32],
                "\(report)")
        #expect(report["batch_size"] == nil && report["hidden"] == nil, "one size's keys with several: \(report)")
        let training = try #require(report["training"] as? [[String: Any]])
        let trainingRows = training.map {
            "\($0["hidden"] as? Int ?? 0) \($0["batch_size"] as? Int ?? 0) \($0["mode"] as? String ?? "")"
        }
        #expect(trainingRows == expected)
        for row in training { try Self.expectPhasesAddUp(row) }
        let sgemm = try #require(report["sgemm"] as? [[String: Any]])
        #expect(sgemm.count == 5 * sizes.count)
        for (i, size) in sizes.enumerated() {
            let sized = sgemm[(5 * i)..<(5 * i + 5)].allSatisfy {
                $0["hidden"] as? Int == size.0 && $0["batch_size"] as? Int == size.1
            }
            #expect(sized, "\(sgemm)")
            #expect(sgemm[5 * i]["m"] as? Int == size.1 && sgemm[5 * i]["n"] as? Int == size.0,
                    "x w1^T at \(size): \(sgemm[5 * i])")
        }
    }

    @Test(arguments: [["--warmup", "-1"], ["--modes", "none,fast"], ["--drop-p", "1"], ["--images", "0"],
                      ["--repeats", "0"], ["--modes", ","], ["--modes", ""],
                      ["--hidden", "0"], ["--hidden", "256,abc"], ["--hidden", "256,,1024"], ["--hidden", "20000"],
                      ["--hidden", "64,64"],
                      ["--batch-size", "128,0"], ["--batch-size", ""], ["--batch-size", "70000"],
                      ["--batch-size", "16,16"]])
    func badFlagsAreRefused(_ flags: [String]) throws {
        let scratch = try Scratch()
        let result = try scratch.run(["bench", "--data", "data"] + flags)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains(flags[0]), "the error names \(flags[0]): \(result.stderr)")
    }

    /// The lists reach the command as given (`Limit.list` reads them, see
    /// `BenchmarkTests`); the help names both flags' lists and how the images timed scale.
    @Test func sizeListsParse() throws {
        let bench = try #require(try Autoenc.parseAsRoot(["bench", "--hidden", "256,1024", "--batch-size",
                                                          "512"]) as? Bench)
        #expect(bench.hidden == "256,1024" && bench.batchSize == "512")
        let help = ParsingTests.help(Autoenc.helpMessage(for: Bench.self))
        for expected in ["--hidden <n[,n...]>", "--batch-size <n[,n...]>", "(default: 256)", "(default: 128)",
                         "shrink as 256/hidden", "where a step's time goes"] {
            #expect(help.contains(expected), "bench --help lacks \(expected)")
        }
    }

    /// What the size lists' errors say.
    @Test(arguments: [
        (["--hidden", "256,abc"], "--hidden must be a number or a comma-separated list of numbers, got '256,abc'"),
        (["--hidden", "0,256"], "--hidden must be in 1...16384, got 0"),
        (["--batch-size", "128,70000"], "--batch-size must be in 1...65536, got 70000"),
        (["--batch-size", "16,32,16"], "--batch-size lists 16 twice"),
    ])
    func sizeListErrorsSayWhatIsWrong(_ flags: [String], _ message: String) throws {
        let scratch = try Scratch()
        let result = try scratch.run(["bench", "--data", "data"] + flags)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("autoenc: " + message), "\(result.stderr)")
    }

    /// A batch larger than the data set is refused with the sizes, not run.
    @Test func batchLargerThanTheDataIsRefused() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(["bench", "--data", "data", "--batch-size", "16,\(Fixtures.trainCount + 1)",
                                      "--images", "16"])
        #expect(result.status == 64, "\(result)")
        let tooLarge = "--batch-size \(Fixtures.trainCount + 1) is more than the \(Fixtures.trainCount) training images"
        #expect(result.stderr.contains(tooLarge), "\(result.stderr)")
    }
}
