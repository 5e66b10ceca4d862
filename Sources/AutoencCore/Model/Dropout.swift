/// Dropout on the hidden units, or on the input pixels: each unit of each example is kept
/// with probability 1 - p and, when kept, divided by 1 - p ("inverted" scaling), so that at
/// test time the layer is used as it is.
///
/// With `.classic` scaling kept units pass unchanged, and inference scales the layer's
/// outgoing weights by 1 - p instead.
///
/// The mask of example `e` at step `s` is a pure function of (seed, purpose, s, e): unit
/// j keeps when the j-th 32-bit value of that stream is below (1 - p) * 2^32. Hidden
/// units use the `.dropout` streams, input pixels the `.inputDropout` ones.
public struct DropoutMask: Sendable {
    /// The probability of dropping a unit.
    public let dropP: Float
    /// Keep when the 32-bit random value is below this.
    public let threshold: UInt64
    /// What a kept unit is multiplied by: 1 / (1 - p), or 1 under classic scaling.
    public let scale: Float
    /// The run's seed, which with the step and example keys each mask's stream.
    public let seed: UInt64
    /// The streams used: `.dropout` for hidden units, `.inputDropout` for input pixels.
    public let purpose: RandomStream.Purpose

    /// Creates the masks for drop probability `dropP` under `seed`.
    ///
    /// - Parameters:
    ///   - dropP: The probability of dropping a unit, 0 <= p < 1.
    ///   - seed: The run's seed.
    ///   - scaling: Whether kept units are scaled by 1 / (1 - p) while training (inverted) or not (classic).
    ///   - purpose: `.dropout` for hidden units, `.inputDropout` for input pixels.
    public init(dropP: Float, seed: UInt64, scaling: DropoutScaling = .inverted,
                purpose: RandomStream.Purpose = .dropout) {
        self.dropP = dropP
        self.seed = seed
        self.purpose = purpose
        let keep = Double(1 - dropP)
        threshold = UInt64((keep * 4_294_967_296).rounded())
        scale = scaling == .inverted ? 1 / Float(keep) : 1
    }

    /// The key of example `example`'s mask at `step`.
    @inline(__always)
    public func key(step: UInt64, example: Int) -> UInt64 {
        RandomStream.key(seed: seed, purpose, step, UInt64(example))
    }

    /// Whether unit `unit` is kept under mask `key`.
    @inline(__always)
    public func keeps(key: UInt64, unit: Int) -> Bool {
        let word = RandomStream.word(key: key, counter: UInt64(unit >> 1))
        let value = (unit & 1) == 0 ? word & 0xFFFF_FFFF : word >> 32
        return value < threshold
    }
}
