import Foundation

/// The definition of one training step, read top to bottom: single-threaded plain loops, in
/// the order the step computes, each layer's backward right after its forward.
///
/// It covers every mode autoenc trains: ReLU or sigmoid hidden units (sigmoid outputs);
/// input dropout; dropout with inverted or classic scaling; Gaussian dropout; DropConnect
/// with a mask per example or per minibatch; max-norm; Adam, SGD or momentum as PyTorch has
/// them.
///
/// The fast step (`TrainingPass` in `Trainer`'s phases) is its optimized twin, tested
/// against it in every mode, at every kernel level the CPU runs and on 1 to 3 threads
/// (`ReferenceStepTests`). Both draw the same masks: the reference asks the mask types'
/// own definitions (`DropoutMask.keeps`, `GaussianNoise.factor`, `DropConnectMask.keeps`)
/// with the keys of the same (seed, step, example). Values are stored as Float, as the fast step stores them;
/// every sum runs in Double and is rounded once.
///
/// For a minibatch of B images (784 pixels) and h hidden units:
///
///     xd = x ⊙ m_in / (1 - p_in)                   input dropout                   (B, 784)
///     z1 = [xd (c_b ⊙ w1)ᵀ] + b1                    encoder; c_b DropConnect's      (B, h)
///     hd = act(z1) ⊙ f                              dropout factor f: 0 or scale,   (B, h)
///                                                   Gaussian dropout's 1 + σ ε
///     z2 = hd w2ᵀ + b2,  y = sigmoid(z2)            decoder                         (B, 784)
///     L  = Σ (y - x)² / (B 784)                     the loss, PyTorch's mse_loss
///
/// then the same layers backward, and the update of w1 | b1 | w2 | b2 (then max-norm).
public struct ReferenceStep: Sendable {
    /// The model's shape and regularizer.
    public let config: ModelConfig
    /// The update rule: Adam, SGD or momentum.
    public let optimizer: OptimizerKind
    /// The learning rate of every update.
    public let learningRate: Float
    /// The run's seed, from which the masks are drawn exactly as the fast step draws them.
    public let seed: UInt64
    /// w1 (h, 784) | b1 (h) | w2 (784, h) | b2 (784): `Parameters`' layout.
    public var parameters: [Float]
    /// Adam's first moment or momentum's buffer (empty for SGD).
    public var first: [Float]
    /// Adam's second moment (empty otherwise).
    public var second: [Float]
    /// Steps taken: the next step draws the masks of `step`, and is Adam's t = step + 1.
    public var step: UInt64 = 0

    static let n = ModelConfig.inputs

    /// A step from `parameters` (`Parameters.values`) with the optimizer's state at zero.
    public init(config: ModelConfig, optimizer: OptimizerKind, learningRate: Float, seed: UInt64,
                parameters: [Float]) {
        precondition(parameters.count == Parameters.count(hidden: config.hidden))
        self.config = config
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.seed = seed
        self.parameters = parameters
        first = [Float](repeating: 0, count: optimizer == .sgd ? 0 : parameters.count)
        second = [Float](repeating: 0, count: optimizer == .adam ? parameters.count : 0)
    }

    // MARK: - The step

    /// What the forward pass keeps for the backward pass.
    public struct Forward: Sendable {
        /// B, the number of images.
        public let batch: Int
        /// The masks it drew, those of step `masks.step`.
        public let masks: Masks
        /// x, the images and the target; xd, the encoder's input: (B, 784).
        public var x: [Float], xd: [Float]
        /// z1 (bias added), a = act(z1), hd = a ⊙ f: (B, h).
        public var z1: [Float], a: [Float], hd: [Float]
        /// z2 (bias added) and y = sigmoid(z2): (B, 784).
        public var z2: [Float], y: [Float]
        /// The mean squared error over the batch's pixels.
        public var loss: Float
    }

    /// What the backward pass finds: the loss's gradient for z2 (B, 784), hd and z1
    /// (B, h), and for the parameters, in `parameters`' layout.
    public struct Backward: Sendable {
        /// The loss's gradient for z2 (B, 784), hd and z1 (B, h).
        public var dz2: [Float], dhd: [Float], dz1: [Float]
        /// The parameters' gradient, in `parameters`' layout.
        public var gradient: [Float]
    }

