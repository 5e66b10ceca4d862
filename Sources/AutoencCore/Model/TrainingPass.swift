/// The buffers one training step needs, allocated once for the largest batch, the
/// forward and backward passes that use them, and the step's schedule of phases. A step
/// allocates nothing.
///
/// One step's data path, for a minibatch of B images (h hidden units):
/// - phase 0, rows of the weights split across threads: per-batch DropConnect's masked
///   w1 (h, 784); per-example DropConnect's w1^T (784, h); the strategy's derived weights
///   (w2^T (h, 784) for the sparse products);
/// - phase 1a, examples split across threads (`encode`): input dropout x -> xd (B, 784);
///   the encoder z1 = xd w1^T (B, h), by BLAS or per-example DropConnect's kernel over
///   each image's nonzero pixels;
///   a = act(z1 + b1), gate = act'(z1 + b1), both times the dropout factor -> hd (B, h);
/// - between, on one thread: the strategy's look at the whole minibatch's hd (the packed
///   products find the active units), then rows of w2 split across threads;
/// - phase 1b, examples split across threads (`decode`): z2 = hd w2^T (B, 784);
///   y = sigmoid(z2 + b2), the loss, dz2 (B, 784); dhd = dz2 w2 (B, h); dz1 = dhd ⊙ gate;
/// - phase 2, rows split across threads (`hiddenGradients`, `outputGradients`), after
///   per-example DropConnect's pixel columns of xd, pixels split across threads:
///   dw1 = dz1^T xd (h, 784) and db1; dw2 = dz2^T hd (784, h) and db2; the trainer then
///   updates the same rows on the same thread.
/// The four products that read hd or dz1 are the `products` strategy's (`HiddenProducts`).
/// `schedule` runs the phases; the trainer gives it its threads, `run` a plain loop.
/// With a `timer` the phases add their wall-clock time to it (`StepTimer`).
public final class TrainingPass: @unchecked Sendable {
    public let model: Autoencoder
    public let maxBatch: Int
    public let seed: UInt64
    public let gradients: Parameters
    /// The vector kernels the step runs.
    public let kernels: Kernels
    /// The strategy for the products that read the hidden layer.
    let products: HiddenProducts
    /// Where the phases add their time, when they are timed (`Trainer.timePhases()`);
    /// parts index its slots. Set between steps only.
    public var timer: StepTimer?

    let dropout: DropoutMask?
    let gaussianNoise: GaussianNoise?
    let dropConnect: DropConnectMask?
    let inputDropout: DropoutMask?

    // x: (batch, 784) inputs in [0, 1]; the reconstruction target
    let x: FloatBuffer
    // the encoder's input under input dropout, x ⊙ mask / (1 - p_in): (batch, 784)
    let droppedX: FloatBuffer?
    // z1 then a = act(z1 + b1) then the dropped activations hd: (batch, hidden)
    let hidden: FloatBuffer
    // act'(z1) times the dropout factor (0, or 1 / (1 - p) inverted, 1 classic): (batch, hidden)
    let gate: FloatBuffer
    // z2, then dL/dz2: (batch, 784)
    let output: FloatBuffer
    // dL/dhd, then dL/dz1: (batch, hidden)
    let dHidden: FloatBuffer
    // DropConnect mask keys of the examples in this step; [0] is the per-batch mask's
    let keys: UnsafeMutablePointer<UInt64>
    // scale * mask ⊙ w1 for per-batch DropConnect: (hidden, 784)
    let maskedW1: FloatBuffer?
    // what per-example DropConnect's kernels read and write besides the batch buffers
    let pixelWalk: PixelWalk?

    /// Per-example DropConnect's buffers: w1^T (784, hidden); the batch's nonzero pixels,
    /// by example for the forward kernel and by pixel for the backward one; dw1^T (784,
    /// hidden) before its transpose into the gradient. The transposes have 16 floats of
    /// slack: the kernels read whole chunks.
    struct PixelWalk {
        let transposedW1: FloatBuffer
        let pixels: NonzeroPixels
        let columns: PixelColumns
        let transposedGradient: FloatBuffer

        init(hidden h: Int, maxBatch: Int) {
            let n = ModelConfig.inputs
            transposedW1 = FloatBuffer(count: n * h + 16)
            pixels = NonzeroPixels(capacity: maxBatch)
            columns = PixelColumns(capacity: maxBatch)
            transposedGradient = FloatBuffer(count: n * h + 16)
        }
    }

