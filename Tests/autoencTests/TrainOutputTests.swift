import AutoencKit
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import autoenc

/// What `train` prints where: no progress bar unless standard error is a terminal,
/// `--quiet`, `--log -`, and the `--plot` chart.
@Suite struct TrainOutputTests {
    /// Runs `autoenc arguments` in `scratch` with standard error a pipe, as in `2>&1 | tee`.
    static func runWithStandardErrorPipe(_ arguments: [String], in scratch: Scratch) throws -> RunResult {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // both outputs are a few hundred bytes, far below a pipe's buffer
        let errBytes = err.fileHandleForReading.readDataToEndOfFile()
        let outBytes = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: outBytes, as: UTF8.self),
                         stderr: String(decoding: errBytes, as: UTF8.self))
    }

    @Test("standard error a pipe: no progress bar, nothing on standard error, one line per epoch on standard output")
    func noBarIntoPipe() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try Self.runWithStandardErrorPipe(tinyTraining(epochs: 2, ["--batch-size", "4"]), in: scratch)
        #expect(result.status == 0, "\(result)")
        #expect(!result.stderr.contains("\r"), "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.count == 2, "\(result)")
    }

    @Test("standard error a terminal: a bar redrawn in place with images/s, loss and ETA, erased after each epoch",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func barOnTerminal() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let command = ([CLI.binary.path] + tinyTraining(epochs: 2, ["--batch-size", "4"])).joined(separator: " ")
        let result = try CLI.run(["-qfc", command, "/dev/null"], in: scratch.url,
                                 executable: URL(fileURLWithPath: "/usr/bin/script"))
        #expect(result.status == 0, "\(result)")
        let screen = result.stdout // script puts the terminal's whole output here
        #expect(screen.contains("\repoch 1/2 ["), "\(screen.debugDescription)")
        for part in ["img/s", "loss 0.", "ETA ", "\u{1B}[K"] {
            #expect(screen.contains(part), "\(part.debugDescription) in \(screen.debugDescription)")
        }
        #expect(screen.contains("\r\u{1B}[Kepoch 1/2  train_loss"),
                "the bar is erased before the epoch's line: \(screen.debugDescription)")
        #expect(screen.contains("saved model.safetensors"))
    }

    @Test("--quiet: nothing on standard output or standard error, the model still saved")
    func quiet() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        for flag in ["--quiet", "-q"] {
            let result = try scratch.run(tinyTraining(epochs: 2, [flag, "--out", "q\(flag).safetensors"]))
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            #expect(result.stderr.isEmpty, "\(result)")
            #expect(scratch.listing().contains("q\(flag).safetensors"))
        }
        // errors still show
        let failed = try scratch.run(tinyTraining(epochs: 1, ["--quiet", "--data", "missing"]))
        #expect(failed.status == 66 && failed.stdout.isEmpty && failed.stderr.contains("missing"), "\(failed)")
    }

    @Test("--log -: standard output holds only the JSON lines, the human lines go to standard error")
    func logToStandardOutput() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(tinyTraining(epochs: 3, ["--log", "-"]))
        #expect(result.status == 0, "\(result)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 4, "\(result)")
        let records = try lines.map { line in
            try #require(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                         "not JSON: \(line)")
        }
        // the run's record first, then an epoch's per line
        let run = try #require(records.first?["run"] as? String)
        #expect(Set(records[0].keys) == ["run", "started", "resumed_at", "autoenc_version", "command",
                                         "blas", "settings"],
                "\(lines[0])")
        for (index, record) in records.dropFirst().enumerated() {
            #expect(Set(record.keys) == ["run", "epoch", "train_loss", "test_mse", "seconds",
                                         "images_per_second"], "\(record)")
            #expect(record["run"] as? String == run)
            #expect((record["epoch"] as? NSNumber)?.intValue == index + 1)
        }
        #expect(result.stderr.contains("epoch 3/3  train_loss"), "\(result)")
        #expect(result.stderr.contains("saved model.safetensors"), "\(result)")
        #expect(!scratch.listing().contains("-"), "no file named -")
    }

    // MARK: - --plot

    @Test("--plot FILE.png after 2 epochs: a PNG of 960x640 (480x320 points at 2x) and no temporary file left")
    func plotPNG() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(tinyTraining(epochs: 2, ["--plot", "loss.png"]))
        #expect(result.status == 0, "\(result)")
        let bytes = try scratch.bytes("loss.png")
        try #require(bytes.count > 33)
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "signature")
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        let word = { (at: Int) in bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        #expect(word(16) == 960 && word(20) == 640, "IHDR \(word(16))x\(word(20))")
        #expect(bytes[24] == 8 && bytes[25] == 2, "8-bit RGB")
        #expect(temporaries(in: scratch).isEmpty, "\(scratch.listing())")
    }

    /// The series' lines in a chart's SVG as cairo writes them: the paths stroked at the
    /// series' width (`LineChart.lineWidth`) reaching across more than half the plot (the
    /// legend's samples are shorter), each as its points.
    static func seriesLines(_ svg: [UInt8]) throws -> [[(x: Double, y: Double)]] {
        final class Collector: NSObject, XMLParserDelegate {
            var paths: [String] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                        qualifiedName: String?, attributes: [String: String] = [:]) {
                if name == "path", attributes["style"]?.contains("stroke-width:1.8;") == true {
                    paths.append(attributes["d"] ?? "")
                }
            }
        }
        let parser = XMLParser(data: Data(svg))
        let collector = Collector()
        parser.delegate = collector
        try #require(parser.parse(), "\(String(describing: parser.parserError))")
        let lines = collector.paths.map { d in
            // "M x y L x y L x y": the numbers in pairs
            let numbers = d.split(separator: " ").compactMap { Double($0) }
            return stride(from: 0, to: numbers.count - 1, by: 2).map { (x: numbers[$0], y: numbers[$0 + 1]) }
        }
        return lines.filter { line in
            guard let low = line.map(\.x).min(), let high = line.map(\.x).max() else { return false }
            return high - low > 200
        }
    }

    @Test("--plot FILE.svg after 2 epochs: XML with the two series' lines of 2 points each, text as glyphs")
    func plotSVG() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(tinyTraining(epochs: 2, ["--plot", "loss.svg"]))
        #expect(result.status == 0, "\(result)")
        let svg = try scratch.bytes("loss.svg")
        let lines = try Self.seriesLines(svg)
        #expect(lines.count == 2 && lines.allSatisfy { $0.count == 2 }, "\(lines)")
        #expect(String(decoding: svg, as: UTF8.self).contains("<use xlink:href=\"#glyph"))
    }

    @Test("--plot FILE.pdf after 1 epoch: a PDF")
    func plotPDF() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(tinyTraining(epochs: 1, ["--plot", "loss.pdf"]))
        #expect(result.status == 0, "\(result)")
        #expect(try scratch.bytes("loss.pdf").starts(with: Array("%PDF-".utf8)))
    }

    @Test("--plot with another extension is a usage error before training; nothing is written")
    func plotBadExtension() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try scratch.run(tinyTraining(epochs: 1, ["--plot", "loss.eps"]))
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("--plot loss.eps: expected a file name ending in .png, .svg or .pdf"),
                "\(result)")
        #expect(scratch.listing() == ["data"])
    }

    /// Counts of one are singular: "1 thread" in train's model line, "1 unit" in
    /// weightmap's report (they said "1 threads" and "1 units").
    @Test func oneIsSingular() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let train = try scratch.run(tinyTraining(epochs: 1, ["--hidden", "1"]))
        #expect(train.status == 0, "\(train)")
        #expect(train.stdout.contains(", 1 thread, BLAS"), "\(train)")
        let map = try scratch.run(["weightmap"])
        #expect(map.status == 0, "\(map)")
        #expect(map.stdout.contains("(1 unit, "), "\(map)")
    }

    /// More threads than cores only ran slower (`--threads 1000` on 2 cores trained 10x
    /// slower): the request is capped at the cores, with a line on standard error.
    @Test func threadsAreCappedAtTheCores() throws {
        #expect(Limits.threadsToUse(1000, cores: 2) == 2)
        #expect(Limits.threadsToUse(2, cores: 2) == 2)
        #expect(Limits.threadsToUse(1, cores: 2) == 1)
        #expect(Limits.threadsToUse(nil, cores: 3) == 3)
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let result = try scratch.run(tinyTraining(epochs: 1) + ["--threads", "1000"])
        #expect(result.status == 0, "\(result)")
        let capped = "autoenc: --threads 1000: this machine has \(counted(cores, "core")); using \(cores)"
        #expect(result.stderr.contains(capped), "\(result)")
        #expect(result.stdout.contains(", \(counted(cores, "thread")), BLAS"), "\(result)")
    }

    /// -q on reconstruct, weightmap and compare: the files, and nothing on stdout.
    @Test func quietCommandsPrintNothing() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        #expect(try scratch.run(tinyTraining(epochs: 1, ["-q"])).status == 0)
        for arguments in [["reconstruct", "--data", "data", "-q"], ["weightmap", "-q"],
                          ["compare", "--out", "cmp", "-q"] + CompareCommandTests.tiny] {
            let result = try scratch.run(arguments)
            #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty, "\(arguments): \(result)")
        }
        #expect(scratch.listing().contains("reconstructions.pgm") && scratch.listing().contains("weightmap.pgm"))
        #expect(scratch.listing("cmp").contains("metrics.json"))
    }

    /// reconstruct --scale K magnifies the sheet K times, as weightmap's does.
    @Test func reconstructScales() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        #expect(try scratch.run(tinyTraining(epochs: 1, ["-q"])).status == 0)
        #expect(try scratch.run(["reconstruct", "--data", "data", "--count", "4", "--out", "one.pgm"]).status == 0)
        #expect(try scratch.run(["reconstruct", "--data", "data", "--count", "4", "--out", "two.pgm", "--scale",
                                 "2"]).status == 0)
        func size(_ name: String) throws -> (Int, Int) {
            let text = String(decoding: try scratch.bytes(name).prefix(20),
                              as: UTF8.self).split(whereSeparator: \.isWhitespace)
            return (Int(text[1]) ?? 0, Int(text[2]) ?? 0)
        }
        let (w1, h1) = try size("one.pgm"), (w2, h2) = try size("two.pgm")
        #expect(w1 > 0 && w2 == 2 * w1 && h2 == 2 * h1, "\(w1)x\(h1) scaled to \(w2)x\(h2)")
    }

    /// SGD with Adam's default rate barely moves: train says so when --lr was not given.
    @Test func sgdWithTheDefaultRateIsNoted() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let plain = try scratch.run(tinyTraining(epochs: 1, ["--optimizer", "sgd"]))
        #expect(plain.status == 0 && plain.stdout.contains("note: --lr 0.001 is Adam's default; with --optimizer sgd"),
                "\(plain)")
        let given = try scratch.run(tinyTraining(epochs: 1, ["--optimizer", "sgd", "--lr", "0.5", "--out",
                                                             "b.safetensors"]))
        #expect(given.status == 0 && !given.stdout.contains("note:"), "\(given)")
    }

    /// An epoch resumed part-way says so in its record; a whole one does not.
    @Test func partialEpochsAreMarked() {
        var report = EpochReport(epoch: 3, steps: 2, completed: true, startingStep: 4, trainLoss: 0.5, testMSE: 0.25,
                                 seconds: 1, imagesPerSecond: 10)
        #expect(report.json(run: "abc").contains("\"resumed_from_step\":4"), "\(report.json(run: "abc"))")
        report.startingStep = 0
        #expect(!report.json(run: "abc").contains("resumed_from_step"))
    }

    /// After --resume, --plot draws the epochs before the resume too (it drew only the
    /// new ones).
    @Test func plotAfterResumeHasEveryEpoch() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        #expect(try scratch.run(tinyTraining(epochs: 2, ["-q"])).status == 0)
        let resumed = try scratch.run(tinyTraining(epochs: 3, ["--resume", "model.safetensors", "--plot",
                                                               "loss.svg", "-q"]))
        #expect(resumed.status == 0, "\(resumed)")
        let lines = try Self.seriesLines(try scratch.bytes("loss.svg"))
        #expect(lines.count == 2 && lines.allSatisfy { $0.count == 3 }, "\(lines)")
    }
}
