import ArgumentParser
import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// `weightmap --units --sort --live-only --layer`: their checks, when the test set is
/// read, and what the files hold, on a hand-built model whose answers are known.
@Suite struct WeightmapCommandTests {
    /// A 4-unit ReLU model on `Fixtures` in data/ (whose top-left pixels are 0 in every
    /// image, so each unit's activation is its bias):
    /// - unit 0: w1 pixel 0 = 0.5 (norm 0.5), bias 10: live, mean activation 10
    /// - unit 1: zero weights, bias -1: dead
    /// - unit 2: w1 pixel 0 = 2 (norm 2), bias 20: live, mean 20
    /// - unit 3: w1 pixels 0 and 1 = 1 (norm 1.41), bias 5: live, mean 5
    /// Decoder columns: unit 3's all 3, unit 0's all 1, the others 0.
    /// By activation 2, 0, 3, 1; by encoder norm 2, 3, 0, 1; by decoder norm 3, 0, 1, 2.
    /// `recorded`: the checkpoint records its data set (data/, absolute) as `train` does;
    /// otherwise it records only a name, as checkpoints that know no data set do.
    static func handBuilt(dead: Bool = true, recorded: Bool = true) throws -> Scratch {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let p = Parameters(hidden: 4)
        p.w1[0] = 0.5
        p.w1[2 * 784] = 2
        p.w1[3 * 784] = 1
        p.w1[3 * 784 + 1] = 1
        for (unit, bias) in [10, dead ? -1 : 1, 20, 5].enumerated() { p.b1[unit] = Float(bias) }
        for i in 0..<784 {
            p.w2[i * 4 + 3] = 3
            p.w2[i * 4 + 0] = 1
        }
        let dataset = recorded ? DataLocation(directory: scratch.path("data")).absoluteDirectory : "hand-built"
        let metadata = CheckpointMetadata(config: ModelConfig(hidden: 4), seed: 0, epoch: 1, dataset: dataset)
        try Checkpoint.save(p, metadata: metadata, to: scratch.path("model.safetensors"))
        return scratch
    }

    static func loaded(_ scratch: Scratch) throws -> Checkpoint.Loaded {
        try Checkpoint.load(scratch.path("model.safetensors"))
    }

    // MARK: - Flags

    @Test("bad values of the new flags are usage errors naming the flag", arguments: [
        (["weightmap", "--units", "0"], "--units must be at least 1, got 0"),
        (["weightmap", "--units", "-4"], "--units must be at least 1, got -4"),
        (["weightmap", "--units", "all"], "--units"),
        (["weightmap", "--sort", "size"], "--sort"),
        (["weightmap", "--layer", "hidden"], "--layer"),
    ])
    func badFlags(arguments: [String], message: String) {
        expectUsageError(arguments, naming: message)
    }

