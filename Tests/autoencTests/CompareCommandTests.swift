import ArgumentParser
import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// `compare` and `activations` end to end on generated data, and their flag checks.
@Suite struct CompareCommandTests {
    /// Fixtures in data/ plus label files (idx1, magic 0x801), labels cycling 0...9.
    static func labeledData(_ scratch: Scratch, labels: Bool = true) throws {
        try Fixtures.write(into: scratch)
        guard labels else { return }
        for (name, count) in [(DataLocation.trainLabels, Fixtures.trainCount),
                              (DataLocation.testLabels, Fixtures.testCount)] {
            var bytes: [UInt8] = []
            for word in [UInt32(0x0000_0801), UInt32(count)] {
                withUnsafeBytes(of: word.bigEndian) { bytes += $0 }
            }
            bytes += (0..<count).map { UInt8($0 % 10) }
            try scratch.write(bytes, to: "data/" + name)
        }
    }

    static let tiny = ["--data", "data", "--epochs", "1", "--limit", "64", "--hidden", "16", "--batch-size", "16",
                       "--threads", "1"]

    static func metrics(_ scratch: Scratch, _ path: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(try scratch.bytes(path)))
        let variants = (object as? [String: Any])?["variants"] as? [[String: Any]]
        return try #require(variants, "\(path): no variants array")
    }

    /// A compare variant's metric summary: mean, sd, ci95, values.
    static func summary(_ variant: [String: Any], _ key: String) -> [String: Any]? {
        (variant["metrics"] as? [String: Any])?[key] as? [String: Any]
    }

    static func mean(_ variant: [String: Any], _ key: String) -> Double? {
        (summary(variant, key)?["mean"] as? NSNumber)?.doubleValue
    }

    /// report.html: one page, nothing fetched, the metrics table with `rows` rows, and
    /// `figures` images, each embedded as a data URI.
    /// report.html at `path`: nothing fetched, `images` embedded images, `charts` inline
    /// SVG charts, the settings table and the metrics table of `rows` rows.
    static func expectReport(_ scratch: Scratch, _ path: String, images figures: Int, charts: Int, rows: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let page = String(decoding: try scratch.bytes(path), as: UTF8.self)
        for forbidden in ["<script", "src=\"http", "href=\"http", "<link", "@import", "url(http"] {
            #expect(!page.contains(forbidden), "\(path) holds \(forbidden)", sourceLocation: sourceLocation)
        }
        let images = page.components(separatedBy: "<img ").dropFirst()
        #expect(images.count == figures, "\(path): \(images.count) images", sourceLocation: sourceLocation)
        let inline = page.components(separatedBy: "<svg class=\"chart\"").count - 1
        #expect(inline == charts, "\(path): \(inline) inline charts", sourceLocation: sourceLocation)
        #expect(!page.contains("<?xml"), "\(path): an XML declaration inside", sourceLocation: sourceLocation)
        #expect(images.allSatisfy { $0.hasPrefix("src=\"data:image/") || $0.contains(" src=\"data:image/") },
                "\(path): an image is not embedded", sourceLocation: sourceLocation)
        // the settings table, then the metrics table: a header row and a row per model
        let tables = page.components(separatedBy: "<table").dropFirst()
        #expect(tables.count == 2, "\(path): \(tables.count) tables", sourceLocation: sourceLocation)
        let metricRows = (tables.last ?? "").components(separatedBy: "<tr").count - 1
        #expect(metricRows == rows + 1, "\(path): \(metricRows) rows in the metrics table",
                sourceLocation: sourceLocation)
        for term in ["test_mse", "localization", "probe_accuracy"] {
            #expect(page.contains(term), "\(path) lacks \(term)", sourceLocation: sourceLocation)
        }
    }

    static func expectPNG(_ scratch: Scratch, _ path: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = try scratch.bytes(path)
        #expect(Array(bytes.prefix(8)) == PNG.signature, "\(path)", sourceLocation: sourceLocation)
        #expect(bytes.count > 100, "\(path): \(bytes.count) bytes", sourceLocation: sourceLocation)
    }

    /// compare --models none,dropout,gaussian: Gaussian dropout's runs, row, metrics and
    /// report, its run record saying drop_mode gaussian; no DropConnect.
    @Test func compareWithGaussianDropout() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let result = try scratch.run(["compare"] + Self.tiny
                                     + ["--out", "g", "--count", "2", "--models", "none,dropout,gaussian"])
        try #require(result.status == 0, "\(result)")
        #expect(scratch.listing("g/runs") == ["dropout-seed0.json", "dropout-seed0.safetensors",
                                              "gaussian-seed0.json", "gaussian-seed0.safetensors",
                                              "none-seed0.json", "none-seed0.safetensors"])
        let variants = try Self.metrics(scratch, "g/metrics.json")
        #expect(variants.map { $0["name"] as? String } == ["none", "dropout", "gaussian"])
        #expect((Self.mean(variants[2], "test_mse") ?? -1) > 0, "\(variants[2])")
        #expect(Self.summary(variants[2], "test_mse_sample\(Diagnostics.dropConnectSamples)") == nil)
        for name in ["none", "dropout", "gaussian"] {
            #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix(name + " ") && !$0.contains("epoch") },
                    "\(result.stdout)")
        }
        #expect(result.stdout.contains("Gaussian dropout p_drop 0.5"), "\(result.stdout)")
        try Self.expectReport(scratch, "g/report.html", images: 4, charts: 2, rows: 3)
        let page = String(decoding: try scratch.bytes("g/report.html"), as: UTF8.self)
        #expect(page.contains("none, dropout and gaussian"))
        let record = String(decoding: try scratch.bytes("g/runs/gaussian-seed0.json"), as: UTF8.self)
        #expect(record.contains("\"drop_mode\"") && record.contains("\"gaussian\""), "\(record)")
    }

    @Test("compare trains three models and writes every figure, the runs and metrics.json")
    func compareEndToEnd() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let result = try scratch.run(["compare"] + Self.tiny + ["--out", "runs/cmp", "--count", "4"])
        try #require(result.status == 0, "\(result)")
        #expect(scratch.listing("runs/cmp") == ["curves.png", "histograms.png", "metrics.json", "reconstructions.png",
                                                "report.html", "runs", "runs.json", "weightmaps.png"])
        // three weight maps and the reconstructions; curves and histograms inline
        try Self.expectReport(scratch, "runs/cmp/report.html", images: 4, charts: 2, rows: 3)
        // Scripts/test opens this page in a browser: AUTOENC_REPORT_OUT=DIR keeps a copy
        if let keep = ProcessInfo.processInfo.environment["AUTOENC_REPORT_OUT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: scratch.path("runs/cmp/report.html"), toPath: keep)
        }
        #expect(scratch.listing("runs/cmp/runs") == ["dropconnect-seed0.json", "dropconnect-seed0.safetensors",
                                                     "dropout-seed0.json", "dropout-seed0.safetensors",
                                                     "none-seed0.json", "none-seed0.safetensors"])
        for name in ["curves.png", "histograms.png", "reconstructions.png", "weightmaps.png"] {
            try Self.expectPNG(scratch, "runs/cmp/" + name)
        }
        for name in ["none", "dropout", "dropconnect"] {
            let lines = result.stdout.split(separator: "\n").filter {
                $0.hasPrefix(name + "-seed0 ") && $0.contains("epoch 1/1")
            }
            #expect(lines.count == 1, "progress line of \(name): \(result.stdout)")
        }
        let variants = try Self.metrics(scratch, "runs/cmp/metrics.json")
        #expect(variants.map { $0["name"] as? String } == ["none", "dropout", "dropconnect"])
        for v in variants {
            let name = v["name"] as? String ?? "?"
            for key in ["test_mse", "mean_activation", "sparsity", "dead_units", "probe_accuracy", "localization"] {
                #expect(Self.mean(v, key) != nil, "\(name).\(key) = \(String(describing: Self.summary(v, key)))")
                // one seed: the values are the mean, and there is no spread
                #expect((Self.summary(v, key)?["values"] as? [NSNumber])?.count == 1, "\(name).\(key)")
                #expect(Self.summary(v, key)?["sd"] is NSNull, "\(name).\(key)")
            }
            let sparsity = Self.mean(v, "sparsity") ?? -1, accuracy = Self.mean(v, "probe_accuracy") ?? -1
            #expect((0...1).contains(sparsity) && (0...1).contains(accuracy), "\(name): \(v)")
            #expect((0...16).contains(Self.mean(v, "dead_units") ?? -1), "\(name): \(v)")
            #expect((Self.mean(v, "test_mse") ?? -1) > 0, "\(name): \(v)")
        }
        #expect(Self.mean(variants[2], "test_mse_sample\(Diagnostics.dropConnectSamples)") != nil, "\(variants[2])")
        // what made it, and every setting a number where it is one
        let metricsFile = try scratch.bytes("runs/cmp/metrics.json")
        let whole = try JSONSerialization.jsonObject(with: Data(metricsFile)) as? [String: Any]
        let settings = try #require(whole?["settings"] as? [String: Any])
        #expect(settings["autoenc_version"] as? String == Provenance.version, "\(settings)")
        #expect((settings["command"] as? String)?.hasPrefix("autoenc compare --data data") == true, "\(settings)")
        #expect(settings["date"] is String && settings["kernels"] is String && settings["blas"] is String,
                "\(settings)")
        let runs = try #require(whole?["runs"] as? [[String: Any]])
        for run in runs {
            let values = try #require(run["settings"] as? [String: Any])
            #expect(values["hidden"] as? Int == 16 && values["epochs"] as? Int == 1 && values["lr"] as? Double == 0.001
                    && values["activation"] as? String == "relu", "\(values)")
        }
        #expect(Self.summary(variants[0], "test_mse_sample\(Diagnostics.dropConnectSamples)") == nil)
        // the table on stdout has a row per model, and says one seed tells nothing of noise
        for name in ["none", "dropout", "dropconnect"] {
            let row = result.stdout.split(separator: "\n").contains {
                $0.hasPrefix(name + " ") && !$0.contains("epoch")
            }
            #expect(row, "\(result.stdout)")
        }
        #expect(result.stdout.contains("one seed"), "\(result.stdout)")

        // activations on one of the saved models, with the same data
        let activations = try scratch.run(["activations", "--model", "runs/cmp/runs/dropout-seed0.safetensors",
                                           "--data", "data", "--threads", "1", "--out", "act"])
        try #require(activations.status == 0, "\(activations)")
        #expect(scratch.listing("act") == ["histograms.png", "metrics.json"])
        try Self.expectPNG(scratch, "act/histograms.png")
        let one = try Self.metrics(scratch, "act/metrics.json")
        #expect(one.count == 1)
        #expect(one.first?["name"] as? String == "dropout")
        #expect(one.first?["probe_accuracy"] is Double)
        // the same model on the same test set measures the same as in compare
        for key in ["test_mse", "mean_activation", "sparsity", "dead_units", "localization"] {
            let a = (one.first?[key] as? NSNumber)?.doubleValue ?? .nan, b = Self.mean(variants[1], key) ?? .nan
            #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(key): activations \(a), compare \(b)")
        }
    }

    @Test("without label files there is no probe: probe_accuracy is null")
    func withoutLabels() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch, labels: false)
        let result = try scratch.run(["compare"] + Self.tiny)
        try #require(result.status == 0, "\(result)")
        let variants = try Self.metrics(scratch, "compare/metrics.json")
        #expect(variants.count == 3)
        #expect(variants.allSatisfy { Self.summary($0, "probe_accuracy") == nil }, "\(variants)")
        #expect(result.stdout.contains("no probe"), "\(result.stdout)")
    }

    @Test("an --out that is a file, or cannot be created, is status 73 naming --out")
    func unwritableOut() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        try scratch.write([1, 2, 3], to: "taken")
        for out in ["taken", "taken/sub"] {
            let result = try scratch.run(["compare"] + Self.tiny + ["--out", out])
            #expect(result.status == 73, "\(out): \(result)")
            #expect(result.stderr.contains("--out"), "\(out): \(result.stderr)")
        }
        let activations = try scratch.run(["activations", "--model", "none.safetensors", "--out", "taken"])
        #expect(activations.status == 73, "\(activations)")
        #expect(scratch.listing() == ["data", "taken"])
    }

    @Test("activations on a missing model is status 66 naming the file")
    func missingModel() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let result = try scratch.run(["activations", "--model", "nowhere.safetensors", "--data", "data"])
        #expect(result.status == 66, "\(result)")
        #expect(result.stderr.contains("nowhere.safetensors"), "\(result.stderr)")
        #expect(!scratch.listing().contains("activations"), "the failed run left \(scratch.listing())")
    }

    /// A failed compare or activations leaves no empty output folder (nor its new
    /// parents), and leaves a folder that existed before, with what it held.
    @Test func failedRunsLeaveNoEmptyFolder() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        var label = try scratch.bytes("data/" + DataLocation.testLabels)
        label[8 + 3] = 200 // a label outside 0...9: bad data, 65
        try scratch.write(label, to: "data/" + DataLocation.testLabels)
        let compare = try scratch.run(["compare", "--out", "runs/one"] + Self.tiny)
        #expect(compare.status == 65, "\(compare)")
        #expect(!scratch.listing().contains("runs"), "the failed compare left \(scratch.listing())")
        try scratch.makeDirectory("kept")
        try scratch.write([1, 2, 3], to: "kept/note")
        let again = try scratch.run(["compare", "--out", "kept"] + Self.tiny)
        #expect(again.status == 65, "\(again)")
        #expect(scratch.listing("kept") == ["note"], "\(scratch.listing("kept"))")
    }

    static let badFlags: [(arguments: [String], flag: String)] = [
        (["compare", "--drop-p", "0"], "--drop-p"),
        (["compare", "--drop-p", "1"], "--drop-p"),
        (["compare", "--drop-p", "nan"], "--drop-p"),
        (["compare", "--epochs", "0"], "--epochs"),
        (["compare", "--threads", "0"], "--threads"),
        (["compare", "--limit", "0"], "--limit"),
        (["compare", "--hidden", "0"], "--hidden"),
        (["compare", "--count", "0"], "--count"),
        (["compare", "--out", ""], "--out"),
        (["compare", "--activation", "tanh"], "--activation"),
        (["compare", "--seeds", "0"], "--seeds"),
        (["compare", "--seeds", "101"], "--seeds"),
        (["compare", "--jobs", "0"], "--jobs"),
        (["compare", "--keep-p", "1"], "--keep-p"),
        (["compare", "--keep-p", "1e-9"], "--keep-p"),
        (["compare", "--keep-p", "0.5", "--drop-p", "0.5"], "--keep-p"),
        (["compare", "--lr", "0"], "--lr"),
        (["compare", "--optimizer", "rmsprop"], "--optimizer"),
        (["compare", "--input-drop-p", "1"], "--input-drop-p"),
        (["compare", "--max-norm", "-1"], "--max-norm"),
        (["compare", "--dropconnect-masks", "row"], "--dropconnect-masks"),
        (["compare", "--plot", "curves.gif"], "--plot"),
        (["compare", "--log", "same.png", "--plot", "same.png"], "--log"),
        (["activations", "--threads", "0"], "--threads"),
        (["activations", "--limit", "0"], "--limit"),
        (["activations", "--out", ""], "--out"),
    ]

    @Test("bad flag values are usage errors naming the flag", arguments: badFlags)
    func badFlag(arguments: [String], flag: String) {
        expectUsageError(arguments, naming: flag)
    }

    @Test("help lists both commands and the compare flags")
    func help() {
        let root = Autoenc.helpMessage()
        #expect(root.contains("compare") && root.contains("activations"), "\(root)")
        let compare = Autoenc.helpMessage(for: Compare.self)
        for flag in ["--data", "--epochs", "--drop-p", "--seed", "--out", "--threads", "--limit", "--seeds", "--jobs",
                     "--lr", "--optimizer", "--keep-p", "--input-drop-p", "--max-norm", "--dropconnect-masks", "--log",
                     "--plot"] {
            #expect(compare.contains(flag), "\(flag) missing from: \(compare)")
        }
    }

    @Test("--seeds 3: each metric's values, mean, sd, interval and test against none; the table's ± and marks")
    func seeds() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let result = try scratch.run(["compare"] + Self.tiny + ["--seeds", "3", "--drop-p", "0.9"])
        try #require(result.status == 0, "\(result)")
        #expect(scratch.listing("compare/runs").count == 18, "\(scratch.listing("compare/runs"))")
        let variants = try Self.metrics(scratch, "compare/metrics.json")
        for v in variants {
            #expect((v["seeds"] as? [NSNumber])?.map(\.intValue) == [0, 1, 2], "\(v)")
            let s = try #require(Self.summary(v, "test_mse"))
            let values = try #require(s["values"] as? [NSNumber]).map(\.doubleValue)
            #expect(values.count == 3 && Set(values).count == 3, "three seeds give three results: \(values)")
            let mean = values.reduce(0, +) / 3
            let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
            let ci = try #require(s["ci95"] as? [NSNumber]).map(\.doubleValue)
            // float JSON holds 9 significant digits
            #expect(abs((s["mean"] as? NSNumber)!.doubleValue - mean) <= 1e-8 * mean)
            #expect(abs((s["sd"] as? NSNumber)!.doubleValue - sd) <= 1e-6 * sd + 1e-12)
            // t(0.975, 2) = 4.302653
            #expect(abs(ci[1] - (mean + 4.302653 * sd / 3.squareRoot())) <= 1e-5 * mean, "\(ci)")
        }
        #expect(variants[0]["versus_none"] == nil)
        let versus = try #require(variants[1]["versus_none"] as? [String: Any])
        let test = try #require(versus["test_mse"] as? [String: Any])
        let p = try #require(test["p"] as? NSNumber).doubleValue
        #expect((0...1).contains(p))
        #expect(test["within_noise"] as? Bool == (p >= 0.05), "\(test)")
        // the table: mean ± sd, and a mark on every cell of the regularized models
        let rows = result.stdout.split(separator: "\n")
        let dropout = try #require(rows.first { $0.hasPrefix("dropout ") })
        #expect(dropout.contains("±") && (dropout.contains(" *") || dropout.contains(" ~")), "\(dropout)")
        #expect(result.stdout.contains("Welch"), "\(result.stdout)")
    }

    @Test("the same command again reuses every finished run; more seeds train only theirs")
    func rerunReuses() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let first = try scratch.run(["compare"] + Self.tiny + ["--seeds", "2"])
        try #require(first.status == 0, "\(first)")
        let metrics = try scratch.bytes("compare/metrics.json")
        let model = try scratch.bytes("compare/runs/dropout-seed1.safetensors")
        let again = try scratch.run(["compare"] + Self.tiny + ["--seeds", "2"])
        try #require(again.status == 0, "\(again)")
        #expect(!again.stdout.contains("epoch 1/1"), "trained again: \(again.stdout)")
        #expect(again.stdout.components(separatedBy: "finished earlier").count - 1 == 6, "\(again.stdout)")
        // the same metrics; only when and by what command they were written differ
        func withoutProvenance(_ bytes: [UInt8]) -> [Substring] {
            String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                .filter { !$0.contains("\"date\": ") && !$0.contains("\"command\": ") }
        }
        #expect(withoutProvenance(try scratch.bytes("compare/metrics.json")) == withoutProvenance(metrics))
        #expect(try scratch.bytes("compare/runs/dropout-seed1.safetensors") == model)
        // a third seed trains only its three runs; another --lr is refused (ShardCommandTests)
        let more = try scratch.run(["compare"] + Self.tiny + ["--seeds", "3"])
        #expect(more.stdout.components(separatedBy: "epoch 1/1").count - 1 == 3, "\(more.stdout)")
    }

    @Test("SIGINT: finished runs stay, the unfinished leave nothing, exit 130; the same command trains the rest")
    func interrupted() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let arguments = ["compare", "--data", "data", "--epochs", "150", "--limit", "64", "--hidden", "16",
                         "--batch-size", "16", "--threads", "1", "--jobs", "1"]
        let run = try CLI.start(arguments, in: scratch.url, name: "long")
        // wait for the first run to finish, then stop the second
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: scratch.path("compare/runs/none-seed0.json")), Date() < deadline {
            usleep(20_000)
        }
        kill(run.0.processIdentifier, SIGINT)
        CLI.wait(run.0, ["compare", "interrupted"], limit: 120)
        let result = CLI.finish(run.0, run.1, run.2)
        #expect(result.status == 130, "\(result)")
        #expect(result.stderr.contains("SIGINT") && result.stderr.contains("same command"), "\(result.stderr)")
        #expect(scratch.listing("compare/runs") == ["none-seed0.json", "none-seed0.safetensors"],
                "\(scratch.listing("compare/runs"))")
        #expect(!scratch.listing("compare").contains("metrics.json"))
        #expect(temporaries(in: scratch).isEmpty)
        let rest = try scratch.run(arguments)
        try #require(rest.status == 0, "\(rest)")
        #expect(rest.stdout.contains("none-seed0: finished earlier"), "\(rest.stdout)")
    }

    @Test("an experiment of other settings into the --out of a compare that runs is refused (64, naming runs.json)")
    func sameOutLocked() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let arguments = ["compare", "--data", "data", "--epochs", "300", "--limit", "64", "--hidden", "16",
                         "--batch-size", "16", "--threads", "1"]
        let run = try CLI.start(arguments, in: scratch.url, name: "long")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: scratch.path("compare/runs")), Date() < deadline {
            usleep(20_000)
        }
        let second = try scratch.run(["sweep", "--data", "data", "--drop-p", "0.1,0.2", "--out", "compare"])
        kill(run.0.processIdentifier, SIGTERM)
        CLI.wait(run.0, arguments, limit: 120)
        _ = CLI.finish(run.0, run.1, run.2)
        #expect(second.status == 64, "\(second)")
        #expect(second.stderr.contains("runs.json") && second.stderr.contains("other settings"), "\(second.stderr)")
        // the stopped run's claim and temporary files are gone with it
        #expect(!scratch.listing("compare/runs").contains { $0.hasSuffix(".claim") || $0.contains(".tmp-") },
                "\(scratch.listing("compare/runs"))")
    }

    /// A directory where compare or activations would write a file is refused (73,
    /// naming it) before anything is trained or measured; it used to fail after all
    /// the work, with half the outputs written.
    @Test func aDirectoryInAnOutputsPlaceIsRefusedFirst() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        try scratch.makeDirectory("cx/report.html")
        let compare = try scratch.run(["compare", "--out", "cx"] + Self.tiny)
        #expect(compare.status == 73, "\(compare)")
        #expect(compare.stderr.contains("cx/report.html") && compare.stderr.contains("is a directory"),
                "\(compare.stderr)")
        #expect(!compare.stdout.contains("epoch"), "trained first: \(compare.stdout)")
        #expect(scratch.listing("cx") == ["report.html"], "\(scratch.listing("cx"))")
        let model = try scratch.run(tinyTraining(epochs: 1, ["--out", "none.safetensors"]))
        try #require(model.status == 0, "\(model)")
        try scratch.makeDirectory("o1/metrics.json")
        let activations = try scratch.run(["activations", "--model", "none.safetensors", "--data", "data",
                                           "--out", "o1"])
        #expect(activations.status == 73, "\(activations)")
        #expect(activations.stderr.contains("o1/metrics.json"), "\(activations.stderr)")
        #expect(scratch.listing("o1") == ["metrics.json"], "\(scratch.listing("o1"))")
    }

    /// A DropConnect drop probability that rounds to dropping nothing (below 1/512) or
    /// everything is refused in compare and sweep as in train, before any training.
    @Test func dropConnectProbabilitiesThatRoundAway() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let unlimited = Self.tiny.filter { $0 != "--limit" && $0 != "64" }
        for arguments in [["compare", "--drop-p", "0.001"],
                          ["sweep", "--drop-p", "0.001,0.5", "--models", "dropconnect"],
                          ["sweep", "--limit", "32,64", "--models", "dropconnect", "--drop-p", "0.999"]] {
            let result = try scratch.run(arguments + ["--out", "x"] + unlimited)
            #expect(result.status == 64, "\(arguments): \(result)")
            #expect(result.stderr.contains("under DropConnect"), "\(arguments): \(result.stderr)")
        }
        #expect(!scratch.listing().contains("x"))
    }
}
