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
        let end = range.upperBound
        var poison = Vec()
        var scalarPoison: Float = 0
        switch kind {
        case .sgd:
            var i = range.lowerBound
            let lr = Vec(repeating: learningRate)
            while i + 16 <= end {
                let updated = vload(p + i) - lr * vload(g + i)
                vstore(updated, p + i)
                poison += updated * 0
                i += 16
            }
            while i < end { p[i] -= learningRate * g[i]; scalarPoison += p[i] * 0; i += 1 }
        case .momentum:
            let buf = first.pointer
            var i = range.lowerBound
            while i + 16 <= end {
                let b = momentum * vload(buf + i) + vload(g + i)
                vstore(b, buf + i)
                let updated = vload(p + i) - learningRate * b
                vstore(updated, p + i)
                poison += updated * 0
                i += 16
            }
            while i < end {
                buf[i] = momentum * buf[i] + g[i]
                p[i] -= learningRate * buf[i]
                scalarPoison += p[i] * 0
                i += 1
            }
        case .adam:
            // PyTorch: denom = sqrt(v) / sqrt(1 - beta2^t) + eps; p -= lr / (1 - beta1^t) * m / denom
            let t = Double(steps)
            let correction1 = Float(1 - pow(Double(beta1), t))
            let correction2Root = Float((1 - pow(Double(beta2), t)).squareRoot())
            let stepSize = learningRate / correction1
            let m = first.pointer, v = second.pointer
            let b1 = beta1, b2 = beta2, eps = epsilon
            var i = range.lowerBound
            while i + 16 <= end {
                let gi = vload(g + i)
                let mi = b1 * vload(m + i) + (1 - b1) * gi
                let vi = b2 * vload(v + i) + (1 - b2) * gi * gi
                vstore(mi, m + i)
                vstore(vi, v + i)
                let denom = vsqrt(vi) / correction2Root + eps
                let updated = vload(p + i) - stepSize * mi / denom
                vstore(updated, p + i)
                poison += updated * 0
                i += 16
            }
            while i < end {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + eps)
                scalarPoison += p[i] * 0
                i += 1
            }
        }
        let lanes = withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { laneSum(poison, scratch: $0.baseAddress!) }
        return !(lanes + scalarPoison).isNaN
    }
}
