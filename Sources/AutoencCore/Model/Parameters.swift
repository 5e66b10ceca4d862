/// The autoencoder's parameters in one flat, vector-aligned buffer, laid out as
/// PyTorch's `nn.Linear` stores them (`out x in`, row-major):
///
///     encoder.weight (hidden, 784) | encoder.bias (hidden) | decoder.weight (784, hidden) | decoder.bias (784)
///
/// One buffer lets the optimizer update every parameter in a single fused loop, and
/// gradients use the same layout.
public final class Parameters: @unchecked Sendable {
    /// The number of hidden units.
    public let hidden: Int
    /// The one buffer: w1 | b1 | w2 | b2.
    public let storage: FloatBuffer

    /// The tensors' names in storage order, as checkpoints store them.
    public static let tensorNames = tensors(hidden: 0).map(\.name)

    /// Allocates the parameters of a model with `hidden` units, all 0 (see `initialize(seed:)`).
    public init(hidden: Int) {
        self.hidden = hidden
        storage = FloatBuffer(count: Self.count(hidden: hidden))
    }

    /// The number of floats in a model with `hidden` units: 2 · hidden · 784 + hidden + 784.
    public static func count(hidden: Int) -> Int { 2 * hidden * ModelConfig.inputs + hidden + ModelConfig.inputs }

    /// The number of floats in all.
    public var count: Int { storage.count }
    /// The first float of w1 and of the whole buffer.
    public var base: UnsafeMutablePointer<Float> { storage.pointer }

    /// w1: (hidden, 784)
    public var w1: UnsafeMutablePointer<Float> { base }
    /// b1: (hidden)
    public var b1: UnsafeMutablePointer<Float> { base + hidden * ModelConfig.inputs }
    /// w2: (784, hidden)
    public var w2: UnsafeMutablePointer<Float> { b1 + hidden }
    /// b2: (784)
    public var b2: UnsafeMutablePointer<Float> { w2 + hidden * ModelConfig.inputs }

    /// The tensors in checkpoint order, with their shapes and offsets (in floats) into `storage`.
    public var tensors: [(name: String, shape: [Int], offset: Int)] { Self.tensors(hidden: hidden) }

    /// `tensors` of a model with `hidden` units, without allocating one.
    public static func tensors(hidden: Int) -> [(name: String, shape: [Int], offset: Int)] {
        let n = ModelConfig.inputs
        return [
            ("encoder.weight", [hidden, n], 0),
            ("encoder.bias", [hidden], hidden * n),
            ("decoder.weight", [n, hidden], hidden * n + hidden),
            ("decoder.bias", [n], 2 * hidden * n + hidden),
        ]
    }

    /// PyTorch's `nn.Linear` initialization: weights and biases uniform in
    /// +-1/sqrt(fan_in).
    public func initialize(seed: UInt64) {
        var rng = RandomStream(seed: seed, .initialization)
        let n = ModelConfig.inputs
        let encoderBound = 1 / Float(n).squareRoot()
        let decoderBound = 1 / Float(hidden).squareRoot()
        for i in 0..<(hidden * n + hidden) { base[i] = rng.uniform(-encoderBound, encoderBound) }
        for i in (hidden * n + hidden)..<count { base[i] = rng.uniform(-decoderBound, decoderBound) }
    }

    /// Copies every value of `other`, which must have as many hidden units.
    public func copy(from other: Parameters) {
        precondition(other.count == count)
        base.update(from: other.base, count: count)
    }

    /// A copy of every value, in storage order.
    public var values: [Float] { storage.array }

    /// True when every parameter is finite.
    public var isFinite: Bool {
        for i in 0..<count where !base[i].isFinite { return false }
        return true
    }
}
