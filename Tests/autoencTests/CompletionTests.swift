import Foundation
import Testing
@testable import autoenc

/// Shell completion, from swift-argument-parser's scripts: every subcommand, and file names
/// for the flags that take them (it offered nothing before each declared its completion
/// kind): bash's script run as bash runs it on TAB, in a directory holding one file of
/// each kind and a subdirectory.
@Suite struct CompletionTests {
    static let files = ["a.safetensors", "b.txt", "c.npy", "d.png", "e.svg", "f.pgm", "g.pdf"]
    static let everything = files + ["sub"]

    /// What TAB after `autoenc WORDS ` offers, and the directory's entries it should be.
    static let cases: [([String], [String])] = [
        (["reconstruct", "--model"], ["a.safetensors", "sub"]),
        (["activations", "--model"], ["a.safetensors", "sub"]),
        (["train", "--resume"], ["a.safetensors", "sub"]),
        (["train", "--out"], ["a.safetensors", "sub"]),
        (["train", "--data"], ["c.npy", "sub"]),
        (["weightmap", "--data"], ["c.npy", "sub"]),
        (["train", "--log"], everything),
        (["sweep", "--log"], everything),
        (["sweep", "--emit-sbatch"], everything),
        (["train", "--plot"], ["d.png", "e.svg", "g.pdf", "sub"]),
        (["compare", "--plot"], ["d.png", "e.svg", "g.pdf", "sub"]),
        (["reconstruct", "--out"], ["c.npy", "d.png", "f.pgm", "sub"]),
        (["weightmap", "--out"], ["c.npy", "d.png", "f.pgm", "sub"]),
        (["compare", "--out"], ["sub"]),
        (["activations", "--out"], ["sub"]),
        (["download", "mnist", "--to"], ["sub"]),
        (["info"], everything),
    ]

    /// Sources the script (its first argument) and calls its function as bash does on TAB
    /// after `autoenc WORDS`, the last word the one being completed (empty after a space);
    /// prints COMPREPLY a line each.
    static let complete = """
        source "$1"; shift
        COMP_WORDS=(autoenc "$@")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        _autoenc autoenc "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\\n' "${COMPREPLY[@]}"
        """

    /// What bash offers on TAB after `autoenc words` in `directory`, sorted, less the
    /// files the harness keeps bash's output in while it runs (`.run.stdout`, ...).
    static func offered(_ words: [String], in directory: URL, script: String) throws -> [String] {
        let result = try CLI.run(["-c", complete, "bash", script] + words, in: directory,
                                 executable: URL(fileURLWithPath: "/bin/bash"))
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(".run.") }.sorted()
    }

    @Test("bash, zsh and fish scripts name every subcommand", arguments: ["bash", "zsh", "fish"])
    func script(shell: String) throws {
        let scratch = try Scratch()
        let result = try scratch.run(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result)")
        for command in ["train", "reconstruct", "weightmap", "info", "compare", "download"] {
            #expect(result.stdout.contains(command), "\(shell) script lacks \(command)")
        }
        if shell == "bash" { #expect(result.stdout.contains("complete -"), "a bash completion registration") }
    }

    @Test("bash completes each file flag with its kind of file", arguments: cases)
    func bash(words: [String], expected: [String]) throws {
        let scratch = try Scratch()
        let generated = try scratch.run(["--generate-completion-script", "bash"])
        try #require(generated.status == 0 && generated.stdout.contains("_autoenc()"), "\(generated)")
        try scratch.makeDirectory("here/sub")
        for file in Self.files { try scratch.write([], to: "here/" + file) }
        try scratch.write(Array(generated.stdout.utf8), to: "autoenc.bash")
        let offered = try Self.offered(words + [""], in: scratch.url.appendingPathComponent("here"),
                                       script: scratch.path("autoenc.bash"))
        #expect(offered == expected.sorted(), "autoenc \(words.joined(separator: " ")) <TAB>")
    }

    /// The harness above completes flags too, so an empty answer is the script's, not its.
    @Test func bashCompletesFlags() throws {
        let scratch = try Scratch()
        let generated = try scratch.run(["--generate-completion-script", "bash"])
        try scratch.write(Array(generated.stdout.utf8), to: "autoenc.bash")
        let offered = try Self.offered(["train", "--res"], in: scratch.url, script: scratch.path("autoenc.bash"))
        #expect(offered == ["--resume"])
    }

    /// Every flag whose value is a file or a directory says so to the shells, so that a
    /// flag added later without a completion kind fails here (read from the command
    /// definitions as argument-parser dumps them).
    @Test func everyFileFlagDeclaresItsCompletion() throws {
        let scratch = try Scratch()
        let dump = try scratch.run(["--experimental-dump-help"])
        try #require(dump.status == 0, "\(dump)")
        let tool = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var checked = 0
        func walk(_ command: [String: Any], _ path: String) {
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                guard let value = argument["valueName"] as? String, ["file", "dir", "path"].contains(value) else {
                    continue
                }
                let names = (argument["names"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? [value]
                #expect(argument["completionKind"] != nil, "\(path) \(names) <\(value)> declares no completion kind")
                checked += 1
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                walk(sub, path + " " + (sub["commandName"] as? String ?? "?"))
            }
        }
        walk(try #require(tool["command"] as? [String: Any]), "autoenc")
        #expect(checked >= 20, "only \(checked) file flags found: is the dump read right?")
    }
}
