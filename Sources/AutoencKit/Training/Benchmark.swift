import Dispatch

/// Speed measurements for `autoenc bench`: BLAS throughput at the model's shapes and
/// training throughput per regularizer.
///
/// Timings are wall-clock medians over repeats.
public enum Benchmark {
    /// One product's timing (BLAS's, or the kernels' own): its shape, its GFLOP/s, and how
    /// far it strayed from the naive product.
    public struct ProductTiming: Sendable {
        public var name: String
        public var m: Int, n: Int, k: Int
        public var gflops: Double
        /// Largest |product - naive| / (|naive| + 1) over the product's outputs.
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
    /// would take more than 20 ms). With `own`, the kernels' own product (`kernels`' level)
    /// in the shape the training step runs it, and nil for a product the step leaves to
    /// BLAS there; z1 and z2 as w1 x^T and w2 hd^T, stored transposed, from transposed
    /// copies of x and hd (the copies not timed: the step makes them in other phases).
    public static func products(batch: Int, hidden: Int, seconds: Double = 0.3, own: Bool = false,
                                kernels: Kernels = .current) -> [ProductTiming?] {
        let n = ModelConfig.inputs
        let shapes: [(name: String, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int)] = [
            ("x w1^T", false, true, batch, hidden, n, n, n),
            ("hd w2^T", false, true, batch, n, hidden, hidden, hidden),
            ("dz2^T hd", true, false, n, hidden, batch, n, hidden),
            ("dz2 w2", false, false, batch, hidden, n, n, hidden),
            ("dz1^T x", true, false, hidden, n, batch, hidden, n),
        ]
        var rng = RandomStream(seed: 1, .evaluation)
        return shapes.enumerated().map { index, shape -> ProductTiming? in
            let (name, ta, tb, m, nn, k, lda, ldb) = shape
            let a = FloatBuffer(count: max(m, k) * lda)
            let b = FloatBuffer(count: max(k, nn) * ldb)
            for i in 0..<a.count { a.pointer[i] = rng.uniform(-1, 1) }
            for i in 0..<b.count { b.pointer[i] = rng.uniform(-1, 1) }
            let c = FloatBuffer(count: m * nn)
            guard own else {
                return time(name: name, m: m, n: nn, k: k, c: c, seconds: seconds,
                            check: (ta, tb, UnsafePointer(a.pointer), lda, UnsafePointer(b.pointer), ldb)) {
                    BLAS.sgemm(transA: ta, transB: tb, m: m, n: nn, k: k, alpha: 1, a: a.pointer, lda: lda,
                               b: b.pointer, ldb: ldb, beta: 0, c: c.pointer, ldc: nn)
                }
            }
            if index < 2 {
                // z^T = w a^T: w (nn, k) is b; a^T (k, m) a transposed copy of a (m, k)
                // where the step runs it: z1 by the encoder's rule (AVX2 too, up to
                // `TrainingPass.ownEncoderUnitsAtAVX2` units), z2 at AVX-512
                let runs = index == 0 ? TrainingPass.ownEncoderKernels(hidden: hidden, kernels: kernels)
                    : Matrix.hasOwnProduct(kernels) && hidden <= TrainingPass.ownTransposedUnits
                guard runs, batch <= Matrix.ownProductColumns else { return nil }
                let transposed = FloatBuffer(count: k * m)
                Matrix.transpose(a.pointer, rows: m, columns: k, into: transposed.pointer, rowsOfResult: 0..<k,
                                 kernels: kernels)
                return time(name: name, m: m, n: nn, k: k, c: c, seconds: seconds,
                            check: (ta, tb, UnsafePointer(a.pointer), lda, UnsafePointer(b.pointer), ldb)) {
                    Matrix.multiplyKernel(transA: false, m: nn, n: m, k: k, a: b.pointer, lda: ldb,
                                          b: transposed.pointer, ldb: m, c: c.pointer, ldc: nn, transposedC: true,
                                          kernels: kernels)
                }
            }
            guard Matrix.usesOwnProduct(columns: nn, b: b.pointer, ldb: ldb, kernels: kernels) else { return nil }
            return time(name: name, m: m, n: nn, k: k, c: c, seconds: seconds,
                        check: (ta, tb, UnsafePointer(a.pointer), lda, UnsafePointer(b.pointer), ldb)) {
                Matrix.multiplyKernel(transA: ta, m: m, n: nn, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                                      c: c.pointer, ldc: nn, kernels: kernels)
            }
        }
    }

    /// Runs `run` (which writes the product (m, nn) into c) once, checks c against the
    /// naive product of `check`'s operands, then times it as `products` says.
    static func time(name: String, m: Int, n nn: Int, k: Int, c: FloatBuffer, seconds: Double,
                     check: (Bool, Bool, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int),
                     _ run: () -> Void) -> ProductTiming {
        let (ta, tb, a, lda, b, ldb) = check
        let reference = FloatBuffer(count: m * nn)
        let first = now()
        run()
        let once = now() - first
        // row i of the result reads row i of a (column i when transposed)
        let rowStep = max(1, m * nn * k / checkBudget)
        var worst = 0.0
        for i in stride(from: 0, to: m, by: rowStep) {
            BLAS.sgemmNaive(transA: ta, transB: tb, m: 1, n: nn, k: k, alpha: 1, a: ta ? a + i : a + i * lda,
                            lda: lda, b: b, ldb: ldb, beta: 0, c: reference.pointer + i * nn, ldc: nn)
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

    /// What `training` measured.
    public struct TrainingTiming: Sendable {
        /// The median over the repeats.
        public var imagesPerSecond: Double
        /// The slowest and the fastest repeat.
        public var range: ClosedRange<Double>
        /// Where the time of the timed steps (every repeat's) went.
        public var breakdown: StepBreakdown
    }

    /// Trains on `data` for `warmup` images untimed, then for
    /// `images` images `repeats` times with `config`, and returns the median images/s, their
    /// range, and the timed steps' phases (`StepTimer`, whose clock reads cost well under a
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
        return TrainingTiming(imagesPerSecond: rates[rates.count / 2], range: rates[0]...rates[rates.count - 1],
                              breakdown: timer.breakdown)
    }
}

extension Benchmark {
    /// The hidden size `images` counts at: above it a step's products grow with the
    /// hidden layer, and the images timed shrink in proportion.
    public static let referenceHidden = 256