    /// One training step on the `batch` images x (B, 784, values in [0, 1]): forward,
    /// backward, update.
    ///
    /// - Returns: The loss before the update.
    @discardableResult
    public mutating func train(_ x: [Float], batch: Int) -> Float {
        let forward = self.forward(x, batch: batch)
        update(backward(forward).gradient)
        step += 1
        return forward.loss
    }

    /// The forward pass on the `batch` images x.
    ///
    /// - Parameters:
    ///   - x: The images, (B, 784), values in [0, 1].
    ///   - batch: B, the number of images.
    ///   - step: The step whose masks to draw; by default the next.
    /// - Returns: What the backward pass needs: the masks, every layer's values and the loss.
    public func forward(_ x: [Float], batch: Int, step: UInt64? = nil) -> Forward {
        precondition(batch > 0 && x.count == batch * Self.n)
        let masks = Masks(config, seed: seed, step: step ?? self.step, batch: batch)
        let xd = Self.inputDropoutForward(x, batch: batch, masks: masks)
        let z1 = Self.encoderForward(xd, w1: w1, b1: b1, batch: batch, masks: masks)
        let (a, hd) = Self.hiddenForward(z1, activation: config.activation, batch: batch, masks: masks)
        let z2 = Self.decoderForward(hd, w2: w2, b2: b2, batch: batch)
        let (y, loss) = Self.outputForward(z2, x: x)
        return Forward(batch: batch, masks: masks, x: x, xd: xd, z1: z1, a: a, hd: hd, z2: z2, y: y, loss: loss)
    }

    /// The backward pass of `f`, reusing its values and masks.
    ///
    /// - Parameter f: The forward pass to differentiate.
    /// - Returns: The loss's gradients for z2, hd and z1, and for the parameters.
    public func backward(_ f: Forward) -> Backward {
        let masks = f.masks, b = f.batch
        let dz2 = Self.outputBackward(y: f.y, x: f.x, batch: b)
        let (dw2, db2, dhd) = Self.decoderBackward(dz2, hd: f.hd, w2: w2, batch: b)
        let dz1 = Self.hiddenBackward(dhd, z1: f.z1, a: f.a, activation: config.activation, batch: b, masks: masks)
        let (dw1, db1) = Self.encoderBackward(dz1, xd: f.xd, batch: b, masks: masks)
        return Backward(dz2: dz2, dhd: dhd, dz1: dz1, gradient: dw1 + db1 + dw2 + db2)
    }

    var h: Int { config.hidden }
    var w1: ArraySlice<Float> { parameters[0..<(h * Self.n)] }
    var b1: ArraySlice<Float> { parameters[(h * Self.n)..<(h * Self.n + h)] }
    var w2: ArraySlice<Float> { parameters[(h * Self.n + h)..<(2 * h * Self.n + h)] }
    var b2: ArraySlice<Float> { parameters[(2 * h * Self.n + h)...] }

    // MARK: - Masks

    /// The masks of one step as factors, drawn from the fast step's own definitions with
    /// the same keys: input dropout's for pixel i of example b (0, or 1 / (1 - p_in)),
    /// dropout's for unit j of example b (0, or the kept units' scale; under Gaussian
    /// dropout 1 + σ ε, ε ~ N(0, 1), σ² = p / (1 - p)), DropConnect's for the weight from
    /// pixel i to unit j (0, or 1 / keep probability), one mask for the whole minibatch
    /// when its masks are per batch.
    ///
    /// Drawn once; the backward pass reuses them.
    public struct Masks: Sendable {
        /// The step whose streams drew the masks.
        public let step: UInt64
        /// (B, 784), (B, h), (B, h, 784) or per batch (h, 784); empty when the mode is off.
        var pixels: [Float] = [], units: [Float] = [], connections: [Float] = []
        let hidden: Int, perBatch: Bool

