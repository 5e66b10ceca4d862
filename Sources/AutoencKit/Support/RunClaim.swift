import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process's claim on one run of an experiment, for processes on one machine or many
/// sharing a directory: a file `STEM.claim` made with `O_CREAT|O_EXCL` (safe on NFSv3 and
/// later, where `flock` and `fcntl` locks are not), holding the claimant's host, pid and
/// Slurm job. While held, a timer touches it every `heartbeat` seconds. A claim whose
/// file has not been touched for `staleAfter` seconds, measured against a file just
/// touched in the same directory (the file server's clock, not this machine's), or whose
/// process on this host has ended, is stale: another process takes it over by renaming
/// it away, and of several takers only one wins (one at a time holds `STEM.claim.takeover`,
/// made with `O_EXCL`, and renames the claim only if it is still the file judged stale).
public final class RunClaim: @unchecked Sendable {
    /// Seconds between touches of a held claim.
    public static let heartbeat: TimeInterval = 30
    /// Seconds without a touch after which a claim is stale: well above NFS's attribute
    /// cache (60 s at most by default), so that a live claim is never judged stale.
    public static let staleAfter: TimeInterval = 600

    /// Who holds a claim: the host, the process and its pid namespace (so that a process
    /// in another container of the same host name is not judged ended), the Slurm job.
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var pid: Int32
        public var pidNamespace: String
        /// SLURM_ARRAY_JOB_ID_SLURM_ARRAY_TASK_ID in an array, else SLURM_JOB_ID; "" outside Slurm.
        public var job: String

        public init(host: String, pid: Int32, pidNamespace: String, job: String) {
            self.host = host
            self.pid = pid
            self.pidNamespace = pidNamespace
            self.job = job
        }

        /// This process.
        public static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Holder {
            Holder(host: hostName(), pid: getpid(), pidNamespace: pidNamespace(), job: job(environment))
        }

        /// The Slurm job of `environment`: "123_4" for task 4 of array 123, else "123", else "".
        public static func job(_ environment: [String: String]) -> String {
            if let array = environment["SLURM_ARRAY_JOB_ID"], let task = environment["SLURM_ARRAY_TASK_ID"] {
                return "\(array)_\(task)"
            }
            return environment["SLURM_JOB_ID"] ?? ""
        }

        /// "vm pid 4242 (job 17_3)", as messages name it.
        public var description: String { "\(host) pid \(pid)" + (job.isEmpty ? "" : " (job \(job))") }

        /// The claim file's text: a line per field.
        var text: String { "host \(host)\npid \(pid)\npid_namespace \(pidNamespace)\njob \(job)\n" }

        /// The holder a claim file's `text` names, or nil when it is not one (yet: a claim
        /// is empty for a moment after its creation).
        static func parse(_ text: String) -> Holder? {
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            guard let host = fields["host"], let pid = fields["pid"].flatMap({ Int32($0) }) else { return nil }
            return Holder(host: host, pid: pid, pidNamespace: fields["pid_namespace"] ?? "", job: fields["job"] ?? "")
        }

        /// Whether this holder is a process of this host (and pid namespace) that has ended.
        var endedHere: Bool {
            let here = Holder.current()
            guard host == here.host, pidNamespace == here.pidNamespace, pid > 0 else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }

