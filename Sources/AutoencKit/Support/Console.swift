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
    /// `arguments` after the program's path, each holding a space in single quotes.
    public static func commandLine(_ arguments: [String] = CommandLine.arguments) -> String {
        (["autoenc"] + arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    /// Writes `line` and a newline to standard error at once (unbuffered): errors, and the
    /// notes that must not mix with what a command prints.
    public static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
