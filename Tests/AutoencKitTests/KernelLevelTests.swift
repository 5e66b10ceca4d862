import Testing
import Foundation
@testable import AutoencCore
@testable import AutoencKit

/// The kernel levels: which one runs, how AUTOENC_KERNELS chooses, and the step's
/// elementwise passes and whole steps at every level this CPU runs, against plain
/// references. (The products, masks, packing and optimizers have their own per-level
/// tests beside their references.)
@Suite struct KernelLevelTests {
    static let n = ModelConfig.inputs

    @Test func genericAlwaysRunsAndTheBestIsTheLastSupported() {
        #expect(KernelLevel.supported.first == .generic)
        #expect(KernelLevel.best == KernelLevel.supported.last)
        #expect(KernelLevel.supported == KernelLevel.supported.sorted())
    }

    @Test func theEnvironmentChoosesALevel() throws {
        #expect(try KernelLevel.requested(environment: [:]) == KernelLevel.best)
        #expect(try KernelLevel.requested(environment: ["AUTOENC_KERNELS": ""]) == KernelLevel.best)
        #expect(try KernelLevel.requested(environment: ["AUTOENC_KERNELS": "generic"]) == .generic)
        #expect(try KernelLevel.requested(environment: ["AUTOENC_KERNELS": "GENERIC"]) == .generic)
        for level in KernelLevel.supported {
            #expect(try KernelLevel.requested(environment: ["AUTOENC_KERNELS": level.rawValue]) == level)
        }
    }

    @Test func anUnknownOrUnsupportedLevelIsAUsageError() {
        expectAutoencError(.usage, containing: ["AUTOENC_KERNELS=sse9", "generic, avx2, avx512"]) {
            _ = try KernelLevel.requested(environment: ["AUTOENC_KERNELS": "sse9"])
        }
        for level in KernelLevel.allCases where !level.isSupported {
            expectAutoencError(.usage, containing: ["AUTOENC_KERNELS=\(level.rawValue)", "does not run"]) {
                _ = try KernelLevel.requested(environment: ["AUTOENC_KERNELS": level.rawValue])
            }
        }
    }

    /// ReLU exactly (max(z + b, 0), gate 1 or 0, NaN gives 0 and 0); sigmoid within
    /// 1e-6 of libm's (the vector exp's error is below 2e-7 relative), its gate a (1 - a)
    /// of the same a. 37 units leave a tail; ld 40 leaves columns the pass must not touch.
    @Test(arguments: KernelLevel.supported, Activation.allCases)
    func activationMatchesDefinition(level: KernelLevel, activation: Activation) {
        let rows = 3, units = 37, ld = 40
        var rng = TestRandom(21)
        var z = rng.floats(rows * ld, -6, 6)
        z[5] = .nan
        let bias = rng.floats(units, -1, 1)
        let before = z
        var gate = [Float](repeating: -9, count: rows * ld)
        Kernels(level).activate(&z, gate: &gate, bias: bias, rows: rows, units: units, ld: ld, activation: activation)
        var worst: Float = 0, wrong: [String] = []
        for r in 0..<rows {
            for j in 0..<ld {
                let i = r * ld + j
                guard j < units else {
                    if z[i].bitPattern != before[i].bitPattern || gate[i] != -9 {
                        wrong.append("column \(j) past the units written")
                    }
                    continue
                }
                let u = before[i] + bias[j]
                switch activation {
                case .relu:
                    if z[i] != (u > 0 ? u : 0) || gate[i] != (u > 0 ? 1 : 0) {
                        wrong.append("(\(r), \(j)): \(z[i]), gate \(gate[i]) for \(u)")
                    }
                case .sigmoid:
                    if u.isNaN {
                        if !z[i].isNaN { wrong.append("(\(r), \(j)): NaN gave \(z[i])") }
                        continue
                    }
                    worst = worse(worst, abs(z[i] - sigmoid(u)))
                    if gate[i] != z[i] * (1 - z[i]) { wrong.append("(\(r), \(j)): gate \(gate[i]) for a = \(z[i])") }
                }
            }
        }
        #expect(wrong.isEmpty, "\(level) \(activation): \(wrong.count) wrong, first \(wrong.prefix(3))")
        #expect(worst <= 1e-6, "\(level) \(activation): sigmoid off by \(worst)")
    }

