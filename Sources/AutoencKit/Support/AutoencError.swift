/// Exit statuses from sysexits.h, plus the two this tool adds (1 diverged, 128+signal).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case diverged = 1
    case usage = 64
    case dataError = 65
    case noInput = 66
    case unavailable = 69
    case cannotCreate = 73
    case ioError = 74
    case interrupted = 130
    case terminated = 143
}

/// Every failure the library reports to a user: a one-line message that names the file
/// or flag, what was expected and what was found, and the exit status it maps to.
public struct AutoencError: Error, CustomStringConvertible, Sendable {
    public let status: ExitStatus
    public let message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    public static func badData(_ file: String, _ what: String) -> AutoencError {
        AutoencError(.dataError, "\(file): \(what)")
    }

    public static func missing(_ file: String, _ what: String = "no such file") -> AutoencError {
        AutoencError(.noInput, "\(file): \(what)")
    }

    /// Any error as the user is told it: an `AutoencError` as it is, anything else (a
    /// system error the library did not wrap) as an I/O error, 74, with its description.
    public init(reporting error: Error) {
        self = error as? AutoencError ?? AutoencError(.ioError, error.localizedDescription)
    }

    /// Throws the first of `problems` that is not nil (each a `Limit.problem`-style
    /// message naming its flag) as a usage error, 64.
    public static func refuse(_ problems: String?...) throws {
        if let problem = problems.lazy.compactMap({ $0 }).first { throw AutoencError(.usage, problem) }
    }
}