    var hiddenUnits: Int { model.config.hidden }

    /// Which products a pass runs: the best for the model and the kernels, or one forced
    /// (tests run each strategy at every kernel level; `.dense` is their reference).
    public enum ProductChoice: Sendable { case automatic, dense, sparseHidden, packed }

    public init(model: Autoencoder, maxBatch: Int, seed: UInt64, products choice: ProductChoice = .automatic,
                kernels: Kernels = .current) {
        self.model = model
        self.maxBatch = maxBatch
        self.seed = seed
        self.kernels = kernels
        let config = model.config
        let h = config.hidden, n = ModelConfig.inputs
        gradients = Parameters(hidden: h)
        let regularized = config.dropP > 0
        dropout = regularized && config.dropMode == .dropout
            ? DropoutMask(dropP: config.dropP, seed: seed, scaling: config.scaling) : nil
        gaussianNoise = regularized && config.dropMode == .gaussian
            ? GaussianNoise(dropP: config.dropP, seed: seed) : nil
        let perExample = regularized && config.dropMode == .dropconnect && config.masks == .example
        dropConnect = regularized && config.dropMode == .dropconnect
            ? DropConnectMask(dropP: config.dropP, seed: seed, layout: perExample ? .inputRows(hidden: h) : .unitRows) : nil
        inputDropout = config.inputDropP > 0
            ? DropoutMask(dropP: config.inputDropP, seed: seed, purpose: .inputDropout) : nil
        x = FloatBuffer(count: maxBatch * n)
        droppedX = inputDropout != nil ? FloatBuffer(count: maxBatch * n) : nil
        hidden = FloatBuffer(count: maxBatch * h)
        gate = FloatBuffer(count: maxBatch * h)
        output = FloatBuffer(count: maxBatch * n)
        // 16 floats of slack: the per-example DropConnect kernels read whole chunks of 16
        dHidden = FloatBuffer(count: maxBatch * h + 16)
        keys = .allocate(capacity: maxBatch)
        keys.initialize(repeating: 0, count: maxBatch)
        maskedW1 = dropConnect != nil && config.masks == .batch ? FloatBuffer(count: h * n) : nil
        pixelWalk = perExample ? PixelWalk(hidden: h, maxBatch: maxBatch) : nil
        switch choice == .automatic ? Self.strategy(for: config, kernels: kernels) : choice {
        case .automatic, .dense: products = DenseProducts()
        case .sparseHidden: products = SparseHiddenProducts(hidden: h, maxBatch: maxBatch)
        case .packed: products = PackedProducts(hidden: h, maxBatch: maxBatch, kernels: kernels)
        }
    }

    deinit { keys.deallocate() }

    /// The products' strategy for `config` and the kernels' level, and why:
    /// - dropout at p >= 0.25 with the AVX-512 kernels: `SparseHiddenProducts`. Of hd, a
    ///   fraction p is dropped and of the rest about 70% are inactive ReLUs
    ///   (Fashion-MNIST), so at p = 0.25 about 77% is zero; on the AVX-512 machine the
    ///   row-by-row products measured faster than the dense ones from there on (dropout
    ///   at p = 0.5 trained at 103k images/s where no regularizer, packed, trained at 84k).
    ///   With the AVX2 kernels they are slower at every p: on an AMD EPYC with AVX2 alone,
    ///   `autoenc bench --modes dropout` trained at 17.6k-21.9k images/s for p = 0.1-0.3
    ///   and 25.3k at 0.5 against 25.6k-31.2k and 30.7k for the dense products, run in
    ///   turn; so other levels use:
    /// - ReLU units: `PackedProducts`, which fall back to dense per minibatch when fewer
    ///   than an eighth of the units are zero for every example (`ActiveUnits.worthPacking`);
    /// - sigmoid units are never exactly zero: `DenseProducts`.
    static func strategy(for config: ModelConfig, kernels: Kernels) -> ProductChoice {
        if config.dropMode == .dropout && config.dropP >= 0.25 && kernels.level == .avx512 { return .sparseHidden }
        return config.activation == .relu ? .packed : .dense
    }

