import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// compare and sweep split over processes: --shard, --collect-only, the fixed run list.
@Suite struct ShardCommandTests {
    /// A tiny sweep of three runs (none, dropout at 0.25 and 0.5) from two seeds: six runs.
    static let sweep = ["sweep"] + CompareCommandTests.tiny + ["--drop-p", "0.25,0.5", "--models", "none,dropout",
                                                               "--seeds", "2"]

    /// metrics.json's lines without its provenance (when and by what command).
    static func metrics(_ scratch: Scratch, _ directory: String) throws -> [Substring] {
        String(decoding: try scratch.bytes(directory + "/metrics.json"), as: UTF8.self).split(separator: "\n")
            .filter { !$0.contains("\"date\": ") && !$0.contains("\"command\": ") }
    }

    @Test("three shards at once, then --collect-only: the metrics of one process")
    func threeShardsThenCollect() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let started = try (0..<3).map { i in
            try CLI.start(Self.sweep + ["--out", "split", "--shard", "\(i)/3"], in: scratch.url, name: "shard\(i)")
        }
        var trained: [String] = []
        for (i, (process, out, err)) in started.enumerated() {
            CLI.wait(process, ["shard \(i)/3"])
            let result = CLI.finish(process, out, err)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("shard \(i)/3: 2 of 6 runs"), "\(result.stdout)")
            trained += result.stdout.split(separator: "\n").filter { $0.contains("epoch 1/1") }
                .map { String($0.split(separator: " ")[0]) }
        }
        // every run trained once, by one shard; no outputs yet, no lock left behind
        #expect(trained.count == 6 && Set(trained).count == 6, "\(trained)")
        #expect(scratch.listing("split") == ["runs", "runs.json"], "\(scratch.listing("split"))")
        #expect(scratch.listing("split/runs").count == 12)
        #expect(!scratch.listing("split/runs").contains { $0.hasSuffix(".lock") }, "\(scratch.listing("split/runs"))")
        let collected = try scratch.run(Self.sweep + ["--out", "split", "--collect-only"])
        try #require(collected.status == 0, "\(collected)")
        #expect(!collected.stdout.contains("epoch 1/1"), "\(collected.stdout)")
        let whole = try scratch.run(Self.sweep + ["--out", "whole"])
        try #require(whole.status == 0, "\(whole)")
        #expect(try Self.metrics(scratch, "split") == Self.metrics(scratch, "whole"))
        #expect(try scratch.bytes("split/runs.json") == scratch.bytes("whole/runs.json"))
    }

    @Test("--collect-only with a run missing exits 1 naming it, and writes nothing")
    func collectMissing() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let shard = try scratch.run(["compare"] + CompareCommandTests.tiny + ["--shard", "0/2"])
        try #require(shard.status == 0, "\(shard)")
        // compare's runs sorted: dropconnect-seed0, dropout-seed0, none-seed0; shard 0 of 2 trains the first and last
        #expect(scratch.listing("compare/runs") == ["dropconnect-seed0.json", "dropconnect-seed0.safetensors",
                                                    "none-seed0.json", "none-seed0.safetensors"])
        let collected = try scratch.run(["compare"] + CompareCommandTests.tiny + ["--collect-only"])
        #expect(collected.status == 1, "\(collected)")
        #expect(collected.stderr.contains("1 of 3 runs not finished") && collected.stderr.contains("dropout-seed0"),
                "\(collected.stderr)")
        #expect(scratch.listing("compare") == ["runs", "runs.json"])
        // the other shard, then the outputs
        #expect(try scratch.run(["compare"] + CompareCommandTests.tiny + ["--shard", "1/2"]).status == 0)
        let done = try scratch.run(["compare"] + CompareCommandTests.tiny + ["--collect-only"])
        #expect(done.status == 0 && scratch.listing("compare").contains("metrics.json"), "\(done)")
    }

    @Test("a shard whose run another process holds trains its others, then exits 1 naming it")
    func shardFailureNamed() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        try scratch.makeDirectory("compare/runs")
        // another process's lock on none-seed0, the last of compare's sorted runs
        let held = try OutputLock(for: scratch.path("compare/runs/none-seed0.safetensors"), what: "--out")
        defer { held.release() }
        let shard = try scratch.run(["compare"] + CompareCommandTests.tiny + ["--shard", "0/1"])
        #expect(shard.status == 73, "a whole experiment stops at the first failure: \(shard)")
        let part = try scratch.run(["compare"] + CompareCommandTests.tiny + ["--shard", "0/2"])
        #expect(part.status == 1, "\(part)")
        #expect(part.stderr.contains("1 run of 2 failed: none-seed0 (")
                && part.stderr.contains("another run is writing it")
                && part.stderr.contains("finished: dropconnect-seed0"), "\(part.stderr)")
        #expect(scratch.listing("compare/runs").contains("dropconnect-seed0.json"))
        #expect(!scratch.listing("compare/runs").contains("none-seed0.json"))
    }

    @Test("a rerun with another --lr is refused (64, naming lr); today's retraining is gone")
    func otherSettingsRefused() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        #expect(try scratch.run(["compare"] + CompareCommandTests.tiny).status == 0)
        let runs = try scratch.bytes("compare/runs/dropout-seed0.json")
        for arguments in [["--lr", "0.01"], ["--shard", "0/2", "--lr", "0.01"], ["--collect-only", "--lr", "0.01"]] {
            let other = try scratch.run(["compare"] + CompareCommandTests.tiny + arguments)
            #expect(other.status == 64, "\(arguments): \(other)")
            #expect(other.stderr.contains("lr 0.01 here, 0.001 there") && other.stderr.contains("runs.json"),
                    "\(other.stderr)")
            #expect(!other.stdout.contains("epoch 1/1"))
        }
        #expect(try scratch.bytes("compare/runs/dropout-seed0.json") == runs)
    }

    @Test("a one-value sweep trains its point and writes the outputs")
    func oneValueSweep() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let tiny = CompareCommandTests.tiny.filter { $0 != "--limit" && $0 != "64" }
        let result = try scratch.run(["sweep"] + tiny + ["--drop-p", "0.25"])
        #expect(result.status == 0, "\(result)")
        #expect(scratch.listing("sweep/runs") == ["dropout-drop_p0.25-seed0.json",
                                                  "dropout-drop_p0.25-seed0.safetensors"])
        #expect(scratch.listing("sweep").contains("metrics.json"))
    }

    static let badFlags: [(arguments: [String], flag: String)] = [
        (["sweep", "--drop-p", "0.1,0.5", "--shard", "3/3"], "--shard"),
        (["sweep", "--drop-p", "0.1,0.5", "--shard", "x"], "--shard"),
        (["compare", "--shard", "0/2", "--collect-only"], "--shard"),
    ]

    @Test("bad --shard values are one-line usage errors naming the flag", arguments: badFlags)
    func badFlag(arguments: [String], flag: String) {
        expectUsageError(arguments, naming: flag)
    }

    @Test("the shard: --shard, else a contiguous Slurm array's, else all; threads: --threads, else Slurm's")
    func chosenShard() throws {
        let array = ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4",
                     "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_CPUS_PER_TASK": "2"]
        func flags(_ more: [String]) throws -> ExperimentFlags<SweepCommand> {
            let parsed = try Autoenc.parseAsRoot(["sweep", "--drop-p", "0.1,0.5"] + more)
            let command = try #require(parsed as? SweepCommand)
            return command.experiment
        }
        #expect(try flags([]).chosenShard(array) == Shard(index: 2, count: 4))
        #expect(try flags([]).chosenThreads(array) == 2)
        #expect(try flags(["--shard", "0/2", "--threads", "1"]).chosenShard(array) == Shard(index: 0, count: 2))
        #expect(try flags(["--threads", "1"]).chosenThreads(array) == 1)
        #expect(try flags(["--collect-only"]).chosenShard(array) == .whole)
        #expect(try flags([]).chosenShard(array.merging(["SLURM_ARRAY_TASK_STEP": "2"]) { $1 }) == .whole)
        #expect(try flags([]).chosenShard([:]) == .whole && flags([]).chosenThreads([:]) == nil)
    }
}
