import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// `activations`' flags: the shared --threads and -q, and its own --limit, --seed, --out.
@Suite struct ActivationsCommandTests {
    @Test("activations -q prints nothing but errors, and writes what it writes without -q")
    func quiet() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let train = try scratch.run(tinyTraining(epochs: 1, ["--drop-p", "0.5", "--drop-mode", "dropconnect"]))
        try #require(train.status == 0, "\(train)")
        let measuring = ["activations", "--data", "data", "--threads", "1"]
        let quiet = try scratch.run(measuring + ["-q", "--out", "quiet"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet)")
        #expect(scratch.listing("quiet") == ["histograms.png", "metrics.json"])
        let loud = try scratch.run(measuring + ["--out", "loud"])
        #expect(loud.status == 0 && loud.stdout.contains("wrote loud/: histograms.png, metrics.json"), "\(loud)")
        #expect(loud.stdout.contains("test_mse_sample\(Diagnostics.dropConnectSamples)"), "\(loud)")
        // the same measurements; the command line and the time that made them differ
        func measured(_ path: String) throws -> NSDictionary {
            let parsed = try JSONSerialization.jsonObject(with: Data(scratch.bytes(path)))
            var object = try #require(parsed as? [String: Any])
            var settings = try #require(object["settings"] as? [String: Any])
            #expect(settings["autoenc_version"] as? String == Provenance.version, "\(settings)")
            #expect((settings["command"] as? String)?.hasPrefix("autoenc activations") == true, "\(settings)")
            settings["command"] = nil
            settings["date"] = nil
            object["settings"] = settings
            return object as NSDictionary
        }
        #expect(try measured("quiet/metrics.json") == measured("loud/metrics.json"))
        let failed = try scratch.run(["activations", "--quiet", "--model", "nowhere.safetensors", "--data", "data"])
        #expect(failed.status == 66 && failed.stdout.isEmpty && failed.stderr.contains("nowhere.safetensors"),
                "\(failed)")
    }

    @Test("a one-character --out is a directory like any other (Foundation traps on its parent)")
    func oneCharacterOut() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let train = try scratch.run(tinyTraining(epochs: 1))
        try #require(train.status == 0, "\(train)")
        let measured = try scratch.run(["activations", "--data", "data", "--threads", "1", "-q", "--out", "a"])
        #expect(measured.status == 0 && measured.stderr.isEmpty, "\(measured)")
        #expect(scratch.listing("a") == ["histograms.png", "metrics.json"])
        let failed = try scratch.run(["activations", "-q", "--model", "nowhere.safetensors", "--data", "data",
                                      "--out", "b"])
        #expect(failed.status == 66 && failed.stderr.contains("nowhere.safetensors"), "\(failed)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("b")), "the failed run left its --out behind")
    }

    @Test("--threads is the shared option: its help, its range, capped at the cores")
    func threads() throws {
        let parsed = try #require(try Autoenc.parseAsRoot(["activations", "--threads", "2"]) as? Activations)
        #expect(parsed.threads.threads == 2)
        expectUsageError(["activations", "--threads", "0"], naming: "--threads")
        let help = Autoenc.helpMessage(for: Activations.self)
        let shared = Autoenc.helpMessage(for: Train.self)
        let line = try #require(help.split(separator: "\n").first {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("--threads <n>")
        })
        #expect(shared.contains(line), "activations' --threads differs from train's: \(line)")
    }

    @Test("help lists every flag with its value name, and -q")
    func help() {
        let help = Autoenc.helpMessage(for: Activations.self)
        for text in ["--model <file>", "--data <path>", "--out <dir>", "(default: activations)", "--threads <n>",
                     "Default: all cores", "--limit <n>", "Train the probe", "--seed <n>", "-q, --quiet",
                     "prints only errors"] {
            #expect(help.contains(text), "\(text) missing from: \(help)")
        }
    }
}
