import Testing
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
}
