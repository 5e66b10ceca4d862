import AutoencKit
import Foundation
import Testing

/// `autoenc bench`: the JSON report carries every product and mode asked for, with
/// figures that are measurements (positive, finite), and bad flags are refused.
@Suite struct BenchCommandTests {
    @Test func jsonReportHasEveryProductAndMode() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(["bench", "--data", "data", "--images", "48", "--warmup", "32", "--repeats", "1",
                                      "--batch-size", "16", "--threads", "2", "--modes", "none,dropout,dropconnect-batch", "--json"])
        #expect(result.status == 0, "\(result)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        let sgemm = try #require(report["sgemm"] as? [[String: Any]])
        #expect(sgemm.count == 5)
        for product in sgemm {
            let gflops = try #require(product["gflops"] as? Double)
            let error = try #require(product["max_rel_error"] as? Double)
            #expect(gflops > 0 && gflops.isFinite, "\(product)")
            #expect(error < 1e-4, "BLAS against the naive product: \(product)")
        }
        let training = try #require(report["training"] as? [[String: Any]])
        #expect(training.compactMap { $0["mode"] as? String } == ["none", "dropout", "dropconnect-batch"])
        for row in training {
            let rate = try #require(row["images_per_second"] as? Int)
            #expect(rate > 0, "\(row)")
            #expect(row["images"] as? Int == 48, "\(row)")
        }
        #expect(report["threads"] as? Int == 2)
        #expect(report["warmup_images"] as? Int == 32)
        #expect(report["vector_kernels"] as? String == Kernels.current.level.rawValue, "\(report)") // the best level, or AUTOENC_KERNELS's
    }

    @Test(arguments: [["--warmup", "-1"], ["--modes", "none,fast"], ["--drop-p", "1"], ["--images", "0"], ["--modes", ","], ["--modes", ""]])
    func badFlagsAreRefused(_ flags: [String]) throws {
        let scratch = try Scratch()
        let result = try scratch.run(["bench", "--data", "data"] + flags)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains(flags[0]), "the error names \(flags[0]): \(result.stderr)")
    }
}
