/// The four products as BLAS calls over the units active somewhere in the minibatch
/// (`ActiveUnits`): a ReLU unit that is zero for every example adds only zeros to them.
/// After the encoder, on one thread, the step finds the active units A of the whole
/// minibatch and packs hd[:, A]; threads then pack rows of w2[:, A]; the products run at
/// k = |A| and their results are spread back to the units' columns and rows. A
/// minibatch where packing would not pay (`ActiveUnits.worthPacking`) runs `dense`.
final class PackedProducts: HiddenProducts {
    let active: ActiveUnits
    let dense = DenseProducts()
    // w2's active columns: (784, |A|)
    let packedW2: FloatBuffer
    // hd's active columns: (batch, |A|)
    let packedHidden: FloatBuffer
    // dz1's active columns for the encoder gradient, rows of stride hidden: (batch, |A|)
    let packedGradient: FloatBuffer
    /// Whether this step's minibatch was packed.
    private(set) var packed = false

    init(hidden: Int, maxBatch: Int, kernels: Kernels) {
        let n = ModelConfig.inputs
        active = ActiveUnits(units: hidden, kernels: kernels)
        packedW2 = FloatBuffer(count: n * hidden + 16)
        packedHidden = FloatBuffer(count: maxBatch * hidden + 16)
        packedGradient = FloatBuffer(count: maxBatch * hidden + 16)
    }

    var examinesWholeBatch: Bool { true }
    var allocatedBytes: Int { 4 * (packedW2.count + packedHidden.count + packedGradient.count) }

    func afterEncoder(_ pass: TrainingPass, examples: Range<Int>) -> Bool {
        packed = false
        let h = pass.hiddenUnits
        let hid = pass.hidden.pointer + examples.lowerBound * h
        guard active.find(hid, rows: examples.count, stride: h) > 0, active.worthPacking else { return false }
        active.pack(hid, rows: examples.count, ldm: h, into: packedHidden.pointer + examples.lowerBound * active.count, ldo: active.count)
        packed = true
        return true
    }

    func prepareDecoder(_ pass: TrainingPass, rows: Range<Int>) {
        guard packed, !rows.isEmpty else { return }
        let h = pass.hiddenUnits, k = active.count
        active.pack(pass.model.parameters.w2 + rows.lowerBound * h, rows: rows.count, ldm: h,
                    into: packedW2.pointer + rows.lowerBound * k, ldo: k)
    }

    func decode(_ pass: TrainingPass, examples: Range<Int>, outputs: Range<Int>) {
        guard packed else { return dense.decode(pass, examples: examples, outputs: outputs) }
        let n = ModelConfig.inputs, k = active.count, first = examples.lowerBound
        // hd[:, A] (rows, |A|), w2[outputs, A] (|outputs|, |A|) -> z2[:, outputs], ld 784
        BLAS.sgemm(transA: false, transB: true, m: examples.count, n: outputs.count, k: k, alpha: 1,
                   a: packedHidden.pointer + first * k, lda: k, b: packedW2.pointer + outputs.lowerBound * k, ldb: k,
                   beta: 0, c: pass.output.pointer + first * n + outputs.lowerBound, ldc: n)
    }

    func backward(_ pass: TrainingPass, examples: Range<Int>) {
        guard packed else { return dense.backward(pass, examples: examples) }
        let h = pass.hiddenUnits, n = ModelConfig.inputs, first = examples.lowerBound
        // dz2 w2[:, A]: (rows, |A|), spread to the units' columns (the others' gate is 0)
        let dh = pass.dHidden.pointer + first * h
        BLAS.sgemm(transA: false, transB: false, m: examples.count, n: active.count, k: n, alpha: 1,
                   a: pass.output.pointer + first * n, lda: n, b: packedW2.pointer, ldb: active.count, beta: 0, c: dh, ldc: h)
        active.spread(dh, rows: examples.count, ld: h)
    }

    func afterGate(_ pass: TrainingPass, examples: Range<Int>) {
        guard packed else { return }
        // dz1[:, A] for the encoder gradient; rows keep stride h, so no thread's packing
        // reaches another's rows
        let h = pass.hiddenUnits, first = examples.lowerBound
        active.pack(pass.dHidden.pointer + first * h, rows: examples.count, ldm: h, into: packedGradient.pointer + first * h, ldo: h)
    }

    func encoderGradient(_ pass: TrainingPass, batch: Int, units: Range<Int>) {
        guard packed else { return dense.encoderGradient(pass, batch: batch, units: units) }
        let n = ModelConfig.inputs, h = pass.hiddenUnits
        // dw1[A ∩ units] = dz1[:, A ∩ units]^T x, into the first rows of the range; then,
        // from the top down, each row moves to its unit's row, at or after its packed
        // place, so no row is overwritten before it has moved; the other rows are zero
        let at = active.positions(in: units)
        let rowsOut = pass.gradients.w1 + units.lowerBound * n
        if !at.isEmpty {
            BLAS.sgemm(transA: true, transB: false, m: at.count, n: n, k: batch, alpha: 1,
                       a: packedGradient.pointer + at.lowerBound, lda: h, b: pass.encoderInput, ldb: n,
                       beta: 0, c: rowsOut, ldc: n)
        }
        var k = at.upperBound - 1
        for j in units.reversed() {
            let row = pass.gradients.w1 + j * n
            if k >= at.lowerBound && Int(active.list[k]) == j {
                let source = rowsOut + (k - at.lowerBound) * n
                if source != row { row.update(from: source, count: n) }
                k -= 1
            } else {
                row.update(repeating: 0, count: n)
            }
        }
    }

    func decoderGradient(_ pass: TrainingPass, batch: Int, outputs: Range<Int>) {
        guard packed else { return dense.decoderGradient(pass, batch: batch, outputs: outputs) }
        let h = pass.hiddenUnits, n = ModelConfig.inputs
        // dw2[outputs, A] = dz2[:, outputs]^T hd[:, A], spread to the units' columns
        let rowsOut = pass.gradients.w2 + outputs.lowerBound * h
        BLAS.sgemm(transA: true, transB: false, m: outputs.count, n: active.count, k: batch, alpha: 1,
                   a: pass.output.pointer + outputs.lowerBound, lda: n, b: packedHidden.pointer, ldb: active.count,
                   beta: 0, c: rowsOut, ldc: h)
        active.spread(rowsOut, rows: outputs.count, ld: h)
    }
}
