/// The buffers one training step needs, allocated once for the largest batch, and the
/// forward and backward passes that use them. A step allocates nothing.
///
/// One pass runs on one thread. The trainer splits each minibatch into contiguous
/// shards, one pass per core, and sums their gradients: `exampleOffset` keeps each
/// example's masks tied to its position in the whole minibatch, and the loss is
/// normalized by the whole minibatch, so the sharded step computes the same gradient.
public final class TrainingPass: @unchecked Sendable {
    public let model: Autoencoder
    public let maxBatch: Int
    public let seed: UInt64
    public let gradients: Parameters

    let dropout: DropoutMask?
    let dropConnect: DropConnectMask?

    // x: (batch, 784) inputs in [0, 1]
    let x: FloatBuffer
    // z1 then a = act(z1 + b1) then the dropped activations hd: (batch, hidden)
    let hidden: FloatBuffer
    // act'(z1) times the dropout factor (0 or 1 / (1 - p)): (batch, hidden)
    let gate: FloatBuffer
    // z2, then dL/dz2: (batch, 784)
    let output: FloatBuffer
    // dL/dhd, then dL/dz1: (batch, hidden)
    let dHidden: FloatBuffer
    // mask keys of the examples in this step
    let keys: UnsafeMutablePointer<UInt64>
    // scale * mask ⊙ w1 for per-batch DropConnect: (hidden, 784)
    let maskedW1: FloatBuffer?

    public init(model: Autoencoder, maxBatch: Int, seed: UInt64) {
        self.model = model
        self.maxBatch = maxBatch
        self.seed = seed
        let config = model.config
        let h = config.hidden, n = ModelConfig.inputs
        gradients = Parameters(hidden: h)
        let regularized = config.dropP > 0
        dropout = regularized && config.dropMode == .dropout ? DropoutMask(dropP: config.dropP, seed: seed) : nil
        dropConnect = regularized && config.dropMode == .dropconnect ? DropConnectMask(dropP: config.dropP, seed: seed) : nil
        x = FloatBuffer(count: maxBatch * n)
        hidden = FloatBuffer(count: maxBatch * h)
        gate = FloatBuffer(count: maxBatch * h)
        output = FloatBuffer(count: maxBatch * n)
        dHidden = FloatBuffer(count: maxBatch * h)
        keys = .allocate(capacity: maxBatch)
        keys.initialize(repeating: 0, count: maxBatch)
        maskedW1 = dropConnect != nil && config.masks == .batch ? FloatBuffer(count: h * n) : nil
    }

    deinit { keys.deallocate() }

    /// Loads images `indices` of `data` into the input buffer.
    public func load(_ data: ImageSet, _ indices: ArraySlice<Int32>) {
        data.gather(indices, into: x.pointer)
    }

    /// The input buffer, for callers that fill it themselves (tests).
    public var input: UnsafeMutablePointer<Float> { x.pointer }

    /// Runs the forward and backward passes on the `batch` images in the input buffer,
    /// which are examples `exampleOffset ..< exampleOffset + batch` of a minibatch of
    /// `total` images (default: this batch alone), with the masks of training step `step`.
    /// Leaves this shard's part of dLoss/dParameters in `gradients`, where the loss is the
    /// mean squared error over total x 784 pixels, and returns this shard's sum of
    /// squared errors divided by total x 784 (the shards' returns add up to the loss).
    @discardableResult
    public func run(batch: Int, step: UInt64, exampleOffset: Int = 0, total: Int? = nil) -> Float {
        precondition(batch > 0 && batch <= maxBatch)
        let total = total ?? batch
        let config = model.config
        let p = model.parameters, g = gradients
        let h = config.hidden, n = ModelConfig.inputs
        let x = x.pointer, hid = hidden.pointer, gate = gate.pointer
        let out = output.pointer, dh = dHidden.pointer

        // MARK: forward
        // encoder: x (batch, 784), w1 (h, 784) -> z1 (batch, h)
        if let dc = dropConnect {
            switch config.masks {
            case .example:
                for b in 0..<batch { keys[b] = dc.key(step: step, example: exampleOffset + b) }
                DropConnectKernels.forward(mask: dc, keys: keys, x: x, w1: p.w1, z1: hid,
                                           batch: batch, hidden: h, rows: 0..<h)
            case .batch:
                keys[0] = dc.key(step: step, example: nil)
                DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: p.w1, out: maskedW1!.pointer, hidden: h)
                BLAS.sgemm(transA: false, transB: true, m: batch, n: h, k: n, alpha: 1, a: x, lda: n,
                           b: maskedW1!.pointer, ldb: n, beta: 0, c: hid, ldc: h)
            }
        } else {
            BLAS.sgemm(transA: false, transB: true, m: batch, n: h, k: n, alpha: 1, a: x, lda: n,
                       b: p.w1, ldb: n, beta: 0, c: hid, ldc: h)
        }
        // a = act(z1 + b1); gate = act'(z1) * dropout factor; hd = a * dropout factor
        activateHidden(batch: batch, step: step, exampleOffset: exampleOffset)
        // decoder: hd (batch, h), w2 (784, h) -> z2 (batch, 784)
        BLAS.sgemm(transA: false, transB: true, m: batch, n: n, k: h, alpha: 1, a: hid, lda: h,
                   b: p.w2, ldb: h, beta: 0, c: out, ldc: n)
        // y = sigmoid(z2 + b2); loss; out <- dL/dz2
        let loss = outputLossAndGradient(batch: batch, total: total)

