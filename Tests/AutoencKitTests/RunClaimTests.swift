import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit
#if canImport(Glibc)
import Glibc
#endif

/// A run's claim (`runs/STEM.claim`): made once, a live one respected, a stale one taken
/// over by one taker, its file removed by its holder only.
@Suite struct RunClaimTests {
    /// A scratch directory, removed at the end of `body`.
    static func inDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("claim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    /// A holder on another machine, whose process this one cannot look up.
    static let elsewhere = RunClaim.Holder(host: "node-17", pid: 4242, pidNamespace: "pid:[1]", job: "77_3")

    /// Writes a claim of `holder` at `path`, last touched `age` seconds ago.
    static func plant(_ holder: RunClaim.Holder, at path: String, age: TimeInterval) throws {
        try Data(holder.text.utf8).write(to: URL(fileURLWithPath: path))
        let then = Date().addingTimeInterval(-age).timeIntervalSince1970
        var times = [timeval(tv_sec: Int(then), tv_usec: 0), timeval(tv_sec: Int(then), tv_usec: 0)]
        #expect(utimes(path, &times) == 0)
    }

    static func names(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test("a claim is made once: a second claimant finds it held, naming the holder; released, it is free")
    func once() throws {
        try Self.inDirectory { directory in
            let path = directory + "/none-seed0.claim"
            guard case .claimed(let claim, let previous) = try RunClaim.claim(path, what: "--out") else {
                Issue.record("not claimed")
                return
            }
            #expect(previous == nil)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(RunClaim.Holder.parse(text) == .current() && text.contains("pid \(getpid())"), "\(text)")
            guard case .held(let holder) = try RunClaim.claim(path, what: "--out", holder: Self.elsewhere) else {
                Issue.record("claimed twice")
                return
            }
            #expect(holder == .current())
            claim.release()
            #expect(Self.names(directory).isEmpty)
            guard case .claimed(let again, _) = try RunClaim.claim(path, what: "--out") else {
                Issue.record("not free after release")
                return
            }
            again.release()
        }
    }

    @Test("a claim touched within the staleness is held; one older is taken over, naming its holder")
    func staleTakenOver() throws {
        try Self.inDirectory { directory in
            let path = directory + "/dropout-seed1.claim"
            try Self.plant(Self.elsewhere, at: path, age: 100)
            guard case .held(let holder) = try RunClaim.claim(path, what: "--out", staleAfter: 600) else {
                Issue.record("a live claim was taken")
                return
            }
            #expect(holder == Self.elsewhere)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.elsewhere.text)
            try Self.plant(Self.elsewhere, at: path, age: 700)
            guard case .claimed(let claim, let previous) = try RunClaim.claim(path, what: "--out", staleAfter: 600)
            else {
                Issue.record("a stale claim was not taken over")
                return
            }
            #expect(previous == Self.elsewhere)
            #expect(RunClaim.Holder.parse(try String(contentsOfFile: path, encoding: .utf8)) == .current())
            // the stale claim renamed away and removed: nothing else left beside the new one
            #expect(Self.names(directory) == ["dropout-seed1.claim"])
            claim.release()
        }
    }

    @Test("the claim of an ended process of this host is taken over at once; another host's is not")
    func endedHolder() throws {
        try Self.inDirectory { directory in
            let ended = Process()
            ended.executableURL = URL(fileURLWithPath: "/bin/true")
            try ended.run()
            ended.waitUntilExit()
            var holder = RunClaim.Holder.current()
            holder.pid = ended.processIdentifier
            let path = directory + "/a.claim"
            try Self.plant(holder, at: path, age: 0)
            guard case .claimed(let claim, let previous) = try RunClaim.claim(path, what: "--out") else {
                Issue.record("an ended process's claim was not taken over")
                return
            }
            #expect(previous == holder)
            claim.release()
            holder.host = "node-17" // the same pid on another host: it may be running there
            try Self.plant(holder, at: path, age: 0)
            guard case .held = try RunClaim.claim(path, what: "--out") else {
                Issue.record("another host's claim was taken")
                return
            }
        }
    }

    @Test("of eight takers of one stale claim, one takes it")
    func oneTaker() throws {
        try Self.inDirectory { directory in
            let path = directory + "/b.claim"
            try Self.plant(Self.elsewhere, at: path, age: 700)
            final class Results: @unchecked Sendable {
                let lock = NSLock()
                var claims: [RunClaim] = []
                var held = 0
            }
            let results = Results()
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                let taker = RunClaim.Holder(host: "taker", pid: Int32(100 + i), pidNamespace: "", job: "")
                let attempt = try? RunClaim.claim(path, what: "--out", holder: taker, staleAfter: 600)
                results.lock.lock()
                defer { results.lock.unlock() }
                switch attempt {
                case .claimed(let claim, _)?: results.claims.append(claim)
                case .held?: results.held += 1
                case nil: break
                }
            }
            #expect(results.claims.count == 1 && results.held == 7, "\(results.claims.count) claimed")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(RunClaim.Holder.parse(text)?.host == "taker", "\(text)")
            results.claims.forEach { $0.release() }
            #expect(Self.names(directory).isEmpty, "\(Self.names(directory))")
        }
    }

    @Test("a holder whose claim was taken over does not remove the taker's on release")
    func releaseKeepsTheTakers() throws {
        try Self.inDirectory { directory in
            let path = directory + "/c.claim"
            guard case .claimed(let mine, _) = try RunClaim.claim(path, what: "--out") else {
                Issue.record("not claimed")
                return
            }
            // judged stale by another (as if this process had stopped touching it), and taken over
            var times = [timeval(tv_sec: 1_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000, tv_usec: 0)]
            #expect(utimes(path, &times) == 0)
            guard case .claimed(let theirs, _) = try RunClaim.claim(path, what: "--out", holder: Self.elsewhere)
            else {
                Issue.record("not taken over")
                return
            }
            mine.release()
            #expect(RunClaim.Holder.parse(try String(contentsOfFile: path, encoding: .utf8)) == Self.elsewhere)
            theirs.release()
            #expect(Self.names(directory).isEmpty)
        }
    }

    @Test("a held claim's heartbeat touches it: an old modification time is brought forward")
    func heartbeat() throws {
        try Self.inDirectory { directory in
            let path = directory + "/d.claim"
            guard case .claimed(let claim, _) = try RunClaim.claim(path, what: "--out", heartbeat: 0.05) else {
                Issue.record("not claimed")
                return
            }
            defer { claim.release() }
            var times = [timeval(tv_sec: 1_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000, tv_usec: 0)]
            #expect(utimes(path, &times) == 0)
            var info = stat()
            for _ in 0..<600 where stat(path, &info) == 0 && RunClaim.modified(info) < 2_000_000 { usleep(10_000) }
            #expect(RunClaim.modified(info) > 2_000_000, "never touched")
        }
    }

    @Test("the job: an array task's, else the job's, else none")
    func job() {
        #expect(RunClaim.Holder.job(["SLURM_JOB_ID": "90", "SLURM_ARRAY_JOB_ID": "88",
                                     "SLURM_ARRAY_TASK_ID": "2"]) == "88_2")
        #expect(RunClaim.Holder.job(["SLURM_JOB_ID": "90"]) == "90")
        #expect(RunClaim.Holder.job([:]) == "")
        #expect(Self.elsewhere.description == "node-17 pid 4242 (job 77_3)")
        #expect(RunClaim.Holder.parse(Self.elsewhere.text) == Self.elsewhere)
        #expect(RunClaim.Holder.parse("") == nil)
    }
}

