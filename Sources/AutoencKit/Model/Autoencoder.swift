import Dispatch

/// The 784-hidden-784 autoencoder: parameters, configuration, and inference.
///
/// Inference uses the parameters as they are (they are always inference-ready: under
/// classic dropout scaling the trainer hands out and saves w2 * (1 - p)), with every unit
/// and connection kept, unless an `InferenceRule.sample` asks for Wan et al.'s moment
/// matching on a DropConnect model.
public final class Autoencoder: @unchecked Sendable {
    public let config: ModelConfig
    public let parameters: Parameters

    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        parameters = Parameters(hidden: config.hidden)
        parameters.initialize(seed: seed)
    }

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

    /// Reconstructs images `range` of `set` (default: all), calling `body` on each chunk
    /// (start index, count, originals and reconstructions as count x 784 floats).
    /// `inference` picks how the hidden layer is evaluated (see `InferenceRule`); with
    /// `.sample(k)` the draws are keyed by `seed` and each image's index in `set`, so the
    /// result does not depend on `chunk` (at most `samplingChunk` when sampling).
    public func reconstruct(_ set: ImageSet, range: Range<Int>? = nil, chunk: Int = 500,
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

    /// Mean squared error over every pixel of every image of `set` (what
    /// `torch.nn.functional.mse_loss` returns), in inference mode, with the images split
    /// over `threads` threads (BLAS should then run one thread per call). `inference` and
    /// `seed` as for `reconstruct`; the result does not depend on `threads` beyond rounding.
    /// `progress` hears of the images done, after each chunk of each thread.
    public func meanSquaredError(_ set: ImageSet, threads: Int = 1, inference: InferenceRule = .mean,
                                 seed: UInt64 = 0, progress: ProgressTask? = nil) -> Double {
        let parts = max(1, min(threads, set.count / 256))
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

/// Elementwise kernels shared by inference and training.
public enum Layers {
    /// v[r, c] = act(v[r, c] + bias[c]) in place. v: (rows, columns).
    public static func biasActivate(_ v: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                    bias: UnsafePointer<Float>, activation: Activation) {
        for r in 0..<rows {
            let row = v + r * columns
            var c = 0
            while c + 16 <= columns {
                let z = vload(row + c) + vload(bias + c)
                vstore(activation == .relu ? z.replacing(with: 0, where: z .< 0) : vsigmoid(z), row + c)
                c += 16
            }
            while c < columns {
                let z = row[c] + bias[c]
                row[c] = activation == .relu ? max(z, 0) : sigmoid(z)
                c += 1
            }
        }
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
