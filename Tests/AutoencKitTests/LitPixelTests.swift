import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The encoder gradient over the lit pixels (`PixelGroups`) at every kernel level the CPU
/// runs: the groups' example lists against the images, the product against the triple
/// loop in Double and, bit for bit, against the dense product it stands in for.
@Suite struct LitPixelTests {
    static let n = ModelConfig.inputs

    /// Images like Fashion-MNIST's, for the lists to skip something: each pixel dark with
    /// probability one half, the first two rows (groups 0-13) dark in every image, one
    /// pixel -0 (dark too) in a group otherwise dark in example 1.
    static func images(batch: Int, seed: UInt64) -> [Float] {
        var rng = TestRandom(seed)
        var x = (0..<batch * n).map { _ in rng.float(0, 1) < 0.5 ? 0 : rng.float(0.01, 1) }
        for b in 0..<batch {
            for i in 0..<56 { x[b * n + i] = 0 }
        }
        if batch > 1 {
            for i in 400..<404 { x[n + i] = 0 }
            x[n + 401] = -0.0
        }
        return x
    }

    /// Fills `groups` from x's first `batch` images in `parts` ranges of groups, as the
    /// step's threads do, the last range first.
    static func fill(_ groups: PixelGroups, from x: [Float], batch: Int, parts: Int, level: KernelLevel) {
        for part in (0..<parts).reversed() {
            groups.fill(from: x, batch: batch, groups: TrainingPass.split(PixelGroups.count, part, parts),
                        kernels: Kernels(level))
        }
    }

    /// Every group lists, in increasing order, exactly the examples in which one of its 4
    /// pixels is not zero, each with its 4 pixels beside it (bit for bit, -0 too), filled
    /// in one range of groups and in three (ranges that start and end inside the AVX-512
    /// level's blocks of 4 groups).
    @Test(arguments: KernelLevel.supported)
    func groupsListTheExamplesThatLightThem(level: KernelLevel) {
        let batch = 70
        let x = Self.images(batch: batch, seed: 5)
        for parts in [1, 3] {
            let groups = PixelGroups(capacity: 80)
            Self.fill(groups, from: x, batch: batch, parts: parts, level: level)
            var wrong: [String] = []
            for g in 0..<PixelGroups.count {
                let expected = (0..<batch).filter { b in (0..<4).contains { x[b * Self.n + 4 * g + $0] != 0 } }
                let found = groups.group(g, batch: batch)
                if found != expected { wrong.append("group \(g): \(found.prefix(8)), expected \(expected.prefix(8))") }
                let pixels = expected.flatMap { b in (0..<4).map { x[b * Self.n + 4 * g + $0].bitPattern } }
                if groups.pixels(g, batch: batch).map(\.bitPattern) != pixels { wrong.append("group \(g)'s pixels") }
            }
            #expect(wrong.isEmpty, "\(level), \(parts) ranges: \(wrong.count) groups wrong, first \(wrong.prefix(3))")
            #expect(groups.group(0, batch: batch).isEmpty)
            #expect(!groups.group(100, batch: batch).contains(1))
        }
    }

    /// Rows of c within (2 batch + 1) x 2^-24 x sum |a x| of the sum in Double (each term
    /// and each addition of a float sum of at most `batch` terms rounds once), for row
    /// counts inside one vector, across one pass's six and across several passes; c's rows
    /// written through a list (every other row, backwards) or in order; rows and columns
    /// outside the product keep their sentinel. Passes copy their columns of a near first
    /// where they fit in 12288 floats: 100 rows of 200 examples run one pass that does not
    /// (64 columns at AVX-512) and one that does.
    @Test(arguments: KernelLevel.supported)
    func litProductMatchesTheTripleLoop(level: KernelLevel) {
        let cases: [(rows: Int, batch: Int)] = [(1, 5), (13, 70), (93, 128), (128, 33), (200, 64), (100, 200)]
        for (index, test) in cases.enumerated() {
            for listed in [false, true] {
                check(rows: test.rows, batch: test.batch, parts: listed ? 2 : 1, listed: listed, level: level,
                      seed: UInt64(40 + index))
            }
        }
    }

