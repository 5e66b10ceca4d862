/// The sparse layout's buffers and products (`HiddenLayout.sparse`): the products that
/// read hd or dz1 (zero wherever hd is), row by row over their non-zero entries
/// (`SparseProducts`' kernels): with ReLU units and dropout at p = 0.5 about 85% of hd is
/// zero while training. The decoder combines w2^T's rows, so phase 0 keeps a transposed
/// copy of w2 (`transposeDecoder`); the decoder's weight gradient is computed transposed,
/// by unit rows (`transposedDecoderWeightGradient`), then transposed back by output rows
/// (`decoderWeightGradient`), which needs every unit's row first.
final class SparseHiddenProducts {
    let hidden: Int
    // w2^T, refreshed each step: (hidden, 784)
    let w2t: FloatBuffer
    // dL/dw2^T: (hidden, 784)
    let w2tGradient: FloatBuffer
    // per-example scratch: indices and values, maxBatch x (hidden + 16)
    let indices: UnsafeMutablePointer<Int32>
    let values: FloatBuffer
    let stride: Int

    init(hidden: Int, maxBatch: Int) {
        let n = ModelConfig.inputs
        self.hidden = hidden
        w2t = FloatBuffer(count: hidden * n)
        w2tGradient = FloatBuffer(count: hidden * n)
        stride = hidden + 16
        indices = .allocate(capacity: maxBatch * stride)
        values = FloatBuffer(count: maxBatch * stride)
    }

    deinit { indices.deallocate() }

    // the indices (Int32) as many as the values
    var allocatedBytes: Int { 4 * (w2t.count + w2tGradient.count + 2 * values.count) }

    /// Phase 0: rows `units` of w2^T. w2: (784, hidden) -> w2^T: (hidden, 784).
    func transposeDecoder(_ w2: UnsafePointer<Float>, units: Range<Int>, kernels: Kernels) {
        Matrix.transpose(w2, rows: ModelConfig.inputs, columns: hidden, into: w2t.pointer, rowsOfResult: units,
                         kernels: kernels)
    }

    // MARK: - The products, forward beside backward

    /// z2[b] = sum over j with hd[b, j] != 0 of hd[b, j] w2^T[j], for b in `examples`.
    /// hd: (rows, hidden), w2^T: (hidden, 784) -> z2: (rows, 784).
    func decoderForward(examples: Range<Int>, hd: UnsafePointer<Float>, z2: UnsafeMutablePointer<Float>,
                        kernels: Kernels) {
        let h = hidden, n = ModelConfig.inputs
        for b in examples {
            SparseProducts.combineRows(hd + b * h, stride: 1, count: h, rows: w2t.pointer, into: z2 + b * n,
                                       indices: indices + b * stride, values: values.pointer + b * stride,
                                       kernels: kernels)
        }
    }

    /// dhd[b, j] = dot(dz2[b], w2^T[j]) where the gate is open, 0 elsewhere.
    /// dz2: (rows, 784), gate: (rows, hidden) -> dhd: (rows, hidden).
    func decoderInputGradient(examples: Range<Int>, dz2: UnsafePointer<Float>, gate: UnsafePointer<Float>,
                              dhd: UnsafeMutablePointer<Float>, kernels: Kernels) {
        let h = hidden, n = ModelConfig.inputs
        for b in examples {
            SparseProducts.selectedDots(dz2 + b * n, rows: w2t.pointer, select: gate + b * h, count: h,
                                        into: dhd + b * h, indices: indices + b * stride, kernels: kernels)
        }
    }

    /// Rows `units` of dw2^T: row j sums dz2[b] over the first `batch` examples whose
    /// hd[b, j] is not zero. hd: (batch, hidden), dz2: (batch, 784) -> dw2^T: (hidden, 784).
    func transposedDecoderWeightGradient(batch: Int, units: Range<Int>, hd: UnsafePointer<Float>,
                                         dz2: UnsafePointer<Float>, kernels: Kernels) {
        Self.combineColumns(hd, stride: hidden, batch: batch, units: units, rows: dz2,
                            into: w2tGradient.pointer, kernels: kernels)
    }

    /// Rows `outputs` of dw2 = (dw2^T)^T, from every unit's row of dw2^T
    /// (`transposedDecoderWeightGradient` for all units first). -> dw2: (784, hidden).
    func decoderWeightGradient(outputs: Range<Int>, dw2: UnsafeMutablePointer<Float>, kernels: Kernels) {
        Matrix.transpose(w2tGradient.pointer, rows: hidden, columns: ModelConfig.inputs, into: dw2,
                         rowsOfResult: outputs, kernels: kernels)
    }

    /// Rows `units` of dw1: row j sums xd[b] over the first `batch` examples whose
    /// dz1[b, j] is not zero. dz1: (batch, hidden), xd: (batch, 784) -> dw1: (hidden, 784).
    func encoderWeightGradient(batch: Int, units: Range<Int>, dz1: UnsafePointer<Float>, xd: UnsafePointer<Float>,
                               dw1: UnsafeMutablePointer<Float>, kernels: Kernels) {
        Self.combineColumns(dz1, stride: hidden, batch: batch, units: units, rows: xd, into: dw1, kernels: kernels)
    }

    /// out[j] = sum over b < batch with c[b, j] != 0 of c[b, j] rows[b], for j in `units`.
    /// c: (batch, stride), rows: (batch, 784) -> out: (stride, 784), rows `units`.
    private static func combineColumns(_ c: UnsafePointer<Float>, stride: Int, batch: Int, units: Range<Int>,
                                       rows: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                       kernels: Kernels) {
        let n = ModelConfig.inputs
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: batch) { indices in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: batch) { values in
                for j in units {
                    SparseProducts.combineRows(c + j, stride: stride, count: batch, rows: rows, into: out + j * n,
                                               indices: indices.baseAddress!, values: values.baseAddress!,
                                               kernels: kernels)
                }
            }
        }
    }
}
