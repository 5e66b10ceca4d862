import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The update rules against PyTorch's formulas, computed here in Double.
@Suite struct OptimizerTests {
    /// 21 parameters: one 16-wide vector and a 5-element tail, so both loops are checked.
    static let count = 21

    static func gradient(step: Int) -> [Float] {
        var rng = TestRandom(UInt64(100 + step))
        var g = rng.floats(count, -2, 2)
        g[3] = 0 // no gradient: Adam leaves it where it is
        g[17] = 1e-9 // tiny gradient: Adam's eps dominates the denominator
        g[20] = 1e-9
        return g
    }

    static let initial: [Float] = {
        var rng = TestRandom(7)
        return rng.floats(count, -0.05, 0.05)
    }()

    func run(_ kind: OptimizerKind, lr: Float, steps: Int, level: KernelLevel) -> [Float] {
        let optimizer = Optimizer(kind: kind, learningRate: lr, count: Self.count, kernels: Kernels(level))
        var p = Self.initial
        for t in 1...steps {
            let g = Self.gradient(step: t)
            optimizer.update(&p, gradient: g, count: Self.count)
        }
        #expect(optimizer.steps == steps)
        return p
    }

    /// torch.optim.Adam (amsgrad off, weight decay 0), per element:
    ///   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²
    ///   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    @Test(arguments: KernelLevel.supported, [1, 2, 5])
    func adamMatchesPyTorchFormula(level: KernelLevel, steps: Int) {
        let lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8
        var p = Self.initial.map(Double.init)
        var m = [Double](repeating: 0, count: Self.count), v = m
        for t in 1...steps {
            let g = Self.gradient(step: t).map(Double.init)
            for i in 0..<Self.count {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let denom = v[i].squareRoot() / (1 - pow(b2, Double(t))).squareRoot() + eps
                p[i] -= lr / (1 - pow(b1, Double(t))) * m[i] / denom
            }
        }
        let actual = run(.adam, lr: Float(lr), steps: steps, level: level)
        let expected = p.map { Float($0) }
        // Each update is about lr in size; float32 arithmetic gets it to ~1e-6 relative.
        let tolerance: Float = 1e-5 * Float(lr)
        #expect(largestDifference(actual, expected).difference <= tolerance, "\(level): \(comparison(actual, expected))")
        #expect(actual[3] == Self.initial[3], "a zero gradient moved the parameter")
        // The first step moves every parameter with a nonzero gradient by about lr
        // (m / sqrt(v) = sign(g)), except where eps dominates.
        if steps == 1 {
            let moved = abs(actual[0] - Self.initial[0])
            #expect(abs(moved - Float(lr)) < 1e-6, "first Adam step moved \(moved), expected \(lr)")
            let small = abs(actual[17] - Self.initial[17])
            #expect(abs(small - Float(lr / 11)) < 1e-6, "eps-dominated step moved \(small), expected \(lr / 11)")
        }
    }

    @Test(arguments: KernelLevel.supported)
    func sgdMatchesFormula(level: KernelLevel) {
        let lr: Float = 0.1
        var p = Self.initial.map(Double.init)
        for t in 1...3 {
            let g = Self.gradient(step: t)
            for i in 0..<Self.count { p[i] -= Double(lr) * Double(g[i]) }
        }
        let actual = run(.sgd, lr: lr, steps: 3, level: level), expected = p.map { Float($0) }
        #expect(largestDifference(actual, expected).difference <= 1e-6, "\(level): \(comparison(actual, expected))")
    }

    /// torch.optim.SGD(momentum=0.9, dampening=0): b = 0.9 b + g (b = g at the first
    /// step, the same thing from b = 0); p -= lr b.
    @Test(arguments: KernelLevel.supported)
    func momentumMatchesFormula(level: KernelLevel) {
        let lr = 0.1
        var p = Self.initial.map(Double.init)
        var b = [Double](repeating: 0, count: Self.count)
        for t in 1...4 {
            let g = Self.gradient(step: t)
            for i in 0..<Self.count {
                b[i] = 0.9 * b[i] + Double(g[i])
                p[i] -= lr * b[i]
            }
        }
        let actual = run(.momentum, lr: Float(lr), steps: 4, level: level), expected = p.map { Float($0) }
        #expect(largestDifference(actual, expected).difference <= 1e-5, "\(level): \(comparison(actual, expected))")
    }
}
