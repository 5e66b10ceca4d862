import Foundation

/// Gaussian dropout on the hidden units (Srivastava et al. 2014, section 10): each hidden
/// activation of each example is multiplied by 1 + σ ε with ε ~ N(0, 1), so the factor has
/// mean 1 and variance σ² = p / (1 - p), the variance of inverted dropout's factor at drop
/// probability p.
///
/// The mean is 1, so inference uses the layer as it is: no scaling at test time, and no
/// classic scaling while training.
///
/// The noise of example `e` at step `s` is a pure function of (seed, s, e), drawn from the
/// `.gaussianDropout` streams: unit j takes the j-th 64-bit word of that stream, splits it
/// into two 32-bit halves and turns them into one normal value by Box-Muller,
/// u1 = (high + 1) / 2^32 in (0, 1], u2 = low / 2^32 in [0, 1),
/// ε = sqrt(-2 ln u1) · cos(2π u2), computed in Double; the factor is rounded to Float once.
public struct GaussianNoise: Sendable {
    /// The drop probability p the noise stands in for.
    public let dropP: Float
    /// σ = sqrt(p / (1 - p)), the factor's standard deviation.
    public let sigma: Double
    /// The run's seed, which with the step and example keys each stream.
    public let seed: UInt64

    /// Creates the noise for drop probability `dropP` (0 < p < 1) under `seed`.
    public init(dropP: Float, seed: UInt64) {
        self.dropP = dropP
        self.seed = seed
        sigma = (Double(dropP) / (1 - Double(dropP))).squareRoot()
    }

    /// The key of example `example`'s noise at `step`.
    @inline(__always)
    public func key(step: UInt64, example: Int) -> UInt64 {
        RandomStream.key(seed: seed, .gaussianDropout, step, UInt64(example))
    }

    /// ε ~ N(0, 1) of unit `unit` under noise `key`, by Box-Muller from the unit's word.
    @inline(__always)
    public static func normal(key: UInt64, unit: Int) -> Double {
        let word = RandomStream.word(key: key, counter: UInt64(unit))
        let u1 = Double((word >> 32) + 1) * 0x1p-32, u2 = Double(word & 0xFFFF_FFFF) * 0x1p-32
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// The factor 1 + σ ε that unit `unit`'s activation and its gradient are multiplied by.
    @inline(__always)
    public func factor(key: UInt64, unit: Int) -> Float {
        Float(1 + sigma * Self.normal(key: key, unit: unit))
    }
}
