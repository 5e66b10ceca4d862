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

/// A setting an error's message can name.
///
/// The core knows no command line: it names the setting, and the layer above says how its
/// users spell it (the command line by its flag, `--lr`); on its own a setting is named as
/// the API names it (`learningRate`).
public enum Setting: String, Sendable, CaseIterable {
    case data, hidden, batchSize, learningRate, jobs, threads, resume, inference
}

/// Every failure the library reports to a user: a one-line message that names the file
/// or setting, what was expected and what was found, and the exit status it maps to.
public struct AutoencError: Error, CustomStringConvertible, Sendable {
    /// A message: text, and the settings it names, each said by the layer that shows it.
    public struct Message: Sendable, ExpressibleByStringInterpolation {
        /// A run of text, or a setting the layer that shows the message names its own way.
        public enum Part: Sendable { case text(String), setting(Setting) }
        /// The message's pieces, in order.
        public var parts: [Part]

        /// Creates a message from its pieces.
        public init(parts: [Part]) { self.parts = parts }
        /// Creates a message of plain text.
        public init(stringLiteral value: String) { parts = [.text(value)] }
        /// Creates a message from a literal with `\(setting:)` interpolations.
        public init(stringInterpolation: Interpolation) { parts = stringInterpolation.parts }

        /// Collects a message literal's text and settings.
        public struct Interpolation: StringInterpolationProtocol {
            var parts: [Part] = []
            /// Creates an empty interpolation.
            public init(literalCapacity: Int, interpolationCount: Int) {}
            /// Appends the literal's text.
            public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }
            /// Appends a setting, which the layer showing the message names (`--lr`, `learningRate`).
            public mutating func appendInterpolation(setting: Setting) { parts.append(.setting(setting)) }
            /// Appends another message's pieces, settings and all.
            public mutating func appendInterpolation(_ message: Message) { parts += message.parts }
            /// Appends any other value as its description.
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

    /// The exit status the error maps to.
    public let status: ExitStatus
    /// The message, its settings not yet named.
    public let text: Message

    /// Creates an error with a plain message, one that names no setting.
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

    /// The message, each setting named as the API names it.
    public var description: String { message }

    /// A data error, 65: `file` is not what it should be.
    ///
    /// - Parameters:
    ///   - file: The file, named first in the message.
    ///   - what: What was expected and what was found.
    public static func badData(_ file: String, _ what: String) -> AutoencError {
        AutoencError(.dataError, "\(file): \(what)")
    }

    /// A missing input, 66, naming `file`.
    ///
    /// - Parameters:
    ///   - file: The file, named first in the message.
    ///   - what: Why it cannot be read; "no such file" by default.
    public static func missing(_ file: String, _ what: String = "no such file") -> AutoencError {
        AutoencError(.noInput, "\(file): \(what)")
    }

    /// Any error as the user is told it: an `AutoencError` as it is, anything else (a
    /// system error the library did not wrap) as an I/O error, 74, with its description.
    public init(reporting error: Error) {
        self = error as? AutoencError ?? AutoencError(.ioError, error.localizedDescription)
    }

    /// Refuses the first problem found, if any.
    ///
    /// - Parameter problems: Messages such as `Limit.problem` gives, each naming its flag; nil where
    ///   a setting is valid.
    /// - Throws: The first message that is not nil, as a usage error, 64.
    public static func refuse(_ problems: String?...) throws {
        if let problem = problems.lazy.compactMap({ $0 }).first { throw AutoencError(.usage, problem) }
    }
}