    /// Whether the decoder products and the encoder gradient skip hidden zeros.
    public var sparseHidden: Bool { products is SparseHiddenProducts }
    /// Whether the dense products run over the units active in the batch.
    public var packsActiveUnits: Bool { products is PackedProducts }
    /// Whether this step's minibatch was packed.
    public var batchPacked: Bool { (products as? PackedProducts)?.packed ?? false }
    /// The units active in the minibatch, when the products pack them.
    var activeUnits: ActiveUnits? { (products as? PackedProducts)?.active }

    /// Loads images `indices` of `data` into rows `row ..< row + indices.count` of the
    /// input buffer.
    public func load(_ data: ImageSet, _ indices: ArraySlice<Int32>, at row: Int = 0) {
        data.gather(indices, into: x.pointer + row * ModelConfig.inputs)
    }

    /// The input buffer, for callers that fill it themselves (tests).
    public var input: UnsafeMutablePointer<Float> { x.pointer }

    /// What the encoder reads: the input buffer, or under input dropout its dropped copy.
    var encoderInput: UnsafeMutablePointer<Float> { droppedX?.pointer ?? x.pointer }

    // MARK: - The schedule

    /// Runs `body(part)` for part in 0 ..< parts: on threads, or one after another.
    public typealias Parallel = (_ parts: Int, _ body: (Int) -> Void) -> Void

    /// Phases 0 and 1 of step `step` over `batch` examples of a minibatch of `total`,
    /// loaded by `load(shard)` (which fills rows `split(batch, shard, parts)` and returns
    /// them): rows of the weights split `threads` ways, examples `parts` ways. Phase 0 and
    /// the look at the whole minibatch run only where the step needs them: each phase is
    /// a barrier for the threads. Returns the batch's sum of
    /// squared errors over total x 784 pixels (the loss, when batch is total), summed
    /// from `losses` (`parts` floats).
    public func forwardPhases(batch: Int, total: Int, parts: Int, threads: Int, step: UInt64, exampleOffset: Int = 0,
                              losses: UnsafeMutablePointer<Float>, parallel: Parallel,
                              load: @escaping (_ shard: Int) -> Range<Int>) -> Float {
        let h = hiddenUnits, n = ModelConfig.inputs
        let timer = timer
        if maskedW1 != nil || pixelWalk != nil || products.preparesWeights {
            parallel(threads) { t in
                var lap = timer?.lap(part: t)
                let units = Self.split(h, t, threads)
                prepareMasks(step: step, units: units)
                transposeEncoder(inputs: Self.split(n, t, threads))
                products.prepare(self, units: units)
                lap?.record(.weights)
            }
        }
        func gather(_ shard: Int) -> Range<Int> {
            var lap = timer?.lap(part: shard)
            let rows = load(shard)
            lap?.record(.gather)
            return rows
        }
        if products.examinesWholeBatch {
            // encoder, then the whole minibatch's hd on one thread, then the decoder
            parallel(parts) { s in encode(examples: gather(s), step: step, exampleOffset: exampleOffset, part: s) }
            let start = timer != nil ? StepTimer.now() : 0
            let packs = products.afterEncoder(self, examples: 0..<batch)
            timer?.recordAlone(.packing, since: start)
            // each thread packs its rows of w2 and computes those columns of z2 for the
            // whole minibatch (see `HiddenProducts.decode(_:examples:outputs:)`), then
            // each part the rest of its examples' forward and backward passes
            parallel(threads) { t in
                var lap = timer?.lap(part: t)
                let outputs = Self.split(n, t, threads)
                if packs {
                    products.prepareDecoder(self, rows: outputs)
                    lap?.record(.packing)
                }
                products.decode(self, examples: 0..<batch, outputs: outputs)
                lap?.record(.decoder)
            }
            parallel(parts) { s in losses[s] = decode(examples: Self.split(batch, s, parts), total: total, part: s, decoded: true) }
        } else {
            parallel(parts) { s in
                let rows = gather(s)
                encode(examples: rows, step: step, exampleOffset: exampleOffset, part: s)
                losses[s] = decode(examples: rows, total: total, part: s)
            }
        }
        var loss: Float = 0
        for s in 0..<parts { loss += losses[s] }
        return loss
    }

