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
        for (name, count) in [(DataLocation.trainLabels, Fixtures.trainCount), (DataLocation.testLabels, Fixtures.testCount)] {
            var bytes: [UInt8] = []
            for word in [UInt32(0x0000_0801), UInt32(count)] {
                withUnsafeBytes(of: word.bigEndian) { bytes += $0 }
            }
            bytes += (0..<count).map { UInt8($0 % 10) }
            try scratch.write(bytes, to: "data/" + name)
        }
    }

    static let tiny = ["--data", "data", "--epochs", "1", "--limit", "64", "--hidden", "16", "--batch-size", "16", "--threads", "1"]

    static func metrics(_ scratch: Scratch, _ path: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(try scratch.bytes(path)))
        let variants = (object as? [String: Any])?["variants"] as? [[String: Any]]
        return try #require(variants, "\(path): no variants array")
    }

    static func expectPNG(_ scratch: Scratch, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = try scratch.bytes(path)
        #expect(Array(bytes.prefix(8)) == PNG.signature, "\(path)", sourceLocation: sourceLocation)
        #expect(bytes.count > 100, "\(path): \(bytes.count) bytes", sourceLocation: sourceLocation)
    }

    @Test("compare trains three models and writes every figure, the models and metrics.json")
    func compareEndToEnd() throws {
        let scratch = try Scratch()
        try Self.labeledData(scratch)
        let result = try scratch.run(["compare"] + Self.tiny + ["--out", "runs/cmp", "--count", "4"])
        try #require(result.status == 0, "\(result)")
        #expect(scratch.listing("runs/cmp") == ["histograms.png", "metrics.json", "model-dropconnect.safetensors",
                                                "model-dropout.safetensors", "model-none.safetensors",
                                                "reconstructions.png", "weightmaps.png"])
        for name in ["histograms.png", "reconstructions.png", "weightmaps.png"] {
            try Self.expectPNG(scratch, "runs/cmp/" + name)
        }
        for name in ["none", "dropout", "dropconnect"] {
            let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix(name + " ") && $0.contains("epoch 1/1") }
            #expect(lines.count == 1, "progress line of \(name): \(result.stdout)")
        }
        let variants = try Self.metrics(scratch, "runs/cmp/metrics.json")
        #expect(variants.map { $0["name"] as? String } == ["none", "dropout", "dropconnect"])
        for v in variants {
            let name = v["name"] as? String ?? "?"
            for key in ["test_mse", "mean_activation", "sparsity", "probe_accuracy", "localization"] {
                #expect(v[key] is Double || v[key] is Int, "\(name).\(key) = \(String(describing: v[key]))")
            }
            let sparsity = v["sparsity"] as? Double ?? -1, accuracy = v["probe_accuracy"] as? Double ?? -1
            #expect((0...1).contains(sparsity) && (0...1).contains(accuracy), "\(name): \(v)")
            #expect((0...16).contains(v["dead_units"] as? Int ?? -1), "\(name): \(v)")
            #expect((v["test_mse"] as? Double ?? -1) > 0, "\(name): \(v)")
        }
        #expect(variants[2]["test_mse_sample\(Diagnostics.dropConnectSamples)"] is Double, "\(variants[2])")
        #expect(variants[0]["test_mse_sample\(Diagnostics.dropConnectSamples)"] == nil)
        // the table on stdout has a row per model
        for name in ["none", "dropout", "dropconnect"] {
            #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix(name + " ") && !$0.contains("epoch") }, "\(result.stdout)")
        }

        // activations on one of the saved models, with the same data
        let activations = try scratch.run(["activations", "--model", "runs/cmp/model-dropout.safetensors", "--data", "data",
                                           "--threads", "1", "--out", "act"])
        try #require(activations.status == 0, "\(activations)")
        #expect(scratch.listing("act") == ["histograms.png", "metrics.json"])
        try Self.expectPNG(scratch, "act/histograms.png")
        let one = try Self.metrics(scratch, "act/metrics.json")
        #expect(one.count == 1)
        #expect(one.first?["name"] as? String == "dropout")
        #expect(one.first?["probe_accuracy"] is Double)
        // the same model on the same test set measures the same as in compare
        for key in ["test_mse", "mean_activation", "sparsity", "dead_units", "localization"] {
            let a = (one.first?[key] as? NSNumber)?.doubleValue ?? .nan, b = (variants[1][key] as? NSNumber)?.doubleValue ?? .nan
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
        #expect(variants.allSatisfy { $0["probe_accuracy"] is NSNull }, "\(variants)")
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
        for flag in ["--data", "--epochs", "--drop-p", "--seed", "--out", "--threads", "--limit"] {
            #expect(compare.contains(flag), "\(flag) missing from: \(compare)")
        }
    }
}
