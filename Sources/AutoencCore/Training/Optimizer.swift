import CKernels
import Foundation

/// The update rule applied to the flat parameter buffer.
public enum OptimizerKind: String, Sendable, CaseIterable, Codable {
    case adam
    case sgd
    case momentum
}

/// An optimizer with its state, updating every parameter in one fused vector loop (the
/// kernels' `sgd`, `momentum` and `adam`).
///
/// Each rule matches PyTorch's (`torch.optim.Adam` with betas (0.9, 0.999), eps 1e-8;
/// `SGD`; `SGD(momentum=0.9)`), so the same learning rate means the same thing:
/// - SGD: p -= lr g;
/// - momentum: buf = momentum buf + g; p -= lr buf;
/// - Adam: m += (1 - beta1) (g - m); v = beta2 v + (1 - beta2) g²;
///   denom = sqrt(v) / sqrt(1 - beta2^t) + eps; p -= lr / (1 - beta1^t) * m / denom,
///   with the float32 constants PyTorch's kernels receive (`adamConstants(step:)`); the
///   kernel multiplies by 1 / sqrt(1 - beta2^t) and, at the AVX levels, by a refined
///   estimate of 1 / denom, a few float32 roundings from the quotients (its `reciprocal`).
public final class Optimizer: @unchecked Sendable {
    /// The update rule.
    public let kind: OptimizerKind
    /// The learning rate of every update.
    public let learningRate: Float
    /// Adam's betas as PyTorch holds them: doubles (Python floats), so that 1 - beta2 is
    /// 0.001 and not 1 - Float(0.999) = 0.000999987.
    public let beta1 = 0.9
    /// Adam's second-moment decay, a double for the reason `beta1` gives.
    public let beta2 = 0.999
    /// Adam's epsilon, added to the denominator.
    public let epsilon: Float = 1e-8
    /// Momentum's decay of its buffer.
    public let momentum: Float = 0.9
    /// Updates applied so far (Adam's t).
    public var steps: Int = 0
    /// Adam's first moment, or the momentum buffer.
    public let first: FloatBuffer
    /// Adam's second moment (empty otherwise).
    public let second: FloatBuffer

    /// The vector kernels that apply the rule.
    public let kernels: Kernels

    /// Creates an optimizer with zeroed state for `count` parameters.
    ///
    /// - Parameters:
    ///   - kind: The update rule.
    ///   - learningRate: The learning rate of every update.
    ///   - count: The number of parameters it updates (`Parameters.count`).
    ///   - kernels: The vector kernels that apply the rule.
    public init(kind: OptimizerKind, learningRate: Float, count: Int, kernels: Kernels = .current) {
        self.kind = kind
        self.kernels = kernels
        self.learningRate = learningRate
        first = FloatBuffer(count: kind == .sgd ? 0 : count)
        second = FloatBuffer(count: kind == .adam ? count : 0)
    }

    /// p -= update(g) over `count` floats, as one step.
    ///
    /// - Returns: Whether every updated parameter is finite.
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

    /// Applies the rule at step `steps` to parameters `range`.
    ///
    /// - Parameters:
    ///   - p: The parameters.
    ///   - g: Their gradients, in the same layout.
    ///   - range: The parameters to update.
    /// - Returns: Whether every updated parameter is finite, checked on the fly: p * 0 is NaN exactly
    ///   when p is not finite, and NaN survives the sum.
    public func apply(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ range: Range<Int>) -> Bool {
        let at = range.lowerBound, count = range.count
        guard count > 0 else { return true }
        switch kind {
        case .sgd:
            return kernels.table.sgd(p + at, g + at, count, learningRate) != 0
        case .momentum:
            return kernels.table.momentum(p + at, g + at, first.pointer + at, count, learningRate, momentum) != 0
        case .adam:
            var constants = adamConstants(step: steps)
            return kernels.table.adam(p + at, g + at, first.pointer + at, second.pointer + at, count, &constants) != 0
        }
    }

    /// Adam's constants at step `t` (1-based), each worked out in Double and rounded once
    /// to Float, as PyTorch's single-tensor Adam computes them in Python floats and hands
    /// them to float32 kernels: 1 - beta1 (lerp_'s weight), beta2, 1 - beta2 (addcmul_'s
    /// value), eps, lr / (1 - beta1^t) and 1 / sqrt(1 - beta2^t).
    func adamConstants(step t: Int) -> AEAdam {
        AEAdam(one_minus_beta1: Float(1 - beta1), beta2: Float(beta2), one_minus_beta2: Float(1 - beta2),
               epsilon: epsilon, step_size: Float(Double(learningRate) / (1 - pow(beta1, Double(t)))),
               inverse_correction2_root: Float(1 / (1 - pow(beta2, Double(t))).squareRoot()))
    }
}
