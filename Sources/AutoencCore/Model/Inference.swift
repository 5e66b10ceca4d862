import Foundation

/// How a trained model's hidden layer is evaluated at test time.
///
/// For dropout, and for DropConnect under `.mean`, every unit and connection is kept and
/// the weights are used as they are (checkpoints hold inference-ready weights).
/// `.sample(k)` is Wan et al.'s (2013) inference for DropConnect: each hidden unit's
/// pre-activation is approximated by a Gaussian with the mean and variance it has over
/// the random masks, `k` values are drawn from it, the activation is applied to each, and
/// the `k` activations are averaged. For a dropout model, or with p = 0, the variance is
/// zero and `.sample(k)` gives the same codes as `.mean`.
///
/// The text form, as `--inference` takes it, is `mean` or `sample:K` with K >= 1.
public enum InferenceRule: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Keep every connection: the deterministic mean network.
    case mean
    /// Average the activation over this many draws from the Gaussian moment match.
    case sample(Int)

    /// Parses `mean` or `sample:K` (K a positive integer); nil for anything else.
    public init?(_ text: String) {
        if text == "mean" {
            self = .mean
            return
        }
        let prefix = "sample:"
        guard text.hasPrefix(prefix), let k = Int(text.dropFirst(prefix.count)), k >= 1 else { return nil }
        self = .sample(k)
    }

    /// The rule as `--inference` spells it: "mean" or "sample:K".
    public var description: String {
        switch self {
        case .mean: "mean"
        case .sample(let k): "sample:\(k)"
        }
    }

    /// What the rule does, for a person: "mean inference", "sampling inference (1000 draws)".
    public var phrase: String {
        switch self {
        case .mean: "mean inference"
        case .sample(let k): "sampling inference (\(counted(k, "draw")))"
        }
    }
}

// MARK: - Wan et al.'s Gaussian moment matching

/// DropConnect inference by Gaussian moment matching (Wan et al. 2013, section 3.3),
/// with buffers for up to `capacity` images at a time.
///
/// While training, hidden unit j's pre-activation is u = (1/q) sum_i m_i w_ji x_i + b_j,
/// with m_i ~ Bernoulli(q) independent and q the keep probability (inverted scaling, the
/// only one autoenc trains DropConnect with). Over the masks
///
///     E[u]   = sum_i w_ji x_i + b_j
///     Var[u] = (1/q²) sum_i (w_ji x_i)² q (1 - q) = ((1 - q) / q) sum_i (w_ji x_i)²
///
/// `encode` draws `samples` values from N(E[u], Var[u]) for each unit, applies the
/// activation to each and averages them. The draw for image `e` (its index in the data
/// set) and unit j is a pure function of (seed, e, j), so results do not depend on
/// chunking or threads. Where Var[u] = 0 (p = 0, or an all-zero input) the code is
/// act(E[u]) exactly, as `.mean` gives it.
public final class MomentMatchedEncoder: @unchecked Sendable {
    /// The DropConnect model whose codes are estimated.
    public let model: Autoencoder
    /// Draws averaged per unit and image.
    public let samples: Int
    /// The seed of the draws.
    public let seed: UInt64
    /// The keep probability q that training used (`DropConnectMask.keepProbability`).
    public let keep: Float
    /// The most images one call to `encode` takes.
    public let capacity: Int
    // w1 ⊙ w1: (hidden, 784)
    let squaredW1: FloatBuffer
    // x ⊙ x: (capacity, 784)
    let squaredX: FloatBuffer
    // sum_i (w_ji x_i)²: (capacity, hidden)
    let variance: FloatBuffer
    // sum_i w_ji x_i: (capacity, hidden)
    let preActivation: FloatBuffer

    /// Whether `rule` draws for `model`: false when it gives the same codes as plain
    /// `encode` (`.mean`, a dropout model, or p = 0).
    public static func draws(_ model: Autoencoder, _ rule: InferenceRule) -> Bool {
        guard case .sample = rule else { return false }
        return model.config.dropMode == .dropconnect && model.config.dropP > 0
    }

    /// A sampler for `model`, or nil when `rule` does not draw for it (`draws`).
    public init?(model: Autoencoder, rule: InferenceRule, capacity: Int, seed: UInt64 = 0) {
        guard Self.draws(model, rule), case .sample(let k) = rule else { return nil }
        precondition(k >= 1 && capacity >= 1)
        self.model = model
        samples = k
        self.seed = seed
        self.capacity = capacity
        keep = DropConnectMask(dropP: model.config.dropP, seed: 0).keepProbability
        let h = model.config.hidden, n = ModelConfig.inputs
        squaredW1 = FloatBuffer(count: h * n)
        for i in 0..<(h * n) { squaredW1.pointer[i] = model.parameters.w1[i] * model.parameters.w1[i] }
        squaredX = FloatBuffer(count: capacity * n)
        variance = FloatBuffer(count: capacity * h)
        preActivation = FloatBuffer(count: capacity * h)
    }

