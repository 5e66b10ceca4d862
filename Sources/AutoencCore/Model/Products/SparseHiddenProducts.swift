/// The four products over the non-zero entries of hd (and of dz1, zero wherever hd is),
/// row by row (`SparseProducts`' kernels): with ReLU units and dropout at p = 0.5 about
/// 85% of hd is zero while training. The decoder combines w2^T's rows, so phase 0 keeps
/// a transposed copy of w2, and the decoder's gradient is computed transposed, per unit,
/// then transposed back: `decoderGradient` needs every unit's `encoderGradient` first.
final class SparseHiddenProducts: HiddenProducts {
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
        w2t = FloatBuffer(count: hidden * n)
        w2tGradient = FloatBuffer(count: hidden * n)
        stride = hidden + 16
        indices = .allocate(capacity: maxBatch * stride)
        values = FloatBuffer(count: maxBatch * stride)
    }

    deinit { indices.deallocate() }

    var decoderGradientNeedsAllUnits: Bool { true }
    // the indices (Int32) as many as the values
    var allocatedBytes: Int { 4 * (w2t.count + w2tGradient.count + 2 * values.count) }
    var preparesWeights: Bool { true }

    func prepare(_ pass: TrainingPass, units: Range<Int>) {
        Matrix.transpose(pass.model.parameters.w2, rows: ModelConfig.inputs, columns: pass.hiddenUnits,
                         into: w2t.pointer, rowsOfResult: units, kernels: pass.kernels)
    }

    func decode(_ pass: TrainingPass, examples: Range<Int>) {
        let h = pass.hiddenUnits, n = ModelConfig.inputs
        // z2[b] = sum over j with hd[b, j] != 0 of hd[b, j] w2^T[j]
        for b in examples {
            SparseProducts.combineRows(pass.hidden.pointer + b * h, stride: 1, count: h, rows: w2t.pointer,
                                       into: pass.output.pointer + b * n, indices: indices + b * stride,
                                       values: values.pointer + b * stride, kernels: pass.kernels)
        }
    }

    func backward(_ pass: TrainingPass, examples: Range<Int>) {
        let h = pass.hiddenUnits, n = ModelConfig.inputs
        // dhd[b, j] = dot(dz2[b], w2^T[j]) where the gate is open, 0 elsewhere
        for b in examples {
            SparseProducts.selectedDots(pass.output.pointer + b * n, rows: w2t.pointer, select: pass.gate.pointer + b * h,
                                        count: h, into: pass.dHidden.pointer + b * h, indices: indices + b * stride,
                                        kernels: pass.kernels)
        }
    }

    func encoderGradient(_ pass: TrainingPass, batch: Int, units: Range<Int>) {
        let h = pass.hiddenUnits, n = ModelConfig.inputs
        // row j of dw1 sums x[b], and row j of dw2^T sums dz2[b], over the examples whose
        // dz1[b, j], resp. hd[b, j], is not zero
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: batch) { indices in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: batch) { values in
                for j in units {
                    SparseProducts.combineRows(pass.dHidden.pointer + j, stride: h, count: batch, rows: pass.encoderInput,
                                               into: pass.gradients.w1 + j * n, indices: indices.baseAddress!,
                                               values: values.baseAddress!, kernels: pass.kernels)
                    SparseProducts.combineRows(pass.hidden.pointer + j, stride: h, count: batch, rows: pass.output.pointer,
                                               into: w2tGradient.pointer + j * n, indices: indices.baseAddress!,
                                               values: values.baseAddress!, kernels: pass.kernels)
                }
            }
        }
    }

    func decoderGradient(_ pass: TrainingPass, batch: Int, outputs: Range<Int>) {
        // rows `outputs` of dw2 = (dw2^T)^T, from every unit's row of dw2^T
        Matrix.transpose(w2tGradient.pointer, rows: pass.hiddenUnits, columns: ModelConfig.inputs,
                         into: pass.gradients.w2, rowsOfResult: outputs, kernels: pass.kernels)
    }
}
