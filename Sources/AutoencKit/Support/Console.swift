import Foundation

/// Where a command's human lines go: standard output; standard error when `--log -` puts
/// the run's JSON lines on standard output (`RunRecords.standardOutput`), so that the two
/// never mix; nowhere with `--quiet`.
///
/// Errors go to standard error whatever the flags (`Console.error`).
public struct Console: Sendable {
    /// Where `say` writes.
    public enum Destination: Sendable, Equatable {
        case standardOutput, standardError, nowhere
    }

    public let destination: Destination

    /// The console of a command given `quiet` (-q) and `log` (--log as given; nil when
    /// the command has none or it was not given).
    public init(quiet: Bool, log: String? = nil) {
        destination = Self.destination(quiet: quiet, log: log)
    }

    /// Quiet wins; then `--log -` moves the lines to standard error.
    public static func destination(quiet: Bool, log: String?) -> Destination {
        if quiet { return .nowhere }
        return log == RunRecords.standardOutput ? .standardError : .standardOutput
    }

    /// Whether the lines go nowhere; progress bars and status lines then stay off too.
    public var quiet: Bool { destination == .nowhere }

    /// Writes `line` and a newline where the lines go. Standard output is written with
    /// `print`, in order with the JSON lines `RunRecords` prints there.
    public func say(_ line: String) {
        switch destination {
        case .standardOutput: print(line)
        case .standardError: Self.error(line)
        case .nowhere: break
        }
    }

    /// The command line as typed, for "run it again" hints: "autoenc" and the
    /// `arguments` after the program's path, each `shellQuoted`.
    public static func commandLine(_ arguments: [String] = CommandLine.arguments) -> String {
        (["autoenc"] + arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
    }

    /// `word` as a shell reads it back: as it is when it holds nothing special, else in
    /// single quotes (a quote inside as `'\''`).
    public static func shellQuoted(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
        if !word.isEmpty, word.allSatisfy(plain.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Writes `line` and a newline to standard error at once (unbuffered): errors, and the
    /// notes that must not mix with what a command prints.
    public static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
