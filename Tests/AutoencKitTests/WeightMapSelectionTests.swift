import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Which units a weight map draws (`WeightMapSelection`), how dead ones look, and what
/// the .npy holds, each against an answer worked out by hand on a few units.
@Suite struct WeightMapSelectionTests {
    // MARK: - Tiny models whose order is known

    /// Five units whose encoder weights have known norms and localization scores:
    /// - 0: 0.1 everywhere: norm 0.1 * 28 = 2.8, localization 0 (uniform)
    /// - 1: one pixel of 5: norm 5, localization 1
    /// - 2: all zero: norm 0, no localization score
    /// - 3: two adjacent pixels, 3 and 4: norm 5 (a tie with unit 1); energy 9 and 16,
    ///   spread 0.48 around column 8.64, localization 1 - 0.48 / 11.42 = 0.958
    /// - 4: opposite corners, (0, 0) and (27, 27), of 1: norm sqrt(2), spread 13.5 sqrt(2),
    ///   localization 1 - 19.09 / 11.42 = -0.67
    static func fiveUnits() -> Parameters {
        let p = Parameters(hidden: 5)
        for i in 0..<784 { p.w1[i] = 0.1 }
        p.w1[784 + 300] = 5
        p.w1[3 * 784 + 400] = 3
        p.w1[3 * 784 + 401] = 4
        p.w1[4 * 784] = 1
        p.w1[4 * 784 + 783] = 1
        return p
    }

    /// Activations of the five units on 2 examples (ReLU): means 0.5, 2, 0, 2, 1; unit 2
    /// never fires, so it is dead.
    static func fiveStatistics() -> ActivationStatistics {
        ActivationStatistics(codes: [1, 4, 0, 1, 2,
                                     0, 0, 0, 3, 0], examples: 2, units: 5, activation: .relu)
    }

    static func units(_ selection: WeightMapSelection, _ p: Parameters = fiveUnits(),
                      statistics: ActivationStatistics? = fiveStatistics()) -> [Int] {
        selection.tiles(p, statistics: statistics).map(\.unit)
    }

    @Test("each sort key orders the units as computed by hand, ties by unit index", arguments: [
        (WeightMapSelection.Sort.index, [0, 1, 2, 3, 4]),
        (.activation, [1, 3, 4, 0, 2]),   // means 2, 2 (tie: 1 before 3), 1, 0.5, 0
        (.localization, [1, 3, 0, 4, 2]), // 1, 0.958, 0, -0.67, none (unit 2) last
        (.norm, [1, 3, 0, 4, 2]),         // 5, 5 (tie: 1 before 3), 2.8, 1.41, 0
    ])
    func order(sort: WeightMapSelection.Sort, expected: [Int]) {
        #expect(Self.units(WeightMapSelection(sort: sort)) == expected)
    }

    @Test("the hand-computed keys are the ones the sort sees")
    func keys() throws {
        let p = Self.fiveUnits()
        let weights = (0..<5).map { WeightMapSelection.Layer.encoder.weights(of: $0, in: p) }
        let norms = WeightMapSelection.Sort.norm.keys(weights, statistics: nil).map { $0 ?? .nan }
        for (norm, expected) in zip(norms, [2.8, 5, 0, 5, 2.0.squareRoot()]) {
            #expect(abs(norm - expected) < 1e-5, "\(norms)")
        }
        let scores = WeightMapSelection.Sort.localization.keys(weights, statistics: nil)
        #expect(scores[2] == nil)
        for (score, expected) in zip(scores, [0, 1, nil, 1 - 0.48 / Localization.uniformSpread,
                                              1 - 13.5 * 2.0.squareRoot() / Localization.uniformSpread]) {
            guard let expected else { continue }
            #expect(abs(try #require(score) - expected) < 1e-6, "\(scores)")
        }
    }