    /// Phase 2 over the first `batch` examples: each of `threads` parts computes the
    /// gradients of its rows of w1 and b1, then `updateEncoder(part, units)` runs, then
    /// its rows of w2 and b2 and `updateDecoder(part, outputs)` (all units' first when the
    /// strategy needs them).
    public func gradientPhases(batch: Int, threads: Int, parallel: Parallel,
                               updateEncoder: @escaping (_ part: Int, _ units: Range<Int>) -> Void = { _, _ in },
                               updateDecoder: @escaping (_ part: Int, _ outputs: Range<Int>) -> Void = { _, _ in }) {
        let h = hiddenUnits, n = ModelConfig.inputs
        if let pixelWalk {
            // per-example DropConnect's backward reads every pixel's examples: each thread
            // finds those of its share of the pixels
            let timer = timer, x = encoderInput
            parallel(threads) { t in
                var lap = timer?.lap(part: t)
                pixelWalk.columns.fill(from: x, batch: batch, pixels: Self.split(n, t, threads), kernels: kernels)
                lap?.record(.encoderGradient)
            }
        }
        func encoder(_ t: Int) {
            let units = Self.split(h, t, threads)
            hiddenGradients(batch: batch, units: units, part: t)
            updateEncoder(t, units)
        }
        func decoder(_ t: Int) {
            let outputs = Self.split(n, t, threads)
            outputGradients(batch: batch, outputs: outputs, part: t)
            updateDecoder(t, outputs)
        }
        if products.decoderGradientNeedsAllUnits {
            parallel(threads) { t in encoder(t) }
            parallel(threads) { t in decoder(t) }
        } else {
            parallel(threads) { t in
                encoder(t)
                decoder(t)
            }
        }
    }

    /// Part `part` of `parts` of 0 ..< count.
    static func split(_ count: Int, _ part: Int, _ parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    /// The whole step on one thread, through the same schedule: runs the forward and
    /// backward passes on the `batch` images in the input buffer, which are examples
    /// `exampleOffset ..< exampleOffset + batch` of a minibatch of `total` images (default:
    /// this batch alone), with the masks of training step `step`. Leaves this batch's
    /// part of dLoss/dParameters in `gradients`, where the loss is the mean squared error
    /// over total x 784 pixels, and returns this batch's sum of squared errors divided
    /// by total x 784.
    @discardableResult
    public func run(batch: Int, step: UInt64, exampleOffset: Int = 0, total: Int? = nil) -> Float {
        precondition(batch > 0 && batch <= maxBatch)
        let serial: Parallel = { parts, body in for part in 0..<parts { body(part) } }
        var shardLoss: Float = 0
        // one shard, already loaded
        let loss = forwardPhases(batch: batch, total: total ?? batch, parts: 1, threads: 1, step: step,
                                 exampleOffset: exampleOffset, losses: &shardLoss, parallel: serial) { _ in 0..<batch }
        gradientPhases(batch: batch, threads: 1, parallel: serial)
        return loss
    }

    // MARK: - The passes

    /// Phase 0, per-batch DropConnect only: the masked encoder weights of rows `units`.
    public func prepareMasks(step: UInt64, units: Range<Int>) {
        guard let dc = dropConnect, model.config.masks == .batch else { return }
        keys[0] = dc.key(step: step, example: nil)
        DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: model.parameters.w1,
                                       out: maskedW1!.pointer, rows: units, kernels: kernels)
    }

    /// Phase 0, per-example DropConnect only: rows `inputs` of w1^T, which its kernels read.
    func transposeEncoder(inputs: Range<Int>) {
        guard let pixelWalk else { return }
        Matrix.transpose(model.parameters.w1, rows: hiddenUnits, columns: ModelConfig.inputs, into: pixelWalk.transposedW1.pointer,
                         rowsOfResult: inputs, kernels: kernels)
    }

