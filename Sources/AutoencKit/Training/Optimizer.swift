import Dispatch
import Foundation

/// The update rule applied to the flat parameter buffer.
public enum OptimizerKind: String, Sendable, CaseIterable, Codable {
    case adam
    case sgd
    case momentum
}

/// An optimizer with its state, updating every parameter in one fused vector loop.
/// Each rule matches PyTorch's (`torch.optim.Adam` with betas (0.9, 0.999), eps 1e-8;
/// `SGD`; `SGD(momentum=0.9)`), so the same learning rate means the same thing.
public final class Optimizer: @unchecked Sendable {
    public let kind: OptimizerKind
    public let learningRate: Float
    public let beta1: Float = 0.9
    public let beta2: Float = 0.999
    public let epsilon: Float = 1e-8
    public let momentum: Float = 0.9
    /// Updates applied so far (Adam's t).
    public var steps: Int = 0
    /// Adam's first moment, or the momentum buffer.
    public let first: FloatBuffer
    /// Adam's second moment (empty otherwise).
    public let second: FloatBuffer

    public init(kind: OptimizerKind, learningRate: Float, count: Int) {
        self.kind = kind
        self.learningRate = learningRate
        first = FloatBuffer(count: kind == .sgd ? 0 : count)
        second = FloatBuffer(count: kind == .adam ? count : 0)
    }

    /// p -= update(g) over `count` floats, as one step. Returns whether every updated
    /// parameter is finite.
    @discardableResult
    public func update(_ p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int) -> Bool {
        beginStep()
        return apply(p, g, 0..<count)
    }

    /// Counts a step; `apply` then updates parameter ranges (from any threads, each
    /// range once) with that step's bias corrections.
    public func beginStep() {
        steps += 1
    }

    /// Applies the rule at step `steps` to parameters `range`; returns whether every
    /// updated parameter is finite (checked on the fly: p * 0 is NaN exactly when p is
    /// not finite, and NaN survives the sum).
    public func apply(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ range: Range<Int>) -> Bool {
        switch kind {
        case .sgd: return Self.contiguous(SGDRule(self, p), g, range)
        case .momentum: return Self.contiguous(MomentumRule(self, p), g, range)
        case .adam: return Self.contiguous(AdamRule(self, p), g, range)
        }
    }

    static func contiguous<R: UpdateRule>(_ rule: R, _ g: UnsafePointer<Float>, _ range: Range<Int>) -> Bool {
        var poison = Vec()
        var scalarPoison: Float = 0
        var i = range.lowerBound
        while i + 16 <= range.upperBound {
            poison += rule.update(i, vload(g + i)) * 0
            i += 16
        }
        while i < range.upperBound {
            scalarPoison += rule.update(i, g[i]) * 0
            i += 1
        }
        return finite(poison, scalarPoison)
    }

    static func finite(_ poison: Vec, _ scalarPoison: Float) -> Bool {
        let lanes = withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { laneSum(poison, scratch: $0.baseAddress!) }
        return !(lanes + scalarPoison).isNaN
    }
}

/// One update rule with the constants of the current step, applied to the 16
/// parameters at index i (or the one at i); returns the updated parameters.
protocol UpdateRule {
    func update(_ i: Int, _ g: Vec) -> Vec
    func update(_ i: Int, _ g: Float) -> Float
}

/// p -= lr g
struct SGDRule: UpdateRule {
    let p: UnsafeMutablePointer<Float>
    let lr: Float

    init(_ o: Optimizer, _ p: UnsafeMutablePointer<Float>) {
        self.p = p
        lr = o.learningRate
    }

    @inline(__always) func update(_ i: Int, _ g: Vec) -> Vec {
        let updated = vload(p + i) - lr * g
        vstore(updated, p + i)
        return updated
    }

    @inline(__always) func update(_ i: Int, _ g: Float) -> Float {
        p[i] -= lr * g
        return p[i]
    }
}

/// buf = momentum buf + g; p -= lr buf (PyTorch's SGD with momentum)
struct MomentumRule: UpdateRule {
    let p: UnsafeMutablePointer<Float>, buf: UnsafeMutablePointer<Float>
    let lr: Float, momentum: Float

    init(_ o: Optimizer, _ p: UnsafeMutablePointer<Float>) {
        self.p = p
        buf = o.first.pointer
        lr = o.learningRate
        momentum = o.momentum
    }

    @inline(__always) func update(_ i: Int, _ g: Vec) -> Vec {
        let b = momentum * vload(buf + i) + g
        vstore(b, buf + i)
        let updated = vload(p + i) - lr * b
        vstore(updated, p + i)
        return updated
    }

    @inline(__always) func update(_ i: Int, _ g: Float) -> Float {
        buf[i] = momentum * buf[i] + g
        p[i] -= lr * buf[i]
        return p[i]
    }
}

/// PyTorch's Adam: m, v moments; denom = sqrt(v) / sqrt(1 - beta2^t) + eps;
/// p -= lr / (1 - beta1^t) * m / denom
struct AdamRule: UpdateRule {
    let p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let b1: Float, b2: Float, eps: Float, stepSize: Float, correction2Root: Float

    init(_ o: Optimizer, _ p: UnsafeMutablePointer<Float>) {
        self.p = p
        m = o.first.pointer
        v = o.second.pointer
        b1 = o.beta1
        b2 = o.beta2
        eps = o.epsilon
        let t = Double(o.steps)
        stepSize = o.learningRate / Float(1 - pow(Double(o.beta1), t))
        correction2Root = Float((1 - pow(Double(o.beta2), t)).squareRoot())
    }

    @inline(__always) func update(_ i: Int, _ g: Vec) -> Vec {
        let mi = b1 * vload(m + i) + (1 - b1) * g
        let vi = b2 * vload(v + i) + (1 - b2) * g * g
        vstore(mi, m + i)
        vstore(vi, v + i)
        let denom = vsqrt(vi) / correction2Root + eps
        let updated = vload(p + i) - stepSize * mi / denom
        vstore(updated, p + i)
        return updated
    }

    @inline(__always) func update(_ i: Int, _ g: Float) -> Float {
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g * g
        p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + eps)
        return p[i]
    }
}
