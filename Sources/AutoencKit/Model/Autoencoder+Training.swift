/// The buffers one training step needs, allocated once for the largest batch, and the
/// forward and backward passes that use them. A step allocates nothing.
///
/// A step has two phases, so that several threads can share it with no locks:
/// 1. `forward(examples:)`: for a contiguous range of the minibatch's examples, the
///    forward pass, the loss, and the backward pass down to dL/dz2 and dL/dz1 (rows of
///    the batch buffers that only this range touches). When the products run over the
///    units active in the minibatch (`packsActiveUnits`), it comes in three parts:
///    `encode`, then `findActiveUnits` and `packDecoderWeights` once for the whole
///    minibatch, then `decode`;
/// 2. `weightGradients(units:outputs:)`: for a range of hidden units and a range of
///    output pixels, the weight and bias gradients of those rows of w1 and w2 over the
///    whole minibatch (rows of the gradient that only this range touches).
/// The trainer runs phase 1 with the examples split across threads, then phase 2 with
/// the rows split across threads; `run` does both on one thread.
public final class TrainingPass: @unchecked Sendable {
    public let model: Autoencoder
    public let maxBatch: Int
    public let seed: UInt64
    public let gradients: Parameters
    /// The vector kernels the step runs.
    public let kernels: Kernels

    let dropout: DropoutMask?
    let dropConnect: DropConnectMask?
    let inputDropout: DropoutMask?

    // x: (batch, 784) inputs in [0, 1], then 16 floats of scratch; the reconstruction target
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
    // w2^T for the sparse products, refreshed each step: (hidden, 784)
    let w2t: FloatBuffer?
    // dL/dw2^T computed by the sparse products: (hidden, 784)
    let w2tGradient: FloatBuffer?
    // per-example scratch for the sparse products: indices and values (maxBatch x (hidden + 16))
    let sparseIndices: UnsafeMutablePointer<Int32>?
    let sparseValues: FloatBuffer?

    /// Whether the decoder products and the encoder gradient skip hidden zeros
    /// (`SparseProducts`): with dropout at p >= 0.25, where most of hd is zero.
    public let sparseHidden: Bool

    /// Whether the dense products run over the units active in the batch (`ActiveUnits`):
    /// every mode but `sparseHidden`, with ReLU units (sigmoid units are never zero).
    public let packsActiveUnits: Bool
    // the units active in the minibatch, found by `packActiveUnits`
    let activeUnits: ActiveUnits
    // w2's active columns: (784, |A|)
    let packedW2: FloatBuffer?
    // hd's active columns: (batch, |A|)
    let packedHidden: FloatBuffer?
    // dz1's active columns for the encoder gradient, rows of stride hidden: (batch, |A|)
    let packedGradient: FloatBuffer?
    // whether `packActiveUnits` packed this step's minibatch
    var batchPacked = false

    /// `sparse: false` forces the dense products over every unit (the reference the
    /// sparse and packed ones are tested against).
    public init(model: Autoencoder, maxBatch: Int, seed: UInt64, sparse: Bool = true, kernels: Kernels = .current) {
        self.model = model
        self.kernels = kernels
        self.maxBatch = maxBatch
        self.seed = seed
        let config = model.config
        let h = config.hidden, n = ModelConfig.inputs
        gradients = Parameters(hidden: h)
        let regularized = config.dropP > 0
        dropout = regularized && config.dropMode == .dropout
            ? DropoutMask(dropP: config.dropP, seed: seed, scaling: config.scaling) : nil
        dropConnect = regularized && config.dropMode == .dropconnect ? DropConnectMask(dropP: config.dropP, seed: seed) : nil
        inputDropout = config.inputDropP > 0
            ? DropoutMask(dropP: config.inputDropP, seed: seed, purpose: .inputDropout) : nil
        x = FloatBuffer(count: maxBatch * n + 16)
        droppedX = inputDropout != nil ? FloatBuffer(count: maxBatch * n) : nil
        hidden = FloatBuffer(count: maxBatch * h)
        gate = FloatBuffer(count: maxBatch * h)
        output = FloatBuffer(count: maxBatch * n + 16)
        dHidden = FloatBuffer(count: maxBatch * h)
        keys = .allocate(capacity: maxBatch)
        keys.initialize(repeating: 0, count: maxBatch)
        maskedW1 = dropConnect != nil && config.masks == .batch ? FloatBuffer(count: h * n) : nil
        sparseHidden = sparse && config.dropMode == .dropout && config.dropP >= 0.25
        let lists = h + 16
        w2t = sparseHidden ? FloatBuffer(count: h * n) : nil
        w2tGradient = sparseHidden ? FloatBuffer(count: h * n) : nil
        sparseIndices = sparseHidden ? .allocate(capacity: maxBatch * lists) : nil
        sparseValues = sparseHidden ? FloatBuffer(count: maxBatch * lists) : nil
        packsActiveUnits = sparse && !sparseHidden && config.activation == .relu
        activeUnits = ActiveUnits(units: h, kernels: kernels)
        packedW2 = packsActiveUnits ? FloatBuffer(count: n * h + 16) : nil
        packedHidden = packsActiveUnits ? FloatBuffer(count: maxBatch * h + 16) : nil
        packedGradient = packsActiveUnits ? FloatBuffer(count: maxBatch * h + 16) : nil
    }

