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

    /// torch.optim.Adam (amsgrad off, weight decay 0, the single-tensor path PyTorch takes
    /// on the CPU), per element, with the float32 values PyTorch's kernels receive: its
    /// betas and lr are Python floats (doubles), and every scalar handed to a float32
    /// tensor op is rounded once to float32:
    ///   m = m + w (g - m),  w = f32(1 - 0.9)         exp_avg.lerp_(grad, 1 - beta1)
    ///   v = f32(0.999) v + f32(1 - 0.999) g g         exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    ///   d = sqrt(v) / f32(sqrt(1 - 0.999^t)) + f32(1e-8)
    ///   p = p - f32(lr / (1 - 0.9^t)) m / d           param.addcdiv_(exp_avg, denom, value=-step_size)
    /// (PyTorch before `lerp_` computed m = 0.9 m + 0.1 g, under an ulp from this.) Here
    /// in Double, from the same float32 constants, so that only the kernel's float32
    /// arithmetic separates the two; lr is 2^-7, the same number in float32 and double.
    struct AdamReference {
        static let u = 0x1p-24 // float32's unit roundoff: every operation is off by at most u of its result
        /// How far the kernels' 1 / d is from the quotient, relative: AVX2's estimate (within
        /// 1.5 2^-12) after a Newton step is within its square, 2.25u, plus the step's two
        /// roundings (AVX-512's 2^-14 estimate gives 2.07u; the plain division u).
        static let reciprocalError = 4.25 * u
        let lr: Double
        let w = Double(Float(1 - 0.9)), beta2 = Double(Float(0.999)), c2 = Double(Float(1 - 0.999))
        let eps = Double(Float(1e-8))
        var p: [Double], m: [Double], v: [Double]
        /// Bounds on how far the kernel's float32 m, v and p can be from these, to first
        /// order in u (a fused multiply-add rounds once where this counts two roundings):
        /// - m: g - m, its product by w and the sum round, and m's earlier error carries
        ///   with weight 1 - w: em = (1 - w) em + u (2 w |g - m| + |m'|);
        /// - v: all terms positive, four roundings on at most v' each: ev = b2 ev + 3 u v';
        /// - d: sqrt halves v's relative error and rounds; the kernel multiplies by
        ///   f32(1 / r), within 2u of 1 / f32(r), and rounds; eps's sum rounds:
        ///   ed = sqrt(v')/r (ev / 2v' + 4u) + u d;
        /// - the update q = s m / d, which the kernel computes as s m x with x within
        ///   `reciprocalError` of 1 / d: eq = s em / d + |q| (ed / d + 2u + reciprocalError);
        ///   p: ep = ep + eq + u |p'|.
        var em: [Double], ev: [Double], ep: [Double]

        init(initial: [Float], lr: Double) {
            self.lr = lr
            p = initial.map(Double.init)
            m = [Double](repeating: 0, count: initial.count)
            (v, em, ev, ep) = (m, m, m, m)
        }

        mutating func step(_ t: Int, gradient: [Float]) {
            let s = Double(Float(lr / (1 - pow(0.9, Double(t)))))
            let r = Double(Float((1 - pow(0.999, Double(t))).squareRoot()))
            let u = Self.u
            for i in p.indices {
                let g = Double(gradient[i])
                let mNew = m[i] + w * (g - m[i])
                em[i] = (1 - w) * em[i] + u * (2 * w * abs(g - m[i]) + abs(mNew))
                m[i] = mNew
                v[i] = beta2 * v[i] + c2 * g * g
                ev[i] = beta2 * ev[i] + 3 * u * v[i]
                let root = v[i].squareRoot() / r, d = root + eps
                let ed = (v[i] > 0 ? root * (ev[i] / (2 * v[i]) + 4 * u) : 0) + u * d
                let q = s * m[i] / d
                p[i] -= q
                ep[i] += s * em[i] / d + abs(q) * (ed / d + 2 * u + Self.reciprocalError) + u * abs(p[i])
            }
        }
    }

    /// The kernel's p, m and v after 1, 2, 5 and 16 steps against `AdamReference`, each
    /// within its bound there (times 1.01 for the second-order terms the bound leaves
    /// out). The constants rounded from float32 betas (1 - f32(0.999) = 0.000999987 for
    /// f32(0.001)) put v 1.3e-5 off, about 200 u, where its bound is under 50 u.
    @Test(arguments: KernelLevel.supported, [1, 2, 5, 16])
    func adamMatchesPyTorchFormula(level: KernelLevel, steps: Int) {
        let lr = 0x1p-7
        var reference = AdamReference(initial: Self.initial, lr: lr)
        let optimizer = Optimizer(kind: .adam, learningRate: Float(lr), count: Self.count, kernels: Kernels(level))
        var p = Self.initial
        for t in 1...steps {
            let g = Self.gradient(step: t)
            optimizer.update(&p, gradient: g, count: Self.count)
            reference.step(t, gradient: g)
        }
        for (name, actual, expected, bound) in [("p", p, reference.p, reference.ep),
                                                ("m", optimizer.first.array, reference.m, reference.em),
                                                ("v", optimizer.second.array, reference.v, reference.ev)] {
            let worst = worstRatio(0..<Self.count, difference: { abs(Double(actual[$0]) - expected[$0]) },
                                   bound: { 1.01 * bound[$0] })
            let i = worst.index, difference = abs(Double(actual[i]) - expected[i])
            #expect(worst.ratio <= 1, """
                \(level), \(steps) steps, \(name)[\(i)]: \(actual[i]) vs \(expected[i]), difference \(difference) \
                = \(worst.ratio) x its bound \(bound[i])
                """)
        }
        #expect(p[3] == Self.initial[3], "a zero gradient moved the parameter")
        // The first step moves every parameter with a nonzero gradient by lr (m / sqrt(v)
        // = sign(g)), except where eps dominates: |g| = 1e-9 moves it by lr / 11.
        if steps == 1 {
            let moved = abs(p[0] - Self.initial[0])
            #expect(abs(moved - Float(lr)) < 1e-6, "first Adam step moved \(moved), expected \(lr)")
            let small = abs(p[17] - Self.initial[17])
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