/// The job-array script --emit-sbatch writes.
@Suite struct SlurmArrayTests {
    static let array = SlurmArray(command: ["/opt/autoenc/bin/autoenc", "sweep", "--drop-p", "0,0.5", "--data",
                                            "my data"],
                                  directory: "/scratch/sw", workingDirectory: "/home/ada", runs: 7, tasks: 3,
                                  throttle: 2, cpusPerTask: 4, path: "/home/ada/sw.sbatch")

    @Test("the script: the array, its resources, the srun line with --out and the shard, the collection")
    func script() {
        let lines = Self.array.script.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!/bin/bash")
        for line in ["#SBATCH --array=0-2%2", "#SBATCH --cpus-per-task=4", "#SBATCH --requeue",
                     "#SBATCH --signal=TERM@90", "#SBATCH --chdir=/home/ada",
                     "#SBATCH --output=/scratch/sw/slurm/%A_%a.out",
                     "srun /opt/autoenc/bin/autoenc sweep --drop-p 0,0.5 --data 'my data' --out /scratch/sw "
                        + "--shard \"${SLURM_ARRAY_TASK_ID}/3\""] {
            #expect(lines.contains(line), "no \(line) in \(Self.array.script)")
        }
        #expect(lines.contains("#   jobid=$(sbatch --parsable /home/ada/sw.sbatch)"))
        #expect(lines.contains { $0.hasPrefix("#   sbatch --dependency=afterany:$jobid --chdir=/home/ada ")
                && $0.hasSuffix("--wrap=\"/opt/autoenc/bin/autoenc sweep --drop-p 0,0.5 --data 'my data' "
                                + "--out /scratch/sw --collect-only\"") }, "\(Self.array.script)")
        // every #SBATCH line before the first command, where sbatch reads them
        let firstCommand = lines.firstIndex { !$0.hasPrefix("#") && !$0.isEmpty }!
        #expect(lines.lastIndex { $0.hasPrefix("#SBATCH") }! < firstCommand)
        var unthrottled = Self.array
        unthrottled.throttle = nil
        #expect(unthrottled.script.contains("#SBATCH --array=0-2\n"))
    }

    @Test("the command passed on: the script's own flags left out, in either spelling")
    func passedOn() {
        #expect(SlurmArray.passedOn(["sweep", "--drop-p", "0,0.5", "--out", "sw", "--emit-sbatch=a.sh", "--tasks",
                                     "4", "--throttle", "2", "--seeds", "3"],
                                    dropping: ["--out", "--emit-sbatch", "--tasks", "--throttle"])
                == ["sweep", "--drop-p", "0,0.5", "--seeds", "3"])
        #expect(Console.shellQuoted("it's") == "'it'\\''s'" && Console.shellQuoted("a/b-c.d") == "a/b-c.d")
        #expect(Console.shellQuoted("") == "''" && Console.shellQuoted("$HOME") == "'$HOME'")
    }

    @Test("the tasks: one per run up to MaxArraySize; MaxArraySize read from scontrol's config")
    func tasks() {
        #expect(SlurmArray.defaultTasks(runs: 57, maxArraySize: 1001) == 57)
        #expect(SlurmArray.defaultTasks(runs: 5000, maxArraySize: 1001) == 1001)
        #expect(SlurmArray.defaultTasks(runs: 0, maxArraySize: 1001) == 1)
        #expect(SlurmArray.parseMaxArraySize("MaxArraySize            = 40001\nMaxJobCount = 10000\n") == 40001)
        #expect(SlurmArray.parseMaxArraySize("MaxJobCount = 10000") == nil)
        #expect(SlurmArray.maxArraySize(["PATH": "/nonexistent"]) == SlurmArray.defaultMaxArraySize)
    }
}
