import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The encoder over each image's lit pixels (`ImageGroups`) at every kernel level the CPU
/// runs: the groups against the images, the weights' panels against w1^T, and z1 against
/// the triple loop in Double and, bit for bit, against the dense product it stands in for.
@Suite struct LitImageTests {
    static let n = ModelConfig.inputs

    /// Images like Fashion-MNIST's (`LitPixelTests.images`), with one wholly dark image
    /// and one wholly lit, so that groups hold images of very different counts, and from
    /// the fifth on every other image lit only in a band of columns (2 to 18 wide), so
    /// that they differ in width too.
    static func images(batch: Int, seed: UInt64) -> [Float] {
        var x = LitPixelTests.images(batch: batch, seed: seed)
        var rng = TestRandom(seed + 1)
        if batch > 3 {
            for i in 0..<n { x[2 * n + i] = 0 }
            for i in 0..<n { x[3 * n + i] = rng.float(0.01, 1) }
        }
        for b in stride(from: 4, to: batch, by: 2) {
            let band = (b % 9)..<(b % 9 + 2 + b % 17)
            for i in 0..<n where !band.contains(i % 28) { x[b * n + i] = 0 }
        }
        return x
    }

    /// w1 (hidden, 784) written into the panels in `parts` ranges of units, the last
    /// first, as the step's threads write them.
    static func groups(w1: [Float], hidden: Int, capacity: Int, parts: Int, level: KernelLevel) -> ImageGroups {
        let groups = ImageGroups(hidden: hidden, capacity: capacity, kernels: Kernels(level))
        for part in (0..<parts).reversed() {
            groups.transposeWeights(w1, units: TrainingPass.split(hidden, part, parts), kernels: Kernels(level))
        }
        return groups
    }

    /// Panel p of the weights is w1^T's columns p P ..< p P + width (P = 96, 16 at AVX2),
    /// row stride width, written in one range of units or in three (which split panels
    /// between them).
    @Test(arguments: KernelLevel.supported)
    func panelsHoldTheTransposedWeights(level: KernelLevel) {
        for hidden in [5, 96, 200, 256] {
            var rng = TestRandom(UInt64(hidden))
            let w1 = rng.floats(hidden * Self.n, -1, 1)
            for parts in [1, 3] {
                let groups = Self.groups(w1: w1, hidden: hidden, capacity: 1, parts: parts, level: level)
                var wrong = 0
                for u in 0..<hidden {
                    let u0 = u / groups.panelUnits * groups.panelUnits
                    let width = min(groups.panelUnits, hidden - u0)
                    let panel = groups.panels.pointer + u0 * Self.n + u - u0
                    for i in 0..<Self.n where panel[i * width] != w1[u * Self.n + i] { wrong += 1 }
                }
                #expect(wrong == 0, "\(level), \(hidden) units in \(parts) ranges: \(wrong) weights misplaced")
            }
        }
    }