        static func hostName() -> String {
            var buffer = [UInt8](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
            return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }

        /// Linux's pid namespace ("pid:[4026531836]"), "" where there is none to read.
        static func pidNamespace() -> String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? ""
        }
    }

    /// What `claim` found: the claim, taken (over a stale one's `previous` holder, when
    /// it was taken over), or another process's live claim, `holder` (nil: unreadable).
    public enum Attempt {
        case claimed(RunClaim, previous: Holder?)
        case held(Holder?)
    }

    public let path: String
    private let lock = NSLock()
    private var descriptor: Int32
    private var timer: DispatchSourceTimer?
    /// The claim's slot among the files a second stop signal removes (`StopSignals.removeOnExit`).
    private let removal: [Int]

    private init(path: String, descriptor: Int32, removal: [Int], heartbeat: TimeInterval) {
        self.path = path
        self.descriptor = descriptor
        self.removal = removal
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + heartbeat, repeating: heartbeat, leeway: .seconds(1))
        timer.setEventHandler { [weak self] in self?.touch() }
        timer.resume()
        self.timer = timer
    }

    /// Claims `path` for `holder`, taking over a stale claim (`staleAfter` seconds without
    /// a touch, or its process ended on this host). Throws `.cannotCreate` (73) naming
    /// `what` when the claim file cannot be made for another reason than a claim there.
    public static func claim(_ path: String, what: String, holder: Holder = .current(),
                             staleAfter: TimeInterval = staleAfter,
                             heartbeat: TimeInterval = heartbeat) throws -> Attempt {
        var previous: Holder?
        var seen: Holder?
        for _ in 0..<8 { // each turn, a claim there vanished or was taken over meanwhile
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let removal = StopSignals.removeOnExit([path]) // at once: it is ours from here on
                let text = Array(holder.text.utf8)
                guard systemWrite(fd, text, text.count) == text.count, fsync(fd) == 0 else {
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    unlink(path)
                    StopSignals.forget(removal)
                    throw AutoencError(.cannotCreate, "\(what): cannot write the claim \(path) (\(reason))")
                }
                return .claimed(RunClaim(path: path, descriptor: fd, removal: removal, heartbeat: heartbeat),
                                previous: previous)
            }
            guard errno == EEXIST else {
                throw AutoencError(.cannotCreate, "\(what): cannot create the claim \(path) "
                                   + "(\(String(cString: strerror(errno))))")
            }
            var info = stat()
            guard stat(path, &info) == 0 else { continue } // released meanwhile
            seen = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(Holder.parse)
            let now = serverNow(besides: path, holder: holder)
            let stale = seen?.endedHere == true || (now.map { $0 - modified(info) > staleAfter } ?? false)
            guard stale else { return .held(seen) }
            // Take it over, one taker at a time (a marker made with O_EXCL): if it is still
            // the very file judged stale, untouched since, rename it away. Without the
            // marker a taker that judged it stale late could rename away the claim another
            // taker has just made.
            let marker = path + ".takeover"
            let markerFD = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard markerFD >= 0 else {
                // another taker's; one left by a taker that died holding it goes after a minute
                var left = stat()
                if let now, stat(marker, &left) == 0, now - modified(left) > 60 { unlink(marker) }
                return .held(seen)
            }
            defer {
                close(markerFD)
                unlink(marker)
            }
            var again = stat()
            guard stat(path, &again) == 0, again.st_ino == info.st_ino, again.st_dev == info.st_dev,
                  modified(again) == modified(info) else { continue }
            let aside = path + ".stale-\(holder.host)-\(holder.pid)"
            guard rename(path, aside) == 0 else { continue }
            unlink(aside)
            previous = seen
        }
        return .held(seen)
    }

    /// The time on the file server of `path`'s directory: the modification time of a file
    /// there just touched (then removed); nil when none can be made.
    static func serverNow(besides path: String, holder: Holder) -> TimeInterval? {
        let directory = FilePath.parent(of: path)
        let clock = ((directory.isEmpty ? "." : directory) as NSString)
            .appendingPathComponent(".claim-clock-\(holder.host)-\(holder.pid)")
        let fd = open(clock, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        defer {
            close(fd)
            unlink(clock)
        }
        var info = stat()
        guard futimens(fd, nil) == 0, fstat(fd, &info) == 0 else { return nil }
        return modified(info)
    }

    static func modified(_ info: stat) -> TimeInterval {
        #if canImport(Darwin)
        TimeInterval(info.st_mtimespec.tv_sec) + TimeInterval(info.st_mtimespec.tv_nsec) / 1e9
        #else
        TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9
        #endif
    }

    /// The heartbeat: sets the claim's modification time to the file server's now.
    private func touch() {
        lock.lock()
        defer { lock.unlock() }
        if descriptor >= 0 { _ = futimens(descriptor, nil) }
    }

    /// Stops the heartbeat and removes the claim file, unless it is no longer this claim's
    /// (another process took it over, judging it stale). Called once; later calls do nothing.
    /// Until then a second SIGINT or SIGTERM, which ends the process at once, removes it.
    public func release() {
        lock.lock()
        defer { lock.unlock() }
        guard descriptor >= 0 else { return }
        timer?.cancel()
        timer = nil
        var mine = stat(), there = stat()
        if fstat(descriptor, &mine) == 0, stat(path, &there) == 0, mine.st_ino == there.st_ino,
           mine.st_dev == there.st_dev {
            unlink(path)
        }
        StopSignals.forget(removal)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
