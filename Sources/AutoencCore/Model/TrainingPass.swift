/// The buffers one training step needs, allocated once for the largest batch, the forward
/// and backward passes that use them, and the step's schedule of phases.
///
/// A step allocates nothing.
///
/// One step's data path, for a minibatch of B images (h hidden units); `forwardPhases`
/// and `gradientPhases` run it, and time it when a `timer` is set:
/// - phase 0, rows of the weights split across threads: per-batch DropConnect's masked
///   w1 (h, 784); per-example DropConnect's w1^T (784, h); the sparse layout's w2^T (h, 784);
/// - phase 1a, examples split across threads: input dropout x -> xd (B, 784)
///   (`dropInputs`); the encoder z1 = xd w1^T (B, h) (`encoderForward`), by BLAS, the
///   kernels' own product (AVX-512; AVX2 up to 512 units) or per-example DropConnect's
///   kernel over each image's nonzero pixels; a = act(z1 + b1), gate = act'(z1 + b1),
///   both times the dropout factor -> hd (B, h) (`activationForward`), and its rows into
///   hd^T's columns for the own decoder product, where it runs (`transposeHidden`);
/// - between, on one thread, the packed layout only: the active units of the whole
///   minibatch's hd, and hd packed to them (where the own decoder product reads hd^T
///   instead, each part packs its rows of hd at the end of phase 1b); then rows of w2
///   split across threads, each computing its columns of z2 for the whole minibatch;
/// - phase 1b, examples split across threads: z2 = hd w2^T (B, 784) (`decoderForward`);
///   y = sigmoid(z2 + b2), the loss, dz2 (B, 784) (`outputLossAndGradient`); dhd = dz2 w2
///   (B, h) (`decoderInputGradient`); dz1 = dhd ⊙ gate (`activationBackward`);
/// - phase 2, rows split across threads, after per-example DropConnect's pixel columns of
///   xd (pixels split across threads): dw1 = dz1^T xd (h, 784) and db1
///   (`encoderWeightGradient`); dw2 = dz2^T hd (784, h) and db2 (`decoderWeightGradient`);
///   the trainer then updates the same rows on the same thread.
/// Which code computes the four products that read hd or dz1 is the `layout`'s
/// (`HiddenLayout`), switched on at each product's site. `run` is the whole step on one
/// thread through the same schedule.
public final class TrainingPass: @unchecked Sendable {
    /// The model trained; the pass reads its parameters and the optimizer updates them.
    public let model: Autoencoder
    /// The largest batch the buffers hold.
    public let maxBatch: Int
    /// The run's seed, from which the masks are drawn.
    public let seed: UInt64
    /// The last step's gradients, in `Parameters`' layout.
    public let gradients: Parameters
    /// The vector kernels the step runs.
    public let kernels: Kernels
    /// Which code computes the products that read the hidden layer.
    let layout: HiddenLayout
    /// Where the phases add their time, when they are timed (`Trainer.timePhases()`); parts
    /// index its slots.
    ///
    /// Set between steps only.
    public var timer: StepTimer?

    let dropout: DropoutMask?
    let gaussianNoise: GaussianNoise?
    let dropConnect: DropConnectMask?
    let inputDropout: DropoutMask?

    // MARK: - Buffers
    //
    // Three allocations each hold one value after another, every one computed in place
    // from the one before, which is not read again: keeping them apart would cost the
    // step another (B, h) + (B, 784) + (B, h) floats to write and read back cold. Each
    // value has its own name below, a view of the allocation it shares:
    // - `hiddenLayer`: z1, then the activation a, then the dropped activation hd;
    // - `outputLayer`: z2, then dz2 (`outputLossAndGradient` turns one into the other);
    // - `hiddenGradient`: dhd, then dz1 (`activationBackward`).

    // x: (batch, 784) inputs in [0, 1]; the reconstruction target
    let x: FloatBuffer
    // the encoder's input under input dropout, x ⊙ mask / (1 - p_in): (batch, 784)
    let droppedX: FloatBuffer?
    // z1, a, hd: (batch, hidden)
    let hiddenLayer: FloatBuffer
    // act'(z1 + b1) times the dropout factor (0, or 1 / (1 - p) inverted, 1 classic): (batch, hidden)
    let gate: FloatBuffer
    // z2, dz2: (batch, 784)
    let outputLayer: FloatBuffer
    // dhd, dz1: (batch, hidden), 16 floats of slack (per-example DropConnect's kernels read whole chunks)
    let hiddenGradient: FloatBuffer
    // DropConnect mask keys of the examples in this step; [0] is the per-batch mask's
    let keys: UnsafeMutablePointer<UInt64>
    // scale * mask ⊙ w1 for per-batch DropConnect: (hidden, 784)
    let maskedW1: FloatBuffer?
    // what per-example DropConnect's kernels read and write besides the batch buffers
    let pixelWalk: PixelWalk?
    // each group of 4 pixels' examples, for the encoder gradient over the lit pixels
    // (`litEncoderGradient`)
    let pixelGroups: PixelGroups?
    // the encoder over each image's lit pixels (`groupedEncoder`): w1^T by panels, the
    // images' groups and their pixels
    let imageGroups: ImageGroups?
    // xd^T for the kernels' own encoder product (`encoderForward`): each part's examples
    // first ..< first + count as a (784, count) block from first * 784; (batch, 784)
    let transposedInput: FloatBuffer?
    // hd^T for the own decoder products (`transposeHidden`, `decoderForward`): (hidden,
    // maxBatch), each part's examples in their columns
    let transposedHidden: FloatBuffer?

