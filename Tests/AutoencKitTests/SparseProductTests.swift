import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The products that skip hidden zeros give the dense products' loss and gradients.
@Suite struct SparseProductTests {
    static let configs: [ModelConfig] = [
        ModelConfig(hidden: 40, activation: .relu, dropP: 0.5, dropMode: .dropout),
        ModelConfig(hidden: 37, activation: .sigmoid, dropP: 0.3, dropMode: .dropout),
        ModelConfig(hidden: 32, activation: .relu, dropP: 0.5, dropMode: .dropout, inputDropP: 0.2),
    ]

    /// The sparse products at every kernel level (the step uses them with the AVX-512
    /// kernels only, where they are faster, but they must be right everywhere).
    @Test(arguments: KernelLevel.supported, configs)
    func sparseEqualsDense(level: KernelLevel, config: ModelConfig) {
        let sparse = Self.expectStepMatchesDense(config: config, products: .sparseHidden, kernels: Kernels(level))
        #expect(sparse.sparseHidden)
    }

    /// Forced onto DropConnect, which the step never chooses them for, the sparse products
    /// still give the dense products' gradients: with per-example masks dw1 is DropConnect's
    /// own kernel's, and dw2 (computed transposed, by units) must still be computed.
    @Test(arguments: [MaskSharing.example, .batch])
    func sparseEqualsDenseUnderDropConnect(masks: MaskSharing) {
        let config = ModelConfig(hidden: 24, activation: .relu, dropP: 0.5, dropMode: .dropconnect, masks: masks)
        let sparse = Self.expectStepMatchesDense(config: config, products: .sparseHidden)
        #expect(sparse.sparseHidden)
    }

    /// Each level picks the sparse products for dropout at p >= 0.25 where they are
    /// faster, AVX-512 on a CPU that halves 512-bit vectors (Zen 4) up to 2048 units, and
    /// the dense or packed ones elsewhere (`TrainingPass.strategy`): each CPU's choice,
    /// whichever this one is.
    @Test(arguments: KernelLevel.supported, [true, false])
    func theStrategyFollowsTheLevelAndTheCPU(level: KernelLevel, halves: Bool) {
        let kernels = Kernels(level, halvesWideVectors: halves)
        let sparse = level == .avx512 && halves
        let model = Autoencoder(config: ModelConfig(hidden: 8, dropP: 0.5, dropMode: .dropout), seed: 1)
        let pass = TrainingPass(model: model, maxBatch: 4, seed: 1, kernels: kernels)
        #expect(pass.sparseHidden == sparse)
        #expect(pass.packsActiveUnits == !sparse)
        let low = TrainingPass(model: Autoencoder(config: ModelConfig(hidden: 8, dropP: 0.2,
                                                                      dropMode: .dropout), seed: 1),
                               maxBatch: 4, seed: 1, kernels: kernels)
        #expect(!low.sparseHidden && low.packsActiveUnits)
        // the widest layer the sparse products are chosen for, and one unit more: packed
        let limit = TrainingPass.sparseHiddenUnits
        for (hidden, sparse) in [(limit, sparse), (limit + 1, false)] {
            let config = ModelConfig(hidden: hidden, dropP: 0.5, dropMode: .dropout)
            #expect(TrainingPass.strategy(for: config, kernels: kernels) == (sparse ? .sparseHidden : .packed),
                    "\(level), halves \(halves), \(hidden) units")
        }
    }

    /// The CPU's own answer: AMD family 19h (Zen 4) halves 512-bit vectors, and a CPU that
    /// runs no AVX-512 uses none of the layouts that depend on it.
    @Test func theKernelsKnowTheCPU() throws {
        #if os(Linux)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let first = info.components(separatedBy: "\n\n")[0].split(separator: "\n")
        func field(_ name: String) -> String? {
            first.first { $0.hasPrefix(name) && $0.dropFirst(name.count).first.map { " \t:".contains($0) } == true }?
                .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        }
        let amd = field("vendor_id") == "AuthenticAMD", family = field("cpu family").flatMap { Int($0) }
        #expect(Kernels(.generic).halvesWideVectors == (amd && family == 0x19),
                "vendor \(field("vendor_id") ?? "?"), family \(family.map(String.init) ?? "?")")
        #endif
    }

    /// Runs one step of 9 images with the products `products` (default: `TrainingPass`'s
    /// choice) and with the dense ones, from the same model (`prepare` may change it
    /// first), and checks that the losses and gradients agree; returns the first pass.
    @discardableResult
    static func expectStepMatchesDense(config: ModelConfig, products: TrainingPass.ProductChoice = .automatic,
                                       kernels: Kernels = .current, prepare: (Autoencoder) -> Void = { _ in },
                                       sourceLocation: SourceLocation = #_sourceLocation) -> TrainingPass {
        let data = TrainingTests.shapes(count: 9)
        let order = (0..<Int32(9)).map { $0 }
        let model = Autoencoder(config: config, seed: 3)
        prepare(model)
        let fast = TrainingPass(model: model, maxBatch: 9, seed: 3, products: products, kernels: kernels)
        let dense = TrainingPass(model: model, maxBatch: 9, seed: 3, products: .dense, kernels: kernels)
        #expect(!dense.sparseHidden && !dense.packsActiveUnits, sourceLocation: sourceLocation)
        fast.load(data, order[0..<9])
        dense.load(data, order[0..<9])
        let l1 = fast.run(batch: 9, step: 4), l2 = dense.run(batch: 9, step: 4)
        #expect(abs(l1 - l2) <= 1e-6 * abs(l2), "loss fast \(l1) dense \(l2)", sourceLocation: sourceLocation)
        let a = fast.gradients.values, b = dense.gradients.values
        var scale: Float = 0
        for v in b { scale = max(scale, abs(v)) }
        var worst: Float = 0, at = 0
        for i in 0..<a.count where abs(a[i] - b[i]) > worst { worst = abs(a[i] - b[i]); at = i }
        #expect(worst <= 1e-5 * scale,
                """
                \(kernels.level): largest gradient difference \(worst) at \(at) (fast \(a[at]), dense \(b[at])); \
                largest gradient \(scale)
                """,
                sourceLocation: sourceLocation)
        return fast
    }
}