        init(_ config: ModelConfig, seed: UInt64, step: UInt64, batch: Int) {
            self.step = step
            let h = config.hidden, p = config.dropP, n = ModelConfig.inputs
            hidden = h
            perBatch = config.masks == .batch
            if config.inputDropP > 0 {
                let mask = DropoutMask(dropP: config.inputDropP, seed: seed, purpose: .inputDropout)
                pixels = (0..<batch).flatMap { b in
                    let key = mask.key(step: step, example: b)
                    return (0..<n).map { mask.keeps(key: key, unit: $0) ? mask.scale : 0 }
                }
            }
            if p > 0 && config.dropMode == .dropout {
                let mask = DropoutMask(dropP: p, seed: seed, scaling: config.scaling)
                units = (0..<batch).flatMap { b in
                    let key = mask.key(step: step, example: b)
                    return (0..<h).map { mask.keeps(key: key, unit: $0) ? mask.scale : 0 }
                }
            }
            if p > 0 && config.dropMode == .gaussian {
                let noise = GaussianNoise(dropP: p, seed: seed)
                units = (0..<batch).flatMap { b in
                    let key = noise.key(step: step, example: b)
                    return (0..<h).map { noise.factor(key: key, unit: $0) }
                }
            }
            if p > 0 && config.dropMode == .dropconnect {
                let mask = DropConnectMask(dropP: p, seed: seed, layout: perBatch ? .unitRows : .inputRows(hidden: h))
                connections = (0..<(perBatch ? 1 : batch)).flatMap { b in
                    let key = mask.key(step: step, example: perBatch ? nil : b)
                    return (0..<(h * n)).map { mask.keeps(key: key, unit: $0 / n, input: $0 % n) ? mask.scale : 0 }
                }
            }
        }

        func pixel(_ b: Int, _ i: Int) -> Float { pixels.isEmpty ? 1 : pixels[b * ModelConfig.inputs + i] }
        func unit(_ b: Int, _ j: Int) -> Float { units.isEmpty ? 1 : units[b * hidden + j] }
        /// c[b, j, i], the factor of the weight w1[j, i] for example b.
        func connection(_ b: Int, _ j: Int, _ i: Int) -> Float {
            connections.isEmpty ? 1 : connections[((perBatch ? 0 : b) * hidden + j) * ModelConfig.inputs + i]
        }
    }

    // MARK: - Input dropout (forward only: the images need no gradient)

    /// xd[b, i] = x[b, i] · pixel(b, i). x: (B, 784) -> xd: (B, 784); the loss keeps x.
    static func inputDropoutForward(_ x: [Float], batch: Int, masks: Masks) -> [Float] {
        guard !masks.pixels.isEmpty else { return x }
        var xd = x
        for b in 0..<batch {
            for i in 0..<n { xd[b * n + i] = x[b * n + i] * masks.pixel(b, i) }
        }
        return xd
    }

    // MARK: - Encoder, with DropConnect

    /// z1[b, j] = Σ_i c[b, j, i] w1[j, i] xd[b, i] + b1[j].
    /// xd: (B, 784), w1: (h, 784), b1: (h) -> z1: (B, h)
    static func encoderForward(_ xd: [Float], w1: ArraySlice<Float>, b1: ArraySlice<Float>, batch: Int,
                               masks: Masks) -> [Float] {
        let h = b1.count, w1 = Array(w1), b1 = Array(b1)
        var z1 = [Float](repeating: 0, count: batch * h)
        for b in 0..<batch {
            for j in 0..<h {
                var sum = Double(b1[j])
                for i in 0..<n {
                    sum += Double(masks.connection(b, j, i)) * Double(w1[j * n + i]) * Double(xd[b * n + i])
                }
                z1[b * h + j] = Float(sum)
            }
        }
        return z1
    }

    /// dw1[j, i] = Σ_b dz1[b, j] c[b, j, i] xd[b, i], db1[j] = Σ_b dz1[b, j]: the gradient
    /// flows through the kept connections only. Reuses xd and the masks.
    /// dz1: (B, h), xd: (B, 784) -> dw1: (h, 784), db1: (h)
    static func encoderBackward(_ dz1: [Float], xd: [Float], batch: Int, masks: Masks) -> ([Float], [Float]) {
        let h = dz1.count / batch
        var dw1 = [Float](repeating: 0, count: h * n), db1 = [Float](repeating: 0, count: h)
        for j in 0..<h {
            for i in 0..<n {
                var sum = 0.0
                for b in 0..<batch {
                    sum += Double(dz1[b * h + j]) * Double(masks.connection(b, j, i)) * Double(xd[b * n + i])
                }
                dw1[j * n + i] = Float(sum)
            }
            db1[j] = Float((0..<batch).reduce(0.0) { $0 + Double(dz1[$1 * h + j]) })
        }
        return (dw1, db1)
    }

