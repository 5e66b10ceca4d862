import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// A fresh temporary directory, removed (with everything in it) when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/autoenc-tests-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw AutoencError(.cannotCreate, "cannot create a temporary directory")
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `bytes` to `name` in this directory and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Small IDX files built in memory (`Deflate.gzip` makes the gzipped ones).
enum Fixtures {
    static let imageMagic: UInt32 = 0x0000_0803
    static let labelMagic: UInt32 = 0x0000_0801

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }

    /// An IDX header: magic then each dimension, big-endian.
    static func header(magic: UInt32, _ dimensions: [UInt32]) -> [UInt8] {
        bigEndian(magic) + dimensions.flatMap(bigEndian)
    }

    /// Deterministic pixel bytes for `count` images of `rows` x `cols`.
    static func pixels(count: Int, rows: Int = 28, cols: Int = 28, salt: Int = 0) -> [UInt8] {
        (0..<count * rows * cols).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ salt &* 7 &+ ($0 >> 5)) % 256) }
    }

    /// A complete images file: header and the pixels of `pixels(count:)`.
    static func images(count: Int, rows: Int = 28, cols: Int = 28, salt: Int = 0) -> [UInt8] {
        header(magic: imageMagic, [UInt32(count), UInt32(rows), UInt32(cols)])
            + pixels(count: count, rows: rows, cols: cols, salt: salt)
    }

    /// A complete labels file.
    static func labels(_ values: [UInt8]) -> [UInt8] {
        header(magic: labelMagic, [UInt32(values.count)]) + values
    }

    /// Reads a little-endian UInt32 at `offset`.
    static func littleEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    static func setLittleEndian(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) }
    }
}

// MARK: - Checks shared by the test files

/// Runs `body` and returns the AutoencError it throws; records an issue when it throws
/// nothing or something else.
func expectAutoencError(_ status: AutoencKit.ExitStatus, naming file: String? = nil, containing parts: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected AutoencError \(status) (\(status.rawValue)), nothing was thrown",
                     sourceLocation: sourceLocation)
    } catch let error as AutoencError {
        #expect(error.status == status, "status \(error.status) for message: \(error.userMessage)",
                sourceLocation: sourceLocation)
        if let file {
            #expect(error.userMessage.contains(file), "message does not name \(file): \(error.userMessage)",
                    sourceLocation: sourceLocation)
        }
        for part in parts {
            #expect(error.userMessage.contains(part), "message lacks \"\(part)\": \(error.userMessage)",
                    sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected AutoencError \(status), got \(type(of: error)): \(error)",
                     sourceLocation: sourceLocation)
    }
}

/// The largest absolute difference between two float sequences, with where it occurs.
func largestDifference(_ a: [Float], _ b: [Float]) -> (index: Int, difference: Float) {
    precondition(a.count == b.count)
    var worst = (index: 0, difference: Float(0))
    for i in a.indices {
        let d = abs(a[i] - b[i])
        if d > worst.difference || d.isNaN { worst = (i, d) }
    }
    return worst
}

/// A description of a comparison for failure messages: the largest difference and the
/// first few values of each side.
func comparison(_ actual: [Float], _ expected: [Float], first: Int = 5) -> String {
    let worst = largestDifference(actual, expected)
    let k = min(first, actual.count)
    let pair = "\(actual[worst.index]) vs \(expected[worst.index])"
    return "largest difference \(worst.difference) at \(worst.index) (\(pair)); "
        + "first actual \(Array(actual[0..<k])), first expected \(Array(expected[0..<k]))"
}

/// Whether `x` replaces `worst` as the worst value seen so far: when larger, and a NaN
/// always, which then stays. `x > worst` is false for a NaN, and Swift's `max` returns its
/// first argument when the second is NaN, so either let a NaN result pass.
func isWorse<T: FloatingPoint>(_ x: T, than worst: T) -> Bool { !worst.isNaN && !(x <= worst) }

/// The larger of `worst` and `x`, a NaN winning and staying (`isWorse`).
func worse<T: FloatingPoint>(_ worst: T, _ x: T) -> T { isWorse(x, than: worst) ? x : worst }

/// The largest of difference(k) / bound(k) over `indices`, and where: an exact match
/// counts 0 whatever its bound (0 / 0 would be NaN), and the first NaN (a NaN compared)
/// wins (`isWorse`). Checking `!(ratio <= worst)` instead kept the last ratio after the
/// first 0 / 0, so a wrong value before it went unseen.
func worstRatio(_ indices: Range<Int>, difference: (Int) -> Double, bound: (Int) -> Double)
    -> (ratio: Double, index: Int) {
    var worst = (ratio: 0.0, index: indices.lowerBound)
    for k in indices {
        let d = difference(k)
        if d == 0 { continue }
        let ratio = d / bound(k)
        if isWorse(ratio, than: worst.ratio) { worst = (ratio, k) }
    }
    return worst
}

/// A simple seeded generator for test data, independent of the library's RandomStream.
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &+ 0x1234_5678 }
    mutating func next() -> UInt64 {
        // xorshift64*
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    /// Uniform in [low, high).
    mutating func float(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) * 0x1p-24
    }
    mutating func floats(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
        (0..<count).map { _ in float(low, high) }
    }
}

/// The scalar sigmoid tests check the kernels against: the C library's expf.
func sigmoid(_ x: Float) -> Float {
    1 / (1 + expf(-x))
}
