/// The packed layout's buffers and products (`HiddenLayout.packed`): dense products over the units
/// active somewhere in the minibatch (`ActiveUnits`); a ReLU unit that is zero for every
/// example adds only zeros to the products that read hd or dz1. After the encoder, on one
/// thread, the step finds the active units A of the whole minibatch (`findActive`) and
/// packs hd[:, A] (`packHiddenRows`: there, or each part its rows later where the own
/// decoder product reads hd^T instead); threads then pack rows of w2[:, A]
/// (`packDecoderWeights`); the products
/// run at k = |A| and their results are spread back to the units' columns and rows. A
/// minibatch where packing would not pay (`ActiveUnits.worthPacking`) is not packed, and
/// the step runs the dense products for it (`isPacked` false).
final class PackedProducts {
    let active: ActiveUnits
    let hidden: Int
    // w2's active columns: (784, |A|), row stride `stride`
    let packedW2: FloatBuffer
    // hd's active columns: (batch, |A|), row stride `stride`
    let packedHidden: FloatBuffer
    // dz1's active columns for the encoder gradient, rows of stride hidden: (batch, |A|)
    let packedGradient: FloatBuffer
    /// Whether this step's minibatch was packed.
    private(set) var isPacked = false

    init(hidden: Int, maxBatch: Int, kernels: Kernels) {
        let n = ModelConfig.inputs
        self.hidden = hidden
        active = ActiveUnits(units: hidden, kernels: kernels)
        packedW2 = FloatBuffer(count: n * Self.stride(hidden) + 16)
        packedHidden = FloatBuffer(count: maxBatch * Self.stride(hidden) + 16)
        packedGradient = FloatBuffer(count: maxBatch * hidden + 16)
    }

    var allocatedBytes: Int { 4 * (packedW2.count + packedHidden.count + packedGradient.count) }

    /// The row stride of the packed w2 and hd for `units` active units: rounded up to 16
    /// floats, so that every row starts on a 64-byte line, as the buffers do. The products
    /// read these rows as the right-hand matrix, 32 floats at a time down its rows; rows
    /// that start inside a line split a vector load across two in every row. In a
    /// one-thread product, both threads at once, out of the caches, Zen 4: dw2 at 820
    /// units 79-85 GFLOP/s a thread against 92-96 at 832; dhd at 3300 units 63-71 against
    /// 88-90 at 3600.
    static func stride(_ units: Int) -> Int { (units + 15) / 16 * 16 }

    /// The packed rows' stride this step.
    var stride: Int { Self.stride(active.count) }

    // MARK: - Packing

    /// Between the encoder and the decoder, on one thread: finds the units active in the
    /// whole minibatch's hd (batch, hidden); returns `isPacked`, whether rows of w2 and of
    /// hd then need `packDecoderWeights` and `packHiddenRows`.
    func findActive(_ hd: UnsafePointer<Float>, batch: Int) -> Bool {
        isPacked = active.find(hd, rows: batch, stride: hidden) > 0 && active.worthPacking
        return isPacked
    }

    /// hd[examples, A] (threads take disjoint ranges). hd: (batch, hidden).
    func packHiddenRows(_ hd: UnsafePointer<Float>, examples: Range<Int>) {
        guard isPacked, !examples.isEmpty else { return }
        let ld = stride, first = examples.lowerBound
        active.pack(hd + first * hidden, rows: examples.count, ldm: hidden, into: packedHidden.pointer + first * ld,
                    ldo: ld)
    }

    /// Rows `rows` of w2[:, A] (threads take disjoint ranges). w2: (784, hidden).
    func packDecoderWeights(_ w2: UnsafePointer<Float>, rows: Range<Int>) {
        guard isPacked, !rows.isEmpty else { return }
        let h = hidden, ld = stride
        active.pack(w2 + rows.lowerBound * h, rows: rows.count, ldm: h,
                    into: packedW2.pointer + rows.lowerBound * ld, ldo: ld)
    }

    /// dz1[examples, A] for `encoderWeightGradient`, after dz1 = dhd ⊙ gate. Rows keep
    /// stride hidden, so no thread's packing reaches another's rows. dz1: (batch, hidden).
    func packEncoderGradient(_ dz1: UnsafePointer<Float>, examples: Range<Int>) {
        let h = hidden, first = examples.lowerBound
        active.pack(dz1 + first * h, rows: examples.count, ldm: h, into: packedGradient.pointer + first * h, ldo: h)
    }

    // MARK: - The products, forward beside backward

