import Testing
@testable import AutoencCore
@testable import AutoencKit

/// DropConnect masks (statistics, reproducibility, the vector unpacking against the
/// plain definition) and the masked kernels against their naive references.
@Suite struct DropConnectTests {
    static let n = ModelConfig.inputs

    static func sd(_ p: Double, _ count: Int) -> Double { (p * (1 - p) / Double(count)).squareRoot() }

    /// The keep pattern of rows `rows` of the mask `key`, from the plain definition.
    static func pattern(_ mask: DropConnectMask, key: UInt64, rows: Range<Int> = 0..<4) -> [Bool] {
        rows.flatMap { r in (0..<mask.columns).map { mask.keeps(key: key, row: r, column: $0) } }
    }

    /// Both layouts: per batch (rows are units, 784 columns) and per example (rows are
    /// pixels, a column per unit; 200 units end in a partial chunk).
    static let layouts: [DropConnectMask.Layout] = [.unitRows, .inputRows(hidden: 200)]

    // MARK: - Masks

    @Test func resolutionAndScale() {
        let half = DropConnectMask(dropP: 0.5, seed: 1)
        #expect(half.resolution == .bit && half.keepProbability == 0.5 && half.scale == 2)
        let p3 = DropConnectMask(dropP: 0.3, seed: 1)
        // round(0.7 * 256) = 179
        #expect(p3.resolution == .byte && p3.byteThreshold == 179 && p3.keepProbability == 179.0 / 256)
        #expect(p3.scale == 1 / p3.keepProbability)
        let zero = DropConnectMask(dropP: 0, seed: 1)
        #expect(zero.keepProbability == 1 && zero.scale == 1)
        #expect(Self.pattern(zero, key: zero.key(step: 0, example: 0)).allSatisfy { $0 })
    }