/// The sparse products and the transposes at every kernel level this CPU runs, each
/// against its plain reference (`SparseProducts.*Naive`, summed in Double).
@Suite struct SparseKernelTests {
    static let n = ModelConfig.inputs

    /// Each output is a sum of at most `count` products of floats in [-1, 1]; fp32
    /// rounding in any order stays within count 2^-24 of the sum of their magnitudes,
    /// so 1e-5 of that sum holds for count <= 160 and a wrong row is off by a whole term.
    @Test(arguments: KernelLevel.supported, [(count: 37, stride: 1), (count: 9, stride: 40), (count: 0, stride: 1)])
    func combineRowsMatchesNaive(level: KernelLevel, _ c: (count: Int, stride: Int)) {
        var rng = TestRandom(UInt64(c.count * 7 + c.stride))
        var coefficients = rng.floats(max(1, c.count * c.stride), -1, 1)
        for k in stride(from: 0, to: coefficients.count, by: 3) { coefficients[k] = 0 } // skipped terms
        let rows = rng.floats(max(1, c.count) * Self.n, -1, 1)
        var out = [Float](repeating: .nan, count: Self.n)
        var indices = [Int32](repeating: 0, count: max(1, c.count))
        var values = [Float](repeating: 0, count: max(1, c.count))
        SparseProducts.combineRows(coefficients, stride: c.stride, count: c.count, rows: rows, into: &out,
                                   indices: &indices, values: &values, kernels: Kernels(level))
        let naive = SparseProducts.combineRowsNaive(coefficients, stride: c.stride, count: c.count, rows: rows)
        let tolerance = 1e-5 * Float(max(1, c.count))
        #expect(largestDifference(out, naive).difference <= tolerance, "\(level): \(comparison(out, naive))")
    }

    /// Dots of 784 products of floats in [-1, 1]: within 784 2^-24 ~ 5e-5 of the sum of
    /// the magnitudes (at most 784), so 5e-3 absolute; unselected entries exactly 0.
    @Test(arguments: KernelLevel.supported, [1, 4, 7, 13])
    func selectedDotsMatchesNaive(level: KernelLevel, count: Int) {
        var rng = TestRandom(UInt64(count))
        let v = rng.floats(Self.n, -1, 1), rows = rng.floats(count * Self.n, -1, 1)
        var select = rng.floats(count, -1, 1)
        for j in stride(from: 1, to: count, by: 3) { select[j] = 0 }
        var out = [Float](repeating: .nan, count: count), indices = [Int32](repeating: 0, count: count)
        SparseProducts.selectedDots(v, rows: rows, select: select, count: count, into: &out, indices: &indices,
                                    kernels: Kernels(level))
        let naive = SparseProducts.selectedDotsNaive(v, rows: rows, select: select, count: count)
        #expect(largestDifference(out, naive).difference <= 5e-3, "\(level): \(comparison(out, naive))")
        for j in 0..<count where select[j] == 0 {
            #expect(out[j].bitPattern == 0, "\(level): unselected \(j) is \(out[j])")
        }
    }
}
