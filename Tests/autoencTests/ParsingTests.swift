import ArgumentParser
import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// Flags are checked before any work: bad values are usage errors (64) naming the flag.
@Suite struct ParsingTests {
    static let badFlags: [(arguments: [String], flag: String)] = [
        (["train", "--drop-p", "1"], "--drop-p"),
        (["train", "--drop-p", "1.5"], "--drop-p"),
        (["train", "--drop-p=-0.1"], "--drop-p"),
        (["train", "--drop-p", "nan"], "--drop-p"),
        (["train", "--drop-p", "inf"], "--drop-p"),
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--epochs=-3"], "--epochs"),
        (["train", "--batch-size", "0"], "--batch-size"),
        (["train", "--batch-size", "1000000000000"], "--batch-size"),
        (["train", "--lr", "0"], "--lr"),
        (["train", "--lr=-0.01"], "--lr"),
        (["train", "--lr", "nan"], "--lr"),
        (["train", "--lr", "inf"], "--lr"),
        (["train", "--lr", "1e39"], "--lr"),
        (["train", "--drop-mode", "dropall"], "--drop-mode"),
        (["train", "--dropconnect-masks", "pixel"], "--dropconnect-masks"),
        (["train", "--activation", "tanh"], "--activation"),
        (["train", "--optimizer", "lbfgs"], "--optimizer"),
        (["train", "--hidden", "0"], "--hidden"),
        (["train", "--threads", "0"], "--threads"),
        (["train", "--limit", "0"], "--limit"),
        (["train", "--seed", "-1"], "--seed"),
        (["train", "--epochs", "ten"], "--epochs"),
        (["train", "--out", ""], "--out"),
        (["train", "--log", "model.safetensors"], "--log"),
        (["train", "--out", "a/m.safetensors", "--log", "a/./m.state.safetensors"], "--log"),
        (["reconstruct", "--count", "0"], "--count"),
        (["weightmap", "--scale", "0"], "--scale"),
        (["weightmap", "--scale", "17"], "--scale"),
    ]

    @Test("bad flag values are usage errors naming the flag", arguments: badFlags)
    func badFlag(arguments: [String], flag: String) {
        expectUsageError(arguments, naming: flag)
    }

    @Test("an unknown flag or subcommand is a usage error")
    func unknown() {
        for arguments in [["train", "--dropout", "0.5"], ["fit"]] {
            #expect(throws: (any Error).self) { try Autoenc.parseAsRoot(arguments) }
            do { _ = try Autoenc.parseAsRoot(arguments) } catch {
                #expect(Autoenc.exitCode(for: error).rawValue == 64)
            }
        }
    }

    @Test("good flags parse into the options given")
    func goodFlags() throws {
        let command = try Autoenc.parseAsRoot(["train", "--drop-p", "0.5", "--drop-mode", "dropconnect",
                                                "--dropconnect-masks", "batch", "--epochs", "3", "--lr", "0.01",
                                                "--resume", "a.safetensors"])
        let train = try #require(command as? Train)
        #expect(train.dropP == 0.5)
        #expect(train.dropMode == .dropconnect)
        #expect(train.model.masks == .batch)
        #expect(train.epochs == 3)
        #expect(train.optimization.lr == 0.01)
        #expect(train.resume == "a.safetensors")
        #expect(train.out == nil)
        #expect(try Autoenc.parseAsRoot(["train", "--drop-p", "0"]) is Train)
        #expect(try Autoenc.parseAsRoot(["train", "--drop-p", "0.999"]) is Train)
    }

    /// Help text with its line wrapping undone.
    static func help(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test("--version prints this build's version and exits 0")
    func version() throws {
        let result = try CLI.run(["--version"], in: URL(fileURLWithPath: NSTemporaryDirectory()))
        #expect(result.status == 0 && result.stdout == Provenance.version + "\n", "\(result)")
    }

    @Test("--help lists every flag with its default and the enum values")
    func help() {
        let train = Self.help(Autoenc.helpMessage(for: Train.self))
        for expected in ["--drop-p <p>", "--drop-mode <mode>", "(values: dropout, dropconnect, gaussian)",
                         "(values: relu, sigmoid)", "(values: example, batch)", "(values: adam, sgd, momentum)",
                         "--epochs <n>", "(default: 10)", "(default: 128)", "(default: 0.001)", "(default: 256)",
                         "--resume <file>", "--out <file>", "model.safetensors", "--log <file>", "--threads <n>",
                         "--force", "model.state.safetensors"] {
            #expect(train.contains(expected), "train --help lacks \(expected)")
        }
        let reconstruct = Self.help(Autoenc.helpMessage(for: Reconstruct.self))
        for expected in ["--model <file>", "(default: model.safetensors)", "(default: reconstructions.pgm)",
                         "(default: 32)"] {
            #expect(reconstruct.contains(expected), "reconstruct --help lacks \(expected)")
        }
        let weightmap = Self.help(Autoenc.helpMessage(for: Weightmap.self))
        #expect(weightmap.contains("(default: weightmap.pgm)"))
        #expect(weightmap.contains("--scale <k>"))
        let root = Autoenc.helpMessage()
        for expected in ["train", "reconstruct", "weightmap"] { #expect(root.contains(expected)) }
    }

    /// A negative number is a value, not a flag: the range check's message, not
    /// "Missing value" (each case failed with "Missing value for ..." before).
    static let negativeValues: [([String], String)] = [
        (["train", "--drop-p", "-0.1"], "--drop-p must be in [0, 1), got -0.1"),
        (["train", "--epochs", "-1"], "--epochs must be at least 1, got -1"),
        (["train", "--hidden", "-5"], "--hidden must be in 1...16384, got -5"),
        (["train", "--lr", "-1"], "--lr must be a positive number, got -1.0"),
        (["train", "--max-norm", "-1"], "--max-norm must be a positive number, got -1.0"),
        (["train", "--input-drop-p", "-0.2"], "--input-drop-p must be in [0, 1), got -0.2"),
        (["train", "--seed", "-1"], "--seed"),
        (["compare", "--threads", "-2"], "--threads must be in 1...1024, got -2"),
        (["weightmap", "--scale", "-3"], "--scale must be in 1...16, got -3"),
    ]

    @Test("negative numbers reach the range checks", arguments: negativeValues)
    func negativeNumbersAreValues(arguments: [String], message: String) {
        do {
            _ = try Autoenc.parseAsRoot(arguments)
            Issue.record("\(arguments) parsed without an error")
        } catch {
            #expect(Autoenc.exitCode(for: error).rawValue == 64, "\(arguments)")
            let text = Autoenc.message(for: error)
            #expect(text.contains(message) && !text.contains("Missing value"), "\(arguments): \(text)")
        }
    }

    /// A usage error is one line on stderr, as the README says (it was four: Error,
    /// Usage, See, and a blank), naming the flag and where the help is.
    @Test(arguments: [(["train", "--drop-p", "2"],
                       "autoenc: --drop-p must be in [0, 1), got 2.0 (see 'autoenc train --help')"),
                      (["train", "--bogus"],
                       "autoenc: Unknown option '--bogus'. Did you mean '--out'? (see 'autoenc train --help')"),
                      (["frob"], "autoenc: Unexpected argument 'frob' (see 'autoenc --help')")])
    func usageErrorsAreOneLine(arguments: [String], line: String) throws {
        let scratch = try Scratch()
        let result = try scratch.run(arguments)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr == line + "\n", "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }
}