        // MARK: backward
        // dw2 = dz2^T hd: (784, batch) x (batch, h) -> (784, h); reuses hd from the forward pass
        BLAS.sgemm(transA: true, transB: false, m: n, n: h, k: batch, alpha: 1, a: out, lda: n,
                   b: hid, ldb: h, beta: 0, c: g.w2, ldc: h)
        columnSums(out, rows: batch, columns: n, into: g.b2)
        // dhd = dz2 w2: (batch, 784) x (784, h) -> (batch, h)
        BLAS.sgemm(transA: false, transB: false, m: batch, n: h, k: n, alpha: 1, a: out, lda: n,
                   b: p.w2, ldb: h, beta: 0, c: dh, ldc: h)
        // dz1 = dhd * gate; reuses the gate saved by the forward pass
        multiply(dh, by: gate, count: batch * h)
        columnSums(dh, rows: batch, columns: h, into: g.b1)
        // dw1 = dz1^T x: (h, batch) x (batch, 784) -> (h, 784), under the same masks as forward
        if let dc = dropConnect, config.masks == .example {
            DropConnectKernels.backward(mask: dc, keys: keys, x: x, dz1: dh, gw1: g.w1,
                                        batch: batch, hidden: h, rows: 0..<h)
        } else {
            BLAS.sgemm(transA: true, transB: false, m: h, n: n, k: batch, alpha: 1, a: dh, lda: h,
                       b: x, ldb: n, beta: 0, c: g.w1, ldc: n)
            if let dc = dropConnect {
                DropConnectKernels.maskWeights(mask: dc, key: keys[0], w1: g.w1, out: g.w1, hidden: h)
            }
        }
        return loss
    }

    func activateHidden(batch: Int, step: UInt64, exampleOffset: Int) {
        let config = model.config
        let h = config.hidden
        let bias = model.parameters.b1
        let hid = hidden.pointer, gate = gate.pointer
        for b in 0..<batch {
            let row = hid + b * h, gateRow = gate + b * h
            var j = 0
            while j + 16 <= h {
                let z = vload(row + j) + vload(bias + j)
                switch config.activation {
                case .relu:
                    let active = z .> 0
                    vstore(z.replacing(with: 0, where: .!active), row + j)
                    vstore(Vec(repeating: 0).replacing(with: 1, where: active), gateRow + j)
                case .sigmoid:
                    let a = vsigmoid(z)
                    vstore(a, row + j)
                    vstore(a * (1 - a), gateRow + j)
                }
                j += 16
            }
            while j < h {
                let z = row[j] + bias[j]
                switch config.activation {
                case .relu:
                    row[j] = max(z, 0)
                    gateRow[j] = z > 0 ? 1 : 0
                case .sigmoid:
                    let a = sigmoid(z)
                    row[j] = a
                    gateRow[j] = a * (1 - a)
                }
                j += 1
            }
            if let dropout {
                let key = dropout.key(step: step, example: exampleOffset + b)
                for j in 0..<h {
                    let factor: Float = dropout.keeps(key: key, unit: j) ? dropout.scale : 0
                    row[j] *= factor
                    gateRow[j] *= factor
                }
            }
        }
    }

    /// y = sigmoid(z2 + b2); returns sum((y - x)^2) / (total * 784) and leaves dL/dz2 =
    /// 2 (y - x) y (1 - y) / (total * 784) in the output buffer.
    func outputLossAndGradient(batch: Int, total: Int) -> Float {
        let n = ModelConfig.inputs
        let bias = model.parameters.b2
        let out = output.pointer, x = x.pointer
        let scale = 2 / Float(total * n)
        var sum = 0.0
        for b in 0..<batch {
            let row = out + b * n, xr = x + b * n
            var rowSum = Vec()
            for c in 0..<(n / 16) {
                let y = vsigmoid(vload(row + 16 * c) + vload(bias + 16 * c))
                let d = y - vload(xr + 16 * c)
                rowSum += d * d
                vstore(scale * d * y * (1 - y), row + 16 * c)
            }
            sum += Double(rowSum.sum())
        }
        return Float(sum / Double(total * n))
    }

    /// out[c] = sum over rows of m[r, c]. m: (rows, columns) -> out: (columns).
    func columnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: columns)
        for r in 0..<rows {
            let row = m + r * columns
            var c = 0
            while c + 16 <= columns { vstore(vload(out + c) + vload(row + c), out + c); c += 16 }
            while c < columns { out[c] += row[c]; c += 1 }
        }
    }

    func multiply(_ a: UnsafeMutablePointer<Float>, by b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { vstore(vload(a + i) * vload(b + i), a + i); i += 16 }
        while i < count { a[i] *= b[i]; i += 1 }
    }
}
