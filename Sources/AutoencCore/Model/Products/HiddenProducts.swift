/// How a training step computes the four products that read the hidden layer or its
/// gradient: the decoder z2 = hd w2^T, the backward dhd = dz2 w2, and the weight
/// gradients dw2 = dz2^T hd and dw1 = dz1^T x. Three strategies, each in its own file:
/// - `DenseProducts`: BLAS over every unit, the reference the others are tested against;
/// - `SparseHiddenProducts`: row by row over hd's non-zero entries, for dropout;
/// - `PackedProducts`: BLAS over the units active somewhere in the minibatch, for ReLU.
/// `TrainingPass.strategy(for:)` picks one and explains the cut-offs.
///
/// The encoder's forward product, DropConnect's per-example kernels, the activations and
/// the loss are the pass's own. Each method works on rows of the pass's buffers that no
/// other thread touches in the same phase (see `TrainingPass`'s schedule).
protocol HiddenProducts: AnyObject {
    /// Phase 0, rows `units` of the weights' derived copies (w2^T for the sparse products).
    func prepare(_ pass: TrainingPass, units: Range<Int>)
    /// Between the encoder and the decoder, on one thread, over the whole minibatch's hd;
    /// returns whether rows of w2 then need `prepareDecoder(rows:)`.
    func afterEncoder(_ pass: TrainingPass, examples: Range<Int>) -> Bool
    /// Rows `rows` of what the decoder reads of w2 (threads take disjoint ranges).
    func prepareDecoder(_ pass: TrainingPass, rows: Range<Int>)
    /// z2 = hd w2^T for `examples`: (rows, hidden) x (hidden, 784) -> output buffer.
    func decode(_ pass: TrainingPass, examples: Range<Int>)
    /// z2[examples, outputs] = hd[examples] w2[outputs]^T: the decoder split by output
    /// columns, threads taking disjoint `outputs`, as the step runs it after the look at
    /// the whole minibatch (`examinesWholeBatch`). Split by examples instead, OpenBLAS
    /// 0.3.21's Zen kernels ran one thread's 64 of 128 examples at 24-27 GFLOP/s (any k
    /// from 128 to 288), against 31-36 for all 128 examples and half the columns.
    func decode(_ pass: TrainingPass, examples: Range<Int>, outputs: Range<Int>)
    /// dhd = dz2 w2 for `examples`, right wherever the gate is open: (rows, 784) x (784, hidden).
    func backward(_ pass: TrainingPass, examples: Range<Int>)
    /// After dz1 = dhd ⊙ gate, for `examples`.
    func afterGate(_ pass: TrainingPass, examples: Range<Int>)
    /// dw1 = dz1^T x, rows `units`, over the first `batch` examples (per-example
    /// DropConnect computes dw1 with its own kernel instead).
    func encoderGradient(_ pass: TrainingPass, batch: Int, units: Range<Int>)
    /// dw2 = dz2^T hd, rows `outputs`, over the first `batch` examples.
    func decoderGradient(_ pass: TrainingPass, batch: Int, outputs: Range<Int>)
    /// Whether `decoderGradient` needs every unit's `encoderGradient` done first.
    var decoderGradientNeedsAllUnits: Bool { get }
    /// Whether `prepare` does anything (phase 0 is skipped otherwise).
    var preparesWeights: Bool { get }
    /// Whether `afterEncoder` does anything: the step then splits phase 1 around it, and
    /// computes the decoder by output columns (`decode(_:examples:outputs:)`).
    var examinesWholeBatch: Bool { get }
    /// The bytes of the strategy's own buffers (`TrainingPass.bytes(for:)` counts them).
    var allocatedBytes: Int { get }
}

extension HiddenProducts {
    func prepare(_ pass: TrainingPass, units: Range<Int>) {}
    func afterEncoder(_ pass: TrainingPass, examples: Range<Int>) -> Bool { false }
    func prepareDecoder(_ pass: TrainingPass, rows: Range<Int>) {}
    func afterGate(_ pass: TrainingPass, examples: Range<Int>) {}
    var decoderGradientNeedsAllUnits: Bool { false }
    var preparesWeights: Bool { false }
    var examinesWholeBatch: Bool { false }
    var allocatedBytes: Int { 0 }

    /// Every output column, through the strategy's by-columns product.
    func decode(_ pass: TrainingPass, examples: Range<Int>) {
        decode(pass, examples: examples, outputs: 0..<ModelConfig.inputs)
    }

    /// Over every unit, as `DenseProducts` computes it.
    func decode(_ pass: TrainingPass, examples: Range<Int>, outputs: Range<Int>) {
        let h = pass.hiddenUnits, n = ModelConfig.inputs, first = examples.lowerBound
        // hd (rows, h), w2[outputs] (|outputs|, h) -> z2[:, outputs] (rows, |outputs|), ld 784
        BLAS.sgemm(transA: false, transB: true, m: examples.count, n: outputs.count, k: h, alpha: 1,
                   a: pass.hidden.pointer + first * h, lda: h, b: pass.model.parameters.w2 + outputs.lowerBound * h, ldb: h,
                   beta: 0, c: pass.output.pointer + first * n + outputs.lowerBound, ldc: n)
    }
}
