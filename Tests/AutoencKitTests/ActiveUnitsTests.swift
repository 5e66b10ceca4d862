import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Packing the active hidden units' columns and spreading them back, checked against
/// the plain loops, and a step over the packed units checked against the dense step.
@Suite struct ActiveUnitsTests {
    /// A (rows, stride) matrix whose columns in `zero` are zero (+0 and -0 alike).
    static func matrix(rows: Int, stride: Int, zero: Set<Int>) -> [Float] {
        var rng = RandomStream(seed: 7, .evaluation)
        var m = [Float](repeating: 0, count: rows * stride + 16)
        for r in 0..<rows {
            for c in 0..<stride {
                m[r * stride + c] = zero.contains(c) ? (r % 2 == 0 ? 0 : -0.0) : rng.uniform(-1, 1)
            }
        }
        return m
    }

    static let shapes: [(units: Int, zero: Set<Int>)] = [
        (24, [0, 5, 6, 17, 23]),
        (37, [1, 2, 3, 16, 31, 32, 36]),
        (256, Set((0..<256).filter { $0 % 3 == 0 || ($0 >= 100 && $0 < 140) })),
        (48, []),
        (32, Set(0..<32)),
        (100, Set([0, 63, 64, 65, 99])),
    ]

    @Test(arguments: 0..<shapes.count)
    func findsTheColumnsWithANonZeroEntry(shape: Int) {
        let (units, zero) = Self.shapes[shape]
        let rows = 5
        var m = Self.matrix(rows: rows, stride: units + 3, zero: zero)
        // a single non-zero entry (NaN in one column) makes a column active
        if let c = zero.first(where: { $0 > 0 }) { m[3 * (units + 3) + c] = .nan }
        let active = ActiveUnits(units: units)
        let count = active.find(m, rows: rows, stride: units + 3)
        let expected = (0..<units).filter { c in
            (0..<rows).contains { m[$0 * (units + 3) + c].bitPattern & 0x7FFF_FFFF != 0 }
        }
        #expect(count == expected.count)
        #expect((0..<count).map { Int(active.list[$0]) } == expected)
        let from10 = expected.firstIndex { $0 >= 10 } ?? count, from20 = expected.firstIndex { $0 >= 20 } ?? count
        #expect(active.positions(in: 10..<20) == from10..<from20)
    }

    /// `pack` and `spread` at every kernel level this CPU runs (AVX-512 compress and
    /// expand, AVX2 table permutes, plain loops) move exactly what the plain loops move,
    /// and spreading a packing gives back the matrix. Rows of 6 and 20 cover rows whose
    /// vector stores reach into the next row, and the plain last rows.
    @Test(arguments: KernelLevel.supported, 0..<shapes.count)
    func packAndSpreadMatchThePlainLoops(level: KernelLevel, shape: Int) {
        for rows in [6, 20] { Self.expectPackAndSpreadMatch(level: level, shape: shape, rows: rows) }
    }