    // MARK: - Hidden activation and dropout

    /// a = act(z1), ReLU max(z1, 0) or sigmoid; hd = a · unit(b, j), the dropout factor
    /// (Gaussian dropout: hd = a ⊙ (1 + σ ε)).
    /// z1: (B, h) -> a, hd: (B, h)
    static func hiddenForward(_ z1: [Float], activation: Activation, batch: Int,
                              masks: Masks) -> (a: [Float], hd: [Float]) {
        let h = z1.count / batch
        var a = z1, hd = z1
        for b in 0..<batch {
            for j in 0..<h {
                let z = z1[b * h + j]
                a[b * h + j] = activation == .relu ? max(z, 0) : Float(1 / (1 + exp(-Double(z))))
                hd[b * h + j] = a[b * h + j] * masks.unit(b, j)
            }
        }
        return (a, hd)
    }

    /// dz1 = dhd · unit(b, j) · act'(z1) (Gaussian dropout: dhd ⊙ (1 + σ ε) ⊙ act'(z1)):
    /// ReLU's 1 where z1 > 0 (0 at 0), sigmoid's
    /// a (1 - a). Reuses z1, a and the masks. dhd, z1, a: (B, h) -> dz1: (B, h)
    static func hiddenBackward(_ dhd: [Float], z1: [Float], a: [Float], activation: Activation, batch: Int,
                               masks: Masks) -> [Float] {
        let h = z1.count / batch
        var dz1 = dhd
        for b in 0..<batch {
            for j in 0..<h {
                let k = b * h + j
                let slope = activation == .relu ? (z1[k] > 0 ? 1 : 0) : Double(a[k]) * (1 - Double(a[k]))
                dz1[k] = Float(Double(dhd[k]) * Double(masks.unit(b, j)) * slope)
            }
        }
        return dz1
    }

    // MARK: - Decoder

    /// z2[b, i] = Σ_j hd[b, j] w2[i, j] + b2[i]. hd: (B, h), w2: (784, h), b2: (784) -> z2: (B, 784)
    static func decoderForward(_ hd: [Float], w2: ArraySlice<Float>, b2: ArraySlice<Float>, batch: Int) -> [Float] {
        let h = hd.count / batch, w2 = Array(w2), b2 = Array(b2)
        var z2 = [Float](repeating: 0, count: batch * n)
        for b in 0..<batch {
            for i in 0..<n {
                var sum = Double(b2[i])
                for j in 0..<h { sum += Double(hd[b * h + j]) * Double(w2[i * h + j]) }
                z2[b * n + i] = Float(sum)
            }
        }
        return z2
    }

    /// dw2[i, j] = Σ_b dz2[b, i] hd[b, j], db2[i] = Σ_b dz2[b, i], dhd[b, j] = Σ_i dz2[b, i] w2[i, j].
    /// Reuses hd. dz2: (B, 784), hd: (B, h), w2: (784, h) -> dw2: (784, h), db2: (784), dhd: (B, h)
    static func decoderBackward(_ dz2: [Float], hd: [Float], w2: ArraySlice<Float>,
                                batch: Int) -> (dw2: [Float], db2: [Float], dhd: [Float]) {
        let h = hd.count / batch, w2 = Array(w2)
        var dw2 = [Float](repeating: 0, count: n * h), db2 = [Float](repeating: 0, count: n)
        var dhd = [Float](repeating: 0, count: batch * h)
        for i in 0..<n {
            for j in 0..<h {
                var sum = 0.0
                for b in 0..<batch { sum += Double(dz2[b * n + i]) * Double(hd[b * h + j]) }
                dw2[i * h + j] = Float(sum)
            }
            db2[i] = Float((0..<batch).reduce(0.0) { $0 + Double(dz2[$1 * n + i]) })
        }
        for b in 0..<batch {
            for j in 0..<h {
                dhd[b * h + j] = Float((0..<n).reduce(0.0) { $0 + Double(dz2[b * n + $1]) * Double(w2[$1 * h + j]) })
            }
        }
        return (dw2, db2, dhd)
    }

    // MARK: - Output and loss