    deinit {
        keys.deallocate()
        sparseIndices?.deallocate()
    }

    /// Phase 0 for the sparse products: rows `units` of w2^T from the current w2.
    public func prepareDecoder(units: Range<Int>) {
        guard let w2t else { return }
        SparseProducts.transpose(model.parameters.w2, rows: ModelConfig.inputs, columns: model.config.hidden,
                                 into: w2t.pointer, rowsOfResult: units, kernels: kernels)
    }

    /// Scratch lists of example `slot` in phase 1 (examples belong to one thread).
    func scratch(_ slot: Int) -> (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Float>) {
        let lists = model.config.hidden + 16
        return (sparseIndices! + slot * lists, sparseValues!.pointer + slot * lists)
    }

    /// Loads images `indices` of `data` into rows `row ..< row + indices.count` of the
    /// input buffer.
    public func load(_ data: ImageSet, _ indices: ArraySlice<Int32>, at row: Int = 0) {
        data.gather(indices, into: x.pointer + row * ModelConfig.inputs)
    }

    /// The input buffer, for callers that fill it themselves (tests).
    public var input: UnsafeMutablePointer<Float> { x.pointer }

    /// What the encoder reads: the input buffer, or under input dropout its dropped copy.
    var encoderInput: UnsafeMutablePointer<Float> { droppedX?.pointer ?? x.pointer }

    /// The whole step on one thread: runs the forward and backward passes on the `batch`
    /// images in the input buffer, which are examples `exampleOffset ..< exampleOffset +
    /// batch` of a minibatch of `total` images (default: this batch alone), with the masks
    /// of training step `step`. Leaves this batch's part of dLoss/dParameters in
    /// `gradients`, where the loss is the mean squared error over total x 784 pixels, and
    /// returns this batch's sum of squared errors divided by total x 784.
    @discardableResult
    public func run(batch: Int, step: UInt64, exampleOffset: Int = 0, total: Int? = nil) -> Float {
        precondition(batch > 0 && batch <= maxBatch)
        let h = model.config.hidden
        prepareMasks(step: step, units: 0..<h)
        prepareDecoder(units: 0..<h)
        let loss = forward(examples: 0..<batch, step: step, exampleOffset: exampleOffset, total: total ?? batch)
        weightGradients(batch: batch, units: 0..<h, outputs: 0..<ModelConfig.inputs)
        return loss
    }

