import Foundation

/// A JSON value that keeps its objects' key order, for the files autoenc writes
/// (metrics.json, an experiment's run records) and reads back.
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// Written with up to 9 significant digits (enough for a float); a non-finite
    /// number is written as null.
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// Whether two values are equal: numbers by value, objects key by key in order.
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// `s` as a JSON string literal: quotes, backslashes and control characters escaped.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x",
                                                       scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// A number, or null when `value` is nil or not finite.
    public static func finite(_ value: Double?) -> JSON { value.map { $0.isFinite ? .number($0) : .null } ?? .null }

    /// `value` to `digits` significant digits (what "%.6g" prints for 6), for the files
    /// whose readers rely on that many; null when it is not finite.
    public static func rounded(_ value: Double, digits: Int) -> JSON {
        guard value.isFinite, let short = Double(String(format: "%.\(digits)g", value)) else { return .null }
        return .number(short)
    }

    /// `value` to `decimals` places (what "%.1f" prints for 1); null when it is not finite.
    public static func rounded(_ value: Double, decimals: Int) -> JSON {
        guard value.isFinite, let short = Double(String(format: "%.\(decimals)f", value)) else { return .null }
        return .number(short)
    }

    /// The text on one line with no spaces, keys in their order: `--log`'s JSON lines and
    /// safetensors headers.
    public var compact: String {
        switch self {
        case .array(let items): return "[" + items.map(\.compact).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.map { JSON.quoted($0.0) + ":" + $0.1.compact }.joined(separator: ",") + "}"
        default: return rendered()
        }
    }

    /// A float as its shortest decimal spelling (0.001, not 0.00100000005).
    public static func float(_ value: Float) -> JSON { value.isFinite ? .number(Double("\(value)")!) : .null }

    /// The value under `key` of an object, nil otherwise.
    public subscript(key: String) -> JSON? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    /// The number, nil for any other value.
    public var double: Double? { if case .number(let x) = self { return x }; return nil }
    /// The string, nil for any other value.
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    /// The elements of an array, nil for any other value.
    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    /// The key-value pairs of an object in order, nil for any other value.
    public var fields: [(String, JSON)]? { if case .object(let f) = self { return f }; return nil }

    /// The text: objects and arrays of containers one item per line, indented by two
    /// spaces per level; arrays of scalars and empty containers on one line.
    public func rendered(indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent + 2), close = String(repeating: " ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let x):
            guard x.isFinite else { return "null" }
            if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
            return String(format: "%.9g", x)
        case .string(let s): return JSON.quoted(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy(\.isScalar) { return "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]" }
            return "[\n" + items.map { pad + $0.rendered(indent: indent + 2) }.joined(separator: ",\n") + "\n\(close)]"
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            if fields.allSatisfy(\.1.isScalar), fields.count <= 4 {
                return "{" + fields.map { "\(JSON.quoted($0.0)): \($0.1.rendered())" }.joined(separator: ", ") + "}"
            }
            return "{\n" + fields.map { "\(pad)\(JSON.quoted($0.0)): \($0.1.rendered(indent: indent + 2))" }
                .joined(separator: ",\n") + "\n\(close)}"
        }
    }

    var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    /// Parses `bytes`; nil when they are not JSON.
    ///
    /// Keys come back sorted (the parser does not keep their order).
    public static func parse(_ bytes: [UInt8]) -> JSON? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return nil
        }
        return JSON(any: any)
    }

    init?(any: Any) {
        switch any {
        case is NSNull: self = .null
        case let n as NSNumber: self = .number(n.doubleValue) // booleans too: what autoenc reads back has none
        case let s as String: self = .string(s)
        case let a as [Any]:
            var items: [JSON] = []
            for item in a { guard let v = JSON(any: item) else { return nil }; items.append(v) }
            self = .array(items)
        case let d as [String: Any]:
            var fields: [(String, JSON)] = []
            for key in d.keys.sorted() { guard let v = JSON(any: d[key]!) else { return nil }; fields.append((key, v)) }
            self = .object(fields)
        default: return nil
        }
    }
}