    /// z2[examples, outputs] = hd[examples, A] w2[outputs, A]^T, from the packed copies.
    /// (rows, |A|) x (|A|, |outputs|) -> z2: (batch, 784), columns `outputs`.
    ///
    /// With the kernels' own product, given hd^T (hidden, batch; row stride `ldt`, from
    /// `TrainingPass.transposeHidden`): z2[:, outputs]^T = w2[outputs, A] hd^T[A, :], w2's
    /// rows the kernel's rows and the examples its columns, the active units' rows of hd^T
    /// read through the list, stored transposed into z2's columns `outputs`; from w2
    /// itself and every unit when the minibatch was not packed.
    func decoderForward(examples: Range<Int>, outputs: Range<Int>, w2: UnsafePointer<Float>,
                        transposedHidden: UnsafePointer<Float>?, ldt: Int, z2: UnsafeMutablePointer<Float>) {
        let n = ModelConfig.inputs, k = active.count, ld = stride, first = examples.lowerBound
        if let transposedHidden {
            precondition(first == 0, "the own decoder product computes the whole minibatch")
            let (weights, depth, lda) = isPacked ? (UnsafePointer(packedW2.pointer), k, ld) : (w2, hidden, hidden)
            Matrix.multiplyKernel(transA: false, m: outputs.count, n: examples.count, k: depth,
                                  a: weights + outputs.lowerBound * lda, lda: lda, b: transposedHidden, ldb: ldt,
                                  bRows: isPacked ? UnsafePointer(active.list) : nil, c: z2 + outputs.lowerBound,
                                  ldc: n, transposedC: true, kernels: active.kernels)
            return
        }
        BLAS.sgemm(transA: false, transB: true, m: examples.count, n: outputs.count, k: k, alpha: 1,
                   a: packedHidden.pointer + first * ld, lda: ld, b: packedW2.pointer + outputs.lowerBound * ld,
                   ldb: ld,
                   beta: 0, c: z2 + first * n + outputs.lowerBound, ldc: n)
    }

    /// dhd[examples] = dz2 w2[:, A], spread to the units' columns (the others' gate is 0).
    /// dz2: (rows, 784), w2[:, A]: (784, |A|) -> dhd: (rows, hidden).
    func decoderInputGradient(examples: Range<Int>, dz2: UnsafePointer<Float>, dhd: UnsafeMutablePointer<Float>) {
        let h = hidden, n = ModelConfig.inputs, first = examples.lowerBound
        let rows = dhd + first * h
        Matrix.multiply(transA: false, m: examples.count, n: active.count, k: n, a: dz2 + first * n, lda: n,
                        b: packedW2.pointer, ldb: stride, c: rows, ldc: h, kernels: active.kernels)
        active.spread(rows, rows: examples.count, ld: h)
    }

    /// dw2[outputs, A] = dz2[:, outputs]^T hd[:, A] over the first `batch` examples,
    /// spread to the units' columns. -> dw2: (784, hidden), rows `outputs`.
    func decoderWeightGradient(batch: Int, outputs: Range<Int>, dz2: UnsafePointer<Float>,
                               dw2: UnsafeMutablePointer<Float>) {
        let h = hidden, n = ModelConfig.inputs
        let rowsOut = dw2 + outputs.lowerBound * h
        Matrix.multiply(transA: true, m: outputs.count, n: active.count, k: batch,
                        a: dz2 + outputs.lowerBound, lda: n, b: packedHidden.pointer, ldb: stride,
                        c: rowsOut, ldc: h, kernels: active.kernels)
        active.spread(rowsOut, rows: outputs.count, ld: h)
    }

    /// dw1[units] = dz1[:, units]^T xd over the first `batch` examples, from dz1's packed
    /// columns; with `groups` (filled from xd), over the lit pixels. xd: (batch, 784) ->
    /// dw1: (hidden, 784), rows `units`.
    func encoderWeightGradient(batch: Int, units: Range<Int>, xd: UnsafePointer<Float>,
                               dw1: UnsafeMutablePointer<Float>, groups: PixelGroups? = nil) {
        let n = ModelConfig.inputs, h = hidden
        if let groups {
            // the active units' rows straight into place, through the list; the others zero
            let at = active.positions(in: units)
            groups.encoderGradient(batch: batch, a: packedGradient.pointer + at.lowerBound, lda: h, rows: at.count,
                                   c: dw1, ldc: n, rowList: active.list + at.lowerBound, kernels: active.kernels)
            var k = at.lowerBound
            for j in units {
                if k < at.upperBound && Int(active.list[k]) == j {
                    k += 1
                } else {
                    (dw1 + j * n).update(repeating: 0, count: n)
                }
            }
            return
        }
        // dw1[A ∩ units] = dz1[:, A ∩ units]^T xd, into the first rows of the range; then,
        // from the top down, each row moves to its unit's row, at or after its packed
        // place, so no row is overwritten before it has moved; the other rows are zero
        let at = active.positions(in: units)
        let rowsOut = dw1 + units.lowerBound * n
        if !at.isEmpty {
            Matrix.multiply(transA: true, m: at.count, n: n, k: batch,
                            a: packedGradient.pointer + at.lowerBound, lda: h, b: xd, ldb: n,
                            c: rowsOut, ldc: n, kernels: active.kernels)
        }
        var k = at.upperBound - 1
        for j in units.reversed() {
            let row = dw1 + j * n
            if k >= at.lowerBound && Int(active.list[k]) == j {
                let source = rowsOut + (k - at.lowerBound) * n
                if source != row { row.update(from: source, count: n) }
                k -= 1
            } else {
                row.update(repeating: 0, count: n)
            }
        }
    }
}