    /// z1 = xd w1^T: (batch, hidden), until `activationForward` turns it into a.
    var z1: UnsafeMutablePointer<Float> { hiddenLayer.pointer }
    /// a = act(z1 + b1): (batch, hidden), in z1's place, until the dropout factor makes it hd.
    var activation: UnsafeMutablePointer<Float> { hiddenLayer.pointer }
    /// hd = a ⊙ dropout factor, the decoder's input: (batch, hidden), in a's place.
    var dropped: UnsafeMutablePointer<Float> { hiddenLayer.pointer }
    /// z2 = hd w2^T: (batch, 784), until `outputLossAndGradient` turns it into dz2.
    var z2: UnsafeMutablePointer<Float> { outputLayer.pointer }
    /// dz2 = dL/dz2: (batch, 784), in z2's place.
    var dz2: UnsafeMutablePointer<Float> { outputLayer.pointer }
    /// dhd = dz2 w2 = dL/dhd: (batch, hidden), until `activationBackward` turns it into dz1.
    var dhd: UnsafeMutablePointer<Float> { hiddenGradient.pointer }
    /// dz1 = dhd ⊙ gate = dL/dz1: (batch, hidden), in dhd's place.
    var dz1: UnsafeMutablePointer<Float> { hiddenGradient.pointer }
    /// The hidden layer's allocation (after a step: hd), by its name before the views.
    var hidden: FloatBuffer { hiddenLayer }

    /// Per-example DropConnect's buffers: w1^T (784, hidden); the batch's nonzero pixels,
    /// by example for the forward kernel and by pixel for the backward one; dw1^T (784,
    /// hidden) before its transpose into the gradient. The transposes have 16 floats of
    /// slack: the kernels read whole chunks.
    struct PixelWalk {
        let transposedW1: FloatBuffer
        let pixels: NonzeroPixels
        let columns: PixelColumns
        let transposedGradient: FloatBuffer

        init(hidden h: Int, maxBatch: Int, pairs: Bool) {
            let n = ModelConfig.inputs
            transposedW1 = FloatBuffer(count: n * h + 16)
            pixels = NonzeroPixels(capacity: maxBatch)
            columns = PixelColumns(capacity: maxBatch, pairs: pairs)
            transposedGradient = FloatBuffer(count: n * h + 16)
        }
    }

    var hiddenUnits: Int { model.config.hidden }

    /// Which products a pass runs: the best for the model and the kernels, or one forced
    /// (tests run each layout at every kernel level; `.dense` is their reference).
    public enum ProductChoice: Sendable { case automatic, dense, sparseHidden, packed }

