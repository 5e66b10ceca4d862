import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The training pass's backward against central finite differences of its own forward,
/// and its forward against an independent reference written here in Double.
@Suite struct GradientTests {
    static let hidden = 6
    static let batch = 3
    static let seed: UInt64 = 7
    static let step: UInt64 = 11
    static let n = ModelConfig.inputs

    enum Regularizer: String, CaseIterable, Sendable {
        case none, dropout, dropConnectPerExample, dropConnectPerBatch, dropConnectPerExampleBytes
        /// Classic scaling: kept units unscaled while training.
        case dropoutClassic
        /// Dropped input pixels into the encoder, clean image as the target; alone and with
        /// each hidden-layer regularizer (hidden dropout at 0.2 here: at 0.5 too few of the
        /// six ReLU units stay on for gradientsAreSubstantial's b1 check).
        case inputDropout, inputDropoutAndDropout, inputDropoutAndDropConnect
        /// Gaussian dropout's factor 1 + σ ε, alone and under input dropout.
        case gaussian, inputDropoutAndGaussian
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var activation: Activation
        var regularizer: Regularizer
        var testDescription: String { "\(activation) \(regularizer)" }

        var config: ModelConfig {
            let h = GradientTests.hidden
            switch regularizer {
            case .none: return ModelConfig(hidden: h, activation: activation)
            case .dropout: return ModelConfig(hidden: h, activation: activation, dropP: 0.3, dropMode: .dropout)
            case .dropConnectPerExample:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.5, dropMode: .dropconnect,
                                   masks: .example)
            case .dropConnectPerBatch:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.3, dropMode: .dropconnect, masks: .batch)
            case .dropConnectPerExampleBytes:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.25, dropMode: .dropconnect,
                                   masks: .example)
            case .dropoutClassic:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.3, dropMode: .dropout, scaling: .classic)
            case .inputDropout:
                return ModelConfig(hidden: h, activation: activation, inputDropP: 0.2)
            case .inputDropoutAndDropout:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.2, dropMode: .dropout, inputDropP: 0.2)
            case .inputDropoutAndDropConnect:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.5, dropMode: .dropconnect,
                                   masks: .example, inputDropP: 0.2)
            case .gaussian:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.3, dropMode: .gaussian)
            case .inputDropoutAndGaussian:
                return ModelConfig(hidden: h, activation: activation, dropP: 0.2, dropMode: .gaussian, inputDropP: 0.2)
            }
        }
    }

    static let cases: [Case] = Activation.allCases.flatMap { a in
        Regularizer.allCases.map { Case(activation: a, regularizer: $0) }
    }

    /// Inputs pushed towards 0 and 1 so that reconstruction errors, and so gradients, are
    /// large next to the loss's float resolution.
    static let inputs: [Float] = {
        var rng = TestRandom(3)
        return (0..<batch * n).map { _ in rng.next() % 2 == 0 ? rng.float(0.02, 0.2) : rng.float(0.8, 0.98) }
    }()

    /// A model with weights larger than PyTorch's initialization, for the same reason:
    /// pre-activations of order 1.
    static func model(_ config: ModelConfig) -> Autoencoder {
        let p = Parameters(hidden: config.hidden)
        var rng = TestRandom(5)
        for i in 0..<(config.hidden * n) { p.w1[i] = rng.float(-0.12, 0.12) }
        // Rows with zero mean: otherwise the inputs' mean of 0.5 adds a per-unit offset
        // shared by all examples, and ReLU units are on for all of them or for none.
        for j in 0..<config.hidden {
            let row = p.w1 + j * n
            let mean = (0..<n).reduce(Float(0)) { $0 + row[$1] } / Float(n)
            for i in 0..<n { row[i] -= mean }
        }
        // Biases leaning positive, so that most ReLU units are on for some examples.
        for j in 0..<config.hidden { p.b1[j] = rng.float(-0.2, 0.6) }
        for i in 0..<(config.hidden * n) { p.w2[i] = rng.float(-1, 1) }
        for i in 0..<n { p.b2[i] = rng.float(-0.5, 0.5) }
        return Autoencoder(config: config, parameters: p)
    }

    static func pass(_ model: Autoencoder) -> TrainingPass {
        let pass = TrainingPass(model: model, maxBatch: batch, seed: seed)
        inputs.withUnsafeBufferPointer { pass.input.update(from: $0.baseAddress!, count: batch * n) }
        return pass
    }

    // MARK: - Reference forward pass in Double

    /// Pixel i of example b as the encoder sees it: the input, or under input dropout
    /// 0 or input / (1 - p_in), by the mask rebuilt from its public definition.
    static func encoderInput(_ config: ModelConfig, _ b: Int, _ i: Int) -> Double {
        let x = Double(inputs[b * n + i])
        guard config.inputDropP > 0 else { return x }
        let mask = DropoutMask(dropP: config.inputDropP, seed: seed, purpose: .inputDropout)
        return mask.keeps(key: mask.key(step: step, example: b), unit: i) ? x / (1 - Double(config.inputDropP)) : 0
    }

    /// Pre-activations z1 = scale * (mask ⊙ w1) x + b1, (batch, hidden), with the masks
    /// rebuilt from their public definition.
    static func preActivations(_ model: Autoencoder) -> [Double] {
        let config = model.config, h = config.hidden, p = model.parameters
        let layout: DropConnectMask.Layout = config.masks == .example ? .inputRows(hidden: h) : .unitRows
        let dc = config.dropMode == .dropconnect && config.dropP > 0
            ? DropConnectMask(dropP: config.dropP, seed: seed, layout: layout) : nil
        var z = [Double](repeating: 0, count: batch * h)
        for b in 0..<batch {
            let key = dc?.key(step: step, example: config.masks == .example ? b : nil) ?? 0
            for j in 0..<h {
                var sum = 0.0
                for i in 0..<n where dc?.keeps(key: key, unit: j, input: i) ?? true {
                    sum += Double(p.w1[j * n + i]) * encoderInput(config, b, i)
                }
                z[b * h + j] = sum * Double(dc?.scale ?? 1) + Double(p.b1[j])
            }
        }
        return z
    }

    /// The loss of the pass, computed independently: mean over batch x 784 of
    /// (sigmoid(w2 hd + b2) - x)², hd = act(z1) times the dropout factor.
    static func referenceLoss(_ model: Autoencoder) -> Double {
        let config = model.config, h = config.hidden, p = model.parameters
        let z = preActivations(model)
        let dropout = config.dropMode == .dropout && config.dropP > 0
            ? DropoutMask(dropP: config.dropP, seed: seed) : nil
        var total = 0.0
        for b in 0..<batch {
            var hd = [Double](repeating: 0, count: h)
            for j in 0..<h {
                let zj = z[b * h + j]
                let a = config.activation == .relu ? max(zj, 0) : 1 / (1 + exp(-zj))
                var factor = 1.0
                if let dropout {
                    let kept = config.scaling == .inverted ? 1 / (1 - Double(config.dropP)) : 1
                    factor = dropout.keeps(key: dropout.key(step: step, example: b), unit: j) ? kept : 0
                }
                if config.dropMode == .gaussian && config.dropP > 0 {
                    factor = gaussianFactor(config.dropP, example: b, unit: j)
                }
                hd[j] = a * factor
            }
            for i in 0..<n {
                var z2 = Double(p.b2[i])
                for j in 0..<h { z2 += Double(p.w2[i * h + j]) * hd[j] }
                let y = 1 / (1 + exp(-z2))
                let d = y - Double(inputs[b * n + i])
                total += d * d
            }
        }
        return total / Double(batch * n)
    }

    /// Gaussian dropout's 1 + σ ε for unit j of example b, rebuilt from its definition:
    /// Box-Muller on the two halves of word j of the `.gaussianDropout` stream.
    static func gaussianFactor(_ p: Float, example b: Int, unit j: Int) -> Double {
        var stream = RandomStream(seed: seed, .gaussianDropout, step, UInt64(b))
        stream.counter = UInt64(j)
        let word = stream.next()
        let u1 = (Double(word >> 32) + 1) / 4_294_967_296, u2 = Double(word & 0xFFFF_FFFF) / 4_294_967_296
        let epsilon = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        return 1 + (Double(p) / (1 - Double(p))).squareRoot() * epsilon
    }

    @Test(arguments: cases)
    func lossMatchesReference(_ c: Case) {
        let model = Self.model(c.config)
        let loss = Self.pass(model).run(batch: Self.batch, step: Self.step)
        let reference = Self.referenceLoss(model)
        #expect(abs(Double(loss) - reference) <= 1e-5 * reference,
                "loss \(loss), reference \(reference), difference \(abs(Double(loss) - reference))")
    }

    // MARK: - Finite differences

    enum Tensor: String, CaseIterable, Sendable { case w1, b1, w2, b2 }

    /// The entries checked: a spread over rows and columns of each tensor (flat indices).
    static func sample(_ tensor: Tensor) -> [Int] {
        let h = hidden
        switch tensor {
        case .w1: return (0..<14).map { k in (k % h) * n + (k * 97 + 13) % n }
        case .b1: return Array(0..<h)
        case .w2: return (0..<18).map { k in ((k * 131 + 7) % n) * h + k % h }
        case .b2: return (0..<8).map { k in (k * 211 + 3) % n }
        }
    }

    /// The finite-difference step for each tensor: w1 and b1 move the hidden
    /// pre-activations (a ReLU kink nearby would break the quotient), so smaller steps;
    /// w2 and b2 act after the hidden layer, where everything is smooth.
    static func step(_ tensor: Tensor) -> Float { tensor == .w1 || tensor == .b1 ? 0.01 : 0.05 }

    /// The absolute part of the tolerance: twice the largest error the rounding of the
    /// float32 losses (half an ulp each) can put into the extrapolated quotient.
    static func absoluteTolerance(loss: Float, step: Float) -> Double {
        2 * Double(loss.ulp) * (4.0 / 3 / (2 * Double(step)) + 1.0 / 3 / (4 * Double(step)))
    }

    static func pointer(_ p: Parameters, _ tensor: Tensor) -> UnsafeMutablePointer<Float> {
        switch tensor {
        case .w1: p.w1
        case .b1: p.b1
        case .w2: p.w2
        case .b2: p.b2
        }
    }

    /// Compares dLoss/dθ from the backward pass with central differences of the loss the
    /// same pass returns, recomputed at the same step so every dropout and DropConnect
    /// mask is the same in each evaluation.
    ///
    /// Float32 losses carry a rounding error of up to half an ulp, which a difference
    /// quotient divides by the step; to keep that small the steps are fairly large and
    /// Richardson extrapolation, (4 D(h) - D(2h)) / 3, removes the h² truncation error
    /// they would otherwise bring. The tolerance is 1e-3 relative plus that rounding
    /// bound (times 2) as the absolute part.
    @Test(arguments: cases)
    func backwardMatchesFiniteDifferences(_ c: Case) throws {
        let model = Self.model(c.config)
        let pass = Self.pass(model)
        let p = model.parameters, h = Self.hidden
        let loss0 = pass.run(batch: Self.batch, step: Self.step)
        let analytic = pass.gradients.values
        let z1 = Self.preActivations(model)
        let dcScale = c.config.dropMode == .dropconnect
            ? Double(DropConnectMask(dropP: c.config.dropP, seed: Self.seed).scale) : 1

        var checked = 0, skipped = 0
        var worst = (ratio: 0.0, what: "")
        for tensor in Tensor.allCases {
            let step = Self.step(tensor)
            let base = Self.pointer(p, tensor)
            let offset = base - p.base
            for index in Self.sample(tensor) {
                if c.activation == .relu && (tensor == .w1 || tensor == .b1) {
                    // Skip an entry when the largest perturbation (2 steps) could carry a
                    // pre-activation it feeds across ReLU's kink at 0: the loss is not
                    // differentiable there and the quotient says nothing about the code.
                    let j = tensor == .w1 ? index / Self.n : index
                    let reach = (0..<Self.batch).map { b -> Double in
                        tensor == .b1 ? Double(2 * step)
                            : Double(2 * step) * dcScale * Self.encoderInput(c.config, b, index % Self.n)
                    }
                    if (0..<Self.batch).contains(where: { abs(z1[$0 * h + j]) <= 1.5 * reach[$0] }) {
                        skipped += 1
                        continue
                    }
                }
                let original = base[index]
                func loss(at delta: Float) -> Double {
                    base[index] = original + delta
                    defer { base[index] = original }
                    return Double(pass.run(batch: Self.batch, step: Self.step))
                }
                let d1 = (loss(at: step) - loss(at: -step)) / Double(2 * step)
                let d2 = (loss(at: 2 * step) - loss(at: -2 * step)) / Double(4 * step)
                let numeric = (4 * d1 - d2) / 3
                let exact = Double(analytic[offset + index])
                let tolerance = 1e-3 * abs(exact) + Self.absoluteTolerance(loss: loss0, step: step)
                let ratio = abs(numeric - exact) / tolerance
                if ratio > worst.ratio {
                    worst = (ratio, """
                        \(tensor)[\(index)]: backward \(exact), finite differences \(numeric), \
                        tolerance \(tolerance)
                        """)
                }
                checked += 1
            }
        }
        // The base pass must be restored exactly (the evaluations leave no trace).
        #expect(pass.run(batch: Self.batch, step: Self.step) == loss0)
        #expect(worst.ratio <= 1, "largest difference relative to tolerance \(worst.ratio) at \(worst.what)")
        #expect(checked >= 30, "only \(checked) entries checked, \(skipped) skipped near ReLU kinks")
    }

    /// Gradients are not all zero or trivially small: the comparison above has something
    /// to compare: at least 3 sampled entries per tensor 10 times above the absolute
    /// tolerance, where the 1e-3 relative part dominates.
    @Test(arguments: cases)
    func gradientsAreSubstantial(_ c: Case) {
        let model = Self.model(c.config)
        let pass = Self.pass(model)
        let loss = pass.run(batch: Self.batch, step: Self.step)
        for tensor in Tensor.allCases {
            let floor = Self.absoluteTolerance(loss: loss, step: Self.step(tensor))
            let g = Self.pointer(pass.gradients, tensor)
            let large = Self.sample(tensor).filter { abs(Double(g[$0])) > 10 * floor }.count
            #expect(large >= 3, "\(tensor): only \(large) sampled gradients above \(10 * floor)")
        }
    }

    // MARK: - Shards

    /// A batch split into shards (each with its example offset and the batch total) gives
    /// the same loss and, summed, the same gradient as the whole batch: same masks too.
    @Test(arguments: cases)
    func shardsAddUpToTheBatch(_ c: Case) {
        let model = Self.model(c.config)
        let whole = Self.pass(model)
        let loss = whole.run(batch: Self.batch, step: Self.step)
        let first = TrainingPass(model: model, maxBatch: 2, seed: Self.seed)
        let second = TrainingPass(model: model, maxBatch: 1, seed: Self.seed)
        Self.inputs.withUnsafeBufferPointer { x in
            first.input.update(from: x.baseAddress!, count: 2 * Self.n)
            second.input.update(from: x.baseAddress! + 2 * Self.n, count: Self.n)
        }
        let l1 = first.run(batch: 2, step: Self.step, exampleOffset: 0, total: Self.batch)
        let l2 = second.run(batch: 1, step: Self.step, exampleOffset: 2, total: Self.batch)
        #expect(abs(l1 + l2 - loss) <= 1e-6 * loss, "shard losses \(l1) + \(l2) vs \(loss)")
        let summed = zip(first.gradients.values, second.gradients.values).map { $0 + $1 }
        let full = whole.gradients.values
        let scale = full.map { abs($0) }.max()!
        #expect(largestDifference(summed, full).difference <= 1e-5 * scale, "\(comparison(summed, full))")
    }
}
