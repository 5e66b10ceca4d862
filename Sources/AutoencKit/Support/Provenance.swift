import Foundation

/// What made a result: this autoenc's version, the command line as typed, when, and the CPU
/// code paths that computed it (the vector kernels' level and OpenBLAS's core).
///
/// Recorded in metrics.json, report.html and `--log`'s run line.
public struct Provenance: Sendable, Equatable {
    /// This build's version, as `autoenc --version` prints it.
    public static let version = "0.27.0"

    public var version: String
    public var command: String
    /// ISO 8601, UTC, to the second.
    public var date: String
    public var kernels: String
    public var blas: String

    /// The provenance of what this process computes now: `command` as typed
    /// (`Console.commandLine`), today's date, the kernels in use.
    public static func current(command: String = Console.commandLine()) -> Provenance {
        Provenance(version: version, command: command, date: ISO8601DateFormatter().string(from: Date()),
                   kernels: Kernels.current.level.rawValue, blas: BLASRuntime.coreName)
    }

    /// The fields as metrics.json and report.html's settings hold them, in this order.
    public var fields: [(String, JSON)] {
        [("autoenc_version", .string(version)), ("command", .string(command)), ("date", .string(date)),
         ("kernels", .string(kernels)), ("blas", .string(blas))]
    }
}

extension JSON {
    /// A setting recorded as a string (a run record's, a checkpoint's) as the JSON value
    /// it stands for: a decimal number ("256", "0.001", "1e-05") as a number, anything
    /// else ("all", "none", "relu", "nan") as the string. A whole number of more than 15
    /// digits (a large seed) stays a string, which a double could not hold exactly.
    /// Digests, whose hex may spell a number, are the caller's to keep as strings.
    public static func setting(_ value: String) -> JSON {
        let allowed = Set("0123456789.-+eE")
        guard value.contains(where: \.isNumber), value.allSatisfy(allowed.contains),
              let number = Double(value), number.isFinite else { return .string(value) }
        let whole = value.allSatisfy { $0.isNumber || $0 == "-" }
        if whole && value.filter(\.isNumber).count > 15 { return .string(value) }
        return .number(number)
    }
}
