import CKernels

/// autoenc's one random generator: counter-based, so any position of any stream can be
/// produced directly from (seed, purpose, indices) with no stored state.
///
/// Each output is SplitMix64's finalizer applied to `key + counter * golden`, which is
/// exactly SplitMix64 started at `key`; keys are themselves mixed from the seed and the
/// stream's indices, so streams for different (step, example) pairs are independent.
/// Because a mask can be regenerated from (seed, step, example), dropout and DropConnect
/// masks need not be stored between the forward and backward passes.
public struct RandomStream: RandomNumberGenerator, Sendable {
    /// SplitMix64's increment, 2^64 divided by the golden ratio.
    public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// What a stream is for; part of its key so that purposes never share bits.
    public enum Purpose: UInt64, Sendable {
        case initialization = 1, shuffle, dropout, dropConnect, inputDropout, evaluation, probe, gaussianDropout
    }

    /// The stream's key, mixed from a seed, a purpose and indices.
    public let key: UInt64
    /// The position of the next output in the stream.
    public var counter: UInt64

    /// Creates the stream keyed `key`, positioned at `counter`.
    public init(key: UInt64, counter: UInt64 = 0) {
        self.key = key
        self.counter = counter
    }

    /// The stream for `purpose` under `seed`, at indices such as (step, example).
    public init(seed: UInt64, _ purpose: Purpose, _ a: UInt64 = 0, _ b: UInt64 = 0) {
        self.init(key: Self.key(seed: seed, purpose, a, b))
    }

    /// SplitMix64's finalizer; written once, in C, for the kernels and for Swift.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 { ae_mix(value) }

    /// The key of the stream for `purpose` under `seed` at indices (`a`, `b`).
    ///
    /// Each input is mixed in turn with SplitMix64's finalizer, so that nearby seeds and indices
    /// give unrelated streams.
    ///
    /// - Parameters:
    ///   - seed: The run's seed.
    ///   - purpose: What the stream is for.
    ///   - a: The first index, such as the step.
    ///   - b: The second index, such as the example.
    /// - Returns: The key for `init(key:counter:)` and `word(key:counter:)`.
    @inline(__always)
    public static func key(seed: UInt64, _ purpose: Purpose, _ a: UInt64, _ b: UInt64) -> UInt64 {
        var k = mix(seed &+ golden)
        k = mix(k ^ (purpose.rawValue &* 0xD1B5_4A32_D192_ED03))
        k = mix(k ^ (a &+ 0x8CB9_2BA7_2F3D_8DD7))
        k = mix(k ^ (b &+ 0x4F1B_BCDC_BFA5_3E0B))
        return k
    }

    /// The word at `counter` of the stream keyed `key`.
    @inline(__always)
    public static func word(key: UInt64, counter: UInt64) -> UInt64 { ae_random_word(key, counter) }

    /// The stream's next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let value = Self.word(key: key, counter: counter)
        counter &+= 1
        return value
    }

    /// A float uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUnit() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A float uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnit()
    }
}
