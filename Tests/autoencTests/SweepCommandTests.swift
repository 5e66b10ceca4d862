import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// `sweep` end to end on generated data, and its flag checks.
@Suite struct SweepCommandTests {
    static func series(_ scratch: Scratch, _ path: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(try scratch.bytes(path)))
        return try #require((object as? [String: Any])?["series"] as? [[String: Any]], "\(path): no series")
    }

    static func values(_ point: [String: Any], _ key: String) -> [Double] {
        let metric = (point["metrics"] as? [String: Any])?[key] as? [String: Any]
        return (metric?["values"] as? [NSNumber])?.map(\.doubleValue) ?? []
    }

    @Test("a drop-p sweep: a chart per metric, metrics.json by model and value, report.html; p = 0 is none, once")
    func dropPSweep() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let result = try scratch.run(["sweep"] + CompareCommandTests.tiny
                                     + ["--drop-p", "0,0.5", "--models", "none,dropout", "--seeds", "2"])
        try #require(result.status == 0, "\(result)")
        // the legend names the knob, as report.html's caption does
        #expect(result.stdout.contains("differs from none at the same drop_p"), "\(result.stdout)")
        let charts = ["dead_units.png", "localization.png", "mean_activation.png", "probe_accuracy.png", "sparsity.png",
                      "test_mse.png"]
        #expect(scratch.listing("sweep")
                == (charts + ["metrics.json", "report.html", "runs", "runs.json", "weightmaps.png"]).sorted())
        try CompareCommandTests.expectPNG(scratch, "sweep/weightmaps.png")
        // none once per seed (it is also dropout at p = 0), dropout at 0.5 per seed
        #expect(scratch.listing("sweep/runs") == ["dropout-drop_p0.5-seed0.json", "dropout-drop_p0.5-seed0.safetensors",
                                                  "dropout-drop_p0.5-seed1.json", "dropout-drop_p0.5-seed1.safetensors",
                                                  "none-seed0.json", "none-seed0.safetensors",
                                                  "none-seed1.json", "none-seed1.safetensors"])
        for chart in charts { try CompareCommandTests.expectPNG(scratch, "sweep/" + chart) }
        // the table: none once (it does not depend on p), dropout at each p
        // a weight map per model and value: none at 0 and 0.5, dropout at 0 and 0.5
        try CompareCommandTests.expectReport(scratch, "sweep/report.html", images: 4, charts: charts.count, rows: 3)
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("none ") }.count == 1, "\(result.stdout)")
        let series = try Self.series(scratch, "sweep/metrics.json")
        #expect(series.map { $0["name"] as? String } == ["none", "dropout"])
        let none = try #require(series[0]["points"] as? [[String: Any]])
        let dropout = try #require(series[1]["points"] as? [[String: Any]])
        #expect(none.count == 2 && dropout.count == 2)
        #expect(Self.values(dropout[0], "test_mse") == Self.values(none[0], "test_mse"), "dropout at p = 0 is none")
        #expect(Self.values(none[1], "test_mse") == Self.values(none[0], "test_mse"), "none does not depend on p")
        #expect(Self.values(dropout[1], "test_mse").count == 2)
        #expect(Self.values(dropout[1], "test_mse") != Self.values(none[0], "test_mse"))
        #expect(dropout[1]["versus_none"] is [String: Any], "\(dropout[1])")
        #expect(result.stdout.contains("dropout drop_p=0.5"), "\(result.stdout)")
    }

    @Test("a size sweep trains each model on each prefix; svg charts on request")
    func limitSweep() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let result = try scratch.run(["sweep", "--data", "data", "--epochs", "1", "--hidden", "8", "--batch-size", "16",
                                      "--threads", "1", "--limit", "32,64", "--models", "none", "--charts", "svg",
                                      "--out", "sizes"])
        try #require(result.status == 0, "\(result)")
        #expect(scratch.listing("sizes/runs") == ["none-limit32-seed0.json", "none-limit32-seed0.safetensors",
                                                  "none-limit64-seed0.json", "none-limit64-seed0.safetensors"])
        #expect(scratch.listing("sizes").contains("test_mse.svg"))
        let recordFile = try scratch.bytes("sizes/runs/none-limit32-seed0.json")
        let record = try JSONSerialization.jsonObject(with: Data(recordFile)) as? [String: Any]
        #expect((record?["settings"] as? [String: Any])?["limit"] as? String == "32", "\(String(describing: record))")
        // the settings give the training images the sizes are cut from, not the first size
        let metrics = try JSONSerialization.jsonObject(with: Data(try scratch.bytes("sizes/metrics.json")))
            as? [String: Any]
        #expect((metrics?["settings"] as? [String: Any])?["train_images"] as? Int == Fixtures.trainCount,
                "\(String(describing: metrics?["settings"]))")
        // sizes beyond the training set would all train on the same images: refused, naming the flag
        let beyond = try scratch.run(["sweep", "--data", "data", "--epochs", "1", "--hidden", "8",
                                      "--limit", "32,\(Fixtures.trainCount + 1)", "--models", "none",
                                      "--out", "beyond"])
        #expect(beyond.status == 64, "\(beyond)")
        #expect(beyond.stderr.contains("--limit \(Fixtures.trainCount + 1)"), "\(beyond.stderr)")
        #expect(!scratch.listing().contains("beyond"), "the refused sweep left \(scratch.listing())")
    }

    static let badFlags: [(arguments: [String], flag: String)] = [
        (["sweep"], "--drop-p"),
        (["sweep", "--drop-p", "0.5", "--limit", "500"], "--drop-p"),
        (["sweep", "--drop-p", "0.1,0.5", "--limit", "10,20"], "--limit"),
        (["sweep", "--drop-p", "0.1,1"], "--drop-p"),
        (["sweep", "--drop-p", "0.1,x"], "--drop-p"),
        (["sweep", "--drop-p", "0.1,0.1"], "--drop-p"),
        (["sweep", "--limit", "10,0"], "--limit"),
        (["sweep", "--limit", "10,2.5"], "--limit"),
        (["sweep", "--max-norm", "1,-1"], "--max-norm"),
        (["sweep", "--input-drop-p", "0,1"], "--input-drop-p"),
        (["sweep", "--drop-p", "0.1,0.5", "--models", "dropout,relu"], "--models"),
        (["sweep", "--drop-p", "0.1,0.5", "--models", "none"], "--models"),
        (["sweep", "--drop-p", "0.1,0.5", "--models", "dropout,dropout"], "--models"),
        (["sweep", "--limit", "10,20", "--drop-p", "0"], "--drop-p"),
        (["sweep", "--drop-p", "0.1,0.5", "--seeds", "0"], "--seeds"),
        (["sweep", "--drop-p", "0.1,0.5", "--charts", "gif"], "--charts"),
        (["sweep", "--drop-p", "0.1,0.5", "--epochs", "0"], "--epochs"),
    ]

    @Test("bad values are one-line usage errors naming the flag", arguments: badFlags)
    func badFlag(arguments: [String], flag: String) {
        expectUsageError(arguments, naming: flag)
    }
}
