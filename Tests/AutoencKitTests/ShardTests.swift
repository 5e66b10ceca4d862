import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// An experiment's fixed run list (runs.json), its shards, and the shard a Slurm array
/// task takes.
@Suite struct ShardTests {
    /// A sweep's runs: none and dropout at three drop probabilities, two seeds (none
    /// shared across the values: 2 + 6 distinct runs, 14 listed).
    static func sweepRuns(seeds: Int = 2) throws -> [ExperimentRun] {
        let plan = try Sweep.Plan(lists: [.dropP: "0,0.25,0.5"], models: "none,dropout", request: RunRequest())
        return plan.grid(seeds: seeds, epochs: 1).runs
    }

    @Test("the shards cover every run exactly once, for N = 1 to runs + 1", arguments: [1, 2, 3])
    func shardsPartition(seeds: Int) throws {
        let runs = try Self.sweepRuns(seeds: seeds)
        let list = Experiment.runList(runs).map(\.stem)
        #expect(list == list.sorted() && Set(list).count == list.count && Set(list) == Set(runs.map(\.stem)))
        for n in 1...(list.count + 1) {
            let shards = (0..<n).map { Shard(index: $0, count: n).runs(of: runs).map(\.stem) }
            #expect(shards.flatMap { $0 }.sorted() == list, "N = \(n): \(shards)")
            // run k belongs to shard k mod N; the runs of each shard stay sorted
            for (i, stems) in shards.enumerated() {
                #expect(stems == list.indices.filter { $0 % n == i }.map { list[$0] }, "N = \(n), shard \(i)")
            }
        }
        // the list does not depend on the order the runs were given in
        #expect(Shard(index: 1, count: 3).runs(of: runs.reversed()).map(\.stem)
                == Shard(index: 1, count: 3).runs(of: runs).map(\.stem))
    }

    @Test("a knob given one value, alone, is a sweep of one point")
    func oneValueSweep() throws {
        let plan = try Sweep.Plan(lists: [.dropP: "0.25"], models: nil, request: RunRequest())
        #expect(plan.knob == .dropP && plan.values.map(\.label) == ["0.25"])
        #expect(plan.grid(seeds: 2, epochs: 1).runs.map(\.stem)
                == ["dropout-drop_p0.25-seed0", "dropout-drop_p0.25-seed1"])
        let limit = try Sweep.Plan(lists: [.limit: "500"], models: nil, request: RunRequest())
        #expect(limit.knob == .limit && limit.grid(seeds: 1, epochs: 1).runs.count == 2)
    }

    @Test("--shard I/N: 0 <= I < N, refused otherwise naming the flag",
          arguments: [("0/1", true), ("2/3", true), ("3/3", false), ("-1/3", false), ("0/0", false), ("1", false),
                      ("a/b", false), ("1/2/3", false)])
    func parse(text: String, valid: Bool) {
        do {
            let shard = try Shard.parse(text)
            #expect(valid && shard.description == text, "\(text) parsed")
        } catch let error as AutoencError {
            #expect(!valid && error.status == .usage && error.message.contains("--shard"), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    static let array = ["SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "13",
                        "SLURM_ARRAY_TASK_COUNT": "4"]

    @Test("a Slurm array of contiguous indices gives the shard; step 2, gaps or no array give none")
    func slurmDefaults() {
        #expect(Shard.slurm(Self.array) == Shard(index: 2, count: 4))
        #expect(Shard.slurm(Self.array.merging(["SLURM_ARRAY_TASK_STEP": "1"]) { $1 }) == Shard(index: 2, count: 4))
        // --array=10-16:2 is 10,12,14,16: COUNT 4 but MAX - MIN + 1 = 7, and the step is 2
        let stepped = ["SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "16",
                       "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "2"]
        #expect(Shard.slurm(stepped) == nil)
        #expect(Shard.slurm(Self.array.merging(["SLURM_ARRAY_TASK_STEP": "2"]) { $1 }) == nil)
        // --array=1,2,5 (no step variable): COUNT 3, MAX - MIN + 1 = 5
        #expect(Shard.slurm(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "5",
                             "SLURM_ARRAY_TASK_COUNT": "3"]) == nil)
        #expect(Shard.slurm([:]) == nil)
        #expect(Shard.slurm(["SLURM_JOB_ID": "7"]) == nil)
        #expect(Shard.slurm(Self.array.merging(["SLURM_ARRAY_TASK_ID": "x"]) { $1 }) == nil)
        #expect(Shard.slurmThreads(["SLURM_CPUS_PER_TASK": "8"]) == 8)
        #expect(Shard.slurmThreads(["SLURM_CPUS_PER_TASK": "0"]) == nil)
        #expect(Shard.slurmThreads([:]) == nil)
    }

    @Test("runs.json: written once; other settings refused naming the setting; other seeds rewrite it")
    func fixedRunList() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let train = ImageSet(count: 4, bytes: [UInt8](repeating: 7, count: 4 * 784), source: "test")
        let runs = try Self.sweepRuns()
        #expect(try Experiment.fixRunList(runs, train: train, directory: directory) != nil)
        let written = try #require(FileManager.default.contents(atPath: Experiment.runListPath(directory)))
        let json = try #require(JSON.parse(Array(written)))
        #expect(json["runs"]?.array?.compactMap(\.string) == Experiment.runList(runs).map(\.stem))
        #expect(json["settings"]?["lr"]?.string == "0.001" && json["settings"]?["drop_p"]?.string == "0.0,0.25,0.5")
        #expect(json["digest"]?.string?.count == 32)
        // the same runs again: nothing to say, the file untouched
        #expect(try Experiment.fixRunList(runs.reversed(), train: train, directory: directory) == nil)
        #expect(FileManager.default.contents(atPath: Experiment.runListPath(directory)) == written)
        // another learning rate: refused, naming it, the file untouched
        var request = RunRequest()
        request.learningRate = 0.01
        let other = try Sweep.Plan(lists: [.dropP: "0,0.25,0.5"], models: "none,dropout", request: request)
        #expect {
            try Experiment.fixRunList(other.grid(seeds: 2, epochs: 1).runs, train: train, directory: directory)
        } throws: { error in
            let e = error as? AutoencError
            return e?.status == .usage && e?.message.contains("lr 0.01 here, 0.001 there") == true
        }
        // other data: refused, naming its digest
        let data = ImageSet(count: 4, bytes: [UInt8](repeating: 8, count: 4 * 784), source: "test")
        #expect(throws: AutoencError.self) { try Experiment.fixRunList(runs, train: data, directory: directory) }
        #expect(FileManager.default.contents(atPath: Experiment.runListPath(directory)) == written)
        // a third seed: other runs beside these, the list rewritten
        let more = try Self.sweepRuns(seeds: 3)
        #expect(try Experiment.fixRunList(more, train: train, directory: directory)?.contains("rewrote") == true)
        #expect(try Experiment.fixRunList(more, train: train, directory: directory) == nil)
    }
}
