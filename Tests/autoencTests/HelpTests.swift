import ArgumentParser
import AutoencKit
import Testing
@testable import autoenc

/// Each command's help is true for that command, though flag groups are shared: it names
/// no flag the command lacks, says each default once, and says what the command draws.
@Suite struct HelpTests {
    static let commands: [(String, ParsableCommand.Type)] = [
        ("train", Train.self), ("reconstruct", Reconstruct.self), ("weightmap", Weightmap.self), ("info", Info.self),
        ("bench", Bench.self), ("compare", Compare.self), ("sweep", SweepCommand.self),
        ("activations", Activations.self), ("download", Download.self),
    ]

    /// The help's flags, each with its help text (line wrapping undone), in order: an
    /// entry starts at a line `  --flag <value>` or `  -q, --quiet`, and goes on over the
    /// lines indented further. Group titles and the overview are left out.
    static func entries(_ help: String) -> [(flag: String, text: String)] {
        var entries: [(flag: String, text: String)] = []
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            let indent = line.count - trimmed.count
            if indent == 2, trimmed.hasPrefix("-") {
                let words = trimmed.split(separator: " ")
                let flag = words.first { $0.hasPrefix("--") } ?? words[0]
                entries.append((String(flag.trimmingCharacters(in: [","])), ParsingTests.help(String(trimmed))))
            } else if indent > 2, !entries.isEmpty {
                entries[entries.count - 1].text += " " + ParsingTests.help(String(trimmed))
            } else if !trimmed.isEmpty {
                entries.append(("", ""))  // a title or the overview: what follows is not an entry's
            }
        }
        return entries.filter { !$0.flag.isEmpty }
    }

    /// `train --help` said "--seed ... (with --seeds N, the first of N)", from the group
    /// it shares with compare and sweep: train has no --seeds.
    @Test("a flag's help names only the command's own flags", arguments: commands.map(\.0))
    func namesOnlyItsOwnFlags(command: String) throws {
        let type = try #require(Self.commands.first { $0.0 == command }?.1)
        let entries = Self.entries(Autoenc.helpMessage(for: type))
        let own = Set(entries.map(\.flag))
        #expect(!own.isEmpty)
        for entry in entries {
            let named = entry.text.split(whereSeparator: { " (),;.:'`[]".contains($0) })
                .filter { $0.hasPrefix("--") && $0.count > 2 }.map(String.init)
            for flag in named where !own.contains(flag) {
                Issue.record("\(command) \(entry.flag)'s help names \(flag), which \(command) lacks: \(entry.text)")
            }
        }
    }

    /// `compare --jobs` said "(default: the cores shared out). Default: 1".
    @Test("a flag's help states its default at most once", arguments: commands.map(\.0))
    func oneDefault(command: String) throws {
        let type = try #require(Self.commands.first { $0.0 == command }?.1)
        for entry in Self.entries(Autoenc.helpMessage(for: type)) {
            let defaults = entry.text.lowercased().components(separatedBy: "default:").count - 1
            #expect(defaults <= 1, "\(command) \(entry.flag): \(entry.text)")
        }
    }

    @Test("--seed: train's seeds its run; compare's and sweep's the first of --seeds")
    func seed() throws {
        let train = try #require(Self.entries(Autoenc.helpMessage(for: Train.self)).first { $0.flag == "--seed" })
        #expect(train.text.hasSuffix("Random seed for initialization, shuffling and masks. (default: 0)"),
                "\(train.text)")
        for type in [Compare.self, SweepCommand.self] as [ParsableCommand.Type] {
            let seed = try #require(Self.entries(Autoenc.helpMessage(for: type)).first { $0.flag == "--seed" })
            #expect(seed.text.contains("with --seeds N, the first of the N. (default: 0)"), "\(seed.text)")
        }
    }

    @Test("--jobs: its default once, 1")
    func jobs() throws {
        let jobs = try #require(Self.entries(Autoenc.helpMessage(for: Compare.self)).first { $0.flag == "--jobs" })
        #expect(jobs.text.contains("Default: 1, one run after another on every core"), "\(jobs.text)")
    }

    /// sweep's weight-map heading said 64 units where `--units` said every unit; sweep
    /// draws `Sweep.weightMapUnits`, the others every unit.
    @Test("--units: each command's default is what it draws")
    func units() throws {
        let sweep = Autoenc.helpMessage(for: SweepCommand.self)
        let units = try #require(Self.entries(sweep).first { $0.flag == "--units" })
        #expect(units.text.hasSuffix("Default: \(Sweep.weightMapUnits)."), "\(units.text)")
        #expect(sweep.uppercased().contains("\(Sweep.weightMapUnits) UNITS EACH UNLESS --UNITS SAYS"), "\(sweep)")
        for type in [Compare.self, Weightmap.self] as [ParsableCommand.Type] {
            let units = try #require(Self.entries(Autoenc.helpMessage(for: type)).first { $0.flag == "--units" })
            #expect(units.text.hasSuffix("Default: every unit."), "\(units.text)")
        }
    }

    /// `man autoenc` said only "exits 0 on success, and >0 if an error occurs": the root
    /// help lists every status, a line each that fits 80 columns, which Scripts/install
    /// turns into the man page's EXIT STATUS (Scripts/check-install checks the page).
    @Test("the root help lists every exit status")
    func exitStatuses() throws {
        let help = Autoenc.helpMessage()
        let start = try #require(help.range(of: "Exit status:\n"))
        let lines = help[start.upperBound...].components(separatedBy: "\n").prefix { !$0.isEmpty }
        let codes = lines.compactMap { $0.split(separator: " ").first.flatMap { Int32($0) } }
        #expect(codes == [0] + ExitStatus.allCases.map(\.rawValue), "\(lines)")
        #expect(lines.allSatisfy { $0.hasPrefix("  ") && $0.count <= 80 }, "\(lines)")
    }

    /// The man pages' generator drops every character beyond ASCII ("mean ± sd" became
    /// "mean sd"), so the help, which they are made of, keeps to ASCII.
    @Test("help is ASCII, as the man pages keep it", arguments: ["autoenc"] + commands.map(\.0))
    func ascii(command: String) throws {
        let type = command == "autoenc" ? Autoenc.self : try #require(Self.commands.first { $0.0 == command }?.1)
        let help = Autoenc.helpMessage(for: type)
        let foreign = help.unicodeScalars.filter { !$0.isASCII }
        #expect(foreign.isEmpty, "\(command) --help holds \(String(String.UnicodeScalarView(foreign)))")
    }

    /// The entries are read as the checks above expect: every flag of train, once.
    @Test func entriesOfTrain() {
        let flags = Self.entries(Autoenc.helpMessage(for: Train.self)).map(\.flag)
        for flag in ["--data", "--seed", "--threads", "--plot", "--quiet", "--help"] {
            #expect(flags.filter { $0 == flag }.count == 1, "\(flag) in \(flags)")
        }
    }
}
