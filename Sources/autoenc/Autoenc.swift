import ArgumentParser
import AutoencKit
import Foundation

@main
struct Autoenc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoenc",
        abstract: "Train 784-256-784 autoencoders with dropout or DropConnect on MNIST-style data.",
        discussion: """
            Train a model, then look at what it learned:
              autoenc train --drop-p 0.5     writes model.safetensors
              autoenc reconstruct            writes reconstructions.pgm, prints the test MSE
              autoenc weightmap              writes weightmap.pgm
            --drop-p is PyTorch's probability of dropping; the dropout paper's p is 1 - drop-p.
            """,
        version: Provenance.version,
        subcommands: [Train.self, Reconstruct.self, Weightmap.self, Info.self, Bench.self, Compare.self, SweepCommand.self, Activations.self, Download.self]
    )

    static func main() {
        BLASRuntime.ensureBestKernels()
        Console.lineBufferStandardOutput()
        do {
            // a bad AUTOENC_KERNELS is refused before anything runs
            try reportingErrors { _ = try KernelLevel.requested() }
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            // help, and a run whose error is already printed (ExitCode), as ArgumentParser does
            guard code.rawValue == ExitStatus.usage.rawValue, !(error is ExitCode) else { exit(withError: error) }
            Console.error(usageLine(for: error))
            Foundation.exit(code.rawValue)
        }
    }
}

extension Autoenc {
    /// A usage error as one line: "autoenc: MESSAGE (see 'autoenc train --help')".
    static func usageLine(for error: Error) -> String {
        let full = fullMessage(for: error)
        var line = "autoenc: " + message(for: error)
        if let start = full.range(of: "See '"), let end = full[start.upperBound...].firstIndex(of: "'") {
            line += " (see '\(full[start.upperBound..<end])')"
        }
        return line
    }
}

/// Runs `body`, turning its errors into a one-line message on stderr and the error's
/// exit status (sysexits, `AutoencError(reporting:)`). `ExitCode`s pass through.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let failure = AutoencError(reporting: error)
        Console.error("autoenc: \(failure.userMessage)")
        throw ExitCode(failure.status.rawValue)
    }
}
