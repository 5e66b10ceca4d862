@testable import AutoencCore
@testable import AutoencKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A local HTTP server for a directory: `python3 -m http.server` on 127.0.0.1, on a port
/// the system picks. Killed (SIGKILL: the test runner's children inherit SIGTERM blocked)
/// when released.
final class FileServer {
    static let python = "/usr/bin/python3"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    let process = Process()
    private(set) var port = 0
    var url: String { "http://127.0.0.1:\(port)/" }

    init(serving directory: URL) throws {
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory.path, "0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while port == 0, Date() < deadline, process.isRunning {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(20_000); continue }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: " port "),
               let number = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                port = number
            }
        }
        try #require(port > 0, "http.server did not start: \(text)")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// `autoenc download` against a local server: nothing here touches the internet, so the
/// real mirrors and the built-in MD5 sums of the real files are not exercised.
@Suite(.enabled(if: FileServer.available, "needs /usr/bin/python3 for a local HTTP server"))
struct DownloadCommandTests {
    /// Serves four small gzipped IDX files (images and labels) from `served/` in `scratch`
    /// and writes their MD5 list to `sums.txt` (an entry replaced by `override`).
    static func mirror(in scratch: Scratch, override: [String: String] = [:]) throws -> FileServer {
        try scratch.makeDirectory("served")
        let train = 32, test = 8
        let files: [(String, [UInt8])] = [
            (DataLocation.trainImages, Fixtures.idxImages(Fixtures.images(count: train, seed: 1), count: train)),
            (DataLocation.trainLabels, labels(count: train)),
            (DataLocation.testImages, Fixtures.idxImages(Fixtures.images(count: test, seed: 2), count: test)),
            (DataLocation.testLabels, labels(count: test)),
        ]
        var sums = ""
        for (name, bytes) in files {
            let gz = Deflate.gzip(bytes)
            try scratch.write(gz, to: "served/\(name).gz")
            sums += "\(name).gz \(override["\(name).gz"] ?? MD5.hex(gz))\n"
        }
        try scratch.write(Array(sums.utf8), to: "sums.txt")
        return try FileServer(serving: scratch.url.appendingPathComponent("served"))
    }

    static func labels(count: Int) -> [UInt8] {
        var out: [UInt8] = []
        for word in [UInt32(0x0000_0801), UInt32(count)] { withUnsafeBytes(of: word.bigEndian) { out += $0 } }
        return out + (0..<count).map { UInt8($0 % 10) }
    }

    /// Runs `autoenc download` with the test checksum list.
    static func download(_ arguments: [String], in scratch: Scratch) throws -> RunResult {
        try CLI.run(["-c", "AUTOENC_DOWNLOAD_CHECKSUMS=sums.txt exec \"$0\" \"$@\"", CLI.binary.path,
                     "download"] + arguments,
                    in: scratch.url, executable: URL(fileURLWithPath: "/bin/sh"))
    }

