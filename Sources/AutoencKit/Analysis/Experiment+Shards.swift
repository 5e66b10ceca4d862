import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of an experiment's runs one process trains: `index` of `count` (0-based).
/// The runs, sorted by stem, are dealt out in turn: run k belongs to shard k mod count,
/// so the shards never overlap and together cover every run.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// The whole experiment: one shard of one.
    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// "I/N", as --shard takes it.
    public var description: String { "\(index)/\(count)" }

    /// `text`, "I/N" with 0 <= I < N. Throws `.usage` (64) naming --shard.
    public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else {
            throw AutoencError(.usage, "--shard must be I/N with 0 <= I < N (e.g. 0/4), got \(text)")
        }
        return Shard(index: i, count: n)
    }

    /// The shard of a Slurm array task: I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN,
    /// N = SLURM_ARRAY_TASK_COUNT; nil outside an array, or when the array's indices are
    /// not contiguous (SLURM_ARRAY_TASK_STEP other than 1, or MAX - MIN + 1 != COUNT).
    public static func slurm(_ environment: [String: String]) -> Shard? {
        func number(_ name: String) -> Int? { environment[name].flatMap { Int($0) } }
        guard let id = number("SLURM_ARRAY_TASK_ID"), let min = number("SLURM_ARRAY_TASK_MIN"),
              let max = number("SLURM_ARRAY_TASK_MAX"), let count = number("SLURM_ARRAY_TASK_COUNT"),
              count >= 1, max - min + 1 == count, (min...max).contains(id) else { return nil }
        if let step = environment["SLURM_ARRAY_TASK_STEP"], Int(step) != 1 { return nil }
        return Shard(index: id - min, count: count)
    }

    /// The threads a Slurm task was given (SLURM_CPUS_PER_TASK), or nil.
    public static func slurmThreads(_ environment: [String: String]) -> Int? {
        environment["SLURM_CPUS_PER_TASK"].flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil }
    }

    /// This shard's runs out of `runs`: each stem once, sorted by stem, every
    /// `count`-th from the `index`-th.
    public func runs(of runs: [ExperimentRun]) -> [ExperimentRun] {
        let sorted = Experiment.runList(runs)
        return sorted.indices.filter { $0 % count == index }.map { sorted[$0] }
    }
}

/// An experiment that ended without all its runs: a shard's failed runs, or the records
/// `--collect-only` did not find. The command exits 1 with `message`.
public struct IncompleteExperiment: Error, Sendable {
    public var message: String
}

extension Experiment {
    /// Each run of `runs` once, sorted by stem: the experiment's fixed run list.
    public static func runList(_ runs: [ExperimentRun]) -> [ExperimentRun] {
        var seen = Set<String>()
        return runs.filter { seen.insert($0.stem).inserted }.sorted { $0.stem < $1.stem }
    }

    /// The file in `directory` that fixes an experiment's runs and settings.
    public static func runListPath(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent("runs.json")
    }

    /// What fixes an experiment: each setting with the values its runs take (sorted,
    /// comma-separated; `train` gives each run's data digest), then the sorted stems.
    static func fixedSettings(_ runs: [ExperimentRun], train: ImageSet) -> [(String, String)] {
        var digests: [Int?: String] = [:]
        var values: [String: Set<String>] = [:]
        for run in runList(runs) {
            if digests[run.limit] == nil { digests[run.limit] = train.prefix(run.limit).digest }
            for (key, value) in run.settings(dataDigest: digests[run.limit]!) { values[key, default: []].insert(value) }
        }
        return values.keys.sorted().map { ($0, values[$0]!.sorted().joined(separator: ",")) }
            + [("runs", runList(runs).map(\.stem).joined(separator: ","))]
    }

    /// The settings that may change between invocations on one --out: more or other
    /// seeds are other runs (other stems), reused or trained beside the others.
    static let changeableSettings: Set<String> = ["seed", "runs"]

    /// Fixes `runs` (on `train`) in `directory`'s runs.json, or checks them against it.
    /// The first invocation writes the settings, the sorted run list and their digest
    /// (created only if missing: of shards starting at once, one writes it and the others
    /// check against it). A later one with other settings is refused, `.usage` (64)
    /// naming the first setting that differs; one whose seeds differ (only) rewrites the
    /// file, since its other runs cannot overwrite these. `write: false` only checks.
    /// Returns a line to say when the file was written or rewritten, else nil.
    @discardableResult
    public static func fixRunList(_ runs: [ExperimentRun], train: ImageSet, directory: String,
                                  write: Bool = true) throws -> String? {
        let settings = fixedSettings(runs, train: train)
        let path = runListPath(directory)
        let digest = MD5.hex(MD5.digest(Array(JSON.object(settings.map { ($0.0, .string($0.1)) }).compact.utf8)))
        let json = JSON.object([
            ("format", .number(1)),
            ("digest", .string(digest)), // MD5 of the settings and runs, compact
            ("settings", .object(settings.filter { $0.0 != "runs" }.map { ($0.0, .string($0.1)) })),
            ("runs", .array(runList(runs).map { .string($0.stem) })),
        ])
        let bytes = Array((json.rendered() + "\n").utf8)
        if write { try OutputDirectory.prepare(directory, what: "--out") }
        if write, try createExclusively(bytes, at: path) { return "fixed the runs and settings in \(path)" }
        guard let saved = FileManager.default.contents(atPath: path) else { return nil } // only checking
        guard let old = JSON.parse(Array(saved)), let fields = old["settings"]?.fields, let list = old["runs"]?.array
        else { throw AutoencError(.dataError, "\(path): not a run list this version of autoenc wrote") }
        let there = Dictionary(fields.map { ($0.0, $0.1.string ?? "") } + [("runs", list.compactMap(\.string)
            .joined(separator: ","))], uniquingKeysWith: { a, _ in a })
        let here = Dictionary(settings, uniquingKeysWith: { a, _ in a })
        let differing = Set(there.keys).union(here.keys).sorted().filter { there[$0] != here[$0] }
        if let key = differing.first(where: { !changeableSettings.contains($0) }) {
            throw AutoencError(.usage, "--out \(directory) holds runs of other settings (\(path)): \(key) "
                               + "\(here[key] ?? "missing") here, \(there[key] ?? "missing") there; "
                               + "give the same settings, or another --out")
        }
        guard !differing.isEmpty, write else { return nil }
        try AtomicFile.write(bytes, to: path)
        return "other seeds: rewrote the run list in \(path)"
    }

    /// Writes `bytes` to `path` only if no file is there (a complete temporary file
    /// linked into place, so no reader sees half of it); false if one was.
    static func createExclusively(_ bytes: [UInt8], at path: String) throws -> Bool {
        if FileManager.default.fileExists(atPath: path) { return false }
        let temporary = ".\((path as NSString).lastPathComponent).tmp-\(getpid())" // as AtomicFile names them
        let temporaryPath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(temporary)
        try AtomicFile.write(bytes, to: temporaryPath)
        defer { unlink(temporaryPath) }
        if link(temporaryPath, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw AutoencError(.cannotCreate, "--out: cannot create \(path) (\(String(cString: strerror(errno))))")
    }
}
