import AutoencKit
import Foundation
import Testing
@testable import autoenc
#if canImport(Glibc)
import Glibc
#endif

/// What a finished `autoenc` run left: its exit status and output.
struct RunResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Runs the built `autoenc` binary as a subprocess, the way a user does.
enum CLI {
    /// The `autoenc` executable built beside this test bundle (`<scratch>/debug/autoenc`);
    /// `AUTOENC_BINARY` overrides.
    static let binary: URL = {
        if let given = ProcessInfo.processInfo.environment["AUTOENC_BINARY"] { return URL(fileURLWithPath: given) }
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        for bundle in Bundle.allBundles { candidates.append(bundle.bundleURL.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent("autoenc")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue,
               FileManager.default.isExecutableFile(atPath: url.path) {
                return url
            }
        }
        return candidates[0].appendingPathComponent("autoenc")
    }()

    /// Starts `autoenc arguments` in `directory`, its output going to files there.
    /// `environment` adds to (or overrides) the test's own environment.
    static func start(_ arguments: [String], in directory: URL, name: String = "run",
                      executable: URL = binary, environment: [String: String] = [:]) throws -> (Process, URL, URL) {
        let out = directory.appendingPathComponent(".\(name).stdout")
        let err = directory.appendingPathComponent(".\(name).stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Runs `autoenc arguments` in `directory` to the end. Output files are named with
    /// a leading dot and removed afterwards, so they never count as files the run made.
    static func run(_ arguments: [String], in directory: URL, executable: URL = binary,
                    environment: [String: String] = [:]) throws -> RunResult {
        let (process, out, err) = try start(arguments, in: directory, executable: executable, environment: environment)
        wait(process, arguments)
        return finish(process, out, err)
    }

    /// Waits for `process` to end; after `limit` seconds (a hang: far longer than any of
    /// these runs takes) records an issue and kills it.
    static func wait(_ process: Process, _ what: [String], limit: TimeInterval = 300) {
        let deadline = Date().addingTimeInterval(limit)
        while process.isRunning {
            if Date() > deadline {
                Issue.record("autoenc \(what) still running after \(Int(limit)) s; killed")
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
    }

    static func finish(_ process: Process, _ out: URL, _ err: URL) -> RunResult {
        let result = RunResult(status: process.terminationStatus,
                               stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
        return result
    }
}

/// A temporary directory for one test, removed when the test ends.
final class Scratch {
    let url: URL

    init() throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoencTests-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        url = base
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The names of the directory's entries (hidden ones included), sorted.
    func listing(_ sub: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: sub.isEmpty ? url.path : path(sub))) ?? []).sorted()
    }

    func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url.appendingPathComponent(name)))
    }

    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func makeDirectory(_ name: String) throws {
        try FileManager.default.createDirectory(at: url.appendingPathComponent(name), withIntermediateDirectories: true)
    }

    /// Runs `autoenc` here.
    func run(_ arguments: [String]) throws -> RunResult { try CLI.run(arguments, in: url) }

    /// Runs `autoenc` here with writes limited to about 20 KB (`ulimit -f 40`) and
    /// SIGXFSZ ignored, so that a larger write fails with EFBIG, as on a full disk.
    func runWithSmallFileLimit(_ arguments: [String]) throws -> RunResult {
        try CLI.run(["-c", "ulimit -f 40 && trap '' XFSZ && exec \"$0\" \"$@\"", CLI.binary.path] + arguments,
                    in: url, executable: URL(fileURLWithPath: "/bin/sh"))
    }
}

/// Small MNIST-style data sets, generated: blurred strokes on black, deterministic.
enum Fixtures {
    static let trainCount = 96
    static let testCount = 24

    /// An IDX images file holding `images` (count x 784 bytes).
    static func idxImages(_ images: [UInt8], count: Int, rows: Int = 28, columns: Int = 28) -> [UInt8] {
        var out: [UInt8] = []
        for word in [UInt32(0x0000_0803), UInt32(count), UInt32(rows), UInt32(columns)] {
            withUnsafeBytes(of: word.bigEndian) { out += $0 }
        }
        return out + images
    }

    static func images(count: Int, seed: UInt64) -> [UInt8] {
        var rng = RandomStream(seed: seed, .probe)
        var pixels = [UInt8](repeating: 0, count: count * 784)
        for i in 0..<count {
            let cx = 8 + Int(rng.next() % 12), cy = 8 + Int(rng.next() % 12), r = 3 + Int(rng.next() % 6)
            for y in 0..<28 {
                for x in 0..<28 {
                    let d = abs((x - cx) * (x - cx) + (y - cy) * (y - cy) - r * r)
                    if d < 2 * r { pixels[i * 784 + y * 28 + x] = UInt8(255 - 100 * d / (2 * r)) }
                }
            }
        }
        return pixels
    }

    /// Writes train and test image files (plain IDX) into `directory` of `scratch`.
    static func write(into scratch: Scratch, directory: String = "data", train: Int = trainCount,
                      test: Int = testCount) throws {
        try scratch.makeDirectory(directory)
        try scratch.write(idxImages(images(count: train, seed: 1), count: train),
                          to: directory + "/" + DataLocation.trainImages)
        try scratch.write(idxImages(images(count: test, seed: 2), count: test),
                          to: directory + "/" + DataLocation.testImages)
    }
}

/// The flags of a tiny, fast, reproducible training run on `Fixtures` in `data/`.
func tinyTraining(epochs: Int, _ more: [String] = []) -> [String] {
    ["train", "--data", "data", "--hidden", "16", "--batch-size", "16", "--threads", "1", "--epochs",
     String(epochs)] + more
}

/// The tensor bytes of a safetensors file (everything after the header), and its header keys.
func safetensorsParts(_ bytes: [UInt8]) throws -> (keys: Set<String>, data: ArraySlice<UInt8>) {
    try #require(bytes.count >= 8)
    let length = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    try #require(8 + length <= bytes.count)
    let object = try JSONSerialization.jsonObject(with: Data(bytes[8..<8 + length])) as? [String: Any]
    let header = try #require(object)
    return (Set(header.keys), bytes[(8 + length)...])
}

/// Temporary files an atomic write might have left (`.NAME.tmp-PID`).
func temporaries(in scratch: Scratch, _ sub: String = "") -> [String] {
    scratch.listing(sub).filter { $0.contains(".tmp-") }
}

/// Checks that parsing `arguments` fails with a usage error (exit 64) whose message
/// names `flag`: the check every command's bad-flag test shares.
func expectUsageError(_ arguments: [String], naming flag: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try Autoenc.parseAsRoot(arguments)
        Issue.record("\(arguments) parsed without an error", sourceLocation: sourceLocation)
    } catch {
        #expect(Autoenc.exitCode(for: error).rawValue == 64, "\(arguments)", sourceLocation: sourceLocation)
        let message = Autoenc.message(for: error)
        #expect(message.contains(flag), "\(arguments): \(message)", sourceLocation: sourceLocation)
    }
}