    @Test("a bad flag is one line on stderr, exit 64, before the model is read")
    func usageErrorIsOneLine() throws {
        let scratch = try Scratch()
        let result = try scratch.run(["weightmap", "--units", "0", "--model", "missing.safetensors"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr == "autoenc: --units must be at least 1, got 0 (see 'autoenc weightmap --help')\n",
                "\(result)")
        #expect(result.stdout.isEmpty && scratch.listing().isEmpty, "\(result)")
    }

    @Test("the flags parse into the selection; none given is the default selection")
    func parse() throws {
        let command = try #require(try Autoenc.parseAsRoot(["weightmap", "--units", "7", "--sort", "localization",
                                                           "--live-only", "--layer", "decoder"]) as? Weightmap)
        #expect(command.weightMapOptions.selection
                == WeightMapSelection(units: 7, sort: .localization, liveOnly: true, layer: .decoder))
        #expect(command.weightMapOptions.selection.flagNeedingData == "--live-only")
        let plain = try #require(try Autoenc.parseAsRoot(["weightmap"]) as? Weightmap)
        #expect(plain.weightMapOptions.selection.isDefault && plain.weightMapOptions.selection.flagNeedingData == nil)
        let active = try #require(try Autoenc.parseAsRoot(["weightmap", "--sort", "activation"]) as? Weightmap)
        #expect(active.weightMapOptions.selection.flagNeedingData == "--sort activation")
    }

    @Test("help lists the flags, their values, and when the test set is read")
    func help() {
        let help = ParsingTests.help(Autoenc.helpMessage(for: Weightmap.self))
        for expected in ["--units <n>", "--sort <key>",
                         "(values: index, activation, localization, norm; default: index)",
                         "--live-only", "--layer <layer>", "(values: encoder, decoder; default: encoder)",
                         "--data <path>", "crossed out",
                         "when no --data is given and no data set is found, the tiles are drawn unmarked",
                         "--sort activation and --live-only need the test set"] {
            #expect(help.contains(expected), "weightmap --help lacks \(expected): \(help)")
        }
    }

    // MARK: - What is drawn

    @Test("with the test set, a dead unit's tile is crossed out and the report says so")
    func deadUnitCrossedOut() throws {
        let scratch = try Self.handBuilt()
        let result = try scratch.run(["weightmap", "--data", "data"])
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout == "wrote weightmap.pgm (4 units, 1 dead crossed out, 59x59)\n", "\(result)")
        let pgm = try scratch.bytes("weightmap.pgm")
        let header = "P5\n59 59\n255\n".utf8.count
        func tile(_ k: Int) -> [UInt8] {
            let x0 = 1 + (k % 2) * 29, y0 = 1 + (k / 2) * 29
            return (0..<784).map { pgm[header + (y0 + $0 / 28) * 59 + x0 + $0 % 28] }
        }
        #expect(tile(1) == Grids.deadTile.map(GrayImage.byte), "unit 1 is dead: the dead tile")
        for k in [0, 2, 3] {
            #expect(tile(k) != Grids.deadTile.map(GrayImage.byte) && tile(k).contains(255), "unit \(k) is live")
        }
        // the same model with unit 1 live draws it as its weights (zero: mid-gray)
        let live = try Self.handBuilt(dead: false)
        let other = try live.run(["weightmap", "--data", "data"])
        #expect(other.stdout.contains("(4 units, none dead, 59x59)"), "\(other)")
    }

    @Test("--sort orders the tiles and the report lists them", arguments: [
        (["--sort", "activation"], [2, 0, 3, 1], "most active first, 1 dead crossed out"),
        (["--sort", "norm"], [2, 3, 0, 1], "largest norm first, 1 dead crossed out"),
        (["--sort", "norm", "--layer", "decoder"], [3, 0, 1, 2],
         "decoder weights, largest norm first, 1 dead crossed out"),
        (["--sort", "activation", "--live-only"], [2, 0, 3], "most active first, 1 dead left out"),
        (["--sort", "activation", "--units", "2"], [2, 0], "most active first, none dead"),
    ])
    func sorted(flags: [String], units: [Int], words: String) throws {
        let scratch = try Self.handBuilt()
        let result = try scratch.run(["weightmap", "--data", "data", "--out", "w.png"] + flags)
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.contains(words), "\(result)")
        let order = units.map(String.init).joined(separator: ", ")
        #expect(result.stdout.contains("units drawn, in order: " + order + "\n"), "\(result)")
    }

    @Test(".npy follows the selection: the chosen units' weights, in order, from the chosen layer", arguments: [
        (["--units", "2", "--sort", "norm"], WeightMapSelection(units: 2, sort: .norm),
         "encoder weights of 2 of 4 units, largest norm first, float32 (2, 28, 28)"),
        (["--live-only"], WeightMapSelection(liveOnly: true),
         "encoder weights of 3 of 4 units, 1 dead left out, float32 (3, 28, 28)"),
        (["--layer", "decoder", "--sort", "activation"], WeightMapSelection(sort: .activation, layer: .decoder),
         "decoder weights, most active first, float32 (4, 28, 28)"),
        (["--units", "100"], WeightMapSelection(units: 100), "encoder weights, float32 (4, 28, 28)"),
    ])
    func npySelection(flags: [String], selection: WeightMapSelection, description: String) throws {
        let scratch = try Self.handBuilt()
        let result = try scratch.run(["weightmap", "--data", "data", "--out", "w.npy"] + flags)
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("wrote w.npy (\(description))\n"), "\(result)")
        let (shape, values) = try FormatCommandTests.readNPY(try scratch.bytes("w.npy"))
        let model = try Self.loaded(scratch)
        let test = try DataLocation(directory: scratch.path("data")).load(train: false)
        let tiles = selection.tiles(model.parameters, statistics: try ActivationStatistics(model.model, on: test))
        #expect(shape == [tiles.count, 28, 28])
        #expect(values == tiles.flatMap(\.weights))
    }

    @Test("--units more than the model has draws every unit, without an error")
    func unitsBeyondTheModel() throws {
        let scratch = try Self.handBuilt()
        let many = try scratch.run(["weightmap", "--data", "data", "--units", "1000", "--out", "many.pgm"])
        let all = try scratch.run(["weightmap", "--data", "data", "--out", "all.pgm"])
        #expect(many.status == 0 && many.stdout.contains("(4 units, "), "\(many)")
        #expect(all.status == 0 && !many.stdout.contains("units drawn"), "\(many)")
        #expect(try scratch.bytes("many.pgm") == scratch.bytes("all.pgm"))
        // the first N in unit order need no list
        let first = try scratch.run(["weightmap", "--data", "data", "--units", "2", "--out", "two.pgm"])
        #expect(first.status == 0 && first.stdout == "wrote two.pgm (2 of 4 units, 1 dead crossed out, 59x30)\n",
                "\(first)")
    }

    // MARK: - When the test set is read

    @Test("a flag that needs the test set fails naming itself when the data is missing: 66, one line, nothing written",
          arguments: [["--sort", "activation"], ["--live-only"], ["--live-only", "--out", "w.npy"]])
    func neededDataMissing(flags: [String]) throws {
        let scratch = try Self.handBuilt()
        let flag = flags[0] == "--sort" ? "--sort activation" : "--live-only"
        try FailureTests.expectFailure(scratch, ["weightmap", "--data", "nowhere"] + flags, status: 66,
                                       naming: ["\(flag) needs the test set", "nowhere"])
        let result = try scratch.run(["weightmap", "--data", "nowhere"] + flags)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result)")
    }

    @Test("--live-only when every unit is dead: 65 naming the flag, nothing written")
    func everyUnitDead() throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let p = Parameters(hidden: 2)
        p.b1[0] = -1
        p.b1[1] = -1
        let metadata = CheckpointMetadata(config: ModelConfig(hidden: 2), seed: 0, epoch: 1, dataset: "data")
        try Checkpoint.save(p, metadata: metadata, to: scratch.path("model.safetensors"))
        try FailureTests.expectFailure(scratch, ["weightmap", "--data", "data", "--live-only"], status: 65,
                                       naming: ["--live-only", "all 2 units are dead"])
    }

    @Test(".npy without --sort activation or --live-only reads no data: encoder.weight as before")
    func npyReadsNoData() throws {
        let scratch = try Self.handBuilt()
        let result = try scratch.run(["weightmap", "--data", "nowhere", "--out", "w.npy"])
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout == "wrote w.npy (encoder weights, float32 (4, 28, 28))\n", "\(result)")
        let p = try Self.loaded(scratch).parameters
        let weights = UnsafeBufferPointer(start: p.w1, count: 4 * 784)
        #expect(try scratch.bytes("w.npy") == NPY.encode(weights, shape: [4, 28, 28]))
    }

    @Test("an image with --data that is missing fails: the user asked for that data")
    func givenDataMissing() throws {
        let scratch = try Self.handBuilt()
        try FailureTests.expectFailure(scratch, ["weightmap", "--data", "nowhere"], status: 66, naming: ["nowhere"])
    }

    /// Counts `resolve` calls; resolves to `location` or throws `error`.
    final class Resolver: @unchecked Sendable {
        var calls: [String?] = []
        let result: Result<DataLocation, AutoencError>
        init(_ result: Result<DataLocation, AutoencError>) { self.result = result }
        func resolve(_ given: String?) throws -> DataLocation {
            calls.append(given)
            return try result.get()
        }
    }

    static let noDefault = AutoencError(.noInput, """
        no data set found in /x/Data or /usr/share/datasets/fashion-mnist: pass --data DIR
        """)

    @Test("without --data and no data set found, the image is drawn unmarked with a note; a flag that needs it fails")
    func defaultDataMissing() throws {
        let scratch = try Self.handBuilt(recorded: false)
        let loaded = try Self.loaded(scratch)
        let resolver = Resolver(.failure(Self.noDefault))
        let (statistics, notes) = try WeightMapSelection.testStatistics(of: loaded, needed: nil, wanted: true,
                                                                        data: nil, resolve: resolver.resolve)
        #expect(statistics == nil)
        #expect(notes == ["note: dead units are not marked: " + Self.noDefault.message])
        #expect(resolver.calls == [nil])
        do {
            _ = try WeightMapSelection.testStatistics(of: loaded, needed: "--live-only", wanted: true, data: nil,
                                                      resolve: resolver.resolve)
            Issue.record("--live-only without data did not fail")
        } catch let error as AutoencError {
            #expect(error.status == .noInput)
            #expect(error.message == "--live-only needs the test set: " + Self.noDefault.message)
        }
        // nothing wanted: nothing resolved
        let idle = Resolver(.failure(Self.noDefault))
        let none = try WeightMapSelection.testStatistics(of: loaded, needed: nil, wanted: false, data: "data",
                                                         resolve: idle.resolve)
        #expect(none.statistics == nil && none.notes.isEmpty && idle.calls.isEmpty)
    }

    @Test("without --data, a default data set that is found is read; one that does not load leaves the units unmarked")
    func defaultDataFound() throws {
        let scratch = try Self.handBuilt(recorded: false)
        let loaded = try Self.loaded(scratch)
        let found = Resolver(.success(DataLocation(directory: scratch.path("data"))))
        let (statistics, notes) = try WeightMapSelection.testStatistics(of: loaded, needed: nil, wanted: true,
                                                                        data: nil, resolve: found.resolve)
        #expect(statistics?.live == [true, false, true, true])
        #expect(notes.isEmpty, "the model was trained on this data set: no note")
        // a data set without its test images
        try scratch.makeDirectory("partial")
        let partial = Resolver(.success(DataLocation(directory: scratch.path("partial"))))
        let unmarked = try WeightMapSelection.testStatistics(of: loaded, needed: nil, wanted: true, data: nil,
                                                             resolve: partial.resolve)
        #expect(unmarked.statistics == nil)
        #expect(unmarked.notes.count == 1 && unmarked.notes[0].hasPrefix("note: dead units are not marked: ")
                && unmarked.notes[0].contains(DataLocation.testImages), "\(unmarked.notes)")
    }

    @Test("end to end without --data and no data set anywhere: drawn unmarked, with the note",
          .enabled(if: DataLocation(directory: DataLocation.debianFashionMNIST).find(DataLocation.trainImages) == nil,
                   "this machine has a default data set"))
    func noDataAnywhere() throws {
        let scratch = try Self.handBuilt(recorded: false)
        let result = try scratch.run(["weightmap"])
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("note: dead units are not marked: no data set found"), "\(result)")
        #expect(result.stdout.contains("wrote weightmap.pgm (4 units, 59x59)"), "\(result)")
    }

    @Test("end to end without --data, a model that records no data set is measured on the default one",
          .enabled(if: DataLocation(directory: DataLocation.debianFashionMNIST).find(DataLocation.testImages) != nil,
                   "this machine has no default data set"))
    func defaultDataEndToEnd() throws {
        let scratch = try Self.handBuilt(recorded: false)
        let result = try scratch.run(["weightmap"])
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.contains("(4 units, 1 dead crossed out, 59x59)"), "\(result)")
    }

    @Test("end to end without --data, the data set the model records marks the dead units, with no note")
    func recordedDataEndToEnd() throws {
        let scratch = try Self.handBuilt()
        let result = try scratch.run(["weightmap"])
        try #require(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("note:"), "\(result)")
        #expect(result.stdout.contains("(4 units, 1 dead crossed out, 59x59)"), "\(result)")
    }

    @Test("-q prints nothing, notes and the unit order included")
    func quiet() throws {
        let scratch = try Self.handBuilt()
        let result = try scratch.run(["weightmap", "--data", "data", "--sort", "activation", "-q"])
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty, "\(result)")
        #expect(scratch.listing().contains("weightmap.pgm"))
    }
}