    /// The fraction of kept connections equals keepProbability within 5 sigma, and
    /// neighbouring connections (next column, next chunk, next 64-bit word, next row)
    /// are kept independently: both with probability keep².
    @Test(arguments: [Float(0.5), 0.3, 0.8, 0.1], layouts)
    func keepStatistics(dropP: Float, layout: DropConnectMask.Layout) {
        let mask = DropConnectMask(dropP: dropP, seed: 5, layout: layout)
        let columns = mask.columns
        let keep = Double(mask.keepProbability)
        var kept = 0, total = 0
        var pairs = [Int](repeating: 0, count: 4), pairTotals = [Int](repeating: 0, count: 4)
        let offsets = [(0, 1), (0, 16), (0, 64), (1, 0)] // (row, column) offsets
        for e in 0..<30 {
            let key = mask.key(step: UInt64(e / 5), example: e % 5)
            let rows = 8
            let bits = Self.pattern(mask, key: key, rows: 0..<rows)
            for r in 0..<rows {
                for c in 0..<columns {
                    let k = bits[r * columns + c]
                    if k { kept += 1 }
                    total += 1
                    for (o, (dr, dc)) in offsets.enumerated() where r + dr < rows && c + dc < columns {
                        pairTotals[o] += 1
                        if k && bits[(r + dr) * columns + c + dc] { pairs[o] += 1 }
                    }
                }
            }
        }
        let fraction = Double(kept) / Double(total)
        #expect(abs(fraction - keep) < 5 * Self.sd(keep, total),
                "kept \(fraction), expected \(keep) ± \(Self.sd(keep, total))")
        for o in offsets.indices {
            let both = Double(pairs[o]) / Double(pairTotals[o])
            #expect(abs(both - keep * keep) < 5 * Self.sd(keep * keep, pairTotals[o]),
                    "offset \(offsets[o]): both kept \(both), expected \(keep * keep)")
        }
    }

    /// Per-example masks: each example of a batch has its own; the same (seed, step,
    /// example) reproduces it; another seed or step gives another.
    @Test(arguments: [Float(0.5), 0.3])
    func perExampleMasks(dropP: Float) {
        let mask = DropConnectMask(dropP: dropP, seed: 9, layout: .inputRows(hidden: Self.n))
        let keep = Double(mask.keepProbability)
        // Two independent masks disagree with probability 2 keep (1 - keep).
        let disagree = 2 * keep * (1 - keep), count = 4 * Self.n
        func expectIndependent(_ a: [Bool], _ b: [Bool], _ what: String) {
            let differing = Double(zip(a, b).filter { $0 != $1 }.count) / Double(count)
            #expect(abs(differing - disagree) < 5 * Self.sd(disagree, count),
                    "\(what): \(differing) differ, expected \(disagree)")
        }
        let e0 = Self.pattern(mask, key: mask.key(step: 3, example: 0))
        let e1 = Self.pattern(mask, key: mask.key(step: 3, example: 1))
        let e2 = Self.pattern(mask, key: mask.key(step: 3, example: 2))
        expectIndependent(e0, e1, "examples 0 and 1")
        expectIndependent(e1, e2, "examples 1 and 2")
        expectIndependent(e0, Self.pattern(mask, key: mask.key(step: 3, example: nil)), "example 0 and the batch mask")
        expectIndependent(e0, Self.pattern(mask, key: mask.key(step: 4, example: 0)), "steps 3 and 4")
        let reseeded = DropConnectMask(dropP: dropP, seed: 10, layout: mask.layout)
        expectIndependent(e0, Self.pattern(reseeded, key: reseeded.key(step: 3, example: 0)), "seeds 9 and 10")
        let again = DropConnectMask(dropP: dropP, seed: 9, layout: mask.layout)
        #expect(again.key(step: 3, example: 0) == mask.key(step: 3, example: 0))
        #expect(Self.pattern(again, key: again.key(step: 3, example: 0)) == e0)
    }

    /// The masks the kernels generate (each level's random words and unpacking, read
    /// through the per-batch kernel on all-ones weights) are exactly the plain `keeps`.
    @Test(arguments: KernelLevel.supported, [Float(0.5), 0.3, 0.01, 0.99, 0])
    func kernelMasksMatchDefinition(level: KernelLevel, dropP: Float) {
        let mask = DropConnectMask(dropP: dropP, seed: 2)
        let rows = 1001
        let ones = [Float](repeating: 1, count: rows * Self.n)
        var out = [Float](repeating: .nan, count: rows * Self.n)
        var mismatches: [String] = []
        for (step, row) in [(0, 0), (1, 1), (2, 7), (3, 255), (4, 1000)] {
            let key = mask.key(step: UInt64(step), example: step)
            DropConnectKernels.maskWeights(mask: mask, key: key, w1: ones, out: &out, rows: row..<(row + 1),
                                           kernels: Kernels(level))
            for i in 0..<Self.n {
                let value = out[row * Self.n + i]
                let expected: Float = mask.keeps(key: key, row: row, column: i) ? mask.scale : 0
                if value.bitPattern != expected.bitPattern { mismatches.append("row \(row) column \(i): \(value)") }
            }
        }
        #expect(mismatches.isEmpty, "\(level): \(mismatches.count) mismatches, first \(mismatches.prefix(5))")
    }

    /// The per-example masks the kernels generate (each level's random words and
    /// unpacking, whole blocks of 64 units and single chunks, the partial last chunk) are
    /// exactly the plain `keeps`: each example lights one pixel with 1, w1^T is all ones,
    /// so z1[b, j] is scale where the connection is kept and 0 where it is not.
    @Test(arguments: KernelLevel.supported, [Float(0.5), 0.3, 0.01, 0.99])
    func perExampleKernelMasksMatchDefinition(level: KernelLevel, dropP: Float) {
        let hidden = 200
        let mask = DropConnectMask(dropP: dropP, seed: 2, layout: .inputRows(hidden: hidden))
        let lit = [0, 1, 100, 700, 783]
        var x = [Float](repeating: 0, count: lit.count * Self.n)
        for (b, i) in lit.enumerated() { x[b * Self.n + i] = 1 }
        let w1t = [Float](repeating: 1, count: Self.n * hidden + 16)
        let keys = lit.indices.map { mask.key(step: UInt64($0), example: $0) }
        let pixels = NonzeroPixels(capacity: lit.count)
        pixels.collect(x, examples: 0..<lit.count, kernels: Kernels(level))
        var z = [Float](repeating: .nan, count: lit.count * hidden)
        DropConnectKernels.forward(mask: mask, keys: keys, pixels: pixels, examples: 0..<lit.count, w1t: w1t, z1: &z,
                                   hidden: hidden, kernels: Kernels(level))
        var mismatches: [String] = []
        for (b, i) in lit.enumerated() {
            for j in 0..<hidden {
                let expected: Float = mask.keeps(key: keys[b], unit: j, input: i) ? mask.scale : 0
                if z[b * hidden + j].bitPattern != expected.bitPattern {
                    mismatches.append("pixel \(i) unit \(j): \(z[b * hidden + j])")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(level): \(mismatches.count) mismatches, first \(mismatches.prefix(5))")
    }

    // MARK: - Kernels

    struct KernelCase: CustomTestStringConvertible, Sendable {
        var dropP: Float
        var batch: Int
        var hidden: Int
        /// The forward kernel's examples, the backward kernel's units.
        var examples: Range<Int>
        var units: Range<Int>
        var testDescription: String { "p=\(dropP) batch=\(batch) hidden=\(hidden) examples=\(examples) units=\(units)" }
    }

    /// 13 units: one partial chunk. 70: a whole block of 64, then a partial chunk; unit
    /// ranges that start and end inside chunks, as two threads' halves of the units do.
    /// 200 and 136: the AVX-512 level's two blocks at a time (128 units), then a block, a
    /// chunk, a partial one; 10..<190 and 100..<200 (the second of two threads' halves)
    /// start inside a random word's 4 chunks.
    /// At p = 0.5, 264 images: each pixel lit in 176 of them, so that the backward kernel's
    /// random words are worked out eight examples at a time at the AVX-512 level, as each
    /// image's (about 456 pixels, more than the 256 words worked out ahead) are forward;
    /// 400 images: each pixel lit in about 266, more than 256 words ahead backward too.
    static let kernelCases: [KernelCase] = [Float(0.5), 0.3].flatMap { p in
        [(3, 13, 0..<3, 0..<13), (4, 13, 1..<4, 3..<11), (5, 13, 4..<5, 12..<13), (3, 13, 0..<3, 5..<5),
         (5, 13, 0..<5, 0..<1), (3, 70, 0..<3, 0..<70), (4, 70, 1..<3, 0..<64), (5, 70, 0..<5, 20..<69),
         (2, 70, 1..<2, 64..<70), (3, 200, 0..<3, 0..<200), (4, 200, 1..<4, 10..<190), (2, 136, 1..<2, 0..<128),
         (6, 200, 0..<6, 100..<200)].map {
            KernelCase(dropP: p, batch: $0.0, hidden: $0.1, examples: $0.2, units: $0.3)
        }
    } + [KernelCase(dropP: 0.5, batch: 264, hidden: 64, examples: 0..<264, units: 0..<64),
         KernelCase(dropP: 0.5, batch: 400, hidden: 64, examples: 0..<400, units: 0..<64)]

    struct Inputs {
        var x: [Float], w1: [Float], w1t: [Float], dz1: [Float], keys: [UInt64]
        init(_ c: KernelCase, mask: DropConnectMask) {
            var rng = TestRandom(UInt64(c.batch * 100 + c.hidden + c.units.lowerBound))
            x = rng.floats(c.batch * n, 0, 1)
            // dark pixels, which the kernels skip, in runs and alone
            for k in x.indices where k % 784 < 100 || k % 3 == 0 { x[k] = 0 }
            w1 = rng.floats(c.hidden * n, -0.1, 0.1)
            // w1^T and dz1 with the kernels' 16 floats of slack
            w1t = Matrix.transposeNaive(w1, rows: c.hidden, columns: n) + [Float](repeating: 0, count: 16)
            dz1 = rng.floats(c.batch * c.hidden, -1, 1)
            for k in stride(from: 0, to: dz1.count, by: 4) { dz1[k] = 0 }
            dz1 += [Float](repeating: 0, count: 16)
            keys = (0..<c.batch).map { mask.key(step: 6, example: $0) }
        }
    }

    /// A kernel's output against its naive reference over the entries whose row (`row`
    /// of the entry's index) is in `rows`: the largest difference relative to the sum of
    /// the terms' magnitudes, and whether every other entry still holds `sentinel`.
    static func compare(_ fast: [Float], _ naive: [Float], _ magnitude: [Float], rows: Range<Int>, sentinel: Float,
                        row: (Int) -> Int) -> (worst: Float, untouched: Bool) {
        var worst: Float = 0, untouched = true
        for k in 0..<fast.count {
            if rows.contains(row(k)) {
                worst = worse(worst, abs(fast[k] - naive[k]) / max(magnitude[k], 1e-30))
            } else if fast[k] != sentinel {
                untouched = false
            }
        }
        return (worst, untouched)
    }

    /// The per-example forward kernel against forwardNaive: the examples in range agree
    /// to 1e-5 of sum |w x| (the scale of float rounding), the others are left untouched.
    @Test(arguments: KernelLevel.supported, kernelCases)
    func forwardMatchesNaive(level: KernelLevel, _ c: KernelCase) {
        let mask = DropConnectMask(dropP: c.dropP, seed: 4, layout: .inputRows(hidden: c.hidden))
        let input = Inputs(c, mask: mask)
        let sentinel: Float = -12345
        let pixels = NonzeroPixels(capacity: c.batch)
        pixels.collect(input.x, examples: c.examples, kernels: Kernels(level))
        var z = [Float](repeating: sentinel, count: c.batch * c.hidden)
        DropConnectKernels.forward(mask: mask, keys: input.keys, pixels: pixels, examples: c.examples,
                                   w1t: input.w1t, z1: &z,
                                   hidden: c.hidden, kernels: Kernels(level))
        let naive = DropConnectKernels.forwardNaive(mask: mask, keys: input.keys, x: input.x, w1: input.w1,
                                                    batch: c.batch, hidden: c.hidden)
        let magnitude = DropConnectKernels.forwardNaive(mask: mask, keys: input.keys, x: input.x,
                                                        w1: input.w1.map { abs($0) },
                                                        batch: c.batch, hidden: c.hidden)
        let (worst, untouched) = Self.compare(z, naive, magnitude, rows: c.examples,
                                              sentinel: sentinel) { $0 / c.hidden }
        #expect(worst <= 1e-5, "largest relative difference \(worst); \(comparison(z, naive))")
        #expect(untouched, "examples outside \(c.examples) were written")
    }

    @Test(arguments: KernelLevel.supported, kernelCases)
    func backwardMatchesNaive(level: KernelLevel, _ c: KernelCase) {
        Self.checkBackward(level: level, c, pairs: false)
    }

    /// The same from pixel columns filled in pairs, which every level reads and the AVX-512
    /// level's bit resolution walks two pixels at a time (`masked_pairs_avx512`: units from
    /// chunk 0 or 4 in blocks of 128, the 128-unit cases; 264 images light more than the 256
    /// words it works out ahead in each pair).
    @Test(arguments: KernelLevel.supported, kernelCases + [
        KernelCase(dropP: 0.5, batch: 4, hidden: 200, examples: 1..<4, units: 64..<200),
        KernelCase(dropP: 0.5, batch: 5, hidden: 256, examples: 0..<5, units: 128..<256),
        KernelCase(dropP: 0.5, batch: 264, hidden: 128, examples: 0..<264, units: 0..<128),
    ])
    func backwardMatchesNaiveOverPixelPairs(level: KernelLevel, _ c: KernelCase) {
        Self.checkBackward(level: level, c, pairs: true)
    }

    /// The backward kernel for units `c.units` against backwardNaive, from pixel columns
    /// filled in two ranges (in pairs when `pairs`): the rows in range agree to 1e-5 of sum
    /// |dz1 x|, the others are left untouched.
    static func checkBackward(level: KernelLevel, _ c: KernelCase, pairs: Bool) {
        let mask = DropConnectMask(dropP: c.dropP, seed: 4, layout: .inputRows(hidden: c.hidden))
        let input = Inputs(c, mask: mask)
        let sentinel: Float = -12345
        let columns = PixelColumns(capacity: c.batch, pairs: pairs)
        // in two pixel ranges, as two threads fill them
        columns.fill(from: input.x, batch: c.batch, pixels: 0..<300, kernels: Kernels(level))
        columns.fill(from: input.x, batch: c.batch, pixels: 300..<Self.n, kernels: Kernels(level))
        // Rows in range start as garbage: the kernel must overwrite, not accumulate.
        var g = [Float](repeating: sentinel, count: c.hidden * Self.n)
        var scratch = [Float](repeating: .nan, count: Self.n * c.hidden + 16)
        DropConnectKernels.backward(mask: mask, keys: input.keys, columns: columns, batch: c.batch, dz1: input.dz1,
                                    gw1t: &scratch, gw1: &g, hidden: c.hidden, units: c.units, kernels: Kernels(level))
        let naive = DropConnectKernels.backwardNaive(mask: mask, keys: input.keys, x: input.x, dz1: input.dz1,
                                                     batch: c.batch, hidden: c.hidden)
        let magnitude = DropConnectKernels.backwardNaive(mask: mask, keys: input.keys, x: input.x,
                                                         dz1: input.dz1.map { abs($0) },
                                                         batch: c.batch, hidden: c.hidden)
        let (worst, untouched) = compare(g, naive, magnitude, rows: c.units, sentinel: sentinel) { $0 / n }
        let inRows = c.units.flatMap { j in (0..<n).map { j * n + $0 } }
        let actual = inRows.map { g[$0] }, expected = inRows.map { naive[$0] }
        let detail = actual.isEmpty ? "" : comparison(actual, expected)
        #expect(worst <= 1e-5, "\(pairs ? "pairs: " : "")largest relative difference \(worst); \(detail)")
        #expect(untouched, "rows outside \(c.units) were written")
    }

    /// The pixel lists against the images: by example, every nonzero pixel in increasing
    /// order with its value; by pixel, every example lighting it, in increasing order.
    @Test(arguments: KernelLevel.supported)
    func pixelListsMatchTheImages(level: KernelLevel) {
        let c = KernelCase(dropP: 0.5, batch: 5, hidden: 13, examples: 0..<5, units: 0..<13)
        let x = Inputs(c, mask: DropConnectMask(dropP: 0.5, seed: 1, layout: .inputRows(hidden: 13))).x
        let pixels = NonzeroPixels(capacity: 6), columns = PixelColumns(capacity: 6)
        pixels.collect(x, examples: 0..<2, kernels: Kernels(level))
        pixels.collect(x, examples: 2..<5, kernels: Kernels(level))
        columns.fill(from: x, batch: 5, pixels: 0..<400, kernels: Kernels(level))
        columns.fill(from: x, batch: 5, pixels: 400..<Self.n, kernels: Kernels(level))
        var wrong: [String] = []
        for b in 0..<5 {
            let expected = (0..<Self.n).filter { x[b * Self.n + $0] != 0 }.map { ($0, x[b * Self.n + $0]) }
            let found = pixels.pixels(of: b)
            let differs = zip(found, expected).contains { $0.index != $1.0 || $0.value != $1.1 }
            if found.count != expected.count || differs {
                wrong.append("example \(b): \(found.count) pixels, expected \(expected.count)")
            }
        }
        for i in 0..<Self.n {
            let expected = (0..<5).filter { x[$0 * Self.n + i] != 0 }
            let column = columns.column(i, batch: 5)
            let found = column.map(\.example)
            if found != expected || column.contains(where: { x[$0.example * Self.n + i] != $0.value }) {
                wrong.append("pixel \(i): examples \(found), expected \(expected)")
            }
        }
        #expect(wrong.isEmpty, "\(level): \(wrong.count) wrong, first \(wrong.prefix(3))")
        #expect(x.contains(0) && x.contains { $0 != 0 }, "the images have dark and lit pixels")
    }

    /// Pixel columns filled in pairs: both rows of a pair list the examples that light
    /// either pixel, each with its own pixel's value (0 where that one is dark), and
    /// `column` keeps the examples that light it, as a single fill gives them.
    @Test(arguments: KernelLevel.supported)
    func pixelPairsMatchTheImages(level: KernelLevel) {
        let c = KernelCase(dropP: 0.5, batch: 5, hidden: 13, examples: 0..<5, units: 0..<13)
        let x = Inputs(c, mask: DropConnectMask(dropP: 0.5, seed: 1, layout: .inputRows(hidden: 13))).x
        let columns = PixelColumns(capacity: 6, pairs: true)
        columns.fill(from: x, batch: 5, pixels: 0..<400, kernels: Kernels(level))
        columns.fill(from: x, batch: 5, pixels: 400..<Self.n, kernels: Kernels(level))
        var wrong: [String] = []
        for i in 0..<Self.n {
            let first = i / 2 * 2
            let either = (0..<5).filter { x[$0 * Self.n + first] != 0 || x[$0 * Self.n + first + 1] != 0 }
            let entries = columns.entries(i, batch: 5)
            if entries.map(\.example) != either || entries.contains(where: { x[$0.example * Self.n + i] != $0.value }) {
                wrong.append("pixel \(i): entries \(entries.map(\.example)), expected \(either)")
            }
            let lit = (0..<5).filter { x[$0 * Self.n + i] != 0 }
            let column = columns.column(i, batch: 5).map(\.example)
            if column != lit { wrong.append("pixel \(i): column \(column), expected \(lit)") }
        }
        #expect(wrong.isEmpty, "\(level): \(wrong.count) wrong, first \(wrong.prefix(3))")
        let darkEntries = (0..<Self.n).reduce(0) { $0 + columns.entries($1, batch: 5).filter { $0.value == 0 }.count }
        #expect(darkEntries > 0, "some pair has an example that lights one of its pixels only")
    }

    /// The backward kernel walks pixel pairs only where it has a loop for them: the AVX-512
    /// level at the bit resolution (p = 0.5).
    @Test(arguments: KernelLevel.supported)
    func pixelPairsWhereTheKernelWalksThem(level: KernelLevel) {
        for p: Float in [0.5, 0.3] {
            let mask = DropConnectMask(dropP: p, seed: 1, layout: .inputRows(hidden: 256))
            #expect(DropConnectKernels.walksPixelPairs(mask: mask, kernels: Kernels(level))
                        == (level == .avx512 && p == 0.5), "\(level), p = \(p)")
        }
    }

    /// A collect writes its examples' rows and nothing past them, even for an image with all
    /// but one pixel lit (the AVX-512 level stores 16 entries at a time), since another
    /// thread may be collecting the next rows: the next row's entries keep what they held.
    @Test(arguments: KernelLevel.supported)
    func collectStaysInItsRows(level: KernelLevel) {
        var x = [Float](repeating: 0.5, count: 2 * Self.n)
        x[3] = 0 // one dark pixel in the first image, 783 lit
        let pixels = NonzeroPixels(capacity: 2)
        for e in 0..<32 {
            pixels.indices[Self.n + e] = -7
            pixels.values.pointer[Self.n + e] = -7
        }
        pixels.collect(x, examples: 0..<1, kernels: Kernels(level))
        let expected = (0..<Self.n).filter { $0 != 3 }
        #expect(pixels.pixels(of: 0).map(\.index) == expected, "\(level): the first image's pixels")
        let next = (0..<32).filter { pixels.indices[Self.n + $0] != -7 || pixels.values.pointer[Self.n + $0] != -7 }
        #expect(next.isEmpty, "\(level): entries \(next) of the next row were written")
    }

    /// The naive references agree with a direct sum written here for one entry, so the
    /// kernels are not only compared with something sharing their mistakes.
    @Test func naiveForwardByHand() {
        let c = KernelCase(dropP: 0.3, batch: 3, hidden: 13, examples: 0..<3, units: 0..<13)
        let mask = DropConnectMask(dropP: 0.3, seed: 4, layout: .inputRows(hidden: 13))
        let input = Inputs(c, mask: mask)
        let naive = DropConnectKernels.forwardNaive(mask: mask, keys: input.keys, x: input.x, w1: input.w1,
                                                    batch: 3, hidden: 13)
        let (b, j) = (2, 7)
        var sum = 0.0
        for i in 0..<Self.n {
            // pixel i's row of the mask: column j is byte 4 (l % 4) + l / 4 of chunk 0's
            // two words (13 units: one chunk, two words a row, rows 8 counters apart)
            let lane = j % 16, byte = 4 * (lane % 4) + lane / 4
            let word = RandomStream.word(key: mask.key(step: 6, example: b), counter: UInt64(i * 8 + byte / 8))
            guard (word >> UInt64(8 * (byte % 8))) & 0xff < 179 else { continue }
            sum += Double(input.w1[j * Self.n + i]) * Double(input.x[b * Self.n + i])
        }
        let expected = Float(sum / (179.0 / 256))
        #expect(sum != 0)
        #expect(abs(naive[b * 13 + j] - expected) <= 1e-6 * abs(expected))
    }

    static let hidden = 13

    /// The per-batch path: scale * mask ⊙ w, exactly, for every connection of the rows
    /// asked for; other rows untouched.
    static let maskWeightCases: [(dropP: Float, rows: Range<Int>)] = [
        (0.5, 0..<hidden), (0.3, 0..<hidden), (0.3, 4..<9),
    ]

    @Test(arguments: KernelLevel.supported, maskWeightCases)
    func maskWeightsMatchesDefinition(level: KernelLevel, _ c: (dropP: Float, rows: Range<Int>)) {
        let (dropP, rows) = c
        let mask = DropConnectMask(dropP: dropP, seed: 8)
        let key = mask.key(step: 2, example: nil)
        var rng = TestRandom(4)
        let w = rng.floats(Self.hidden * Self.n, -1, 1)
        var out = [Float](repeating: .nan, count: w.count)
        DropConnectKernels.maskWeights(mask: mask, key: key, w1: w, out: &out, rows: rows, kernels: Kernels(level))
        var wrong = 0
        for j in 0..<Self.hidden {
            for i in 0..<Self.n {
                let kept = mask.keeps(key: key, row: j, column: i)
                let expected = rows.contains(j) ? (kept ? w[j * Self.n + i] * mask.scale : 0) : .nan
                if out[j * Self.n + i].bitPattern != expected.bitPattern { wrong += 1 }
            }
        }
        #expect(wrong == 0, "\(wrong) entries differ from scale * w, 0, or untouched")
    }

    // MARK: - In the training pass

    static func runPass(_ config: ModelConfig, parameters: Parameters, inputs: [Float],
                        batch: Int) -> (loss: Float, gradients: [Float], hidden: [Float]) {
        let pass = TrainingPass(model: Autoencoder(config: config, parameters: parameters), maxBatch: batch, seed: 31)
        inputs.withUnsafeBufferPointer { pass.input.update(from: $0.baseAddress!, count: $0.count) }
        let loss = pass.run(batch: batch, step: 12)
        let hidden = Array(UnsafeBufferPointer(start: pass.hidden.pointer, count: batch * config.hidden))
        return (loss, pass.gradients.values, hidden)
    }

    /// With p = 0, DropConnect (either mask sharing) is the plain layer: identical loss
    /// and gradients, bit for bit.
    @Test(arguments: [MaskSharing.example, .batch])
    func zeroPIsThePlainLayer(masks: MaskSharing) {
        let parameters = Autoencoder(config: ModelConfig(hidden: 8), seed: 3).parameters
        var rng = TestRandom(12)
        let x = rng.floats(3 * Self.n, 0, 1)
        let plain = Self.runPass(ModelConfig(hidden: 8), parameters: parameters, inputs: x, batch: 3)
        let zero = Self.runPass(ModelConfig(hidden: 8, dropP: 0, dropMode: .dropconnect, masks: masks),
                                parameters: parameters, inputs: x, batch: 3)
        #expect(zero.loss.bitPattern == plain.loss.bitPattern, "loss \(zero.loss) vs \(plain.loss)")
        let differing = zip(zero.gradients, plain.gradients).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) gradients differ; \(comparison(zero.gradients, plain.gradients))")
    }

    /// The masked kernel with every connection kept computes the plain product: the same
    /// as the unmasked layer up to summation order.
    @Test(arguments: KernelLevel.supported)
    func keepAllKernelIsThePlainProduct(level: KernelLevel) {
        var rng = TestRandom(13)
        let batch = 3, hidden = 5
        let mask = DropConnectMask(dropP: 0, seed: 1, layout: .inputRows(hidden: hidden))
        let x = rng.floats(batch * Self.n, 0, 1), w = rng.floats(hidden * Self.n, -0.1, 0.1)
        let keys = (0..<batch).map { mask.key(step: 0, example: $0) }
        let pixels = NonzeroPixels(capacity: batch)
        pixels.collect(x, examples: 0..<batch, kernels: Kernels(level))
        let w1t = Matrix.transposeNaive(w, rows: hidden, columns: Self.n) + [Float](repeating: 0, count: 16)
        var z = [Float](repeating: 0, count: batch * hidden)
        DropConnectKernels.forward(mask: mask, keys: keys, pixels: pixels, examples: 0..<batch, w1t: w1t, z1: &z,
                                   hidden: hidden,
                                   kernels: Kernels(level))
        var plain = [Float](repeating: 0, count: batch * hidden)
        BLAS.sgemmNaive(transA: false, transB: true, m: batch, n: hidden, k: Self.n, alpha: 1, a: x, lda: Self.n,
                        b: w, ldb: Self.n, beta: 0, c: &plain, ldc: hidden)
        #expect(largestDifference(z, plain).difference <= 1e-5, "\(comparison(z, plain))")
    }

    /// A batch of three copies of one image: with per-example masks the three hidden
    /// rows differ, with one mask per batch they are identical.
    @Test(arguments: [MaskSharing.example, .batch])
    func maskSharingInThePass(masks: MaskSharing) {
        let parameters = Autoencoder(config: ModelConfig(hidden: 16), seed: 3).parameters
        var rng = TestRandom(14)
        let image = rng.floats(Self.n, 0, 1)
        let run = Self.runPass(ModelConfig(hidden: 16, activation: .sigmoid, dropP: 0.5, dropMode: .dropconnect,
                                           masks: masks),
                               parameters: parameters, inputs: image + image + image, batch: 3)
        let rows = (0..<3).map { Array(run.hidden[$0 * 16..<($0 + 1) * 16]) }
        if masks == .batch {
            #expect(rows[0] == rows[1] && rows[1] == rows[2], "per-batch masks gave different rows")
        } else {
            #expect(rows[0] != rows[1] && rows[1] != rows[2] && rows[0] != rows[2], "per-example masks gave equal rows")
        }
    }
}
