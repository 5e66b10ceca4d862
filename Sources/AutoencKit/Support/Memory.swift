import Foundation

/// Memory a command is about to allocate, checked against what the machine has free: a
/// size too large (`train --hidden 16384 --batch-size 65536` asks for about 22 GB) is
/// refused in one line before anything is allocated, instead of ending in swap or in the
/// kernel's out-of-memory killer.
public enum Memory {
    /// MemAvailable of `meminfo` (Linux's /proc/meminfo), in bytes: what new allocations
    /// can take without swapping. nil where there is no such file (macOS) or line.
    public static func available(meminfo: String = "/proc/meminfo") -> Int? {
        // /proc files report a size of 0: read to the end rather than by their size
        guard let handle = FileHandle(forReadingAtPath: meminfo),
              let data = try? handle.readToEnd(), let text = String(data: data, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[2] == "kB", let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// Throws `.unavailable` (69) when `bytes` exceed `available` (nothing is checked
    /// when that is nil): "WHAT needs about 21.6 GB of memory, but 12.3 GB is available
    /// (MemAvailable in /proc/meminfo); REMEDY".
    public static func check(_ bytes: Int, available: Int?, what: String, remedy: String) throws {
        guard let available, bytes > available else { return }
        throw AutoencError(.unavailable, "\(what) needs about \(describe(bytes)) of memory, but \(describe(available)) is available (MemAvailable in /proc/meminfo); \(remedy)")
    }

    /// Bytes as people read them: "21.6 GB", "512.0 MB" (powers of 1000, one decimal).
    public static func describe(_ bytes: Int) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return String(format: "%.1f GB", value / 1e9) }
        return String(format: "%.1f MB", value / 1e6)
    }
}
