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

/// A setting an error's message can name. The core knows no command line: it names the
/// setting, and the layer above says how its users spell it (the command line by its
/// flag, `--lr`); on its own a setting is named as the API names it (`learningRate`).
public enum Setting: String, Sendable, CaseIterable {
    case data, hidden, batchSize, learningRate, jobs, threads, resume, inference
}

/// Every failure the library reports to a user: a one-line message that names the file
/// or setting, what was expected and what was found, and the exit status it maps to.
public struct AutoencError: Error, CustomStringConvertible, Sendable {
    /// A message: text, and the settings it names, each said by the layer that shows it.
    public struct Message: Sendable, ExpressibleByStringInterpolation {
        public enum Part: Sendable { case text(String), setting(Setting) }
        public var parts: [Part]

        public init(parts: [Part]) { self.parts = parts }
        public init(stringLiteral value: String) { parts = [.text(value)] }
        public init(stringInterpolation: Interpolation) { parts = stringInterpolation.parts }

        public struct Interpolation: StringInterpolationProtocol {
            var parts: [Part] = []
            public init(literalCapacity: Int, interpolationCount: Int) {}
            public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }
            public mutating func appendInterpolation(setting: Setting) { parts.append(.setting(setting)) }
            public mutating func appendInterpolation(_ message: Message) { parts += message.parts }
            public mutating func appendInterpolation<Value>(_ value: Value) { parts.append(.text("\(value)")) }
        }

        /// Two messages, one after the other (for long messages split over lines).
        public static func + (a: Message, b: Message) -> Message { Message(parts: a.parts + b.parts) }

        /// The text, each setting said by `name`.
        public func rendered(naming name: (Setting) -> String) -> String {
            parts.map { part in
                switch part {
                case .text(let text): return text
                case .setting(let setting): return name(setting)
                }
            }.joined()
        }
    }

    public let status: ExitStatus
    public let text: Message

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        text = Message(parts: [.text(message)])
    }

    /// A message that names settings: `"lower \(setting: .learningRate)"`.
    public init(_ status: ExitStatus, naming message: Message) {
        self.status = status
        text = message
    }

    /// The message, each setting named as the API names it (`learningRate`).
    public var message: String { message(naming: \.rawValue) }

    /// The message, each setting said by `name` (the command line: by its flag).
    public func message(naming name: (Setting) -> String) -> String { text.rendered(naming: name) }

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