    @Test("equal keys keep unit order over many units; NaN and infinite keys go last")
    func tiesAndNonFinite() {
        let p = Parameters(hidden: 50) // all zero: every norm 0, every localization none
        #expect(Self.units(WeightMapSelection(sort: .norm), p, statistics: nil) == Array(0..<50))
        #expect(Self.units(WeightMapSelection(sort: .localization), p, statistics: nil) == Array(0..<50))
        #expect(WeightMapSelection.order(keys: [1, .nan, 3, nil, .infinity, 3, -1]) == [2, 5, 0, 6, 1, 3, 4])
    }

    @Test("--sort norm and localization rank the drawn layer's weights: the decoder's columns")
    func keysFollowTheLayer() {
        let p = Parameters(hidden: 3)
        for i in 0..<784 { p.w1[i] = 1 } // the encoder ranks unit 0 first by norm
        // decoder columns: unit 2 largest, then unit 1, unit 0 zero
        for i in 0..<784 {
            p.w2[i * 3 + 1] = 0.5
            p.w2[i * 3 + 2] = 2
        }
        #expect(Self.units(WeightMapSelection(sort: .norm), p, statistics: nil) == [0, 1, 2])
        #expect(Self.units(WeightMapSelection(sort: .norm, layer: .decoder), p, statistics: nil) == [2, 1, 0])
    }

    // MARK: - Choosing units

    @Test("live only leaves out exactly the dead units, keeping the order")
    func liveOnly() {
        let statistics = Self.fiveStatistics()
        #expect(statistics.live == [true, true, false, true, true])
        #expect(Self.units(WeightMapSelection(liveOnly: true)) == [0, 1, 3, 4])
        #expect(Self.units(WeightMapSelection(sort: .norm, liveOnly: true)) == [1, 3, 0, 4])
        // two dead units among eight, spread out
        let p = Parameters(hidden: 8)
        var codes = [Float](repeating: 1, count: 8)
        codes[2] = 0
        codes[7] = 0
        let two = ActivationStatistics(codes: codes, examples: 1, units: 8, activation: .relu)
        #expect(Self.units(WeightMapSelection(liveOnly: true), p, statistics: two) == [0, 1, 3, 4, 5, 6])
        #expect(Self.units(WeightMapSelection(), p, statistics: two) == Array(0..<8))
    }

    @Test("units takes the first N after sorting and leaving out; more than there are takes all")
    func unitsPrefix() {
        #expect(Self.units(WeightMapSelection(units: 2, sort: .activation)) == [1, 3])
        #expect(Self.units(WeightMapSelection(units: 3, sort: .localization, liveOnly: true)) == [1, 3, 0])
        #expect(Self.units(WeightMapSelection(units: 1)) == [0])
        #expect(Self.units(WeightMapSelection(units: 5)) == [0, 1, 2, 3, 4])
        #expect(Self.units(WeightMapSelection(units: 1000, sort: .norm)) == [1, 3, 0, 4, 2])
    }

    @Test("the flag that needs the test set, as messages name it; activation order wins over --live-only")
    func flagNeedingData() {
        #expect(WeightMapSelection().flagNeedingData == nil)
        #expect(WeightMapSelection(units: 3, sort: .norm, layer: .decoder).flagNeedingData == nil)
        #expect(WeightMapSelection(liveOnly: true).flagNeedingData == "--live-only")
        #expect(WeightMapSelection(sort: .activation).flagNeedingData == "--sort activation")
        #expect(WeightMapSelection(sort: .activation, liveOnly: true).flagNeedingData == "--sort activation")
        for selection in [WeightMapSelection(), WeightMapSelection(liveOnly: true),
                          WeightMapSelection(sort: .activation)] {
            #expect((selection.flagNeedingData != nil) == selection.needsStatistics)
        }
    }

