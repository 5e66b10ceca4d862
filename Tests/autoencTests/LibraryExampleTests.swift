import AutoencKit
import Foundation
import Testing

/// The README's Swift program is the `LibraryExample` target, word for word, and it trains
/// a model and scores it on its test set.
@Suite struct LibraryExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theREADMEShowsTheProgramAsItIs() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let program = try String(contentsOf: Self.root.appendingPathComponent("Sources/LibraryExample/main.swift"),
                                 encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Using autoenc from Swift").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```swift\n").dropFirst().first?
            .components(separatedBy: "```").first)
        #expect(block == program, "README's block and Sources/LibraryExample/main.swift differ")
    }

    @Test func theProgramTrainsAndScores() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let binary = CLI.binary.deletingLastPathComponent().appendingPathComponent("LibraryExample")
        let result = try CLI.run(["data"], in: scratch.url, executable: binary)
        try #require(result.status == 0, "\(result)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("epoch 1: train loss "), "\(result)")
        // the score read back is the model's test MSE, as the last epoch measured it
        let last = try #require(lines[1].components(separatedBy: "test MSE ").last.flatMap(Double.init), "\(result)")
        let score = try #require(lines[2].components(separatedBy: "test MSE ").last.flatMap(Double.init), "\(result)")
        #expect(score > 0 && abs(score - last) <= 1e-9 * last, "\(result)")
    }
}