    /// Codes of `count` images (count <= capacity), which are images `firstImage ..<
    /// firstImage + count` of their data set (for the draws).
    /// x: (count, 784) -> codes: (count, hidden), after the activation.
    public func encode(_ x: UnsafePointer<Float>, count: Int, firstImage: Int,
                       into codes: UnsafeMutablePointer<Float>) {
        precondition(count <= capacity)
        let config = model.config, p = model.parameters
        let h = config.hidden, n = ModelConfig.inputs
        // E[u] - b: x (count, 784), w1 (h, 784) -> (count, h); codes = act(E[u]) as `.mean`
        // has them, kept exactly where the variance is 0
        let z = preActivation.pointer
        BLAS.sgemm(transA: false, transB: true, m: count, n: h, k: n,
                   alpha: 1, a: x, lda: n, b: p.w1, ldb: n, beta: 0, c: z, ldc: h)
        codes.update(from: z, count: count * h)
        Layers.biasActivate(codes, rows: count, columns: h, bias: p.b1, activation: config.activation)
        // sum_i (w x)²: x² (count, 784), w1² (h, 784) -> (count, h)
        let x2 = squaredX.pointer
        for i in 0..<(count * n) { x2[i] = x[i] * x[i] }
        let spread = Double((1 - keep) / keep)
        BLAS.sgemm(transA: false, transB: true, m: count, n: h, k: n,
                   alpha: 1, a: x2, lda: n, b: squaredW1.pointer, ldb: n, beta: 0, c: variance.pointer, ldc: h)
        for b in 0..<count {
            for j in 0..<h {
                let sd = (spread * Double(max(variance.pointer[b * h + j], 0))).squareRoot()
                guard sd > 0 else { continue }
                let mean = Double(z[b * h + j]) + Double(p.b1[j])
                let key = RandomStream.key(seed: seed, .evaluation, UInt64(firstImage + b), UInt64(j))
                codes[b * h + j] = Self.averageActivation(mean: mean, sd: sd, samples: samples, key: key,
                                                          activation: config.activation)
            }
        }
    }

    /// The average of act(mean + sd * z_k) over `samples` standard normal draws z_k from
    /// the stream `key` (Box-Muller, one 64-bit word per draw), in Double.
    static func averageActivation(mean: Double, sd: Double, samples: Int, key: UInt64,
                                  activation: Activation) -> Float {
        func act(_ u: Double) -> Double { activation == .relu ? max(u, 0) : 1 / (1 + exp(-u)) }
        var total = 0.0
        for k in 0..<samples {
            total += act(mean + sd * normal(RandomStream.word(key: key, counter: UInt64(k))))
        }
        return Float(total / Double(samples))
    }

    /// A standard normal value from one random word: Box-Muller on two 26-bit uniforms,
    /// the first in (0, 1) so that its logarithm is finite.
    static func normal(_ word: UInt64) -> Double {
        let u1 = (Double(word >> 38) + 0.5) * 0x1p-26
        let u2 = Double(word & 0x3FF_FFFF) * 0x1p-26
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// The plain reference for one unit's moments over the DropConnect masks, in
    /// Double: (E[u], Var[u]) for weights `w` (784), input `x` (784), bias `bias` and keep
    /// probability `keep`, under inverted scaling.
    public static func moments(w: UnsafePointer<Float>, x: UnsafePointer<Float>, bias: Float,
                               keep: Float) -> (mean: Double, variance: Double) {
        var mean = Double(bias), squares = 0.0
        for i in 0..<ModelConfig.inputs {
            let t = Double(w[i]) * Double(x[i])
            mean += t
            squares += t * t
        }
        let q = Double(keep)
        return (mean, (1 - q) / q * squares)
    }
}

extension Autoencoder {
    /// Encodes `count` images under `rule`: as `encode(_:count:into:)` for `.mean`, by
    /// Gaussian moment matching for `.sample(k)` on a DropConnect model (see
    /// `MomentMatchedEncoder`; the images are `firstImage ..< firstImage + count` of their
    /// set, which keys the draws).
    ///
    /// Allocates the sampler's buffers on each call: for many chunks, make one
    /// `MomentMatchedEncoder` and call it instead.
    /// x: (count, 784) -> codes: (count, hidden).
    public func encode(_ x: UnsafePointer<Float>, count: Int, into codes: UnsafeMutablePointer<Float>,
                       inference rule: InferenceRule, firstImage: Int = 0, seed: UInt64 = 0) {
        if let sampler = MomentMatchedEncoder(model: self, rule: rule, capacity: count, seed: seed) {
            sampler.encode(x, count: count, firstImage: firstImage, into: codes)
        } else {
            encode(x, count: count, into: codes)
        }
    }
}

/// Inference's elementwise passes: the codes' activation, through the training step's own
/// kernel (`Kernels.activate`, one exp and sigmoid for both), and the squared error every
/// test MSE sums.
public enum Layers {
    /// v[r, c] = act(v[r, c] + bias[c]) in place. v: (rows, columns).
    public static func biasActivate(_ v: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                    bias: UnsafePointer<Float>, activation: Activation,
                                    kernels: Kernels = .current) {
        kernels.activate(v, gate: nil, bias: bias, rows: rows, units: columns, ld: columns, activation: activation)
    }

    /// Sum of (x - y)^2 over `count` floats, accumulated in Double per 1024 floats.
    public static func sumSquaredError(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var i = 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scratch in
            while i + 16 <= count {
                var acc = Vec()
                let end = min(count, i + 1024)
                while i + 16 <= end {
                    let d = vload(x + i) - vload(y + i)
                    acc += d * d
                    i += 16
                }
                total += Double(laneSum(acc, scratch: scratch.baseAddress!))
            }
        }
        while i < count {
            let d = x[i] - y[i]
            total += Double(d * d)
            i += 1
        }
        return total
    }
}