    /// Phase 0, per-batch DropConnect only: the masked encoder weights of rows `units`.
    public func prepareMasks(step: UInt64, units: Range<Int>) {
        guard let dc = dropConnect, model.config.masks == .batch else { return }
        keys[0] = dc.key(step: step, example: nil)
        DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: model.parameters.w1,
                                       out: maskedW1!.pointer, rows: units, kernels: kernels)
    }

    /// Phase 1 on one call: `encode`, `packActiveUnits` over these examples, then
    /// `decode`. For a whole step on one thread; threads that split a minibatch call the
    /// three parts with the packing between them, so every thread packs the same units.
    public func forward(examples: Range<Int>, step: UInt64, exampleOffset: Int = 0, total: Int) -> Float {
        encode(examples: examples, step: step, exampleOffset: exampleOffset)
        packActiveUnits(examples: examples)
        return decode(examples: examples, total: total)
    }

    /// Phase 1a: the forward pass of examples `examples` (rows of the batch buffers)
    /// through the hidden layer; example b uses the masks of example `exampleOffset + b`
    /// of step `step`.
    public func encode(examples: Range<Int>, step: UInt64, exampleOffset: Int = 0) {
        precondition(!examples.isEmpty && examples.upperBound <= maxBatch)
        let config = model.config
        let p = model.parameters
        let h = config.hidden, n = ModelConfig.inputs
        let rows = examples.count, first = examples.lowerBound
        let x = encoderInput + first * n, hid = hidden.pointer + first * h
        // input dropout: xd = x ⊙ mask / (1 - p_in), the encoder's input; the loss keeps x
        dropInputs(examples: examples, step: step, exampleOffset: exampleOffset)
        // encoder: x (rows, 784), w1 (h, 784) -> z1 (rows, h)
        if let dc = dropConnect, config.masks == .example {
            for b in examples { keys[b] = dc.key(step: step, example: exampleOffset + b) }
            DropConnectKernels.forward(mask: dc, keys: keys + first, x: x, w1: p.w1, z1: hid,
                                       batch: rows, hidden: h, rows: 0..<h, kernels: kernels)
        } else {
            let w1 = maskedW1?.pointer ?? p.w1
            BLAS.sgemm(transA: false, transB: true, m: rows, n: h, k: n, alpha: 1, a: x, lda: n,
                       b: w1, ldb: n, beta: 0, c: hid, ldc: h)
        }
        // a = act(z1 + b1); gate = act'(z1) * dropout factor; hd = a * dropout factor
        activateHidden(examples: examples, step: step, exampleOffset: exampleOffset)
    }

    /// Between phases 1a and 1b, on one thread: finds the units A active (hd not zero) in
    /// examples `examples` (the whole minibatch) and, when enough are all zero for packing
    /// to pay, packs hd[:, A] and w2[:, A] for `decode` and the weight gradients.
    public func packActiveUnits(examples: Range<Int>) {
        if findActiveUnits(examples: examples) { packDecoderWeights(rows: 0..<ModelConfig.inputs) }
    }

    /// The first half of `packActiveUnits`: finds the active units and packs hd[:, A];
    /// returns whether the step packs (`batchPacked`). Then every row of w2 needs
    /// `packDecoderWeights` before `decode`.
    @discardableResult
    public func findActiveUnits(examples: Range<Int>) -> Bool {
        batchPacked = false
        guard let packedHidden else { return false }
        let h = model.config.hidden
        let active = activeUnits, rows = examples.count
        let hid = hidden.pointer + examples.lowerBound * h
        guard active.find(hid, rows: rows, stride: h) > 0, active.worthPacking else { return false }
        active.pack(hid, rows: rows, ldm: h, into: packedHidden.pointer + examples.lowerBound * active.count, ldo: active.count)
        batchPacked = true
        return true
    }

    /// The second half of `packActiveUnits`: rows `rows` of w2[:, A]. Threads may pack
    /// disjoint row ranges at once (`ActiveUnits.pack` writes nothing past a range).
    public func packDecoderWeights(rows: Range<Int>) {
        guard let packedW2, batchPacked, !rows.isEmpty else { return }
        let h = model.config.hidden, k = activeUnits.count
        activeUnits.pack(model.parameters.w2 + rows.lowerBound * h, rows: rows.count, ldm: h,
                         into: packedW2.pointer + rows.lowerBound * k, ldo: k)
    }

    /// Phase 1b: the rest of the forward pass and the backward pass of examples
    /// `examples` down to dL/dz1 and dL/dz2. Returns their sum of squared errors divided by
    /// total x 784.
    public func decode(examples: Range<Int>, total: Int) -> Float {
        precondition(!examples.isEmpty && examples.upperBound <= maxBatch)
        let p = model.parameters
        let h = model.config.hidden, n = ModelConfig.inputs
        let rows = examples.count, first = examples.lowerBound
        let hid = hidden.pointer + first * h
        let out = output.pointer + first * n, dh = dHidden.pointer + first * h
        let active: ActiveUnits? = batchPacked ? activeUnits : nil

        // decoder: hd (rows, h), w2 (784, h) -> z2 (rows, 784); packed: hd[:, A] (rows, |A|),
        // w2[:, A] (784, |A|)
        if let active, let packedHidden, let packedW2 {
            let k = active.count
            BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: k, alpha: 1, a: packedHidden.pointer + first * k,
                       lda: k, b: packedW2.pointer, ldb: k, beta: 0, c: out, ldc: n)
        } else if let w2t {
            for b in examples {
                let (indices, values) = scratch(b)
                SparseProducts.combineRows(hidden.pointer + b * h, stride: 1, count: h, rows: w2t.pointer,
                                           into: output.pointer + b * n, indices: indices, values: values, kernels: kernels)
            }
        } else {
            BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: h, alpha: 1, a: hid, lda: h,
                       b: p.w2, ldb: h, beta: 0, c: out, ldc: n)
        }
        // y = sigmoid(z2 + b2); loss; out <- dL/dz2
        let loss = outputLossAndGradient(examples: examples, total: total)

        // MARK: backward to the pre-activations
        // dhd = dz2 w2: (rows, 784) x (784, h) -> (rows, h); sparse: only where the gate is open;
        // packed: dz2 w2[:, A] (rows, |A|), spread to the units' columns (the others' gate is 0)
        if let active, let packedW2 {
            BLAS.sgemm(transA: false, transB: false, m: rows, n: active.count, k: n, alpha: 1, a: out, lda: n,
                       b: packedW2.pointer, ldb: active.count, beta: 0, c: dh, ldc: h)
            active.spread(dh, rows: rows, ld: h)
        } else if let w2t {
            for b in examples {
                let (indices, _) = scratch(b)
                SparseProducts.selectedDots(output.pointer + b * n, rows: w2t.pointer, select: gate.pointer + b * h,
                                            count: h, into: dHidden.pointer + b * h, indices: indices, kernels: kernels)
            }
        } else {
            BLAS.sgemm(transA: false, transB: false, m: rows, n: h, k: n, alpha: 1, a: out, lda: n,
                       b: p.w2, ldb: h, beta: 0, c: dh, ldc: h)
        }
        // dz1 = dhd * gate; reuses the gate saved by the forward pass
        multiply(dh, by: gate.pointer + first * h, count: rows * h)
        // dz1[:, A] for the encoder gradient; rows keep stride h, so no thread's packing
        // reaches another's rows
        if let active, let packedGradient {
            active.pack(dh, rows: rows, ldm: h, into: packedGradient.pointer + first * h, ldo: h)
        }
        return loss
    }

    /// Phase 2: the gradients of w1 and b1 for hidden units `units`, and of w2 and b2 for
    /// output pixels `outputs`, over the first `batch` examples; reuses hd, dz1 and dz2
    /// from phase 1 and, for DropConnect, the same masks. With the sparse products the
    /// decoder's rows need every unit's `hiddenGradients` first: call the two halves
    /// separately, with all units done before any outputs (the trainer does).
    public func weightGradients(batch: Int, units: Range<Int>, outputs: Range<Int>) {
        hiddenGradients(batch: batch, units: units)
        outputGradients(batch: batch, outputs: outputs)
    }

    /// Phase 2, first half: dw1 and db1 for hidden units `units`; with the sparse
    /// products also rows `units` of dw2^T.
    public func hiddenGradients(batch: Int, units: Range<Int>) {
        guard !units.isEmpty else { return }
        let config = model.config
        let g = gradients
        let h = config.hidden, n = ModelConfig.inputs
        let x = encoderInput, dh = dHidden.pointer
        // dw1[units] = dz1[:, units]^T x: (|units|, batch) x (batch, 784), under the forward
        // masks, x being the encoder's (dropped) input
        if let dc = dropConnect, config.masks == .example {
            DropConnectKernels.backward(mask: dc, keys: keys, x: x, dz1: dh, gw1: g.w1,
                                        batch: batch, hidden: h, rows: units, kernels: kernels)
        } else if let w2tGradient {
            // row j of dw1 sums x[b], and row j of dw2^T sums dz2[b], over the examples
            // whose dz1[b, j], resp. hd[b, j], is not zero
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: batch) { indices in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: batch) { values in
                    for j in units {
                        SparseProducts.combineRows(dh + j, stride: h, count: batch, rows: x, into: g.w1 + j * n,
                                                   indices: indices.baseAddress!, values: values.baseAddress!,
                                                   kernels: kernels)
                        SparseProducts.combineRows(hidden.pointer + j, stride: h, count: batch, rows: output.pointer,
                                                   into: w2tGradient.pointer + j * n,
                                                   indices: indices.baseAddress!, values: values.baseAddress!,
                                                   kernels: kernels)
                    }
                }
            }
        } else if batchPacked, let packedGradient {
            // dw1[A ∩ units] = dz1[:, A ∩ units]^T x, packed into the first rows of the
            // range and spread to the units' rows; the other rows are zero
            let active = activeUnits, at = active.positions(in: units)
            let rowsOut = g.w1 + units.lowerBound * n
            if !at.isEmpty {
                BLAS.sgemm(transA: true, transB: false, m: at.count, n: n, k: batch, alpha: 1,
                           a: packedGradient.pointer + at.lowerBound, lda: h, b: x, ldb: n,
                           beta: 0, c: rowsOut, ldc: n)
            }
            var k = at.upperBound - 1
            for j in units.reversed() {
                let row = g.w1 + j * n
                if k >= at.lowerBound && Int(active.list[k]) == j {
                    let packed = rowsOut + (k - at.lowerBound) * n
                    if packed != row { row.update(from: packed, count: n) }
                    k -= 1
                } else {
                    row.update(repeating: 0, count: n)
                }
            }
            if let dc = dropConnect {
                DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: g.w1, out: g.w1, rows: units, kernels: kernels)
            }
        } else {
            BLAS.sgemm(transA: true, transB: false, m: units.count, n: n, k: batch, alpha: 1,
                       a: dh + units.lowerBound, lda: h, b: x, ldb: n,
                       beta: 0, c: g.w1 + units.lowerBound * n, ldc: n)
            if let dc = dropConnect {
                DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: g.w1, out: g.w1, rows: units, kernels: kernels)
            }
        }
        columnSums(dh, rows: batch, stride: h, columns: units, into: g.b1)
    }

    /// Phase 2, second half: dw2 and db2 for output pixels `outputs`.
    public func outputGradients(batch: Int, outputs: Range<Int>) {
        guard !outputs.isEmpty else { return }
        let h = model.config.hidden, n = ModelConfig.inputs
        let g = gradients, out = output.pointer
        if let w2tGradient {
            // rows `outputs` of dw2 = (dw2^T)^T, from every unit's row of dw2^T
            SparseProducts.transpose(w2tGradient.pointer, rows: h, columns: n, into: g.w2, rowsOfResult: outputs,
                                     kernels: kernels)
        } else if batchPacked, let packedHidden {
            // dw2[outputs, A] = dz2[:, outputs]^T hd[:, A], spread to the units' columns
            let active = activeUnits, rowsOut = g.w2 + outputs.lowerBound * h
            BLAS.sgemm(transA: true, transB: false, m: outputs.count, n: active.count, k: batch, alpha: 1,
                       a: out + outputs.lowerBound, lda: n, b: packedHidden.pointer, ldb: active.count,
                       beta: 0, c: rowsOut, ldc: h)
            active.spread(rowsOut, rows: outputs.count, ld: h)
        } else {
            // dw2[outputs] = dz2[:, outputs]^T hd: (|outputs|, batch) x (batch, h)
            BLAS.sgemm(transA: true, transB: false, m: outputs.count, n: h, k: batch, alpha: 1,
                       a: out + outputs.lowerBound, lda: n, b: hidden.pointer, ldb: h,
                       beta: 0, c: g.w2 + outputs.lowerBound * h, ldc: h)
        }
        columnSums(out, rows: batch, stride: n, columns: outputs, into: g.b2)
    }

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
    /// dropout both times the example's factor (0, or the kept units' scale).
    /// z1 -> a: (rows, hidden) in place; gate: (rows, hidden).
    func activateHidden(examples: Range<Int>, step: UInt64, exampleOffset: Int) {
        let config = model.config
        let h = config.hidden
        let hid = hidden.pointer, gate = gate.pointer
        kernels.activate(hid + examples.lowerBound * h, gate: gate + examples.lowerBound * h, bias: model.parameters.b1,
                         rows: examples.count, units: h, ld: h, activation: config.activation)
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
