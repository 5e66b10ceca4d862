import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// The status line of long evaluations (`reconstruct --inference sample:K`,
/// `activations`): never on a standard error that is no terminal, nor with -q; on a
/// terminal, once the work has run for a second, then erased.
@Suite struct EvaluationProgressTests {
    /// Test images enough for sample:1000 on 16 hidden units to run for a few seconds in
    /// a debug build (900 x 16 x 1000 draws), with labels for the probe.
    static let testImages = 900

    /// Fixture images and labels in data/, and a DropConnect model trained on them in
    /// model.safetensors.
    static func dropConnectModel(_ scratch: Scratch) throws {
        try Fixtures.write(into: scratch, test: testImages)
        for (name, count) in [(DataLocation.trainLabels, Fixtures.trainCount), (DataLocation.testLabels, testImages)] {
            var bytes: [UInt8] = []
            for word in [UInt32(0x0000_0801), UInt32(count)] {
                withUnsafeBytes(of: word.bigEndian) { bytes += $0 }
            }
            try scratch.write(bytes + (0..<count).map { UInt8($0 % 10) }, to: "data/" + name)
        }
        let train = try scratch.run(tinyTraining(epochs: 1, ["--drop-p", "0.5", "--drop-mode", "dropconnect"]))
        try #require(train.status == 0, "\(train)")
    }

    static let sampling = ["reconstruct", "--data", "data", "--count", "4", "--inference", "sample:1000"]
    static let measuring = ["activations", "--data", "data", "--threads", "1"]

    @Test("standard error a file: reconstruct and activations print nothing there, however long they take")
    func nothingWithoutTerminal() throws {
        let scratch = try Scratch()
        try Self.dropConnectModel(scratch)
        let reconstruct = try scratch.run(Self.sampling)
        #expect(reconstruct.status == 0, "\(reconstruct)")
        #expect(reconstruct.stderr.isEmpty, "\(reconstruct)")
        #expect(reconstruct.stdout.hasPrefix("test_mse ") && reconstruct.stdout.contains("(inference sample:1000)"),
                "\(reconstruct)")
        let activations = try scratch.run(Self.measuring)
        #expect(activations.status == 0, "\(activations)")
        #expect(activations.stderr.isEmpty, "\(activations)")
        #expect(activations.stdout.contains("test_mse_sample\(Diagnostics.dropConnectSamples)"), "\(activations)")
        #expect(!activations.stdout.contains("\r") && !activations.stdout.contains("\u{1B}"), "\(activations)")
    }

    /// Runs `arguments` under `script`, on a pseudo-terminal that stands for both
    /// outputs; returns what the terminal received and the seconds the run took.
    static func onTerminal(_ arguments: [String], in scratch: Scratch) throws -> (output: String, seconds: Double) {
        let command = ([CLI.binary.path] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let start = Date()
        let result = try CLI.run(["-qec", command, "/dev/null"], in: scratch.url,
                                 executable: URL(fileURLWithPath: "/usr/bin/script"))
        #expect(result.status == 0, "\(result)")
        return (result.stdout, Date().timeIntervalSince(start))
    }

    /// On a terminal the line names the work and its counts, and is erased before the
    /// results are printed; when the run was quicker than the line's delay (a release
    /// build), nothing is drawn at all. -q draws nothing either way.
    @Test("on a terminal: a status line once the work has run for a second, erased before the results",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func terminal() throws {
        let scratch = try Scratch()
        try Self.dropConnectModel(scratch)
        let (output, seconds) = try Self.onTerminal(Self.sampling, in: scratch)
        let result = try #require(output.range(of: "test_mse "))
        let before = output[..<result.lowerBound]
        if seconds > StatusLine.delay + 1.5 {
            #expect(before.hasPrefix("\rsampling inference (1000 draws) "), "\(seconds) s: \(output.debugDescription)")
            #expect(before.contains("/\(Self.testImages) images"), "\(output.debugDescription)")
            #expect(before.hasSuffix("\r\u{1B}[K"), "the line is not erased: \(output.debugDescription)")
        } else if seconds < StatusLine.delay {
            #expect(before.isEmpty, "\(seconds) s: \(output.debugDescription)")
        }
        let (quiet, _) = try Self.onTerminal(Self.sampling + ["-q"], in: scratch)
        #expect(quiet.isEmpty, "\(quiet.debugDescription)")
    }

    @Test("help: both commands tell of the status line")
    func help() {
        for command in [Autoenc.helpMessage(for: Activations.self), Autoenc.helpMessage(for: Reconstruct.self)] {
            #expect(command.contains("a status line on") && command.contains("-q, --quiet"), "\(command)")
        }
    }
}
