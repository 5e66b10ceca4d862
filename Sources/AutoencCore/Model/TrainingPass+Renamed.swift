/// The passes' names before each said what it computes, forwarding to the new ones so
/// that callers written against them still build. New code calls the new names.
extension TrainingPass {
    /// Phase 1a: input dropout, z1 (`encoderForward`) and hd (`activationForward`).
    @available(*, deprecated, message: "dropInputs, encoderForward, activationForward")
    public func encode(examples: Range<Int>, step: UInt64, exampleOffset: Int = 0, part: Int = 0) {
        guard !examples.isEmpty else { return }
        dropInputs(examples: examples, step: step, exampleOffset: exampleOffset)
        encoderForward(examples: examples, step: step, exampleOffset: exampleOffset)
        activationForward(examples: examples, step: step, exampleOffset: exampleOffset)
    }

    /// Phase 1b: z2 unless `decoded` (`decoderForward`), the loss and dz2
    /// (`outputLossAndGradient`), then the backward pass down to dz1 (`decoderInputGradient`,
    /// `activationBackward`; the packed layout's dz1 packing). Returns the loss part.
    @available(*, deprecated,
               message: "decoderForward, outputLossAndGradient, decoderInputGradient, activationBackward")
    public func decode(examples: Range<Int>, total: Int, part: Int = 0, decoded: Bool = false) -> Float {
        guard !examples.isEmpty else { return 0 }
        if !decoded { decoderForward(examples: examples) }
        let loss = outputLossAndGradient(examples: examples, total: total)
        decoderInputGradient(examples: examples)
        activationBackward(examples: examples)
        if case .packed(let packed) = layout, packed.isPacked { packed.packEncoderGradient(dz1, examples: examples) }
        return loss
    }

    /// Phase 2: dw1 and db1 for `units`; for the sparse layout also those rows of dw2^T,
    /// which `outputGradients` transposes.
    @available(*, deprecated, message: "encoderWeightGradient; the sparse layout's transposedDecoderWeightGradient")
    public func hiddenGradients(batch: Int, units: Range<Int>, part: Int = 0) {
        encoderWeightGradient(batch: batch, units: units)
        if case .sparse(let sparse) = layout {
            sparse.transposedDecoderWeightGradient(batch: batch, units: units, hd: dropped, dz2: dz2, kernels: kernels)
        }
    }

    /// Phase 2: dw2 and db2 for `outputs` (the sparse layout: after every unit's dw2^T).
    @available(*, deprecated, renamed: "decoderWeightGradient(batch:outputs:)")
    public func outputGradients(batch: Int, outputs: Range<Int>, part: Int = 0) {
        decoderWeightGradient(batch: batch, outputs: outputs)
    }
}