    @Test("four verified files that load; a second run skips them all")
    func success() throws {
        let scratch = try Scratch()
        let server = try Self.mirror(in: scratch)
        let result = try Self.download(["mnist", "--to", "mnist", "--mirror", server.url], in: scratch)
        #expect(result.status == 0, "\(result)")
        #expect(scratch.listing("mnist") == KnownDataSet.fileNames.sorted())
        for name in KnownDataSet.fileNames {
            #expect(try scratch.bytes("mnist/\(name)") == scratch.bytes("served/\(name)"), "\(name)")
            let info = try scratch.run(["info", "mnist/\(name)"])
            #expect(info.status == 0, "\(info)")
            #expect(info.stdout.contains(name.contains("images") ? "images" : "labels"), "\(info)")
        }
        let again = try Self.download(["mnist", "--to", "mnist", "--mirror", server.url], in: scratch)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.components(separatedBy: "skipped").count - 1 == 4, "\(again)")
        // and the set trains
        let train = try scratch.run(["train", "--data", "mnist", "--hidden", "8", "--epochs", "1", "--threads", "1",
                                     "-q", "--out", "m.safetensors"])
        #expect(train.status == 0, "\(train)")
    }

    /// The build tree is no place for data: an installed binary downloads into the user's
    /// data folder, and a bare --data NAME finds the set there from any directory.
    @Test("without --to, download writes into $AUTOENC_DATA/NAME, and --data NAME finds it from any directory")
    func userDataFolder() throws {
        let scratch = try Scratch()
        let server = try Self.mirror(in: scratch)
        let environment = ["AUTOENC_DATA": scratch.path("store")]
        let result = try CLI.run(["-c", "AUTOENC_DOWNLOAD_CHECKSUMS=sums.txt exec \"$0\" \"$@\"", CLI.binary.path,
                                  "download", "mnist",
                                  "--mirror", server.url], in: scratch.url, executable: URL(fileURLWithPath: "/bin/sh"),
                                 environment: environment)
        #expect(result.status == 0, "\(result)")
        #expect(scratch.listing("store/mnist") == KnownDataSet.fileNames.sorted(), "\(scratch.listing())")
        try scratch.makeDirectory("elsewhere")
        let train = try CLI.run(["train", "--data", "mnist", "--hidden", "8", "--epochs", "1", "--threads", "1", "-q",
                                 "--out", "m.safetensors"],
                                in: scratch.url.appendingPathComponent("elsewhere"), environment: environment)
        #expect(train.status == 0, "\(train)")
    }

    @Test("a wrong checksum: 65 naming the file with both sums; that file and no temporary written",
          arguments: ["train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
    func wrongChecksum(file: String) throws {
        let scratch = try Scratch()
        let wrong = String(repeating: "0", count: 32)
        let server = try Self.mirror(in: scratch, override: [file: wrong])
        let result = try Self.download(["kmnist", "--to", "out/kmnist", "--mirror", server.url], in: scratch)
        #expect(result.status == 65, "\(result)")
        let actual = MD5.hex(try scratch.bytes("served/\(file)"))
        for part in [file, "expected \(wrong)", "found \(actual)"] {
            #expect(result.stderr.contains(part), "\(part) in \(result)")
        }
        let written = scratch.listing("out/kmnist")
        #expect(!written.contains(file))
        #expect(!written.contains { $0.contains(".tmp-") }, "\(written)")
        // the files fetched before it were verified and stay; the first one failing leaves no directory
        let before = KnownDataSet.fileNames.prefix { $0 != file }
        #expect(written == before.sorted(), "\(written)")
        if before.isEmpty { #expect(!scratch.listing("out").contains("kmnist")) }
    }

    @Test("an unreachable mirror: 74 with a one-line message naming the URL, no files")
    func unreachable() throws {
        let scratch = try Scratch()
        let result = try scratch.run(["download", "fashion-mnist", "--to", "fm", "--mirror", "http://127.0.0.1:1/"])
        #expect(result.status == 74, "\(result)")
        #expect(result.stderr.hasPrefix("autoenc: http://127.0.0.1:1/train-images-idx3-ubyte.gz: cannot download"),
                "\(result)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result)")
        #expect(!scratch.listing().contains("fm"), "\(scratch.listing())")
    }

    @Test("a mirror without the files: 74 naming the HTTP status")
    func notFound() throws {
        let scratch = try Scratch()
        let server = try Self.mirror(in: scratch)
        let result = try Self.download(["mnist", "--to", "m", "--mirror", server.url + "elsewhere/"], in: scratch)
        #expect(result.status == 74, "\(result)")
        #expect(result.stderr.contains("HTTP 404"), "\(result)")
        #expect(!scratch.listing().contains("m"))
    }

    @Test("bad arguments are usage errors", arguments: [["cifar"], ["mnist", "--mirror", "ftp://example.org/"],
                                                        ["mnist", "--to", ""]])
    func usage(arguments: [String]) throws {
        let scratch = try Scratch()
        let result = try scratch.run(["download"] + arguments)
        #expect(result.status == 64, "\(result)")
        #expect(scratch.listing().isEmpty)
    }
}