    /// Creates a pass with buffers for batches of up to `maxBatch` images.
    ///
    /// - Parameters:
    ///   - model: The model to train.
    ///   - maxBatch: The largest batch `run` or the phases will be given.
    ///   - seed: The run's seed, from which the masks are drawn.
    ///   - choice: Which code computes the products that read the hidden layer; `.automatic` picks the
    ///     fastest for the model and the kernels.
    ///   - kernels: The vector kernels to run.
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
        let perExample = config.dropsConnectionsPerExample
        dropConnect = regularized && config.dropMode == .dropconnect
            ? DropConnectMask(dropP: config.dropP, seed: seed, layout: perExample ? .inputRows(hidden: h) : .unitRows)
            : nil
        inputDropout = config.inputDropP > 0
            ? DropoutMask(dropP: config.inputDropP, seed: seed, purpose: .inputDropout) : nil
        x = FloatBuffer(count: maxBatch * n)
        droppedX = inputDropout != nil ? FloatBuffer(count: maxBatch * n) : nil
        hiddenLayer = FloatBuffer(count: maxBatch * h)
        gate = FloatBuffer(count: maxBatch * h)
        outputLayer = FloatBuffer(count: maxBatch * n)
        hiddenGradient = FloatBuffer(count: maxBatch * h + 16)
        keys = .allocate(capacity: maxBatch)
        keys.initialize(repeating: 0, count: maxBatch)
        maskedW1 = dropConnect != nil && config.masks == .batch ? FloatBuffer(count: h * n) : nil
        let pairs = dropConnect.map { DropConnectKernels.walksPixelPairs(mask: $0, kernels: kernels) } ?? false
        pixelWalk = perExample ? PixelWalk(hidden: h, maxBatch: maxBatch, pairs: pairs) : nil
        layout = HiddenLayout(choice, config: config, maxBatch: maxBatch, kernels: kernels)
        var sparseLayout = false, packedLayout = false
        if case .sparse = layout { sparseLayout = true }
        if case .packed = layout { packedLayout = true }
        let own = Self.ownProducts(config, sparseLayout: sparseLayout, kernels: kernels)
        imageGroups = Self.groupedEncoder(config, kernels: kernels)
            ? ImageGroups(hidden: h, capacity: maxBatch, kernels: kernels) : nil
        transposedInput = own.encoder ? FloatBuffer(count: maxBatch * n) : nil
        pixelGroups = Self.litEncoderGradient(config, packed: packedLayout, kernels: kernels)
            ? PixelGroups(capacity: maxBatch) : nil
        transposedHidden = own.decoder ? FloatBuffer(count: h * maxBatch) : nil
    }

    deinit { keys.deallocate() }

    /// Whether the decoder products and the encoder gradient skip hidden zeros.
    public var sparseHidden: Bool {
        if case .sparse = layout { return true }
        return false
    }
    /// Whether the dense products run over the units active in the batch.
    public var packsActiveUnits: Bool {
        if case .packed = layout { return true }
        return false
    }
    /// Whether this step's minibatch was packed.
    public var batchPacked: Bool {
        if case .packed(let packed) = layout { return packed.isPacked }
        return false
    }
    /// The units active in the minibatch, when the products pack them.
    var activeUnits: ActiveUnits? {
        if case .packed(let packed) = layout { return packed.active }
        return nil
    }

    /// Loads images `indices` of `data` into rows `row ..< row + indices.count` of the
    /// input buffer.
    public func load(_ data: ImageSet, _ indices: ArraySlice<Int32>, at row: Int = 0) {
        data.gather(indices, into: x.pointer + row * ModelConfig.inputs, kernels: kernels)
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
    /// them): rows of the weights split `threads` ways, examples `parts` ways.
    ///
    /// Phase 0 and the look at the whole minibatch run only where the step needs them: each
    /// phase is a barrier for the threads. Returns the batch's sum of squared errors over
    /// total x 784 pixels (the loss, when batch is total), summed from `losses` (`parts`
    /// floats). The one place the forward phases are timed.
    public func forwardPhases(batch: Int, total: Int, parts: Int, threads: Int, step: UInt64, exampleOffset: Int = 0,
                              losses: UnsafeMutablePointer<Float>, parallel: Parallel,
                              load: @escaping (_ shard: Int) -> Range<Int>) -> Float {
        let h = hiddenUnits, n = ModelConfig.inputs
        let timer = timer
        var transposesW2 = false
        if case .sparse = layout { transposesW2 = true }
        if maskedW1 != nil || pixelWalk != nil || imageGroups != nil || transposesW2 {
            parallel(threads) { t in
                var clock = timer?.lap(part: t)
                let units = Self.split(h, t, threads)
                prepareMasks(step: step, units: units)
                imageGroups?.transposeWeights(maskedW1?.pointer ?? model.parameters.w1, units: units, kernels: kernels)
                transposeEncoder(inputs: Self.split(n, t, threads))
                if case .sparse(let sparse) = layout {
                    sparse.transposeDecoder(model.parameters.w2, units: units, kernels: kernels)
                }
                clock?.record(.weights)
            }
        }
        // phase 1a for shard s: its images, xd, z1, hd
        func encoderPart(_ s: Int, _ clock: inout StepTimer.Lap?) -> Range<Int> {
            let rows = load(s)
            clock?.record(.gather)
            if inputDropout != nil {
                dropInputs(examples: rows, step: step, exampleOffset: exampleOffset)
                clock?.record(.inputDropout)
            }
            encoderForward(examples: rows, step: step, exampleOffset: exampleOffset)
            clock?.record(.encoder)
            activationForward(examples: rows, step: step, exampleOffset: exampleOffset)
            // hd^T where the own decoder product reads it: the packed layout's runs over the
            // whole minibatch, the dense layout's over each part (more than 1024 examples: BLAS)
            if ownDecoder(examples: packsActiveUnits ? 0..<batch : rows) { transposeHidden(examples: rows) }
            clock?.record(.activation)
            return rows
        }
        // phase 1b for examples `rows` once z2 is in place: the loss, dz2, dhd, dz1
        func lossAndBackward(_ rows: Range<Int>, _ clock: inout StepTimer.Lap?) -> Float {
            let loss = outputLossAndGradient(examples: rows, total: total)
            clock?.record(.outputLoss)
            decoderInputGradient(examples: rows)
            activationBackward(examples: rows)
            clock?.record(.backward)
            return loss
        }
        switch layout {
        case .packed(let packed):
            // the encoder, then the whole minibatch's hd on one thread, then the decoder by
            // output columns: each thread packs its rows of w2 and computes those columns of
            // z2 for the whole minibatch (split by examples instead, OpenBLAS 0.3.21's Zen
            // kernels ran one thread's 64 of 128 examples at 24-27 GFLOP/s for any k from
            // 128 to 288, against 31-36 for all 128 examples and half the columns)
            parallel(parts) { s in
                var clock = timer?.lap(part: s)
                _ = encoderPart(s, &clock)
            }
            // the packed hd: here for the BLAS decoder; the own decoder reads hd^T, so only
            // dw2, in phase 2, reads it, and each part packs its rows at the end of phase 1b
            let start = timer != nil ? StepTimer.now() : 0
            let ownDecoder = ownDecoder(examples: 0..<batch)
            let packs = packed.findActive(dropped, batch: batch)
            if packs && !ownDecoder { packed.packHiddenRows(dropped, examples: 0..<batch) }
            timer?.recordAlone(.packing, since: start)
            parallel(threads) { t in
                var clock = timer?.lap(part: t)
                let outputs = Self.split(n, t, threads)
                if packs {
                    packed.packDecoderWeights(model.parameters.w2, rows: outputs)
                    clock?.record(.packing)
                }
                decoderForward(examples: 0..<batch, outputs: outputs)
                clock?.record(.decoder)
                // the encoder gradient's lists, each thread a share of the groups (the
                // images are all in; a phase of their own cost a wait for the threads)
                if let pixelGroups {
                    pixelGroups.fill(from: encoderInput, batch: batch,
                                     groups: Self.split(PixelGroups.count, t, threads), kernels: kernels)
                    clock?.record(.encoderGradient)
                }
            }
            parallel(parts) { s in
                var clock = timer?.lap(part: s)
                let rows = Self.split(batch, s, parts)
                losses[s] = lossAndBackward(rows, &clock)
                if packs {
                    if ownDecoder { packed.packHiddenRows(dropped, examples: rows) }
                    packed.packEncoderGradient(dz1, examples: rows)
                    clock?.record(.packing)
                }
            }
        case .dense, .sparse:
            parallel(parts) { s in
                var clock = timer?.lap(part: s)
                let rows = encoderPart(s, &clock)
                decoderForward(examples: rows)
                clock?.record(.decoder)
                losses[s] = lossAndBackward(rows, &clock)
            }
        }
        var loss: Float = 0
        for s in 0..<parts { loss += losses[s] }
        return loss
    }

    /// Phase 2 over the first `batch` examples: each of `threads` parts computes the
    /// gradients of its rows of w1 and b1, then `updateEncoder(part, units)` runs, and the
    /// gradients of its rows of w2 and b2, then `updateDecoder(part, outputs)`; the even
    /// parts the encoder's rows first, the odd ones the decoder's (the sparse layout:
    /// every part's units of dw2^T, in that order beside the encoder's rows, before any
    /// part's rows of dw2).
    ///
    /// The one place the gradient phases are timed (the updates time themselves).
    public func gradientPhases(batch: Int, threads: Int, parallel: Parallel,
                               updateEncoder: @escaping (_ part: Int, _ units: Range<Int>) -> Void = { _, _ in },
                               updateDecoder: @escaping (_ part: Int, _ outputs: Range<Int>) -> Void = { _, _ in }) {
        let h = hiddenUnits, n = ModelConfig.inputs
        let timer = timer
        if let pixelWalk {
            // per-example DropConnect's backward reads every pixel's examples: each thread
            // finds those of its share of the pixels (whole pairs of them)
            let x = encoderInput
            parallel(threads) { t in
                var clock = timer?.lap(part: t)
                let pairs = Self.split(n / 2, t, threads)
                pixelWalk.columns.fill(from: x, batch: batch, pixels: 2 * pairs.lowerBound ..< 2 * pairs.upperBound,
                                       kernels: kernels)
                clock?.record(.encoderGradient)
            }
        }
        func encoder(_ t: Int) {
            var clock = timer?.lap(part: t)
            let units = Self.split(h, t, threads)
            encoderWeightGradient(batch: batch, units: units)
            clock?.record(.encoderGradient)
            updateEncoder(t, units)
        }
        func decoder(_ t: Int) {
            var clock = timer?.lap(part: t)
            let outputs = Self.split(n, t, threads)
            decoderWeightGradient(batch: batch, outputs: outputs)
            clock?.record(.decoderGradient)
            updateDecoder(t, outputs)
        }
        // The odd threads take the decoder's rows first and the even ones the encoder's,
        // so that one thread's optimizer pass over the rows it has just computed, which
        // waits for memory, runs while the other thread multiplies and adds rather than
        // beside the other's pass (`Trainer` updates each part's rows after its gradient).
        // The rows, sums and updates are the same; only their order in time changes. On a
        // Zen 4 (`autoenc bench`, alternated rounds, medians): no regularizer at 256 units
        // 0.944 of the peak against 0.925 (8 rounds); at 4096 units the optimizer's phase
        // 2155 µs against 2855, though the threads then wait longer for each other. The
        // sparse layout (dropout) measured even; it keeps the same order.
        func inTurn(_ t: Int, encoderSide: () -> Void, decoderSide: () -> Void) {
            if t % 2 == 1 {
                decoderSide()
                encoderSide()
            } else {
                encoderSide()
                decoderSide()
            }
        }
        switch layout {
        case .sparse(let sparse):
            // dw2 is computed transposed, by unit rows, then transposed back by output
            // rows: every unit's row of dw2^T before any thread's rows of dw2
            parallel(threads) { t in
                inTurn(t, encoderSide: { encoder(t) }, decoderSide: {
                    var clock = timer?.lap(part: t)
                    sparse.transposedDecoderWeightGradient(batch: batch, units: Self.split(h, t, threads),
                                                           hd: dropped, dz2: dz2, kernels: kernels)
                    clock?.record(.decoderGradient)
                })
            }
            parallel(threads) { t in decoder(t) }
        case .dense, .packed:
            parallel(threads) { t in inTurn(t, encoderSide: { encoder(t) }, decoderSide: { decoder(t) }) }
        }
    }

    /// Part `part` of `parts` of 0 ..< count.
    static func split(_ count: Int, _ part: Int, _ parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    /// The whole step on one thread, through the same schedule as the threaded one.
    ///
    /// Runs the forward and backward passes on the `batch` images in the input buffer, and leaves
    /// this batch's part of dLoss/dParameters in `gradients`, where the loss is the mean squared
    /// error over total x 784 pixels.
    ///
    /// - Parameters:
    ///   - batch: The images in the input buffer.
    ///   - step: The training step whose masks to draw.
    ///   - exampleOffset: The first image's index in the minibatch; the images are examples
    ///     `exampleOffset ..< exampleOffset + batch` of it.
    ///   - total: The minibatch's images; by default this batch alone.
    /// - Returns: This batch's sum of squared errors divided by total x 784.
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

    // MARK: - Phase 0: the weights' derived copies

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
        Matrix.transpose(model.parameters.w1, rows: hiddenUnits, columns: ModelConfig.inputs,
                         into: pixelWalk.transposedW1.pointer, rowsOfResult: inputs, kernels: kernels)
    }

    // MARK: - The encoder, forward beside backward

    /// Phase 1a: z1 = xd w1^T for examples `examples` (rows of the batch buffers); example
    /// b uses the DropConnect masks of example `exampleOffset + b` of step `step`.
    /// xd: (rows, 784), w1: (h, 784) -> z1: (rows, h).
    public func encoderForward(examples: Range<Int>, step: UInt64, exampleOffset: Int = 0) {
        guard !examples.isEmpty else { return }
        precondition(examples.upperBound <= maxBatch)
        let h = hiddenUnits, n = ModelConfig.inputs
        if let dc = dropConnect, let pixelWalk {
            // per-example DropConnect: xd (rows, 784) -> its nonzero pixels; their rows of
            // w1^T (784, h), each under the example's mask -> z1 (rows, h)
            for b in examples { keys[b] = dc.key(step: step, example: exampleOffset + b) }
            pixelWalk.pixels.collect(encoderInput, examples: examples, kernels: kernels)
            DropConnectKernels.forward(mask: dc, keys: keys, pixels: pixelWalk.pixels, examples: examples,
                                       w1t: pixelWalk.transposedW1.pointer, z1: z1, hidden: h, kernels: kernels)
        } else if let imageGroups {
            // each image's lit pixels, 4 images at a time, against phase 0's panels of w1^T
            // (per-batch DropConnect's masked w1^T when there is one) -> z1's rows
            imageGroups.forward(xd: encoderInput, examples: examples, z1: z1, kernels: kernels)
        } else if let transposedInput, examples.count <= Matrix.ownProductColumns {
            // z1^T = w1 xd^T, against the per-batch DropConnect's masked w1 when there is
            // one: w1's rows are the kernel's rows, this part's examples its columns (xd's
            // rows, transposed first), and the result is stored transposed, into z1's rows
            let first = examples.lowerBound, block = transposedInput.pointer + first * n
            Matrix.transpose(encoderInput + first * n, rows: examples.count, columns: n, into: block,
                             rowsOfResult: 0..<n, kernels: kernels)
            Matrix.multiplyKernel(transA: false, m: h, n: examples.count, k: n,
                                  a: maskedW1?.pointer ?? model.parameters.w1, lda: n, b: block, ldb: examples.count,
                                  c: z1 + first * h, ldc: h, transposedC: true, kernels: kernels)
        } else {
            // BLAS, against the per-batch DropConnect's masked w1 when there is one
            let first = examples.lowerBound
            BLAS.sgemm(transA: false, transB: true, m: examples.count, n: h, k: n, alpha: 1,
                       a: encoderInput + first * n, lda: n, b: maskedW1?.pointer ?? model.parameters.w1, ldb: n,
                       beta: 0, c: z1 + first * h, ldc: h)
        }
    }

    /// The most hidden units whose activations are transposed for the own decoder
    /// products: hd^T is another (batch, hidden) buffer, worth it at the sizes measured
    /// (256 to 4096 units) but not at the largest models, where the step's buffers are
    /// already most of the memory.
    public static let ownTransposedUnits = 4096

    /// The most hidden units for which the AVX2 level runs the encoder's own kernels: z1^T
    /// = w1 xd^T in the kernels' product (6 x 16 tile) and dw1 over the lit pixels
    /// (`litEncoderGradient`), not OpenBLAS's sgemm (z1 now runs over each image's lit pixels
    /// instead, up to `groupedEncoderUnits`, the same limit). On a Zen 4 forced to AVX2 (`autoenc
    /// bench`, alternated with the build before, quiet rounds): at 256 units the encoder's
    /// phase went from 265-271 to 238-247 µs a step and dw1's from 190-196 to 166-171; at
    /// 512, 522-544 to 490 and 402-403 to 364; at 1024 they were even or behind (encoder
    /// 1106-1146 against 1106-1139, dw1 921-951 against 877-907), at 2048 and 4096 behind.
    /// Its decoder products, dhd and dw2 stay with OpenBLAS: there the own tile measured
    /// 5-15% slower.
    public static let ownEncoderUnitsAtAVX2 = 512

    /// Whether the encoder's own kernels run for `hidden` units: at AVX-512, and at AVX2 up
    /// to `ownEncoderUnitsAtAVX2` units. `autoenc bench` times the own z1 product by this
    /// rule too.
    public static func ownEncoderKernels(hidden: Int, kernels: Kernels) -> Bool {
        Matrix.hasOwnProduct(kernels) || kernels.level == .avx2 && hidden <= ownEncoderUnitsAtAVX2
    }

    /// Which products run the kernels' own code as z^T = w a^T, the weights the kernel's
    /// rows and a part's examples its columns (stored transposed): the encoder's z1^T = w1
    /// xd^T, and the dense or packed layouts' decoder z2^T = w2 hd^T, at the level where
    /// `Matrix.hasOwnProduct` and up to `ownTransposedUnits` units. In that shape it measured
    /// 101-114 GFLOP/s on one Zen 4 thread from 256 to 4096 units, against OpenBLAS's
    /// 85-98 for the same products. At AVX2 the encoder's only, up to
    /// `ownEncoderUnitsAtAVX2`. Per-example DropConnect has its own encoder, the sparse
    /// layout (`sparseLayout`) its own decoder, and up to `groupedEncoderUnits` the encoder
    /// runs over each image's lit pixels instead (`groupedEncoder`). `init` allocates by
    /// this rule, and `bytes(for:)` counts by it.
    static func ownProducts(_ config: ModelConfig, sparseLayout: Bool, kernels: Kernels)
        -> (encoder: Bool, decoder: Bool) {
        let encoder = ownEncoderKernels(hidden: config.hidden, kernels: kernels) && !config.dropsConnectionsPerExample
            && !groupedEncoder(config, kernels: kernels)
        let decoder = Matrix.hasOwnProduct(kernels) && !sparseLayout && config.hidden <= ownTransposedUnits
        return (encoder, decoder)
    }

    /// The most hidden units for which the encoder z1 = xd w1^T runs over each image's lit
    /// pixels (`ImageGroups`). Its phase 0, w1^T written into panels, reads and writes all
    /// of w1, which fits in the second-level caches up to 512 units and costs far more
    /// beyond. On a Zen 5 (`autoenc bench`, alternated with the build before, quiet rounds):
    /// at 256 units the encoder's phase went from 116-125 to 79-84 µs for a phase 0 of 11;
    /// at 512, from 217-227 to 160-170 for 25-28; at 1024, from 443-454 to 370, but phase 0
    /// took 117. Alone, one thread, 64 Fashion-MNIST images, the grouped product took 74
    /// µs against the own dense product's 105 (with xd's transpose) at 256 units. The same
    /// Zen 5 forced to AVX2 (panels of 16 units there): the step went from 941-999 to
    /// 913-934 µs at 256 units without a regularizer, from 1143-1233 to 1106-1179 with
    /// per-batch DropConnect (4 alternated rounds), even at 512 (2057-2225 against
    /// 2031-2224). Not measured on a CPU whose best level is AVX2.
    public static let groupedEncoderUnits = 512

    /// Whether the encoder runs over each image's lit pixels (`ImageGroups`): at AVX-512 and
    /// AVX2, up to `groupedEncoderUnits` units, but for per-example DropConnect, which has
    /// its own encoder.
    static func groupedEncoder(_ config: ModelConfig, kernels: Kernels) -> Bool {
        (Matrix.hasOwnProduct(kernels) || kernels.level == .avx2) && config.hidden <= groupedEncoderUnits
            && !config.dropsConnectionsPerExample
    }

    /// Whether the encoder gradient runs over the lit pixels (`PixelGroups`): where
    /// `ownEncoderKernels`, in the packed layout (ReLU units), whose
    /// decoder phase, split by output columns across the threads, finds the groups'
    /// examples too. Per-example DropConnect and the sparse layout have their own kernels.
    /// Alone, one thread, 128 Fashion-MNIST images, the product took 120-128 µs where the
    /// dense one took 179-186 (93 rows of dw1), and finding the groups' examples 17-20 µs
    /// for all 196 groups. In the step, on a Zen 4, dw1's phase went from 189-196 to
    /// 155-158 µs with no regularizer and from 265-271 to 205-218 with per-batch
    /// DropConnect (the quiet rounds of 6 alternated `bench` runs); finding the examples
    /// in a phase of its own before it cost as much again in waiting. At AVX2, where the
    /// dense product is OpenBLAS's, its own tile (4 pixels by 24 units) took dw1's phase
    /// from 190-196 to 166-171 µs with no regularizer, and from 255-261 to 225-232 with
    /// per-batch DropConnect (the Zen 4 forced to AVX2, quiet rounds of alternated runs;
    /// larger models under `ownEncoderUnitsAtAVX2`).
    static func litEncoderGradient(_ config: ModelConfig, packed: Bool, kernels: Kernels) -> Bool {
        ownEncoderKernels(hidden: config.hidden, kernels: kernels) && !config.dropsConnectionsPerExample && packed
    }

    /// Phase 1a, after the activation: hd's rows `examples` into their columns of hd^T
    /// (hidden, maxBatch), which the own decoder products read.
    func transposeHidden(examples: Range<Int>) {
        guard let transposedHidden, !examples.isEmpty else { return }
        let h = hiddenUnits, first = examples.lowerBound
        Matrix.transpose(dropped + first * h, rows: examples.count, columns: h, into: transposedHidden.pointer + first,
                         ldb: maxBatch, rowsOfResult: 0..<h, kernels: kernels)
    }

    /// Phase 2, first half: dw1 = dz1^T xd and db1 for hidden units `units`, over the first
    /// `batch` examples.
    ///
    /// Reuses the forward pass's xd and, for DropConnect, its masks (per example, with the
    /// pixel columns that `gradientPhases` fills first). dz1: (batch, h), xd: (batch, 784)
    /// -> dw1: (h, 784), rows `units`; db1[units].
    public func encoderWeightGradient(batch: Int, units: Range<Int>) {
        guard !units.isEmpty else { return }
        let h = hiddenUnits, n = ModelConfig.inputs
        if let dc = dropConnect, let pixelWalk {
            // per-example DropConnect: dw1^T's columns over each pixel's examples, each
            // under the example's mask, transposed into dw1's rows `units`
            DropConnectKernels.backward(mask: dc, keys: keys, columns: pixelWalk.columns, batch: batch, dz1: dz1,
                                        gw1t: pixelWalk.transposedGradient.pointer, gw1: gradients.w1, hidden: h,
                                        units: units, kernels: kernels)
        } else {
            switch layout {
            case .sparse(let sparse):
                sparse.encoderWeightGradient(batch: batch, units: units, dz1: dz1, xd: encoderInput, dw1: gradients.w1,
                                             kernels: kernels)
            case .packed(let packed) where packed.isPacked:
                packed.encoderWeightGradient(batch: batch, units: units, xd: encoderInput, dw1: gradients.w1,
                                             groups: pixelGroups)
            case .dense, .packed:
                if let pixelGroups { // a minibatch not packed: every unit's row over the lit pixels
                    pixelGroups.encoderGradient(batch: batch, a: dz1 + units.lowerBound, lda: h, rows: units.count,
                                                c: gradients.w1 + units.lowerBound * n, ldc: n, kernels: kernels)
                } else {
                    // dz1[:, units]^T (|units|, batch) x xd (batch, 784)
                    Matrix.multiply(transA: true, m: units.count, n: n, k: batch,
                                    a: dz1 + units.lowerBound, lda: h, b: encoderInput, ldb: n,
                                    c: gradients.w1 + units.lowerBound * n, ldc: n, kernels: kernels)
                }
            }
            if let dc = dropConnect { // per batch: the gradient flows through the kept connections only
                DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: gradients.w1, out: gradients.w1, rows: units,
                                               kernels: kernels)
            }
        }
        columnSums(dz1, rows: batch, stride: h, columns: units, into: gradients.b1)
    }

    // MARK: - The activation, forward beside backward

    /// Phase 1a: a = act(z1 + b1) and gate = act'(z1 + b1) for examples `examples`, then
    /// under dropout both times the example's factor (0, or the kept units' scale; Gaussian
    /// dropout's 1 + σ ε): hd.
    /// z1 -> a -> hd: (rows, hidden), in place (see Buffers); gate: (rows, hidden).
    func activationForward(examples: Range<Int>, step: UInt64, exampleOffset: Int) {
        guard !examples.isEmpty else { return }
        let config = model.config
        let h = config.hidden
        let first = examples.lowerBound
        kernels.activate(z1 + first * h, gate: gate.pointer + first * h, bias: model.parameters.b1,
                         rows: examples.count, units: h, ld: h, activation: config.activation)
        if let noise = gaussianNoise {
            // Gaussian dropout: a -> hd = a ⊙ (1 + σ ε) in place, and the gate by the same factor
            for b in examples {
                let row = dropped + b * h, gateRow = gate.pointer + b * h
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
            // a -> hd in place: one row of the shared allocation (see Buffers), and its gate
            kernels.dropout(dropped + b * h, gate: gate.pointer + b * h,
                            key: dropout.key(step: step, example: exampleOffset + b), units: h, mask: dropout)
        }
    }

    /// Phase 1b: dz1 = dhd ⊙ gate for examples `examples`, reusing the gate the forward
    /// pass saved. dhd -> dz1: (rows, hidden), in place (see Buffers).
    func activationBackward(examples: Range<Int>) {
        guard !examples.isEmpty else { return }
        let h = hiddenUnits, first = examples.lowerBound
        multiply(dhd + first * h, by: gate.pointer + first * h, into: dz1 + first * h, count: examples.count * h)
    }

    // MARK: - The decoder, forward beside backward

    /// Phase 1b (between, for the packed layout): z2 = hd w2^T for examples `examples`,
    /// output columns `outputs` (the sparse layout computes whole rows only).
    /// hd: (rows, hidden), w2: (784, hidden) -> z2: (rows, 784), columns `outputs`.
    func decoderForward(examples: Range<Int>, outputs: Range<Int> = 0..<ModelConfig.inputs) {
        guard !examples.isEmpty else { return }
        precondition(examples.upperBound <= maxBatch)
        let h = hiddenUnits, n = ModelConfig.inputs, first = examples.lowerBound
        switch layout {
        case .sparse(let sparse):
            precondition(outputs == 0..<n, "the sparse decoder computes whole rows")
            sparse.decoderForward(examples: examples, hd: dropped, z2: z2, kernels: kernels)
        case .packed(let packed) where packed.isPacked || ownDecoder(examples: examples):
            packed.decoderForward(examples: examples, outputs: outputs, w2: model.parameters.w2,
                                  transposedHidden: ownDecoder(examples: examples) ? transposedHidden?.pointer : nil,
                                  ldt: maxBatch, z2: z2)
        case .dense where ownDecoder(examples: examples):
            // z2^T = w2 hd^T, as the encoder's z1^T: w2's rows the kernel's rows, this
            // part's examples (their columns of hd^T) the kernel's columns
            precondition(outputs == 0..<n, "the dense decoder computes whole rows")
            Matrix.multiplyKernel(transA: false, m: n, n: examples.count, k: h, a: model.parameters.w2, lda: h,
                                  b: transposedHidden!.pointer + first, ldb: maxBatch, c: z2 + first * n, ldc: n,
                                  transposedC: true, kernels: kernels)
        case .dense, .packed:
            // hd (rows, h), w2[outputs] (|outputs|, h) -> z2[:, outputs] (rows, |outputs|), ld 784
            BLAS.sgemm(transA: false, transB: true, m: examples.count, n: outputs.count, k: h, alpha: 1,
                       a: dropped + first * h, lda: h, b: model.parameters.w2 + outputs.lowerBound * h, ldb: h,
                       beta: 0, c: z2 + first * n + outputs.lowerBound, ldc: n)
        }
    }

    /// Whether the decoder's z2 for `examples` runs the own product, from hd^T.
    func ownDecoder(examples: Range<Int>) -> Bool {
        transposedHidden != nil && Matrix.usesOwnProduct(columns: examples.count, kernels: kernels)
    }

    /// Phase 1b: dhd = dz2 w2 for examples `examples`; right wherever the gate is open
    /// (the sparse and packed layouts leave 0 where it is closed).
    /// dz2: (rows, 784), w2: (784, hidden) -> dhd: (rows, hidden).
    func decoderInputGradient(examples: Range<Int>) {
        guard !examples.isEmpty else { return }
        let h = hiddenUnits, n = ModelConfig.inputs, first = examples.lowerBound
        switch layout {
        case .sparse(let sparse):
            sparse.decoderInputGradient(examples: examples, dz2: dz2, gate: gate.pointer, dhd: dhd, kernels: kernels)
        case .packed(let packed) where packed.isPacked:
            packed.decoderInputGradient(examples: examples, dz2: dz2, dhd: dhd)
        case .dense, .packed:
            // dz2 (rows, 784) x w2 (784, h)
            Matrix.multiply(transA: false, m: examples.count, n: h, k: n, a: dz2 + first * n, lda: n,
                            b: model.parameters.w2, ldb: h, c: dhd + first * h, ldc: h, kernels: kernels)
        }
    }

    /// Phase 2, second half: dw2 = dz2^T hd and db2 for output pixels `outputs`, over the
    /// first `batch` examples (the sparse layout: from dw2^T, which `gradientPhases`
    /// computes for every unit first). dz2: (batch, 784), hd: (batch, hidden) -> dw2:
    /// (784, hidden), rows `outputs`; db2[outputs].
    public func decoderWeightGradient(batch: Int, outputs: Range<Int>) {
        guard !outputs.isEmpty else { return }
        let h = hiddenUnits, n = ModelConfig.inputs
        switch layout {
        case .sparse(let sparse):
            sparse.decoderWeightGradient(outputs: outputs, dw2: gradients.w2, kernels: kernels)
        case .packed(let packed) where packed.isPacked:
            packed.decoderWeightGradient(batch: batch, outputs: outputs, dz2: dz2, dw2: gradients.w2)
        case .dense, .packed:
            // dz2[:, outputs]^T (|outputs|, batch) x hd (batch, h)
            Matrix.multiply(transA: true, m: outputs.count, n: h, k: batch,
                            a: dz2 + outputs.lowerBound, lda: n, b: dropped, ldb: h,
                            c: gradients.w2 + outputs.lowerBound * h, ldc: h, kernels: kernels)
        }
        columnSums(dz2, rows: batch, stride: n, columns: outputs, into: gradients.b2)
    }

    // MARK: - Input dropout, the output and loss, sums

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
            // xd = x times the mask's factors (scale or 0): the row, then the kernel in place
            let target = droppedX.pointer + b * n
            target.update(from: x.pointer + b * n, count: n)
            kernels.dropout(target, gate: nil, key: mask.key(step: step, example: exampleOffset + b), units: n,
                            mask: mask)
        }
    }

    /// Phase 1b: y = sigmoid(z2 + b2) for examples `examples`; returns sum((y - x)^2) /
    /// (total * 784) and leaves dz2 = dL/dz2 = 2 (y - x) y (1 - y) / (total * 784).
    func outputLossAndGradient(examples: Range<Int>, total: Int) -> Float {
        guard !examples.isEmpty else { return 0 }
        let n = ModelConfig.inputs
        let first = examples.lowerBound
        // z2: (rows, 784) -> dz2 in place (see Buffers); x: (rows, 784)
        let sum = kernels.outputLoss(z2 + first * n, x: x.pointer + first * n, bias: model.parameters.b2,
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

    /// out = a ⊙ b, elementwise over `count` floats; out may be a.
    func multiply(_ a: UnsafePointer<Float>, by b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                  count: Int) {
        var i = 0
        while i + 16 <= count { vstore(vload(a + i) * vload(b + i), out + i); i += 16 }
        while i < count { out[i] = a[i] * b[i]; i += 1 }
    }
}
