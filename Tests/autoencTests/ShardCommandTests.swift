import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// compare and sweep split over processes: --shard, --collect-only, the fixed run list.
@Suite struct ShardCommandTests {
    /// A tiny sweep of three runs (none, dropout at 0.25 and 0.5) from two seeds: six runs.
    static let sweep = ["sweep"] + CompareCommandTests.tiny + ["--drop-p", "0.25,0.5", "--models", "none,dropout",
                                                               "--seeds", "2"]

    /// The runs a process's standard output says it trained: the name before each
    /// "epoch 1/1" line.
    static func trainedRuns(_ stdout: String) -> [String] {
        stdout.split(separator: "\n").filter { $0.contains("epoch 1/1") }.map { String($0.split(separator: " ")[0]) }
    }

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
            trained += Self.trainedRuns(result.stdout)
        }
        // every run trained once, by one shard; no outputs yet, no lock left behind
        #expect(trained.count == 6 && Set(trained).count == 6, "\(trained)")
        #expect(scratch.listing("split") == ["runs", "runs.json"], "\(scratch.listing("split"))")
        #expect(scratch.listing("split/runs").count == 12)
        #expect(!scratch.listing("split/runs").contains { $0.hasSuffix(".lock") || $0.hasSuffix(".claim") },
                "\(scratch.listing("split/runs"))")
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

    @Test("a run another process holds: --no-wait trains the others and exits 1 naming it and its holder")
    func heldRunLeftOut() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        try scratch.makeDirectory("compare/runs")
        // this process's live claim on none-seed0, the last of compare's sorted runs
        guard case .claimed(let held, _) = try RunClaim.claim(scratch.path("compare/runs/none-seed0.claim"),
                                                               what: "--out") else {
            Issue.record("not claimed")
            return
        }
        defer { held.release() }
        for extra in [["--shard", "0/2"], []] {
            let run = try scratch.run(["compare"] + CompareCommandTests.tiny + ["--no-wait"] + extra)
            #expect(run.status == 1, "\(extra): \(run)")
            #expect(run.stderr.contains("1 run of ") && run.stderr.contains("left to other processes (--no-wait): "
                                                                          + "none-seed0 (claimed by ")
                    && run.stderr.contains("pid \(getpid())") && run.stderr.contains("; finished: ")
                    && run.stderr.contains("dropconnect-seed0"),
                    "\(run.stderr)")
            #expect(run.stdout.contains("none-seed0: claimed by") == false, "\(run.stdout)")
        }
        #expect(scratch.listing("compare/runs").contains("dropconnect-seed0.json"))
        #expect(!scratch.listing("compare/runs").contains("none-seed0.json"))
        #expect(!scratch.listing("compare").contains("metrics.json"), "no outputs without every run")
    }

    @Test("two SIGTERMs in a row: exit 143, the run's claim and temporary files gone, its finished runs kept")
    func twoSignals() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        var arguments = ["compare"] + CompareCommandTests.tiny
        arguments[arguments.firstIndex(of: "--epochs")! + 1] = "400"
        let (process, out, err) = try CLI.start(arguments, in: scratch.url, name: "stopped")
        // a run claimed and training: its first epoch said
        let training = {
            scratch.listing("compare/runs").contains { $0.hasSuffix(".claim") }
                && ((try? String(contentsOf: out, encoding: .utf8)) ?? "").contains("epoch 1/400")
        }
        for _ in 0..<6000 where process.isRunning && !training() { usleep(10_000) }
        #expect(training(), "no run claimed and training")
        kill(process.processIdentifier, SIGTERM)
        usleep(1_000) // two signals sent at once may arrive as one
        kill(process.processIdentifier, SIGTERM)
        CLI.wait(process, arguments)
        let result = CLI.finish(process, out, err)
        #expect(result.status == 143, "\(result)")
        let left = scratch.listing("compare/runs")
        #expect(!left.contains { $0.hasSuffix(".claim") || $0.contains(".tmp-") }, "\(left)")
        // every record beside its model: the finished runs
        for record in left where record.hasSuffix(".json") {
            #expect(left.contains(record.dropLast(5) + ".safetensors"), "\(left)")
        }
    }

    @Test("six processes without --shard on one --out: each run trained once, every process writes the outputs")
    func sixProcessesRace() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let started = try (0..<6).map { i in
            try CLI.start(Self.sweep + ["--out", "race"], in: scratch.url, name: "racer\(i)")
        }
        var trained: [String] = []
        for (i, (process, out, err)) in started.enumerated() {
            CLI.wait(process, ["racer \(i)"])
            let result = CLI.finish(process, out, err)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("wrote race/: report.html, metrics.json"), "\(result.stdout)")
            trained += Self.trainedRuns(result.stdout)
        }
        #expect(trained.count == 6 && Set(trained).count == 6, "\(trained.sorted())")
        #expect(scratch.listing("race/runs").count == 12, "nothing else left: \(scratch.listing("race/runs"))")
        #expect(!scratch.listing("race").contains { $0.hasPrefix(".") }, "\(scratch.listing("race"))")
        let whole = try scratch.run(Self.sweep + ["--out", "whole"])
        try #require(whole.status == 0, "\(whole)")
        #expect(try Self.metrics(scratch, "race") == Self.metrics(scratch, "whole"))
    }

    @Test("--emit-sbatch writes the job array, fixes the runs and trains nothing; another file there is kept")
    func emitSbatch() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let emit = Self.sweep + ["--out", "sw", "--emit-sbatch", "sw.sbatch", "--throttle", "2"]
        let result = try scratch.run(emit)
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.contains("wrote sw.sbatch: a Slurm array of 6 tasks for 6 runs (a run per task, "
                                       + "1 CPU each); nothing trained"), "\(result.stdout)")
        #expect(!result.stdout.contains("epoch"))
        #expect(scratch.listing("sw") == ["runs.json", "slurm"], "\(scratch.listing("sw"))")
        let script = String(decoding: try scratch.bytes("sw.sbatch"), as: UTF8.self)
        let out = URL(fileURLWithPath: scratch.path("sw")).standardizedFileURL.path
        let arguments = Self.sweep.map(Console.shellQuoted).joined(separator: " ")
        for line in ["#SBATCH --array=0-5%2", "#SBATCH --cpus-per-task=1", "#SBATCH --requeue",
                     "#SBATCH --signal=TERM@90", "#SBATCH --output=\(out)/slurm/%A_%a.out",
                     "srun \(CLI.binary.resolvingSymlinksInPath().path) \(arguments) --out \(out) "
                        + "--shard \"${SLURM_ARRAY_TASK_ID}/6\""] {
            #expect(script.contains("\n" + line + "\n"), "no \(line) in \(script)")
        }
        #expect(script.contains("--dependency=afterany:$jobid") && script.contains("--collect-only"), "\(script)")
        // the same again: the file unchanged; another script there: refused, kept
        let again = try scratch.run(emit)
        #expect(again.status == 0 && again.stdout.contains("unchanged: sw.sbatch"), "\(again)")
        let other = try scratch.run(emit.map { $0 == "2" ? "3" : $0 })
        #expect(other.status == 73 && other.stderr.contains("--emit-sbatch sw.sbatch: a file is there already"),
                "\(other)")
        #expect(try scratch.bytes("sw.sbatch") == Array(script.utf8))
        // more tasks than the cluster allows: written, with one line on stderr saying so
        let many = try scratch.run(Self.sweep + ["--out", "sw", "--emit-sbatch", "many.sbatch", "--tasks", "5000"])
        #expect(many.status == 0 && many.stderr.split(separator: "\n").count == 1
                && many.stderr.contains("--tasks 5000: the cluster's MaxArraySize is "), "\(many)")
        #expect(String(decoding: try scratch.bytes("many.sbatch"), as: UTF8.self).contains("--array=0-4999\n"))
        // other settings than the runs fixed: refused before a script is written
        let lr = try scratch.run(Self.sweep + ["--out", "sw", "--emit-sbatch", "lr.sbatch", "--lr", "0.01"])
        #expect(lr.status == 64 && !scratch.listing().contains("lr.sbatch"), "\(lr)")
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
        (["sweep", "--drop-p", "0.1,0.5", "--tasks", "4"], "--emit-sbatch"),
        (["sweep", "--drop-p", "0.1,0.5", "--throttle", "2"], "--emit-sbatch"),
        (["compare", "--emit-sbatch", "a.sh", "--shard", "0/2"], "--emit-sbatch"),
        (["compare", "--emit-sbatch", "a.sh", "--tasks", "0"], "--tasks"),
        (["compare", "--emit-sbatch", ""], "--emit-sbatch"),
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