    /// Training images timed per repeat for `mode` at `hidden` units when `images` are
    /// asked for: `images` up to 256 units, `images` x 256 / hidden above (so a run at
    /// 4096 units takes about as long as one at 256), but at least a batch unless fewer
    /// were asked for; per-example DropConnect, whose kernel is slower, a quarter of that
    /// and at least a batch.
    public static func timedImages(_ images: Int, mode: Mode, hidden: Int, batchSize: Int) -> Int {
        let scaled = hidden > referenceHidden
            ? max(min(images, batchSize), Int(Double(images) * Double(referenceHidden) / Double(hidden))) : images
        return mode == .dropconnectExample ? max(batchSize, scaled / 4) : scaled
    }

    /// `autoenc bench`: `run` on the training images of the data set `data` names (--data
    /// as given, `DataLocation.resolve`). Throws the data set's errors, then `run`'s.
    public static func run(_ plan: Plan, data: String?, threads: Int) throws -> Report {
        let location = try DataLocation.resolve(data)
        return try run(try location.load(train: true), plan, threads: threads, dataName: location.directory)
    }

    /// For each of `plan`'s hidden sizes, batch sizes and modes, times training
    /// (`timedImages`; `warmup` images first, default 4 batches) and breaks its steps
    /// down by phase; then the five products at each size on one thread and on `threads`,
    /// and Adam's pass over each hidden size's parameters (`optimizerPass`).
    /// Throws a usage error when a batch is larger than the data set, and `.unavailable`
    /// (69) before timing anything when a size's trainer needs more memory than is
    /// `available` (`Trainer.checkMemory`).
    public static func run(_ data: ImageSet, _ plan: Plan, threads: Int, dataName: String,
                           available: Int? = Memory.available()) throws -> Report {
        let (modes, hidden, batchSizes, dropP) = (plan.modes, plan.hidden, plan.batchSizes, plan.dropP)
        if let batch = batchSizes.first(where: { $0 > data.count }) {
            throw AutoencError(.usage, "--batch-size \(batch) is more than the \(data.count) "
                + "training images of \(dataName)")
        }
        let sizes = hidden.flatMap { h in batchSizes.map { Size(hidden: h, batchSize: $0) } }
        // each size and mode with the settings train would resolve for the same flags,
        // every one checked to fit before any is timed
        let timings = try sizes.flatMap { size in
            try modes.map { mode in
                var (config, options) = mode.request(dropP: dropP, hidden: size.hidden,
                                                     batchSize: size.batchSize).newRun()
                options.threads = threads
                try Trainer.checkMemory(config, options: options, available: available)
                return (size: size, mode: mode, config: config, options: options)
            }
        }
        // the peak, measured before the first mode and after each: the highest of them
        // is the one reported, so a moment when another process shared the cores cannot
        // lower it
        var peak = Peak.measure(threads: threads)
        var rows: [TrainingRow] = []
        for (size, mode, config, options) in timings {
            let warmupImages = plan.warmup ?? 4 * size.batchSize
            let n = timedImages(plan.images, mode: mode, hidden: size.hidden, batchSize: size.batchSize)
            let timing = try training(data, config: config, options: options,
                                      images: n, warmup: warmupImages, repeats: plan.repeats)
            rows.append(TrainingRow(mode: mode, size: size, images: n, warmupImages: warmupImages,
                                    imagesPerSecond: timing.imagesPerSecond, breakdown: timing.breakdown,
                                    imagesPerSecondRange: timing.range))
            peak = peak.higher(Peak.measure(threads: threads))
        }
        // products last: OpenBLAS's own threads, once woken by a multithreaded product,
        // keep spinning for a while and would slow the training timings down
        BLAS.setThreads(1)
        let single = sizes.map { products(batch: $0.batchSize, hidden: $0.hidden) }
        let own = sizes.map { products(batch: $0.batchSize, hidden: $0.hidden, own: true) }
        BLAS.setThreads(threads)
        let all = threads > 1 ? sizes.map { products(batch: $0.batchSize, hidden: $0.hidden) } : single
        // back to one thread a product, as the trainer and the evaluations set it: the
        // thread count is the process's, and OpenBLAS 0.3.21 rounds x w1^T (300 x 784 by
        // 784 x 8) differently on two threads; left at two, an evaluation that another
        // test ran beside the bench's differed from its rerun in the last bits
        // (`ProgressTests.evaluation`, once)
        BLAS.setThreads(1)
        let optimizer = hidden.map { optimizerPass(hidden: $0) }
        let productRows = sizes.indices.flatMap { s in
            (0..<5).map { p in ProductRow(size: sizes[s], one: single[s][p]!, all: all[s][p]!, own: own[s][p]) }
        }
        return Report(threads: threads, hiddenSizes: hidden, batchSizes: batchSizes, warmup: plan.warmup,
                      repeats: plan.repeats, dropP: dropP, data: dataName, products: productRows, training: rows,
                      peak: peak, optimizer: optimizer)
    }
}
