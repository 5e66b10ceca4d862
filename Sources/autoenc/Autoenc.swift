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
              autoenc train --drop-p 0.5   writes model.safetensors
              autoenc reconstruct          writes reconstructions.pgm, prints the test MSE
              autoenc weightmap            writes weightmap.pgm

            --drop-p is PyTorch's probability of dropping; the dropout paper's p is 1 - drop-p.

            \(exitStatuses)
            """,
        version: Provenance.version,
        subcommands: [Train.self, Reconstruct.self, Weightmap.self, Info.self, Bench.self, Compare.self,
                      SweepCommand.self, Activations.self, Download.self]
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
    /// The exit statuses, a line each (`  66   a missing input: ...`) under "Exit status:",
    /// for `--help` and the man page (whose EXIT STATUS section Scripts/install makes of it).
    static var exitStatuses: String {
        let lines = [(0, "done")] + ExitStatus.allCases.map { (Int($0.rawValue), $0.meaning) }
        return "Exit status:\n" + lines.map { code, meaning in
            "  " + "\(code)".padding(toLength: 5, withPad: " ", startingAt: 0) + meaning
        }.joined(separator: "\n")
    }

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

extension ExitStatus {
    /// What the status tells a user, as `autoenc --help` lists it.
    var meaning: String {
        switch self {
        case .diverged: "training diverged: a loss or weight stopped being finite"
        case .usage: "bad flags, or an AUTOENC_KERNELS this CPU does not run"
        case .dataError: "bad data: a data, gzip or checkpoint file that is not what it claims"
        case .noInput: "a missing input: data directory, data file or checkpoint"
        case .unavailable: "not enough memory for what was asked"
        case .cannotCreate: "an output that cannot be created, or that another run is writing"
        case .ioError: "an I/O error while reading or writing; the previous file is intact"
        case .interrupted: "stopped by SIGINT (Ctrl-C), after saving what was finished"
        case .terminated: "stopped by SIGTERM, likewise"
        }
    }
}
