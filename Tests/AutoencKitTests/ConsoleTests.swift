import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Where a command's human lines go (`Console`): the writing itself is checked end to end
/// by the command tests, which read standard output and standard error apart.
@Suite struct ConsoleTests {
    @Test("standard output; standard error when --log - holds standard output; nowhere when quiet", arguments: [
        (false, nil, .standardOutput), (false, "run.jsonl", .standardOutput), (false, "-", .standardError),
        (true, nil, .nowhere), (true, "run.jsonl", .nowhere), (true, "-", .nowhere),
    ] as [(Bool, String?, Console.Destination)])
    func destination(quiet: Bool, log: String?, expected: Console.Destination) {
        let console = Console(quiet: quiet, log: log)
        #expect(console.destination == expected)
        #expect(Console.destination(quiet: quiet, log: log) == expected)
        #expect(console.quiet == quiet, "progress bars and status lines follow -q alone, not --log")
    }

    /// The "run it again" line: the program's path replaced by autoenc, an argument
    /// holding a space or another character the shell reads quoted, so that pasting it back
    /// gives the same arguments.
    @Test func commandLineAsTyped() {
        #expect(Console.commandLine(["/usr/local/bin/autoenc", "compare", "--out", "my runs", "--seeds", "3"])
                == "autoenc compare --out 'my runs' --seeds 3")
        #expect(Console.commandLine(["autoenc"]) == "autoenc")
        #expect(Console.commandLine(["autoenc", "train", "--out", "it's", "--data", "$HOME/d"])
                == "autoenc train --out 'it'\\''s' --data '$HOME/d'")
    }

    /// An error as the user is told it: the library's own as it is; any other (a system
    /// error the library did not wrap) an I/O error, 74, with the system's description.
    @Test func errorsAsReported() {
        let own = AutoencError(reporting: AutoencError(.noInput, "data: no such file"))
        #expect(own.status == .noInput && own.message == "data: no such file")
        let system = CocoaError(.fileWriteOutOfSpace)
        let other = AutoencError(reporting: system)
        #expect(other.status == .ioError && other.message == system.localizedDescription && !other.message.isEmpty)
    }
}
