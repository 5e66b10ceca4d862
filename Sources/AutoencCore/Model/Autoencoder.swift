import Dispatch

/// The 784-hidden-784 autoencoder: parameters, configuration, and inference.
///
/// Inference uses the parameters as they are (they are always inference-ready: under
/// classic dropout scaling the trainer hands out and saves w2 * (1 - p)), with every unit
/// and connection kept, unless an `InferenceRule.sample` asks for Wan et al.'s moment
/// matching on a DropConnect model.
public final class Autoencoder: @unchecked Sendable {
    /// The model's shape and regularizer.
    public let config: ModelConfig
    /// The weights and biases, which training updates in place.
    public let parameters: Parameters

    /// Creates a model with freshly initialized parameters.
    ///
    /// - Parameters:
    ///   - config: The model's shape and regularizer.
    ///   - seed: The seed of the initialization; the same seed gives the same weights.
    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        parameters = Parameters(hidden: config.hidden)
        parameters.initialize(seed: seed)
    }

    /// Creates a model over existing parameters, such as a checkpoint's.
    ///
    /// `parameters` must have `config.hidden` hidden units.
    public init(config: ModelConfig, parameters: Parameters) {
        precondition(parameters.hidden == config.hidden)
        self.config = config
        self.parameters = parameters
    }

    /// Encodes `count` images: x (count, 784) -> codes (count, hidden), after the activation.
    public func encode(_ x: UnsafePointer<Float>, count: Int, into codes: UnsafeMutablePointer<Float>) {
        let h = config.hidden, n = ModelConfig.inputs
        // x: (count, 784), w1: (h, 784) -> codes: (count, h)
        BLAS.sgemm(transA: false, transB: true, m: count, n: h, k: n,
                   alpha: 1, a: x, lda: n, b: parameters.w1, ldb: n, beta: 0, c: codes, ldc: h)
        Layers.biasActivate(codes, rows: count, columns: h, bias: parameters.b1, activation: config.activation)
    }

    /// Decodes codes (count, hidden) -> reconstructions (count, 784) in [0, 1].
    public func decode(_ codes: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
        let h = config.hidden, n = ModelConfig.inputs
        // codes: (count, h), w2: (784, h) -> y: (count, 784)
        BLAS.sgemm(transA: false, transB: true, m: count, n: n, k: h,
                   alpha: 1, a: codes, lda: h, b: parameters.w2, ldb: h, beta: 0, c: y, ldc: n)
        Layers.biasActivate(y, rows: count, columns: n, bias: parameters.b2, activation: .sigmoid)
    }

    /// Images per chunk under a sampling rule that draws: sampling costs far more per
    /// image than the products, so smaller chunks cost nothing measurable and let progress
    /// reports come every fraction of a second even at K = 1000.
    static let samplingChunk = 50

    /// Images per chunk of inference's products: 500 rows of 784 floats (1.6 MB in, as
    /// much out), enough rows for BLAS to run at its full speed, few enough to stay in a
    /// core's share of the cache.
    public static let inferenceChunk = 500

    /// Images each thread of an inference pass takes at the least: 256 images cost about
    /// 200 MFLOP of products, milliseconds, against the tens of microseconds of waking a
    /// thread; a smaller set runs on fewer threads.
    public static func threadCount(_ threads: Int, images: Int) -> Int { max(1, min(threads, images / 256)) }

    /// Reconstructs images of `set` chunk by chunk, in inference mode.
    ///
    /// With `.sample(k)` the draws are keyed by `seed` and each image's index in `set`, so the result
    /// does not depend on `chunk` (at most `samplingChunk` when sampling).
    ///
    /// - Parameters:
    ///   - set: The images.
    ///   - range: The images to reconstruct; all of them by default.
    ///   - chunk: Images per call to `body`.
    ///   - inference: How the hidden layer is evaluated (see `InferenceRule`).
    ///   - seed: The seed of the draws under `.sample(k)`.
    ///   - body: Called on each chunk with its start index, its count, and the originals and
    ///     reconstructions as count x 784 floats.
    public func reconstruct(_ set: ImageSet, range: Range<Int>? = nil, chunk: Int = inferenceChunk,
                            inference: InferenceRule = .mean, seed: UInt64 = 0,
                            _ body: (Int, Int, UnsafePointer<Float>, UnsafePointer<Float>) -> Void) {
        let n = ModelConfig.inputs
        let range = range ?? 0..<set.count
        let draws = MomentMatchedEncoder.draws(self, inference)
        let chunk = max(1, min(draws ? min(chunk, Self.samplingChunk) : chunk, range.count))
        let x = FloatBuffer(count: chunk * n)
        let codes = FloatBuffer(count: chunk * config.hidden)
        let y = FloatBuffer(count: chunk * n)
        let sampler = MomentMatchedEncoder(model: self, rule: inference, capacity: chunk, seed: seed)
        var start = range.lowerBound
        let all = (0..<Int32(set.count)).map { $0 }
        while start < range.upperBound {
            let m = min(chunk, range.upperBound - start)
            set.gather(all[start..<start + m], into: x.pointer)
            if let sampler {
                sampler.encode(x.pointer, count: m, firstImage: start, into: codes.pointer)
            } else {
                encode(x.pointer, count: m, into: codes.pointer)
            }
            decode(codes.pointer, count: m, into: y.pointer)
            body(start, m, x.pointer, y.pointer)
            start += m
        }
    }

    /// The mean squared error over every pixel of every image of `set`, in inference mode.
    ///
    /// This is what `torch.nn.functional.mse_loss` returns. The images are split over `threads`
    /// threads (BLAS should then run one thread per call); the result does not depend on `threads`
    /// beyond rounding.
    ///
    /// - Parameters:
    ///   - set: The images.
    ///   - threads: Threads to split the images over.
    ///   - inference: How the hidden layer is evaluated, as for `reconstruct`.
    ///   - seed: The seed of the draws, as for `reconstruct`.
    ///   - progress: Hears of the images done, after each chunk of each thread.
    /// - Returns: The mean over images x 784 pixels of the squared difference.
    public func meanSquaredError(_ set: ImageSet, threads: Int = 1, inference: InferenceRule = .mean,
                                 seed: UInt64 = 0, progress: ProgressTask? = nil) -> Double {
        let parts = Self.threadCount(threads, images: set.count)
        let sums = DisjointlyShared(UnsafeMutablePointer<Double>.allocate(capacity: parts))
        defer { sums.value.deallocate() }
        let counter = progress?.start(total: set.count, unit: .images)
        let work: @Sendable (Int) -> Void = { [self] part in
            var total = 0.0
            reconstruct(set, range: set.count * part / parts..<set.count * (part + 1) / parts,
                        inference: inference, seed: seed) { _, m, x, y in
                total += Layers.sumSquaredError(x, y, count: m * ModelConfig.inputs)
                counter?.add(m)
            }
            sums.value[part] = total
        }
        if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
        var total = 0.0
        for p in 0..<parts { total += sums.value[p] }
        return total / Double(set.count * ModelConfig.inputs)
    }
}