    /// The loss and dL/dz2 against Double arithmetic with libm's exp: each y within
    /// 1e-6, so each gradient within 1e-6 scale and the sum within 1e-5 of its size.
    @Test(arguments: KernelLevel.supported)
    func outputLossMatchesDefinition(level: KernelLevel) {
        let rows = 2
        var rng = TestRandom(22)
        var z = rng.floats(rows * Self.n, -8, 8)
        let x = rng.floats(rows * Self.n, 0, 1), bias = rng.floats(Self.n, -1, 1)
        let z0 = z, scale: Float = 2 / Float(rows * Self.n)
        let sum = Kernels(level).outputLoss(&z, x: x, bias: bias, rows: rows, scale: scale)
        var expectedSum = 0.0, expectedGradient = [Float](repeating: 0, count: z.count)
        for i in 0..<z.count {
            let y = 1 / (1 + Foundation.exp(-Double(z0[i] + bias[i % Self.n])))
            let d = y - Double(x[i])
            expectedSum += d * d
            expectedGradient[i] = Float(Double(scale) * d * y * (1 - y))
        }
        #expect(abs(sum - expectedSum) <= 1e-5 * expectedSum, "\(level): loss sum \(sum), expected \(expectedSum)")
        #expect(largestDifference(z, expectedGradient).difference <= 1e-6 * scale,
                "\(level): \(comparison(z, expectedGradient))")
    }

    /// Every rule reports a non-finite result, in the vector part and in the tail.
    @Test(arguments: KernelLevel.supported, OptimizerKind.allCases)
    func optimizersReportNonFiniteWeights(level: KernelLevel, kind: OptimizerKind) {
        for bad in [3, 18] {
            let optimizer = Optimizer(kind: kind, learningRate: 0.1, count: 20, kernels: Kernels(level))
            var p = [Float](repeating: 0.5, count: 20), g = [Float](repeating: 0.1, count: 20)
            #expect(optimizer.update(&p, gradient: g, count: 20),
                    "\(level) \(kind): finite weights reported non-finite")
            g[bad] = .nan
            #expect(!optimizer.update(&p, gradient: g, count: 20), "\(level) \(kind): NaN at \(bad) not reported")
        }
    }

    static let configs: [ModelConfig] = [
        ModelConfig(hidden: 40, activation: .relu),
        ModelConfig(hidden: 37, activation: .sigmoid, dropP: 0.3, dropMode: .dropout),
        ModelConfig(hidden: 40, activation: .relu, dropP: 0.5, dropMode: .dropout, inputDropP: 0.2),
        ModelConfig(hidden: 24, activation: .relu, dropP: 0.5, dropMode: .dropconnect, masks: .example),
        ModelConfig(hidden: 24, activation: .relu, dropP: 0.3, dropMode: .dropconnect, masks: .batch),
    ]

    /// One whole training step at each level this CPU runs gives the generic level's loss
    /// and gradients: the levels differ only in the order of sums and in fused
    /// multiply-adds, each a rounding of 2^-24 of a term, so within 1e-5 of the largest
    /// gradient, where a wrong row or mask would differ by a whole gradient.
    @Test(arguments: configs)
    func everyLevelComputesTheGenericStep(config: ModelConfig) {
        let data = TrainingTests.shapes(count: 9)
        let order = (0..<Int32(9)).map { $0 }
        let model = Autoencoder(config: config, seed: 3)
        func step(_ level: KernelLevel) -> (Float, [Float]) {
            let pass = TrainingPass(model: model, maxBatch: 9, seed: 3, kernels: Kernels(level))
            pass.load(data, order[0..<9])
            let loss = pass.run(batch: 9, step: 4)
            return (loss, pass.gradients.values)
        }
        let (referenceLoss, reference) = step(.generic)
        let largest = reference.map(abs).max() ?? 0
        #expect(largest > 0)
        for level in KernelLevel.supported where level != .generic {
            let (loss, gradients) = step(level)
            #expect(abs(loss - referenceLoss) <= 1e-5 * referenceLoss,
                    "\(level): loss \(loss), generic \(referenceLoss)")
            #expect(largestDifference(gradients, reference).difference <= 1e-5 * largest,
                    "\(level) against generic: \(comparison(gradients, reference)); largest gradient \(largest)")
        }
    }

    /// The peak loop does every multiply-add it is asked for on every lane: each lane
    /// ends at exactly the value of the same recurrence in Swift, with one rounding per
    /// step where the level fuses (AVX2 and AVX-512 always; generic where the
    /// architecture has FMA) and two where it does not. The recurrence never repeats a
    /// value within these steps, so a loop cut short, or a lane not run, ends elsewhere.
    @Test(arguments: KernelLevel.supported)
    func multiplyAddPeakRunsEveryStep(level: KernelLevel) {
        let steps = 1000, m: Float = 0.999, a: Float = 0.001
        var fused: Float = 0, separate: Float = 0, fusedTrail: Set<Float> = [0]
        for _ in 0..<steps {
            fused = a.addingProduct(fused, m)
            let product = separate * m
            separate = product + a
            fusedTrail.insert(fused)
        }
        #expect(fusedTrail.count == steps + 1, "the fused recurrence repeats a value")
        let lanes = Kernels(level).multiplyAddChains(iterations: steps, multiplier: m, addend: a)
        #expect(lanes.count >= 16 && lanes.count <= 128 && lanes.count % 16 == 0)
        let allowed: Set<Float> = level == .generic ? [fused, separate] : [fused]
        let wrong = lanes.indices.filter { !allowed.contains(lanes[$0]) }
        let first = wrong.first ?? 0
        #expect(wrong.count == 0, """
            \(level): \(wrong.count) of \(lanes.count) lanes wrong, \
            lane \(first) = \(lanes[first]), expected \(allowed)
            """)
        let rate = Kernels(level).multiplyAddPeak(threads: 1, seconds: 0.01)
        #expect(rate.isFinite && rate > 0, "\(level): \(rate) GFLOP/s")
    }
}
