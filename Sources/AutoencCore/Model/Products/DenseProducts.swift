/// The four products over every hidden unit, as BLAS calls: the reference the sparse and
/// packed strategies are tested against, and the path of every step they do not take.
final class DenseProducts: HiddenProducts {
    func backward(_ pass: TrainingPass, examples: Range<Int>) {
        let h = pass.hiddenUnits, n = ModelConfig.inputs, first = examples.lowerBound
        // dz2 (rows, 784), w2 (784, h) -> dhd (rows, h)
        BLAS.sgemm(transA: false, transB: false, m: examples.count, n: h, k: n, alpha: 1, a: pass.output.pointer + first * n, lda: n,
                   b: pass.model.parameters.w2, ldb: h, beta: 0, c: pass.dHidden.pointer + first * h, ldc: h)
    }

    func encoderGradient(_ pass: TrainingPass, batch: Int, units: Range<Int>) {
        let h = pass.hiddenUnits, n = ModelConfig.inputs
        // dw1[units] = dz1[:, units]^T x: (|units|, batch) x (batch, 784)
        BLAS.sgemm(transA: true, transB: false, m: units.count, n: n, k: batch, alpha: 1,
                   a: pass.dHidden.pointer + units.lowerBound, lda: h, b: pass.encoderInput, ldb: n,
                   beta: 0, c: pass.gradients.w1 + units.lowerBound * n, ldc: n)
    }

    func decoderGradient(_ pass: TrainingPass, batch: Int, outputs: Range<Int>) {
        let h = pass.hiddenUnits, n = ModelConfig.inputs
        // dw2[outputs] = dz2[:, outputs]^T hd: (|outputs|, batch) x (batch, h)
        BLAS.sgemm(transA: true, transB: false, m: outputs.count, n: h, k: batch, alpha: 1,
                   a: pass.output.pointer + outputs.lowerBound, lda: n, b: pass.hidden.pointer, ldb: h,
                   beta: 0, c: pass.gradients.w2 + outputs.lowerBound * h, ldc: h)
    }
}