    @Test("the order line lists the units unless they are the first N in unit order")
    func orderLine() {
        #expect(WeightMapSelection.orderLine([0, 1, 2]) == nil)
        #expect(WeightMapSelection.orderLine([]) == nil)
        #expect(WeightMapSelection.orderLine([1, 3, 0]) == "units drawn, in order: 1, 3, 0")
        #expect(WeightMapSelection.orderLine([0, 1, 3]) == "units drawn, in order: 0, 1, 3",
                "live only left unit 2 out")
    }

    @Test("tiles carry whether the unit is live only when measured")
    func liveness() {
        let measured = WeightMapSelection().tiles(Self.fiveUnits(), statistics: Self.fiveStatistics())
        #expect(measured.map(\.live) == [true, true, false, true, true])
        #expect(measured.map(\.isDead) == [false, false, true, false, false])
        let unmeasured = WeightMapSelection().tiles(Self.fiveUnits())
        #expect(unmeasured.allSatisfy { $0.live == nil && !$0.isDead })
        #expect(WeightMapSelection().isDefault && !WeightMapSelection(units: 3).isDefault)
        #expect(WeightMapSelection(sort: .activation).needsStatistics
                && WeightMapSelection(liveOnly: true).needsStatistics)
        #expect(!WeightMapSelection(sort: .norm, layer: .decoder).needsStatistics)
    }

    // MARK: - Layers

    @Test("a decoder tile is the unit's column of w2 (784, hidden): w2[i * hidden + unit]")
    func decoderColumn() throws {
        let hidden = 3
        let p = Parameters(hidden: hidden)
        // decoder.weight through the checkpoint's own layout: (784, hidden) at its offset
        let decoder = try #require(p.tensors.first { $0.name == "decoder.weight" })
        #expect(decoder.shape == [784, hidden])
        for i in 0..<784 {
            for j in 0..<hidden { p.base[decoder.offset + i * hidden + j] = Float(i) * Float(j + 1) + Float(j) * 1000 }
        }
        for unit in 0..<hidden {
            let column = (0..<784).map { Float($0) * Float(unit + 1) + Float(unit) * 1000 }
            let weights = WeightMapSelection.Layer.decoder.weights(of: unit, in: p)
            let same = weights == column
            #expect(same, "unit \(unit): \(comparison(weights, column))")
            let tile = try #require(WeightMapSelection(layer: .decoder).tiles(p).first { $0.unit == unit })
            let tileSame = tile.weights == column
            #expect(tileSame, "unit \(unit): \(comparison(tile.weights, column))")
        }
        // and the drawn tile of unit 1 is that column stretched: a ramp, 0 top-left, 255 bottom-right
        let image = Grids.weightMap(WeightMapSelection(layer: .decoder).tiles(p))
        let pixels = (0..<784).map { image[1 + 29 + $0 % 28, 1 + $0 / 28] }
        #expect(pixels[0] == 0 && pixels[783] == 255)
        #expect(zip(pixels, pixels.dropFirst()).allSatisfy { $0 <= $1 }, "not a ramp")
    }

    // MARK: - Drawing dead units

    /// The 28x28 pixels of the k-th tile of a grid of `columns` columns.
    func tile(_ image: GrayImage, _ k: Int, columns: Int) -> [UInt8] {
        let x0 = 1 + (k % columns) * 29, y0 = 1 + (k / columns) * 29
        return (0..<784).map { image[x0 + $0 % 28, y0 + $0 / 28] }
    }

    @Test("a dead unit's tile is flat and crossed out; a live one, even constant, is its weights")
    func deadTiles() {
        let p = Self.fiveUnits()
        let image = Grids.weightMap(WeightMapSelection().tiles(p, statistics: Self.fiveStatistics()))
        let background = GrayImage.byte(Grids.deadBackground), cross = GrayImage.byte(Grids.deadCross)
        let dead = tile(image, 2, columns: 3)
        for r in 0..<28 {
            for c in 0..<28 {
                let expected = r == c || r + c == 27 ? cross : background
                if dead[r * 28 + c] != expected {
                    Issue.record("dead tile pixel (\(r), \(c)) is \(dead[r * 28 + c]), expected \(expected)")
                    return
                }
            }
        }
        #expect(Set(dead) == [background, cross] && background != cross)
        // unit 0 is constant and live: flat mid-gray, no cross
        #expect(Set(tile(image, 0, columns: 3)) == [128])
        // unit 1 is live: its single pixel white, the rest black
        let live = tile(image, 1, columns: 3)
        #expect(live[300] == 255 && live.filter { $0 == 0 }.count == 783)
        // the same unit with no statistics: drawn as its weights (all zero: mid-gray)
        let unmarked = Grids.weightMap(WeightMapSelection().tiles(p))
        #expect(Set(tile(unmarked, 2, columns: 3)) == [128])
        #expect(tile(unmarked, 1, columns: 3) == live)
    }

    @Test("no tiles draw one empty slot; N tiles a grid of ceil(sqrt(N)) columns",
          arguments: [(0, 1, 1), (3, 2, 2), (10, 4, 3)])
    func gridOfTiles(count: Int, columns: Int, rows: Int) {
        let tiles = (0..<count).map { WeightMapTile(unit: $0, weights: [Float](repeating: 1, count: 784)) }
        let image = Grids.weightMap(tiles)
        #expect(image.width == columns * 29 + 1 && image.height == rows * 29 + 1)
        #expect(image.pixels.filter { $0 == 128 }.count == count * 784)
    }

    @Test("a comparison sheet crosses out each model's dead units from its own statistics; the old call draws none")
    func comparisonSheet() {
        let p = Self.fiveUnits()
        let none = ActivationStatistics(codes: [Float](repeating: 1, count: 5), examples: 1, units: 5,
                                        activation: .relu)
        let old = ComparisonSheets.weightMaps([(name: "a", parameters: p), (name: "b", parameters: p)])
        let same = ComparisonSheets.weightMaps([(name: "a", parameters: p, statistics: nil),
                                                (name: "b", parameters: p, statistics: nil)])
        #expect(old == same)
        let marked = ComparisonSheets.weightMaps([(name: "a", parameters: p, statistics: Self.fiveStatistics()),
                                                  (name: "b", parameters: p, statistics: none)])
        #expect(marked.width == old.width && marked.height == old.height)
        // only the first model's unit 2 changes
        let cross = GrayImage.byte(Grids.deadCross)
        let changed = (0..<old.pixels.count).filter { old.pixels[$0] != marked.pixels[$0] }
        #expect(!changed.isEmpty && changed.allSatisfy { $0 % old.width < old.width / 2 })
        #expect(changed.contains { marked.pixels[$0] == cross })
        // 4 live units of 5 make a 2x2 grid, as 4 units do, not the 3x2 grid of 5
        let live = ComparisonSheets.weightMaps([(name: "a", parameters: p, statistics: Self.fiveStatistics())],
                                               selection: WeightMapSelection(liveOnly: true))
        let four = ComparisonSheets.weightMaps([(name: "a", parameters: p)], selection: WeightMapSelection(units: 4))
        let five = ComparisonSheets.weightMaps([(name: "a", parameters: p)])
        #expect(live.width == four.width && live.height == four.height && live.width < five.width)
    }

    // MARK: - Output files

    /// The shape and values of a float32 .npy.
    func readNPY(_ bytes: [UInt8]) throws -> (shape: [Int], values: [Float]) {
        let end = 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
        let header = try #require(String(bytes: bytes[10..<end], encoding: .ascii))
        let inside = try #require(header.split(separator: "(").last?.split(separator: ")").first)
        let shape = inside.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let values = stride(from: end, to: bytes.count, by: 4).map { i in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) })
        }
        return (shape, values)
    }

    @Test("the .npy holds the selected units' weights in order, shape (units, 28, 28)")
    func npyFollowsSelection() throws {
        let p = Self.fiveUnits()
        for i in 0..<(784 * 5) { p.w2[i] = Float(i) }
        let cases: [(WeightMapSelection, [Int], String)] = [
            (WeightMapSelection(units: 2, sort: .norm), [1, 3],
             "encoder weights of 2 of 5 units, largest norm first, float32 (2, 28, 28)"),
            (WeightMapSelection(liveOnly: true), [0, 1, 3, 4],
             "encoder weights of 4 of 5 units, 1 dead left out, float32 (4, 28, 28)"),
            (WeightMapSelection(sort: .activation, layer: .decoder), [1, 3, 4, 0, 2],
             "decoder weights, most active first, float32 (5, 28, 28)"),
        ]
        for (selection, units, description) in cases {
            let out = try OutputFiles.weightMap(p, as: .npy, scale: 1, selection: selection,
                                                statistics: Self.fiveStatistics())
            #expect(out.units == units)
            #expect(out.description == description)
            let (shape, values) = try readNPY(out.bytes)
            #expect(shape == [units.count, 28, 28])
            let expected = units.flatMap { selection.layer.weights(of: $0, in: p) }
            let same = values == expected
            let difference = values.count == expected.count
                ? comparison(values, expected) : "\(values.count) values, expected \(expected.count)"
            #expect(same, "\(selection): \(difference)")
        }
    }

    @Test("with no selection the .npy is encoder.weight byte for byte, described as before")
    func npyDefault() throws {
        let p = Parameters(hidden: 7)
        p.initialize(seed: 3)
        let out = try OutputFiles.weightMap(p, as: .npy, scale: 1)
        #expect(out.bytes == NPY.encode(UnsafeBufferPointer(start: p.w1, count: 7 * 784), shape: [7, 28, 28]))
        #expect(out.description == "encoder weights, float32 (7, 28, 28)")
        #expect(out.units == Array(0..<7))
        let image = try OutputFiles.weightMap(p, as: .pgm, scale: 2)
        #expect(image.bytes == Grids.weightMap(p).scaled(2).pgm)
        #expect(image.description == "7 units, 176x176")
    }

    @Test("images say what they hold: dead units crossed out or left out")
    func imageDescriptions() throws {
        let p = Self.fiveUnits(), statistics = Self.fiveStatistics()
        func describe(_ selection: WeightMapSelection, _ statistics: ActivationStatistics?) throws -> String {
            try OutputFiles.weightMap(p, as: .png, scale: 1, selection: selection, statistics: statistics).description
        }
        #expect(try describe(WeightMapSelection(), statistics) == "5 units, 1 dead crossed out, 88x59")
        #expect(try describe(WeightMapSelection(units: 2), statistics) == "2 of 5 units, none dead, 59x30")
        #expect(try describe(WeightMapSelection(liveOnly: true, layer: .decoder), statistics)
                == "4 of 5 units, decoder weights, 1 dead left out, 59x59")
        #expect(try describe(WeightMapSelection(sort: .localization), nil) == "5 units, most localized first, 88x59")
    }

    @Test("live only with every unit dead is a data error, not an empty file")
    func allDead() {
        let p = Parameters(hidden: 3)
        let dead = ActivationStatistics(codes: [0, 0, 0], examples: 1, units: 3, activation: .relu)
        for format in [OutputFormat.png, .npy] {
            expectAutoencError(.dataError, containing: ["--live-only", "all 3 units are dead"]) {
                _ = try OutputFiles.weightMap(p, as: format, scale: 1, selection: WeightMapSelection(liveOnly: true),
                                              statistics: dead)
            }
        }
    }

    // MARK: - Measuring a model

    @Test("a model's statistics on a set are those of its codes; an empty set is refused")
    func statisticsOfAModel() throws {
        let config = ModelConfig(hidden: 4)
        let model = Autoencoder(config: config, seed: 1)
        // unit 3 can never fire: zero weights, negative bias
        for i in 0..<784 { model.parameters.w1[3 * 784 + i] = 0 }
        model.parameters.b1[3] = -1
        let bytes = (0..<(6 * 784)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let set = ImageSet(count: 6, bytes: bytes, source: "six")
        let statistics = try ActivationStatistics(model, on: set, threads: 2)
        let codes = model.codes(set).array
        let expected = ActivationStatistics(codes: codes, examples: 6, units: 4, activation: .relu)
        #expect(statistics.live == expected.live && statistics.unitMeans == expected.unitMeans)
        #expect(statistics.live[3] == false && statistics.examples == 6)
        expectAutoencError(.dataError, naming: "empty") {
            _ = try ActivationStatistics(model, on: ImageSet(count: 0, bytes: [], source: "empty"))
        }
    }
}