    func check(rows: Int, batch: Int, parts: Int, listed: Bool, level: KernelLevel, seed: UInt64) {
        var rng = TestRandom(seed)
        let x = Self.images(batch: batch, seed: seed)
        let lda = rows + 3, ldc = Self.n + 5
        let a = rng.floats(batch * lda, -1, 1)
        let list: [Int32] = (0..<rows).map { Int32(2 * (rows - 1 - $0)) }
        let cRows = listed ? 2 * rows : rows
        let sentinel: Float = -7
        var c = [Float](repeating: sentinel, count: cRows * ldc)
        let groups = PixelGroups(capacity: batch)
        Self.fill(groups, from: x, batch: batch, parts: parts, level: level)
        list.withUnsafeBufferPointer { list in
            groups.encoderGradient(batch: batch, a: a, lda: lda, rows: rows, c: &c, ldc: ldc,
                                   rowList: listed ? list.baseAddress : nil, kernels: Kernels(level))
        }
        var worst = 0.0, wrong = 0, stray = 0
        for i in 0..<cRows {
            let r = listed ? (i % 2 == 0 ? rows - 1 - i / 2 : nil) : i
            for k in 0..<ldc {
                let value = c[i * ldc + k]
                guard let r, k < Self.n else {
                    if value != sentinel { stray += 1 }
                    continue
                }
                var sum = 0.0, magnitude = 0.0
                for b in 0..<batch {
                    let term = Double(a[b * lda + r]) * Double(x[b * Self.n + k])
                    sum += term
                    magnitude += abs(term)
                }
                let error = abs(Double(value) - sum)
                worst = worse(worst, error)
                if !(error <= Double(2 * batch + 1) * 0x1p-24 * magnitude) { wrong += 1 } // a NaN too
            }
        }
        #expect(wrong == 0 && stray == 0, """
            \(level) rows \(rows) batch \(batch) listed \(listed): \(wrong) entries beyond (2 batch + 1) 2^-24 \
            sum|ax| (largest difference \(worst)), \(stray) written outside the product
            """)
    }

    /// The same sums as the kernels' own dense product dz1^T xd, bit for bit: both add
    /// the terms over the examples in order, one multiply-add each, from zero, and the
    /// examples left out add only exact zeros (x + 0 = x, and +0 + -0 = +0). So at the
    /// AVX-512 level, where the step ran that product, switching to this one changed no
    /// trained weight.
    @Test(arguments: KernelLevel.supported)
    func litProductIsTheDenseProductBitForBit(level: KernelLevel) {
        let batch = 128, rows = 93, lda = 256
        var rng = TestRandom(9)
        let x = Self.images(batch: batch, seed: 9)
        let a = rng.floats(batch * lda, -1, 1)
        let groups = PixelGroups(capacity: batch)
        Self.fill(groups, from: x, batch: batch, parts: 2, level: level)
        var lit = [Float](repeating: 0, count: rows * Self.n), dense = lit
        groups.encoderGradient(batch: batch, a: a, lda: lda, rows: rows, c: &lit, ldc: Self.n, kernels: Kernels(level))
        Matrix.multiplyKernel(transA: true, m: rows, n: Self.n, k: batch, a: a, lda: lda, b: x, ldb: Self.n,
                              c: &dense, ldc: Self.n, transposedC: false, kernels: Kernels(level))
        let differing = zip(lit, dense).filter { $0.0.bitPattern != $0.1.bitPattern }
        let largest = differing.map { abs($0.0 - $0.1) }.max() ?? 0
        #expect(differing.isEmpty, "\(level): \(differing.count) entries differ, largest by \(largest)")
    }
}