    static func expectPackAndSpreadMatch(level: KernelLevel, shape: Int, rows: Int) {
        let (units, zero) = Self.shapes[shape]
        let ld = units + 5
        let m = Self.matrix(rows: rows, stride: ld, zero: zero)
        let active = ActiveUnits(units: units, kernels: Kernels(level))
        active.find(m, rows: rows, stride: ld)
        let k = active.count
        for ldo in [k, ld] {
            var fast = [Float](repeating: 9, count: rows * ldo + 16), plain = fast
            active.pack(m, rows: rows, ldm: ld, into: &fast, ldo: ldo)
            active.packReference(m, rows: rows, ldm: ld, into: &plain, ldo: ldo)
            for r in 0..<rows {
                let a = Array(fast[(r * ldo)..<(r * ldo + k)]), b = Array(plain[(r * ldo)..<(r * ldo + k)])
                #expect(a == b, "\(level), ldo \(ldo), row \(r): packed \(a.prefix(4)) vs plain \(b.prefix(4))")
            }
        }
        // two row ranges packed separately, the later first, as two threads may: nothing
        // is written past a range's last packed value
        var halves = [Float](repeating: 9, count: rows * k + 16), whole = halves
        active.pack(m.withUnsafeBufferPointer { $0.baseAddress! + 3 * ld }, rows: rows - 3, ldm: ld,
                    into: halves.withUnsafeMutableBufferPointer { $0.baseAddress! + 3 * k }, ldo: k)
        active.pack(m, rows: 3, ldm: ld, into: &halves, ldo: k)
        active.packReference(m, rows: rows, ldm: ld, into: &whole, ldo: k)
        #expect(halves == whole, "\(level), packed in two ranges: \(halves.prefix(6)) vs \(whole.prefix(6))")
        // spread in place from rows of stride ld holding the packed values first
        var fast = [Float](repeating: 5, count: rows * ld + 16)
        active.pack(m, rows: rows, ldm: ld, into: &fast, ldo: ld)
        var plain = fast
        active.spread(&fast, rows: rows, ld: ld)
        active.spreadReference(&plain, rows: rows, ld: ld)
        for r in 0..<rows {
            for c in 0..<units {
                let i = r * ld + c
                #expect(fast[i].bitPattern == plain[i].bitPattern,
                        "\(level), row \(r), column \(c): \(fast[i]) vs \(plain[i])")
                #expect(fast[i] == (zero.contains(c) ? 0 : m[i]), "row \(r), column \(c): \(fast[i]) vs \(m[i])")
            }
        }
    }

    /// The packed w2's and hd's rows start on 64-byte lines: their stride is the active
    /// units rounded up to 16 floats, and row r of the packed copy (its active columns in
    /// order) begins at r x stride, at every level.
    @Test(arguments: KernelLevel.supported)
    func packedRowsStartOnLines(level: KernelLevel) {
        #expect([0, 1, 16, 17, 186, 192, 3300].map(PackedProducts.stride) == [0, 16, 16, 32, 192, 192, 3312])
        let h = 40, batch = 3, n = ModelConfig.inputs
        let zero = Set(stride(from: 0, to: h, by: 3)) // 26 units active
        let hd = Self.matrix(rows: batch, stride: h, zero: zero)
        var rng = TestRandom(5)
        let w2 = rng.floats(n * h, -1, 1)
        let packed = PackedProducts(hidden: h, maxBatch: batch, kernels: Kernels(level))
        #expect(packed.findActive(hd, batch: batch))
        #expect(packed.active.count == 26 && packed.stride == 32)
        packed.packHiddenRows(hd, examples: 0..<batch)
        packed.packDecoderWeights(w2, rows: 0..<n)
        let active = (0..<h).filter { !zero.contains($0) }
        var wrong = 0
        for r in 0..<n {
            for (p, j) in active.enumerated() where packed.packedW2.pointer[r * 32 + p] != w2[r * h + j] { wrong += 1 }
        }
        for b in 0..<batch {
            for (p, j) in active.enumerated() where packed.packedHidden.pointer[b * 32 + p] != hd[b * h + j] {
                wrong += 1
            }
        }
        #expect(wrong == 0, "\(level): \(wrong) packed entries not at row x 32 + their place among the active")
    }

    static let configs: [ModelConfig] = [
        ModelConfig(hidden: 40, activation: .relu),
        ModelConfig(hidden: 37, activation: .relu, dropP: 0.5, dropMode: .dropconnect, masks: .batch),
        ModelConfig(hidden: 32, activation: .relu, dropP: 0.5, dropMode: .dropconnect, masks: .example),
        ModelConfig(hidden: 33, activation: .relu, dropP: 0.1, dropMode: .dropout, inputDropP: 0.2),
    ]

    /// A model whose units 0, 3, 6, ... never turn on (their bias is -100): packed
    /// products skip them and give the dense products' loss and gradients.
    @Test(arguments: KernelLevel.supported, configs)
    func packedStepEqualsDenseStep(level: KernelLevel, config: ModelConfig) {
        let packed = SparseProductTests.expectStepMatchesDense(config: config, products: .packed,
                                                               kernels: Kernels(level)) { model in
            for j in stride(from: 0, to: config.hidden, by: 3) { model.parameters.b1[j] = -100 }
        }
        #expect(packed.packsActiveUnits)
        #expect(packed.batchPacked,
                "the step did not pack (\(packed.activeUnits?.count ?? 0) of \(config.hidden) units active)")
        // the dead units' rows of dw1 and columns of dw2 are exactly zero
        let g = packed.gradients, n = ModelConfig.inputs, h = config.hidden
        var stray: Float = 0
        for j in stride(from: 0, to: h, by: 3) {
            for i in 0..<n { stray = max(stray, abs(g.w1[j * n + i]), abs(g.w2[i * h + j])) }
        }
        #expect(stray == 0, "a dead unit's gradient is \(stray)")
    }
}
