import Foundation

/// Wall-clock time since this process started (before any re-exec), for reporting how
/// long start-up took.
public enum ProcessClock {
    /// Seconds since the process started, or nil where the system does not say
    /// (Linux: /proc/self/stat's start time against /proc/uptime, 10 ms resolution).
    public static func secondsSinceStart() -> Double? {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // fields after the command name: state is field 3, start time field 22
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let now = Double(uptime.split(separator: " ").first ?? "") else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return hz > 0 ? max(0, now - ticks / hz) : nil
        #else
        return nil
        #endif
    }
}
