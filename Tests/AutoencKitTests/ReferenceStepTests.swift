import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The fast training step (`Trainer` running `TrainingPass`'s phases) against its
/// definition, `ReferenceStep`: in every mode, at every kernel level this CPU runs, on 1,
/// 2 and 3 threads, over 3 steps of uneven batches (6, 5 and 2 images).
///
/// The two go in lockstep: before each step the reference takes the fast step's
/// parameters, optimizer state and step index; then it computes the step's loss and
/// gradient itself, and applies its own update to the fast step's gradient. Comparing
/// the update on the same gradient keeps Adam from magnifying a rounding: Adam divides a
/// gradient by its own running size, so a gradient that is rounding noise moves its
/// weight by a whole lr either way. Both halves together are the whole step.
///
/// This subsumes, for the step as a whole, the per-level check against the generic
/// kernels (`KernelLevelTests.everyLevelComputesTheGenericStep`), the threads' agreement
/// (`ParallelStepTests`, `TrainingTests.threadsAgreeUpToRounding`) and the reference loss
/// of `GradientTests`; those stay, as narrower checks that fail closer to their cause.
@Suite struct ReferenceStepTests {
    static let n = ModelConfig.inputs
    /// float32's unit roundoff: an operation's result is off by at most u of itself.
    static let u = 0x1p-24
    /// Each tolerance is `tolerance` times a first-order bound on the fast step's error
    /// (`gradientBounds`, `updateBounds`): twice, since the reference's own error is within
    /// the same bound (it rounds once per stored value, the fast step at least once), and
    /// 1% more for the terms of second order in u the bounds leave out.
    static let tolerance = 2.02
    /// The kernels' exp is off by less than 2e-7 of itself (its comment, and the sigmoid
    /// check in `KernelLevelTests`).
    static let expError = 2e-7

    enum Regularizer: String, CaseIterable, Sendable {
        case none, dropout, dropConnectPerExample, dropConnectPerBatch, gaussian
    }

    struct Mode: CustomTestStringConvertible, Sendable {
        var name: String
        var config: ModelConfig
        var optimizer: OptimizerKind
        /// A third of the units dead (bias -100), so that ReLU steps pack the active units.
        var deadUnits = false
        var testDescription: String { "\(name) \(optimizer)" }

        var learningRate: Float {
            switch optimizer {
            case .adam: 0.01
            case .sgd: 0.5
            case .momentum: 0.1
            }
        }
    }

    static func config(_ r: Regularizer, _ a: Activation, hidden: Int = 20) -> ModelConfig {
        switch r {
        case .none: ModelConfig(hidden: hidden, activation: a)
        case .dropout: ModelConfig(hidden: hidden, activation: a, dropP: 0.5, dropMode: .dropout)
        case .dropConnectPerExample: ModelConfig(hidden: hidden, activation: a, dropP: 0.5, dropMode: .dropconnect)
        case .dropConnectPerBatch:
            ModelConfig(hidden: hidden, activation: a, dropP: 0.3, dropMode: .dropconnect, masks: .batch)
        case .gaussian: ModelConfig(hidden: hidden, activation: a, dropP: 0.5, dropMode: .gaussian)
        }
    }

    /// Every regularizer x activation x optimizer, then the variants: classic scaling,
    /// dropout under the sparse products' cut-off, both DropConnect mask resolutions for
    /// both sharings, input dropout alone and with each regularizer, max-norm (0.57 sits
    /// among the initial rows' norms, about 0.58) with each, and packed ReLU steps.
    static let modes: [Mode] = {
        var modes: [Mode] = []
        for r in Regularizer.allCases {
            for a in Activation.allCases {
                for o in OptimizerKind.allCases {
                    modes.append(Mode(name: "\(a) \(r)", config: config(r, a), optimizer: o))
                }
            }
        }
        func add(_ name: String, _ c: ModelConfig, _ o: OptimizerKind, dead: Bool = false) {
            modes.append(Mode(name: name, config: c, optimizer: o, deadUnits: dead))
        }
        add("relu dropout classic", ModelConfig(hidden: 20, dropP: 0.3, scaling: .classic), .adam)
        add("sigmoid dropout classic",
            ModelConfig(hidden: 20, activation: .sigmoid, dropP: 0.5, scaling: .classic), .sgd)
        add("relu dropout 0.2", ModelConfig(hidden: 20, dropP: 0.2), .momentum)
        add("sigmoid dropconnect per example, bytes",
            ModelConfig(hidden: 20, activation: .sigmoid, dropP: 0.3, dropMode: .dropconnect), .momentum)
        add("relu dropconnect per batch, bits",
            ModelConfig(hidden: 20, dropP: 0.5, dropMode: .dropconnect, masks: .batch), .sgd)
        add("relu input dropout", ModelConfig(hidden: 20, inputDropP: 0.2), .adam)
        add("sigmoid input dropout, dropout",
            ModelConfig(hidden: 20, activation: .sigmoid, dropP: 0.5, inputDropP: 0.2), .sgd)
        add("relu input dropout, dropconnect per example",
            ModelConfig(hidden: 20, dropP: 0.5, dropMode: .dropconnect, inputDropP: 0.2), .momentum)
        add("sigmoid input dropout, dropconnect per batch",
            ModelConfig(hidden: 20, activation: .sigmoid, dropP: 0.3, dropMode: .dropconnect, masks: .batch,
                        inputDropP: 0.2), .adam)
        add("relu max-norm", ModelConfig(hidden: 20, maxNorm: 0.57), .adam)
        add("sigmoid max-norm, dropout",
            ModelConfig(hidden: 20, activation: .sigmoid, dropP: 0.5, maxNorm: 0.57), .momentum)
        add("relu max-norm, dropconnect per example",
            ModelConfig(hidden: 20, dropP: 0.5, dropMode: .dropconnect, maxNorm: 0.57), .sgd)
        add("relu max-norm, dropconnect per batch",
            ModelConfig(hidden: 20, dropP: 0.3, dropMode: .dropconnect, masks: .batch, maxNorm: 0.57), .adam)
        // two threads split 200 units at unit 100, three at 66 and 133: inside a random
        // word's 64 units, where dw1's kernel once took the wrong keeps
        add("relu dropconnect per example, bits, 200 units",
            ModelConfig(hidden: 200, dropP: 0.5, dropMode: .dropconnect), .adam)
        // 256 units: at AVX-512 one and two threads take dw1's units 128 at a time, over
        // the pixel columns filled in pairs (each thread its whole pairs of pixels)
        add("relu dropconnect per example, bits, 256 units",
            ModelConfig(hidden: 256, dropP: 0.5, dropMode: .dropconnect), .sgd)
        add("relu packed", ModelConfig(hidden: 40), .adam, dead: true)
        add("relu packed, dropout 0.2", ModelConfig(hidden: 40, dropP: 0.2), .sgd, dead: true)
        add("sigmoid input dropout, gaussian",
            ModelConfig(hidden: 20, activation: .sigmoid, dropP: 0.3, dropMode: .gaussian, inputDropP: 0.2), .momentum)
        add("relu max-norm, gaussian", ModelConfig(hidden: 20, dropP: 0.5, dropMode: .gaussian, maxNorm: 0.57), .sgd)
        add("relu packed, gaussian 0.2", ModelConfig(hidden: 40, dropP: 0.2, dropMode: .gaussian), .adam, dead: true)
        return modes
    }()

    static let data = TrainingTests.shapes(count: 13)
    static let batches: [ArraySlice<Int32>] = {
        let order = (0..<Int32(13)).map { $0 }
        return [order[0..<6], order[6..<11], order[11..<13]]
    }()

    @Test(arguments: modes, KernelLevel.supported)
    func fastStepMatchesTheReference(mode: Mode, level: KernelLevel) throws {
        for threads in 1...3 {
            let report = try Self.compare(mode, level: level, threads: threads)
            let name = "\(mode.testDescription), \(level), \(threads) threads"
            #expect(report.worst.ratio <= 1, "\(name): \(report.worst.what)")
            #expect(report.largestGradientShare < 2e-2, """
                \(name): the largest gradient's tolerance is \
                \(report.largestGradientShare) of it
                """)
        }
    }

    /// A minibatch of more than 1024 examples, where the own decoder product
    /// (`Matrix.ownProductColumns`) gives way to BLAS and the step leaves hd^T alone: on
    /// one thread the dense layout's part is the whole minibatch, on two each part is
    /// within it again; the packed layout's decoder always takes the whole minibatch. At
    /// the best level the CPU runs (the own product's, on AVX-512), with 8 units: the
    /// reference's loops over 1030 images take most of the test's time.
    @Test func aMinibatchWiderThanTheOwnProduct() throws {
        let level = KernelLevel.supported.last ?? .generic
        let count = Matrix.ownProductColumns + 6
        let data = TrainingTests.shapes(count: count)
        let batches = [(0..<Int32(count)).map { $0 }[...]]
        for mode in [Mode(name: "relu, packed", config: Self.config(.none, .relu, hidden: 8), optimizer: .sgd,
                          deadUnits: true),
                     Mode(name: "sigmoid, dense", config: Self.config(.none, .sigmoid, hidden: 8), optimizer: .sgd)] {
            for threads in 1...2 {
                let report = try Self.compare(mode, level: level, threads: threads, data: data, batches: batches)
                #expect(report.worst.ratio <= 1, "\(mode.name), \(level), \(threads) threads: \(report.worst.what)")
            }
        }
    }

    // MARK: - One comparison

    /// Where the reference may be made wrong on purpose, to show that the comparison fails.
    enum Perturbation: String, CaseIterable, Sendable {
        /// It draws the masks of the next step.
        case masksOfTheNextStep
        /// Dropout's other scaling (classic for inverted).
        case otherScaling
        /// One decoder weight 10% larger in its forward and backward passes.
        case decoderWeight
        /// The learning rate 1e-5 larger.
        case learningRate
    }

    /// What is compared: the loss and gradient, or the update of the same gradient (the
    /// parameters and the optimizer's state).
    enum Part: String, CaseIterable, Sendable { case loss, gradient, parameters, optimizerState }

    struct Report {
        var worst = (ratio: 0.0, what: "nothing compared")
        /// The largest difference relative to its tolerance, by part.
        var ratios: [Part: Double] = [:]
        /// The largest gradient's tolerance over its size, the largest over the steps: the
        /// test asks for under 2%, where a wrong mask, scale, example or row is off by the
        /// size of the gradient (observed: at most 0.6%).
        var largestGradientShare = 0.0
        mutating func note(_ part: Part, _ ratio: Double, _ what: @autoclosure () -> String) {
            ratios[part] = ratios[part].map { worse($0, ratio) } ?? ratio
            if isWorse(ratio, than: worst.ratio) { worst = (ratio, what()) }
        }
    }

    /// Runs the 3 steps of `mode` on `threads` threads at kernel `level`, each against the
    /// reference (perturbed by `perturbation`); returns the largest difference relative
    /// to its tolerance, with where it is.
    static func compare(_ mode: Mode, level: KernelLevel, threads: Int, perturbation: Perturbation? = nil,
                        data: ImageSet = Self.data, batches: [ArraySlice<Int32>] = Self.batches) throws -> Report {
        let model = Autoencoder(config: mode.config, seed: 5)
        if mode.deadUnits { for j in stride(from: 1, to: mode.config.hidden, by: 3) { model.parameters.b1[j] = -100 } }
        var options = TrainingTests.options(seed: 9, batch: batches.map(\.count).max() ?? 1, lr: mode.learningRate,
                                            optimizer: mode.optimizer, threads: threads)
        options.kernels = level
        let trainer = Trainer(model: model, options: options)
        var report = Report()
        for (s, indices) in batches.enumerated() {
            let batch = indices.count
            var x = [Float](repeating: 0, count: batch * n)
            x.withUnsafeMutableBufferPointer { data.gather(indices, into: $0.baseAddress!) }
            let start = model.parameters.values
            var config = mode.config, lr = mode.learningRate, parameters = start
            switch perturbation {
            case .otherScaling: config.scaling = config.scaling == .inverted ? .classic : .inverted
            case .decoderWeight: parameters[2 * config.hidden * n + config.hidden - 7] *= 1.1
            case .learningRate: lr *= 1 + 1e-5
            case .masksOfTheNextStep, nil: break
            }
            var reference = ReferenceStep(config: config, optimizer: mode.optimizer, learningRate: lr, seed: 9,
                                          parameters: parameters)
            reference.first = trainer.optimizer.first.array
            reference.second = trainer.optimizer.second.array
            reference.step = trainer.step
            #expect(trainer.optimizer.steps == Int(trainer.step))

            let loss = try trainer.trainStep(data, indices, epoch: 1)
            let gradient = trainer.pass.gradients.values
            if mode.deadUnits {
                #expect(trainer.pass.batchPacked, "\(mode.testDescription), step \(s + 1) did not pack")
            }

            let forward = reference.forward(x, batch: batch,
                                            step: reference.step + (perturbation == .masksOfTheNextStep ? 1 : 0))
            let backward = reference.backward(forward)
            let bounds = gradientBounds(forward, backward, parameters: parameters, config: config)
            let at = "step \(s + 1)"
            report.note(.loss, abs(Double(loss) - Double(forward.loss)) / (tolerance * bounds.loss),
                        "\(at) loss: \(loss) vs \(forward.loss), tolerance \(tolerance * bounds.loss)")
            compare(gradient, backward.gradient, bounds: bounds.gradient, hidden: config.hidden,
                    what: "\(at) gradient", part: .gradient, into: &report)
            let sizes = backward.gradient.map(abs)
            if let top = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) {
                let share = tolerance * bounds.gradient[top] / Double(abs(backward.gradient[top]))
                report.largestGradientShare = max(report.largestGradientShare, share)
            }

            // the reference's update of the fast step's gradient, from the same parameters
            reference.parameters = start
            let before = reference
            reference.update(gradient)
            let update = updateBounds(before, gradient: gradient)
            compare(model.parameters.values, reference.parameters, bounds: update.parameters, hidden: config.hidden,
                    what: "\(at) parameters", part: .parameters, into: &report)
            if mode.optimizer != .sgd {
                compare(trainer.optimizer.first.array, reference.first, bounds: update.first, hidden: config.hidden,
                        what: "\(at) \(mode.optimizer == .adam ? "m" : "momentum buffer")", part: .optimizerState,
                        into: &report)
            }
            if mode.optimizer == .adam {
                compare(trainer.optimizer.second.array, reference.second, bounds: update.second, hidden: config.hidden,
                        what: "\(at) v", part: .optimizerState, into: &report)
            }
        }
        return report
    }

    /// Notes the element of `actual` farthest from `expected` relative to its tolerance.
    static func compare(_ actual: [Float], _ expected: [Float], bounds: [Double], hidden h: Int, what: String,
                        part: Part, into report: inout Report) {
        let worst = worstRatio(actual.indices, difference: { abs(Double(actual[$0]) - Double(expected[$0])) },
                               bound: { tolerance * bounds[$0] })
        let k = worst.index
        report.note(part, worst.ratio, """
            \(what) \(name(k, hidden: h)): \(actual[k]) vs \(expected[k]), difference \
            \(abs(Double(actual[k]) - Double(expected[k]))), tolerance \(tolerance * bounds[k]) \
            (\(worst.ratio) of it); \
            largest difference \(comparison(actual, expected))
            """)
    }

    /// "w1[j, i]", "b2[i]", ... for flat index k of `Parameters`' layout.
    static func name(_ k: Int, hidden h: Int) -> String {
        switch k {
        case ..<(h * n): "w1[\(k / n), \(k % n)]"
        case ..<(h * n + h): "b1[\(k - h * n)]"
        case ..<(2 * h * n + h): "w2[\((k - h * n - h) / h), \((k - h * n - h) % h)]"
        default: "b2[\(k - 2 * h * n - h)]"
        }
    }

    // MARK: - Tolerances

    /// Bounds on how far the fast step's loss and gradient can be from the exact values,
    /// to first order in u, carried through the step as it computes:
    /// - a product's sum of k terms, in any order (BLAS's blocking, the kernels' lanes,
    ///   threads' shares, packed or sparse subsets), rounds each addition and product at
    ///   most by u of the sum of the terms' magnitudes S: (k + c) u S, c counting the bias,
    ///   DropConnect's scaled weights and its scale; the error its inputs bring is the
    ///   same product over their bounds;
    /// - ReLU passes its input's bound (none where z1 is below 0 by more than it);
    ///   sigmoid's slope is at most 1/4, and the kernels' exp adds 2e-7 of it, the
    ///   division and addition 2u; ReLU's gate is exact, except where z1 is within its
    ///   bound of 0: then it may be 0 or 1 (times the dropout factor);
    /// - dz2 = c (y - x) y (1 - y) moves by c (y (1 - y) + |y - x| |1 - 2y|) per unit of y.
    /// The encoder's bound is about 784 u S, 5e-5 of the sum of its terms' magnitudes; a
    /// wrong mask, scale, example or row changes a value by the size of its terms. These
    /// are worst cases: the differences observed stay under 1% of the tolerance.
    static func gradientBounds(_ f: ReferenceStep.Forward, _ bw: ReferenceStep.Backward, parameters p: [Float],
                               config: ModelConfig) -> (loss: Double, gradient: [Double]) {
        let h = config.hidden, batch = f.batch, masks = f.masks, u = Self.u
        let w1 = { (j: Int, i: Int) in abs(Double(p[j * n + i])) }
        let w2 = { (i: Int, j: Int) in abs(Double(p[h * n + h + i * h + j])) }
        let sigmoid = config.activation == .sigmoid
        // xd: one rounding (x times input dropout's scale)
        let exd = f.xd.map { u * abs(Double($0)) }
        // z1 = xd (c w1)^T + b1, a, hd, and the gate times the dropout factor
        var ehd = [Double](repeating: 0, count: batch * h), gate = ehd, egate = ehd
        for b in 0..<batch {
            for j in 0..<h {
                var s = abs(Double(p[h * n + j])), carried = 0.0
                for i in 0..<n {
                    let c = Double(masks.connection(b, j, i)) * w1(j, i)
                    s += c * abs(Double(f.xd[b * n + i]))
                    carried += c * exd[b * n + i]
                }
                let k = b * h + j, ez1 = Double(n + 3) * u * s + carried
                let a = Double(f.a[k]), factor = abs(Double(masks.unit(b, j))) // Gaussian's may be < 0
                // ReLU: 1-Lipschitz, and exactly 0 where z1 is below 0 by more than its bound
                let ea = sigmoid ? ez1 / 4 + (expError + 3 * u) * a : (Double(f.z1[k]) < -ez1 ? 0 : ez1)
                ehd[k] = factor * ea + u * abs(Double(f.hd[k]))
                if sigmoid {
                    gate[k] = factor * a * (1 - a)
                    egate[k] = factor * (abs(1 - 2 * a) * ea + 3 * u * a * (1 - a))
                } else {
                    gate[k] = f.z1[k] > 0 ? factor : 0
                    egate[k] = abs(Double(f.z1[k])) <= ez1 ? factor : 0
                }
            }
        }
        // z2 = hd w2^T + b2, y, the loss, dz2
        let scale = 2 / Double(batch * n)
        var edz2 = [Double](repeating: 0, count: batch * n), eloss = 0.0
        for b in 0..<batch {
            for i in 0..<n {
                var s = abs(Double(p[2 * h * n + h + i])), carried = 0.0
                for j in 0..<h {
                    s += abs(Double(f.hd[b * h + j])) * w2(i, j)
                    carried += ehd[b * h + j] * w2(i, j)
                }
                let k = b * n + i, y = Double(f.y[k]), d = y - Double(f.x[k])
                let ey = (Double(h + 2) * u * s + carried) / 4 + (expError + 3 * u) * y
                eloss += 2 * abs(d) * (ey + u * abs(d)) / Double(batch * n)
                edz2[k] = scale * (y * (1 - y) + abs(d) * abs(1 - 2 * y)) * ey + 6 * u * abs(Double(bw.dz2[k]))
            }
        }
        eloss += Double(n + 8) * u * Double(f.loss)
        // dhd = dz2 w2, dz1 = dhd * gate
        var edz1 = [Double](repeating: 0, count: batch * h)
        for b in 0..<batch {
            for j in 0..<h {
                var s = 0.0, carried = 0.0
                for i in 0..<n {
                    s += abs(Double(bw.dz2[b * n + i])) * w2(i, j)
                    carried += edz2[b * n + i] * w2(i, j)
                }
                let k = b * h + j, edhd = Double(n + 1) * u * s + carried
                edz1[k] = gate[k] * edhd + abs(Double(bw.dhd[k])) * egate[k] + u * abs(Double(bw.dz1[k]))
            }
        }
        // dw1 = dz1^T (c xd), db1; dw2 = dz2^T hd, db2
        var e = [Double](repeating: 0, count: p.count)
        for j in 0..<h {
            for i in 0..<n {
                var s = 0.0, carried = 0.0
                for b in 0..<batch {
                    let c = Double(masks.connection(b, j, i))
                    let dz1 = abs(Double(bw.dz1[b * h + j])), xd = abs(Double(f.xd[b * n + i]))
                    s += c * dz1 * xd
                    carried += c * (edz1[b * h + j] * xd + dz1 * exd[b * n + i])
                }
                e[j * n + i] = Double(batch + 3) * u * s + carried
            }
            let column = (0..<batch).map { $0 * h + j }
            e[h * n + j] = column.reduce(0.0) { $0 + edz1[$1] + Double(batch) * u * abs(Double(bw.dz1[$1])) }
        }
        for i in 0..<n {
            for j in 0..<h {
                var s = 0.0, carried = 0.0
                for b in 0..<batch {
                    let dz2 = abs(Double(bw.dz2[b * n + i])), hd = abs(Double(f.hd[b * h + j]))
                    s += dz2 * hd
                    carried += edz2[b * n + i] * hd + dz2 * ehd[b * h + j]
                }
                e[h * n + h + i * h + j] = Double(batch + 1) * u * s + carried
            }
            let column = (0..<batch).map { $0 * n + i }
            e[2 * h * n + h + i] = column.reduce(0.0) { $0 + edz2[$1] + Double(batch) * u * abs(Double(bw.dz2[$1])) }
        }
        return (eloss, e)
    }

    /// Bounds on how far the fast step's update of gradient g can be from the exact one,
    /// from the same state (`before`): each float32 operation off by u of its result, to
    /// first order (a fused multiply-add rounds once where this counts two):
    /// - SGD: u |lr g| + u |p'|; momentum: the buffer u (0.9 |b| + |b'|), p: lr times
    ///   that + u (|lr b'| + |p'|);
    /// - Adam: m' = m + w (g - m): u (2 w |g - m| + |m'|); v': 3 u v' (positive terms);
    ///   d = sqrt(v')/r + eps: sqrt(v')/r (ev / 2v' + 2u) + u d; the update q = s m'/d:
    ///   s em / d + |q| (ed / d + 2u); p: that + u |p'|;
    /// - max-norm: a row's norm moves by at most the norm of its entries' bounds, so
    ///   each entry by that times |w| / norm, plus its scaling's 3u (which also covers a
    ///   row whose norm is within rounding of the limit, scaled on one side only).
    static func updateBounds(_ before: ReferenceStep, gradient: [Float])
        -> (parameters: [Double], first: [Double], second: [Double]) {
        let u = Self.u, lr = Double(before.learningRate), count = gradient.count
        // the update without max-norm, whose values the bounds are of
        var config = before.config
        config.maxNorm = nil
        var free = ReferenceStep(config: config, optimizer: before.optimizer, learningRate: before.learningRate,
                                 seed: before.seed, parameters: before.parameters)
        (free.first, free.second, free.step) = (before.first, before.second, before.step)
        free.update(gradient)
        let adam = ReferenceStep.adamConstants(learningRate: before.learningRate, t: Int(before.step) + 1)
        let (w, s, r, eps) = (Double(adam.w), Double(adam.stepSize), Double(adam.root), Double(adam.eps))
        var ep = [Double](repeating: 0, count: count), em = ep, ev = ep
        for k in 0..<count {
            let g = Double(gradient[k]), p = abs(Double(free.parameters[k]))
            switch before.optimizer {
            case .sgd:
                ep[k] = u * abs(lr * g) + u * p
            case .momentum:
                let b = Double(free.first[k])
                em[k] = u * (Double(ReferenceStep.momentum) * abs(Double(before.first[k])) + abs(b))
                ep[k] = lr * em[k] + u * (abs(lr * b) + p)
            case .adam:
                let m = Double(free.first[k]), v = Double(free.second[k])
                em[k] = u * (2 * w * abs(g - Double(before.first[k])) + abs(m))
                ev[k] = 3 * u * v
                let root = v.squareRoot() / r, d = root + eps
                // the kernel's f32(1 / r) and its 1 / d (`OptimizerTests.AdamReference`)
                let ed = (v > 0 ? root * (ev[k] / (2 * v) + 4 * u) : 0) + u * d
                let q = s * m / d
                ep[k] = s * em[k] / d + abs(q) * (ed / d + 2 * u + OptimizerTests.AdamReference.reciprocalError) + u * p
            }
        }
        if before.config.maxNorm != nil {
            for j in 0..<before.config.hidden {
                let row = (j * n)..<((j + 1) * n)
                let norm = free.parameters[row].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                let moved = ep[row].reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                for i in row { ep[i] += abs(Double(free.parameters[i])) * (moved / norm + 3 * u) }
            }
        }
        return (ep, em, ev)
    }

    // MARK: - The check can fail

    /// Each perturbation of the reference makes the part of the comparison that it
    /// concerns fail, and only that part: the wrong masks, the wrong dropout scaling or
    /// one weight 10% off the gradient, a learning rate 1e-5 off the update. (Observed:
    /// 3400, 2600 and 6 times the gradient's tolerance, 11 times the parameters'.)
    @Test(arguments: Perturbation.allCases)
    func aPerturbedReferenceFails(perturbation: Perturbation) throws {
        let mode = Mode(name: "relu dropout", config: Self.config(.dropout, .relu), optimizer: .adam)
        let report = try Self.compare(mode, level: .generic, threads: 2, perturbation: perturbation)
        let ratios = report.ratios.mapValues { ($0 * 100).rounded() / 100 }
        if perturbation == .learningRate {
            #expect((ratios[.parameters] ?? 0) > 1 && (ratios[.gradient] ?? 2) <= 1, "\(perturbation): \(ratios)")
        } else {
            #expect((ratios[.gradient] ?? 0) > 1 && (ratios[.parameters] ?? 2) <= 1, "\(perturbation): \(ratios)")
        }
    }

    // MARK: - The reference by hand

    /// A case small enough to work out: one image lighting pixels 0 (1.0) and 1 (0.5), two
    /// ReLU units, w1 = [[0.2, -0.4], [0.1, 0.6]] on those pixels (0 elsewhere),
    /// b1 = [0.1, -0.3], so z1 = [0.1, 0.1]; w2 zero but w2[0, 0] = 1, b2 = 0, so z2[0] =
    /// 0.1 and every other z2 = 0 (y = 1/2); pixel 2 is lit at 0.5 too. Then pixels 1 and
    /// 2 (x = y = 1/2) cost nothing and the other 781 1/4 each: L = ((σ(0.1) - 1)² +
    /// 781/4) / 784. With g0 = 2 (σ(0.1) - 1) σ(0.1)(1 - σ(0.1)) / 784 = dL/dz2[0]:
    /// dw2[0, j] = 0.1 g0 (hd = z1), db2[0] = g0, db1[0] = dhd[0] = g0 (only w2[0, 0] is
    /// not 0), dw1[0, i] = g0 x[i]; unit 1 gets no gradient. SGD with lr 1 moves each
    /// parameter by its gradient.
    @Test func referenceByHand() {
        let h = 2, n = Self.n
        var p = [Float](repeating: 0, count: Parameters.count(hidden: h))
        (p[0], p[1], p[n], p[n + 1]) = (0.2, -0.4, 0.1, 0.6)
        (p[h * n], p[h * n + 1]) = (0.1, -0.3)
        p[h * n + h] = 1 // w2[0, 0]
        var x = [Float](repeating: 0, count: n)
        (x[0], x[1], x[2]) = (1, 0.5, 0.5)
        var step = ReferenceStep(config: ModelConfig(hidden: h), optimizer: .sgd, learningRate: 1, seed: 0,
                                 parameters: p)
        let f = step.forward(x, batch: 1)
        let g = step.backward(f).gradient
        let s = 1 / (1 + exp(-0.1)), g0 = 2 * (s - 1) * s * (1 - s) / 784
        // x[1] = x[2] = 0.5 with y = 1/2 contribute nothing; the other 781 pixels 1/4 each
        let loss = ((s - 1) * (s - 1) + 781 * 0.25) / 784
        let close = { (a: Float, b: Double) in abs(Double(a) - b) <= 1e-6 * max(abs(b), 1e-3) }
        #expect(close(f.z1[0], 0.1) && close(f.z1[1], 0.1), "z1 \(f.z1)")
        #expect(close(f.loss, loss), "loss \(f.loss), by hand \(loss)")
        let w2 = h * n + h, b2 = 2 * h * n + h
        let expected: [(Int, Double)] = [(w2, 0.1 * g0), (w2 + 1, 0.1 * g0), (b2, g0), (b2 + 1, 0), (b2 + 2, 0),
                                         (h * n, g0), (h * n + 1, 0), (0, g0), (1, 0.5 * g0), (2, 0.5 * g0), (3, 0),
                                         (n, 0), (n + 1, 0)]
        for (k, value) in expected {
            #expect(close(g[k], value), "\(Self.name(k, hidden: h)): \(g[k]), by hand \(value)")
        }
        // db2 of an unlit pixel: 2 (1/2 - 0) (1/4) / 784; unit 1's w2 column: 0.1 times it
        #expect(close(g[b2 + 5], 0.25 / 784) && close(g[w2 + 5 * h + 1], 0.1 * 0.25 / 784))
        step.update(g)
        #expect(step.parameters[w2] == p[w2] - g[w2] && step.parameters[h * n] == p[h * n] - g[h * n])
        #expect(step.step == 0, "update alone does not advance the step")
    }
}
