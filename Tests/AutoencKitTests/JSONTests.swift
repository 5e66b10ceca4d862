import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

@Suite struct JSONTests {
    @Test("rendered JSON parses back to the same value (object keys sorted), non-finite numbers as null")
    func roundTrip() throws {
        let value = JSON.object([
            ("b", .array([.number(1), .number(0.1), .number(-2.5e-7), .null])),
            ("a", .object([("s", .string("quote \" backslash \\ newline \n")), ("n", .float(0.001))])),
            ("c", .array([.object([("x", .number(3))]), .array([])])),
        ])
        let parsed = try #require(JSON.parse(Array(value.rendered().utf8)), "\(value.rendered())")
        let sorted = JSON.object([
            ("a", .object([("n", .number(0.001)), ("s", .string("quote \" backslash \\ newline \n"))])),
            ("b", .array([.number(1), .number(0.1), .number(-2.5e-7), .null])),
            ("c", .array([.object([("x", .number(3))]), .array([])])),
        ])
        #expect(parsed == sorted, "\(parsed.rendered())")
        #expect(JSON.finite(.nan).rendered() == "null" && JSON.float(.infinity) == .null
                && JSON.number(.nan).rendered() == "null")
        #expect(JSON.parse(Array("{\"a\": ".utf8)) == nil)
    }

    /// The one string escaper (safetensors headers, --log lines, metrics.json): every
    /// character Foundation's parser reads back as itself, control characters included.
    /// Settings kept as strings become numbers where they are numbers, and nothing else.
    @Test func settingsAsValues() {
        let cases: [(String, JSON)] = [
            ("256", .number(256)), ("0.001", .number(0.001)), ("-3", .number(-3)), ("100.0", .number(100)),
            ("1e-05", .number(1e-05)), ("relu", .string("relu")), ("all", .string("all")), ("none", .string("none")),
            ("18446744073709551615", .string("18446744073709551615")),
            ("0123456789012345", .string("0123456789012345")),
            ("eee4ce60ae2736a6", .string("eee4ce60ae2736a6")), ("", .string("")), ("1.5e3", .number(1500)),
            ("nan", .string("nan")), ("inf", .string("inf")),
        ]
        for (text, expected) in cases { #expect(JSON.setting(text) == expected, "\(text)") }
    }

    /// The one-line form the log and safetensors headers use, and the roundings that keep
    /// the digits their readers rely on.
    @Test func compactAndRounded() {
        let value = JSON.object([("a", .number(1)), ("b", .array([.string("x\""), .null])), ("c", .object([]))])
        #expect(value.compact == "{\"a\":1,\"b\":[\"x\\\"\",null],\"c\":{}}")
        #expect(JSON.rounded(0.013922234, digits: 6).compact == "0.0139222")
        #expect(JSON.rounded(35390.94, digits: 6).compact == "35390.9")
        #expect(JSON.rounded(.nan, digits: 6) == .null && JSON.rounded(.infinity, decimals: 1) == .null)
        #expect(JSON.rounded(12.34, decimals: 1).compact == "12.3" && JSON.rounded(3.0004, decimals: 3).compact == "3")
    }

    @Test func quotedStringsParseBack() throws {
        let text = "q\" b\\ n\n t\t r\r \u{1} \u{1f} é 漢 🙂 </script>"
        #expect(JSON.quoted("a\"b") == "\"a\\\"b\"")
        #expect(JSON.quoted("\u{1}") == "\"\\u0001\"")
        let parsed = try JSONSerialization.jsonObject(with: Data(JSON.quoted(text).utf8), options: [.fragmentsAllowed])
        #expect(parsed as? String == text)
    }
}
