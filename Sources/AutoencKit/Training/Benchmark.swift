import Dispatch

/// Speed measurements for `autoenc bench`: BLAS throughput at the model's shapes and
/// training throughput per regularizer. Timings are wall-clock medians over repeats.
public enum Benchmark {
    public struct ProductTiming: Sendable {
        public var name: String
        public var m: Int, n: Int, k: Int
        public var gflops: Double
        /// Largest |BLAS - naive| / (|naive| + 1) over the product's outputs.
        public var maxRelativeError: Double
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Multiply-adds of the naive product that checks BLAS's (about 0.2 s); a larger
    /// product is checked on evenly spaced rows of its result.
    static let checkBudget = 1 << 26

    /// Times the five products of one training step at `batch` (forward: x w1^T, hd w2^T;
    /// backward: dz2^T hd, dz2 w2, dz1^T x), each checked once against the naive product
    /// (on every row, or on evenly spaced rows within `checkBudget`). Each figure is the
    /// median over samples for `seconds`, at least 3, of 10 products each (fewer when 10
    /// would take more than 20 ms).
    public static func products(batch: Int, hidden: Int, seconds: Double = 0.3) -> [ProductTiming] {
        let n = ModelConfig.inputs
        // (name, transA, transB, m, n, k, lda, ldb)
        let shapes: [(String, Bool, Bool, Int, Int, Int, Int, Int)] = [
            ("x w1^T", false, true, batch, hidden, n, n, n),
            ("hd w2^T", false, true, batch, n, hidden, hidden, hidden),
            ("dz2^T hd", true, false, n, hidden, batch, n, hidden),
            ("dz2 w2", false, false, batch, hidden, n, n, hidden),
            ("dz1^T x", true, false, hidden, n, batch, hidden, n),
        ]
        var rng = RandomStream(seed: 1, .evaluation)
        return shapes.map { (name, ta, tb, m, nn, k, lda, ldb) in
            let a = FloatBuffer(count: max(m, k) * lda)
            let b = FloatBuffer(count: max(k, nn) * ldb)
            for i in 0..<a.count { a.pointer[i] = rng.uniform(-1, 1) }
            for i in 0..<b.count { b.pointer[i] = rng.uniform(-1, 1) }
            let c = FloatBuffer(count: m * nn), reference = FloatBuffer(count: m * nn)
            func run() {
                BLAS.sgemm(transA: ta, transB: tb, m: m, n: nn, k: k, alpha: 1, a: a.pointer, lda: lda,
                           b: b.pointer, ldb: ldb, beta: 0, c: c.pointer, ldc: nn)
            }
            let first = now()
            run()
            let once = now() - first
            // row i of the result reads row i of a (column i when transposed)
            let rowStep = max(1, m * nn * k / checkBudget)
            var worst = 0.0
            for i in stride(from: 0, to: m, by: rowStep) {
                BLAS.sgemmNaive(transA: ta, transB: tb, m: 1, n: nn, k: k, alpha: 1, a: ta ? a.pointer + i : a.pointer + i * lda,
                                lda: lda, b: b.pointer, ldb: ldb, beta: 0, c: reference.pointer + i * nn, ldc: nn)
                for j in (i * nn)..<((i + 1) * nn) {
                    let r = Double(reference.pointer[j])
                    worst = max(worst, abs(Double(c.pointer[j]) - r) / (abs(r) + 1))
                }
            }
            let perSample = Int(min(10, max(1, 20_000_000 / max(once, 1))))
            var samples: [Double] = []
            let deadline = now() + UInt64(seconds * 1e9)
            repeat {
                let start = now()
                for _ in 0..<perSample { run() }
                samples.append(Double(now() - start) / 1e9 / Double(perSample))
            } while now() < deadline || samples.count < 3
            samples.sort()
            let flops = 2.0 * Double(m) * Double(nn) * Double(k)
            return ProductTiming(name: name, m: m, n: nn, k: k, gflops: flops / samples[samples.count / 2] / 1e9,
                                 maxRelativeError: worst)
        }
    }

    /// What `training` measured.
    public struct TrainingTiming: Sendable {
        /// The median over the repeats.
        public var imagesPerSecond: Double
        /// Where the time of the timed steps (every repeat's) went.
        public var breakdown: StepBreakdown
    }

    /// Trains on `data` for `warmup` images untimed, then for
    /// `images` images `repeats` times with `config`, and returns the median images/s and
    /// the timed steps' phases (`StepTimer`, whose clock reads cost well under a
    /// microsecond a step). Throws the step's `.diverged` error when the loss or the
    /// weights stop being finite, so that a diverging run is reported rather than timed.
    public static func training(_ data: ImageSet, config: ModelConfig, options: TrainingOptions,
                                images: Int, warmup: Int = 0, repeats: Int = 3) throws -> TrainingTiming {
        let model = Autoencoder(config: config, seed: options.seed)
        let trainer = Trainer(model: model, options: options)
        let order = Trainer.order(count: data.count, seed: options.seed, epoch: 1)
        var cursor = 0
        func steps(_ count: Int) throws {
            var done = 0
            while done < count {
                let b = min(options.batchSize, count - done)
                if cursor + b > order.count { cursor = 0 }
                _ = try trainer.trainStep(data, order[cursor..<cursor + b], epoch: 1)
                cursor += b
                done += b
            }
        }
        try steps(warmup)
        let timer = trainer.timePhases()
        var rates: [Double] = []
        for _ in 0..<repeats {
            let start = now()
            try steps(images)
            rates.append(Double(images) / (Double(now() - start) / 1e9))
        }
        rates.sort()
        return TrainingTiming(imagesPerSecond: rates[rates.count / 2], breakdown: timer.breakdown)
    }
}