    /// Phase 1a: the forward pass of examples `examples` (rows of the batch buffers)
    /// through the hidden layer; example b uses the masks of example `exampleOffset + b`
    /// of step `step`. `part` is the caller's part of the phase, for the timer.
    public func encode(examples: Range<Int>, step: UInt64, exampleOffset: Int = 0, part: Int = 0) {
        guard !examples.isEmpty else { return }
        precondition(examples.upperBound <= maxBatch)
        let config = model.config
        let p = model.parameters
        let h = config.hidden, n = ModelConfig.inputs
        let rows = examples.count, first = examples.lowerBound
        let x = encoderInput + first * n, hid = hidden.pointer + first * h
        var lap = timer?.lap(part: part)
        // input dropout: xd = x ⊙ mask / (1 - p_in), the encoder's input; the loss keeps x
        if inputDropout != nil {
            dropInputs(examples: examples, step: step, exampleOffset: exampleOffset)
            lap?.record(.inputDropout)
        }
        // encoder: x (rows, 784), w1 (h, 784) -> z1 (rows, h)
        if let dc = dropConnect, let pixelWalk {
            // x (rows, 784) -> its nonzero pixels; w1^T (784, h) -> z1 (rows, h)
            for b in examples { keys[b] = dc.key(step: step, example: exampleOffset + b) }
            pixelWalk.pixels.collect(encoderInput, examples: examples, kernels: kernels)
            DropConnectKernels.forward(mask: dc, keys: keys, pixels: pixelWalk.pixels, examples: examples, w1t: pixelWalk.transposedW1.pointer,
                                       z1: hidden.pointer, hidden: h, kernels: kernels)
        } else {
            let w1 = maskedW1?.pointer ?? p.w1
            BLAS.sgemm(transA: false, transB: true, m: rows, n: h, k: n, alpha: 1, a: x, lda: n,
                       b: w1, ldb: n, beta: 0, c: hid, ldc: h)
        }
        lap?.record(.encoder)
        // a = act(z1 + b1); gate = act'(z1) * dropout factor; hd = a * dropout factor
        activateHidden(examples: examples, step: step, exampleOffset: exampleOffset)
        lap?.record(.activation)
    }

    /// Phase 1b: the rest of the forward pass and the backward pass of examples
    /// `examples` down to dL/dz1 and dL/dz2. Returns their sum of squared errors divided by
    /// total x 784. `part` is the caller's part of the phase, for the timer. `decoded`:
    /// z2 is already in the output buffer (the step computed it by output columns).
    public func decode(examples: Range<Int>, total: Int, part: Int = 0, decoded: Bool = false) -> Float {
        guard !examples.isEmpty else { return 0 }
        precondition(examples.upperBound <= maxBatch)
        let h = hiddenUnits
        var lap = timer?.lap(part: part)
        if !decoded {
            products.decode(self, examples: examples)
            lap?.record(.decoder)
        }
        // y = sigmoid(z2 + b2); loss; out <- dL/dz2
        let loss = outputLossAndGradient(examples: examples, total: total)
        lap?.record(.outputLoss)
        // dhd = dz2 w2, then dz1 = dhd * gate, reusing the gate saved by the forward pass
        products.backward(self, examples: examples)
        multiply(dHidden.pointer + examples.lowerBound * h, by: gate.pointer + examples.lowerBound * h, count: examples.count * h)
        lap?.record(.backward)
        products.afterGate(self, examples: examples)
        if products.examinesWholeBatch { lap?.record(.packing) }
        return loss
    }