    /// y = sigmoid(z2); L = Σ (y - x)² / (B 784). z2, x: (B, 784) -> y: (B, 784), L
    static func outputForward(_ z2: [Float], x: [Float]) -> (y: [Float], loss: Float) {
        var y = z2, squares = 0.0
        for k in z2.indices {
            y[k] = Float(1 / (1 + exp(-Double(z2[k]))))
            let d = Double(y[k]) - Double(x[k])
            squares += d * d
        }
        return (y, Float(squares / Double(x.count)))
    }

    /// dz2 = dL/dz2 = 2 (y - x) y (1 - y) / (B 784). Reuses y and x. -> dz2: (B, 784)
    static func outputBackward(y: [Float], x: [Float], batch: Int) -> [Float] {
        let scale = 2 / Double(batch * n)
        var dz2 = y
        for k in y.indices {
            let yk = Double(y[k])
            dz2[k] = Float(scale * (yk - Double(x[k])) * yk * (1 - yk))
        }
        return dz2
    }

    // MARK: - Update

    /// Adam's constants at step t as PyTorch's float32 kernels receive them.
    ///
    /// PyTorch holds them as Python floats (doubles) and rounds each to float32 once.
    ///
    /// - Parameters:
    ///   - learningRate: The learning rate.
    ///   - t: The step, counted from 1.
    /// - Returns: lerp_'s weight 1 - beta1, beta2, addcmul_'s 1 - beta2, eps, the step size
    ///   lr / (1 - beta1^t) and sqrt(1 - beta2^t).
    public static func adamConstants(learningRate: Float, t: Int)
        -> (w: Float, beta2: Float, c2: Float, eps: Float, stepSize: Float, root: Float) {
        let beta1 = 0.9, beta2 = 0.999, eps = 1e-8
        let stepSize = Double(learningRate) / (1 - pow(beta1, Double(t)))
        let root = (1 - pow(beta2, Double(t))).squareRoot()
        return (Float(1 - beta1), Float(beta2), Float(1 - beta2), Float(eps), Float(stepSize), Float(root))
    }

    /// PyTorch's `momentum` for SGD with momentum, as its kernel receives it.
    public static let momentum = Float(0.9)

    /// p -= the optimizer's step for gradient g, each parameter in turn, then max-norm:
    /// - SGD: p -= lr g;
    /// - momentum (dampening 0, no Nesterov): buf = 0.9 buf + g; p -= lr buf;
    /// - Adam (amsgrad off, no weight decay): m += (1 - beta1)(g - m); v = beta2 v +
    ///   (1 - beta2) g²; p -= lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    public mutating func update(_ g: [Float]) {
        precondition(g.count == parameters.count)
        let lr = Double(learningRate)
        let adam = Self.adamConstants(learningRate: learningRate, t: Int(step) + 1)
        for k in parameters.indices {
            let p = Double(parameters[k]), gk = Double(g[k])
            switch optimizer {
            case .sgd:
                parameters[k] = Float(p - lr * gk)
            case .momentum:
                first[k] = Float(Double(Self.momentum) * Double(first[k]) + gk)
                parameters[k] = Float(p - lr * Double(first[k]))
            case .adam:
                let m = Double(first[k]) + Double(adam.w) * (gk - Double(first[k]))
                let v = Double(adam.beta2) * Double(second[k]) + Double(adam.c2) * gk * gk
                first[k] = Float(m)
                second[k] = Float(v)
                let denom = Double(second[k]).squareRoot() / Double(adam.root) + Double(adam.eps)
                parameters[k] = Float(p - Double(adam.stepSize) * Double(first[k]) / denom)
            }
        }
        if let limit = config.maxNorm { Self.maxNorm(&parameters, hidden: h, limit: limit) }
    }

    /// Max-norm (Srivastava et al.): each row of w1 (a unit's incoming weights) whose L2
    /// norm is above `limit` is scaled to norm `limit`. w1: the first h x 784 of p.
    static func maxNorm(_ p: inout [Float], hidden h: Int, limit: Float) {
        for j in 0..<h {
            let row = (j * n)..<((j + 1) * n)
            let norm = p[row].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            guard norm > Double(limit) else { continue }
            for i in row { p[i] = Float(Double(p[i]) * Double(limit) / norm) }
        }
    }
}