    /// The images of each part in order of the width of the columns they light (from the
    /// first lit column to the last), then of their lit pixels' count, each image once;
    /// and each group's pixels exactly those one of its images lights, in increasing order;
    /// parts grouped one after another, the last first.
    @Test(arguments: KernelLevel.supported)
    func groupsListThePixelsTheirImagesLight(level: KernelLevel) {
        let batch = 23, parts = [0..<9, 9..<10, 10..<23]
        let x = Self.images(batch: batch, seed: 3)
        let lit = (0..<batch).map { b in (0..<Self.n).filter { x[b * Self.n + $0] != 0 } }
        let width = lit.map { pixels in
            let columns = Set(pixels.map { $0 % 28 })
            return columns.isEmpty ? 0 : columns.max()! - columns.min()! + 1
        }
        let groups = ImageGroups(hidden: 16, capacity: batch, kernels: Kernels(level))
        var z1 = [Float](repeating: 0, count: batch * 16)
        for part in parts.reversed() { groups.forward(xd: x, examples: part, z1: &z1, kernels: Kernels(level)) }
        for part in parts {
            let order = groups.groups(part)
            #expect(order.flatMap { $0 }.sorted() == Array(part), "\(level), part \(part): \(order)")
            let keys = order.flatMap { $0 }.map { width[$0] * 1000 + lit[$0].count }
            #expect(keys == keys.sorted(), "\(level), part \(part): width x 1000 + count \(keys)")
            for (g, images) in order.enumerated() {
                let expected = (0..<Self.n).filter { i in images.contains { x[$0 * Self.n + i] != 0 } }
                let found = groups.pixels(slot: part.lowerBound + 4 * g)
                #expect(found == expected,
                        "\(level), part \(part), group \(images): \(found.count) pixels listed, \(expected.count) lit")
            }
        }
    }

    /// z1's rows within (784 + 1) x 2^-24 x sum |x w| of the sum in Double (each term and
    /// each addition of a float sum of 784 terms rounds once), for unit counts inside one
    /// vector, a panel and several, some panels ending inside a vector, and groups of 4
    /// and fewer; rows outside the examples keep their sentinel, as does the slack past
    /// the last unit of the buffer.
    @Test(arguments: KernelLevel.supported)
    func forwardMatchesTheTripleLoop(level: KernelLevel) {
        let cases: [(hidden: Int, batch: Int, examples: Range<Int>)] = [
            (1, 5, 0..<5), (13, 9, 2..<9), (96, 4, 0..<4), (200, 13, 0..<13), (256, 20, 5..<18), (300, 7, 1..<7),
        ]
        for (index, test) in cases.enumerated() {
            var rng = TestRandom(UInt64(50 + index))
            let x = Self.images(batch: test.batch, seed: UInt64(50 + index))
            let w1 = rng.floats(test.hidden * Self.n, -1, 1)
            let groups = Self.groups(w1: w1, hidden: test.hidden, capacity: test.batch, parts: 2, level: level)
            let sentinel: Float = -7
            var z1 = [Float](repeating: sentinel, count: test.batch * test.hidden + 16)
            groups.forward(xd: x, examples: test.examples, z1: &z1, kernels: Kernels(level))
            var worst = 0.0, wrong = 0, stray = 0
            for b in 0..<test.batch {
                for u in 0..<test.hidden {
                    let value = z1[b * test.hidden + u]
                    guard test.examples.contains(b) else {
                        if value != sentinel { stray += 1 }
                        continue
                    }
                    var sum = 0.0, magnitude = 0.0
                    for i in 0..<Self.n {
                        let term = Double(x[b * Self.n + i]) * Double(w1[u * Self.n + i])
                        sum += term
                        magnitude += abs(term)
                    }
                    let error = abs(Double(value) - sum)
                    worst = worse(worst, error)
                    if !(error <= Double(Self.n + 1) * 0x1p-24 * magnitude) { wrong += 1 } // a NaN too
                }
            }
            stray += z1.suffix(16).filter { $0 != sentinel }.count
            #expect(wrong == 0 && stray == 0, """
                \(level) hidden \(test.hidden) examples \(test.examples): \(wrong) entries beyond (784 + 1) 2^-24 \
                sum|xw| (largest difference \(worst)), \(stray) written outside the product
                """)
        }
    }

    /// The same sums as the kernels' own dense product xd w1^T, bit for bit: both add the
    /// terms over the pixels in order, one multiply-add each, from zero, and the pixels
    /// left out add only exact zeros (x + 0 = x, and +0 + -0 = +0). So at the AVX-512 and
    /// AVX2 levels, where the step ran that product, switching to this one changed no
    /// trained weight.
    @Test(arguments: KernelLevel.supported)
    func forwardIsTheDenseProductBitForBit(level: KernelLevel) {
        let batch = 64, hidden = 200
        var rng = TestRandom(11)
        let x = Self.images(batch: batch, seed: 11)
        let w1 = rng.floats(hidden * Self.n, -1, 1)
        let groups = Self.groups(w1: w1, hidden: hidden, capacity: batch, parts: 2, level: level)
        var grouped = [Float](repeating: 0, count: batch * hidden), dense = grouped
        groups.forward(xd: x, examples: 0..<32, z1: &grouped, kernels: Kernels(level))
        groups.forward(xd: x, examples: 32..<64, z1: &grouped, kernels: Kernels(level))
        let w1t = Matrix.transposeNaive(w1, rows: hidden, columns: Self.n)
        Matrix.multiplyKernel(transA: false, m: batch, n: hidden, k: Self.n, a: x, lda: Self.n, b: w1t, ldb: hidden,
                              c: &dense, ldc: hidden, kernels: Kernels(level))
        let differing = zip(grouped, dense).filter { $0.0.bitPattern != $0.1.bitPattern }
        let largest = differing.map { abs($0.0 - $0.1) }.max() ?? 0
        #expect(differing.isEmpty, "\(level): \(differing.count) entries differ, largest by \(largest)")
    }

    /// The step takes this encoder at AVX-512 and AVX2, up to 512 units, but for
    /// per-example DropConnect, which has its own.
    @Test func theStepGroupsAtAVX512AndAVX2() {
        for level in KernelLevel.supported {
            let kernels = Kernels(level)
            let own = level == .avx512 || level == .avx2
            for hidden in [32, 512] {
                let perBatch = ModelConfig(hidden: hidden, dropP: 0.5, dropMode: .dropconnect, masks: .batch)
                #expect(TrainingPass.groupedEncoder(ModelConfig(hidden: hidden), kernels: kernels) == own, "\(level)")
                #expect(TrainingPass.groupedEncoder(perBatch, kernels: kernels) == own, "\(level)")
            }
            #expect(!TrainingPass.groupedEncoder(ModelConfig(hidden: 513), kernels: kernels), "\(level)")
            let perExample = ModelConfig(hidden: 32, dropP: 0.5, dropMode: .dropconnect, masks: .example)
            #expect(!TrainingPass.groupedEncoder(perExample, kernels: kernels), "\(level)")
        }
    }
}
