import Foundation

/// Memory a command is about to allocate, checked against what the machine has free: a
/// size too large (`train --hidden 16384 --batch-size 65536` asks for about 22 GB) is
/// refused in one line before anything is allocated, instead of ending in swap or in the
/// kernel's out-of-memory killer.
public enum Memory {
    /// What new allocations can take without swapping, in bytes: MemAvailable of
    /// `meminfo` (Linux's /proc/meminfo), or less when the process's cgroup limits its
    /// memory (a container's `--memory`; `cgroupRoom`). nil where neither is known (macOS).
    public static func available(meminfo: String = "/proc/meminfo", cgroup: String = "/sys/fs/cgroup") -> Int? {
        let free = value(in: meminfo, key: "MemAvailable:", unit: "kB").map { $0 * 1024 }
        guard let room = cgroupRoom(root: cgroup) else { return free }
        return min(free ?? room, room)
    }

    /// The room a cgroup memory limit leaves, in bytes: the limit less the usage, not
    /// counting file cache, which the kernel reclaims when the memory is needed (so a
    /// container whose builds filled its cache is not refused). cgroup v2's files at
    /// `root` (a container's own cgroup), else v1's memory controller under it. nil when
    /// there is no limit or no such files.
    static func cgroupRoom(root: String) -> Int? {
        let versions = [(directory: root, limit: "memory.max", usage: "memory.current", cache: "file"),
                        (directory: root + "/memory", limit: "memory.limit_in_bytes", usage: "memory.usage_in_bytes",
                         cache: "total_cache")]
        for v in versions {
            guard let limitText = contents(of: v.directory + "/" + v.limit) else { continue }
            // "max" (v2) or a page-rounded 2^63 (v1): no limit
            guard let limit = Int(limitText.trimmingCharacters(in: .whitespacesAndNewlines)), limit < 1 << 60,
                  let usage = contents(of: v.directory + "/" + v.usage)
                      .flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            else { return nil }
            let cache = value(in: v.directory + "/memory.stat", key: v.cache, unit: nil) ?? 0
            return max(0, limit - max(0, usage - cache))
        }
        return nil
    }

    /// The number after `key` on its line of `file` ("KEY NUMBER [UNIT]"), when the unit
    /// is `unit`.
    private static func value(in file: String, key: String, unit: String?) -> Int? {
        guard let text = contents(of: file) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.first.map(String.init) == key else { continue }
            guard fields.count == (unit == nil ? 2 : 3), unit.map({ fields[2] == $0 }) ?? true,
                  let number = Int(fields[1]) else { return nil }
            return number
        }
        return nil
    }

    /// A small file's text; /proc and /sys files report a size of 0, so read to the end.
    private static func contents(of file: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: file), let data = try? handle.readToEnd() else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// Checks that `bytes` fit in the memory available.
    ///
    /// - Parameters:
    ///   - bytes: The memory the work needs.
    ///   - available: Bytes available; nil checks nothing.
    ///   - what: The work, as the message names it.
    ///   - remedy: What the user can do, as the message ends.
    /// - Throws: `AutoencError` with `.unavailable` (69) when `bytes` exceed `available`: "WHAT needs
    ///   about 21.6 GB of memory, but 12.3 GB is available (MemAvailable in /proc/meminfo, ...); REMEDY".
    public static func check(_ bytes: Int, available: Int?, what: AutoencError.Message,
                             remedy: AutoencError.Message) throws {
        guard let available, bytes > available else { return }
        throw AutoencError(.unavailable, naming: "\(what) needs about \(describe(bytes)) of memory, "
            + "but \(describe(available)) is available (MemAvailable in /proc/meminfo, "
            + "or the cgroup's memory limit less its use when lower); \(remedy)")
    }

    /// Bytes as people read them: "21.6 GB", "512.0 MB" (powers of 1000, one decimal).
    public static func describe(_ bytes: Int) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return String(format: "%.1f GB", value / 1e9) }
        return String(format: "%.1f MB", value / 1e6)
    }
}