    /// Phase 2, first half: dw1 and db1 for hidden units `units`, reusing hd, dz1 and, for
    /// DropConnect, the forward pass's masks (per example, with the pixel columns that
    /// `gradientPhases` fills first). `part` is the caller's part, for the timer.
    public func hiddenGradients(batch: Int, units: Range<Int>, part: Int = 0) {
        guard !units.isEmpty else { return }
        var lap = timer?.lap(part: part)
        let config = model.config, h = config.hidden
        if let dc = dropConnect, let pixelWalk {
            // the batch's pixel columns (gradientPhases fills them); dz1 (batch, h) -> dw1 (h, 784), rows `units`
            DropConnectKernels.backward(mask: dc, keys: keys, columns: pixelWalk.columns, batch: batch, dz1: dHidden.pointer,
                                        gw1t: pixelWalk.transposedGradient.pointer, gw1: gradients.w1, hidden: h, units: units,
                                        kernels: kernels)
        } else {
            products.encoderGradient(self, batch: batch, units: units)
            if let dc = dropConnect { // per batch: the gradient flows through the kept connections only
                DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: gradients.w1, out: gradients.w1, rows: units, kernels: kernels)
            }
        }
        columnSums(dHidden.pointer, rows: batch, stride: h, columns: units, into: gradients.b1)
        lap?.record(.encoderGradient)
    }

    /// Phase 2, second half: dw2 and db2 for output pixels `outputs`. `part` is the
    /// caller's part, for the timer.
    public func outputGradients(batch: Int, outputs: Range<Int>, part: Int = 0) {
        guard !outputs.isEmpty else { return }
        var lap = timer?.lap(part: part)
        products.decoderGradient(self, batch: batch, outputs: outputs)
        columnSums(output.pointer, rows: batch, stride: ModelConfig.inputs, columns: outputs, into: gradients.b2)
        lap?.record(.decoderGradient)
    }

    // MARK: - Elementwise parts

    /// Input dropout (Srivastava et al.'s dropout autoencoder drops pixels with p = 0.2):
    /// writes x ⊙ mask / (1 - p_in) for examples `examples` into the encoder's input
    /// buffer; the reconstruction target stays the clean image in `x`. Pixel i of example
    /// b uses the `.inputDropout` mask of (seed, step, exampleOffset + b), so the forward
    /// and backward passes, and every thread split, see the same masks.
    /// x: (rows, 784) -> xd: (rows, 784).
    func dropInputs(examples: Range<Int>, step: UInt64, exampleOffset: Int) {
        guard let mask = inputDropout, let droppedX else { return }
        let n = ModelConfig.inputs
        for b in examples {
            let key = mask.key(step: step, example: exampleOffset + b)
            let source = x.pointer + b * n, target = droppedX.pointer + b * n
            for i in 0..<n { target[i] = mask.keeps(key: key, unit: i) ? source[i] * mask.scale : 0 }
        }
    }

    /// a = act(z1 + b1) and gate = act'(z1 + b1) for examples `examples`, then under
    /// dropout both times the example's factor (0, or the kept units' scale; Gaussian
    /// dropout's 1 + σ ε).
    /// z1 -> a: (rows, hidden) in place; gate: (rows, hidden).
    func activateHidden(examples: Range<Int>, step: UInt64, exampleOffset: Int) {
        let config = model.config
        let h = config.hidden
        let hid = hidden.pointer, gate = gate.pointer
        kernels.activate(hid + examples.lowerBound * h, gate: gate + examples.lowerBound * h, bias: model.parameters.b1,
                         rows: examples.count, units: h, ld: h, activation: config.activation)
        if let noise = gaussianNoise {
            for b in examples {
                let row = hid + b * h, gateRow = gate + b * h
                let key = noise.key(step: step, example: exampleOffset + b)
                for j in 0..<h {
                    let factor = noise.factor(key: key, unit: j)
                    row[j] *= factor
                    gateRow[j] *= factor
                }
            }
        }
        guard let dropout else { return }
        for b in examples {
            let row = hid + b * h, gateRow = gate + b * h
            let key = dropout.key(step: step, example: exampleOffset + b)
            for j in 0..<h {
                let factor: Float = dropout.keeps(key: key, unit: j) ? dropout.scale : 0
                row[j] *= factor
                gateRow[j] *= factor
            }
        }
    }

    /// y = sigmoid(z2 + b2); returns sum((y - x)^2) / (total * 784) and leaves dL/dz2 =
    /// 2 (y - x) y (1 - y) / (total * 784) in the output buffer.
    func outputLossAndGradient(examples: Range<Int>, total: Int) -> Float {
        let n = ModelConfig.inputs
        let first = examples.lowerBound
        // z2: (rows, 784) -> dL/dz2 in place; x: (rows, 784)
        let sum = kernels.outputLoss(output.pointer + first * n, x: x.pointer + first * n, bias: model.parameters.b2,
                                     rows: examples.count, scale: 2 / Float(total * n))
        return Float(sum / Double(total * n))
    }

    /// out[c] = sum over rows r of m[r, c], for c in `columns`. m: (rows, stride).
    func columnSums(_ m: UnsafePointer<Float>, rows: Int, stride: Int, columns: Range<Int>,
                    into out: UnsafeMutablePointer<Float>) {
        (out + columns.lowerBound).update(repeating: 0, count: columns.count)
        for r in 0..<rows {
            let row = m + r * stride
            var c = columns.lowerBound
            while c + 16 <= columns.upperBound { vstore(vload(out + c) + vload(row + c), out + c); c += 16 }
            while c < columns.upperBound { out[c] += row[c]; c += 1 }
        }
    }

    func multiply(_ a: UnsafeMutablePointer<Float>, by b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { vstore(vload(a + i) * vload(b + i), a + i); i += 16 }
        while i < count { a[i] *= b[i]; i += 1 }
    }
}
