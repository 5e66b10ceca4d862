import Testing
@testable import AutoencCore
@testable import AutoencKit

/// A training step split over threads (examples in phase 1, weight rows in phase 2)
/// computes what one thread computes.
@Suite struct ParallelStepTests {
    static let configs: [ModelConfig] = [
        ModelConfig(hidden: 24, activation: .relu),
        ModelConfig(hidden: 24, activation: .sigmoid, dropP: 0.5, dropMode: .dropout),
        ModelConfig(hidden: 24, activation: .relu, dropP: 0.5, dropMode: .dropconnect, masks: .example),
        ModelConfig(hidden: 24, activation: .relu, dropP: 0.3, dropMode: .dropconnect, masks: .example),
        ModelConfig(hidden: 24, activation: .relu, dropP: 0.3, dropMode: .dropconnect, masks: .batch),
    ]

    /// Three steps with 1, 2 and 3 threads (batches of 10, 7 and 1 images, so shards are
    /// uneven and sometimes empty of work) compute the same gradients and end with the
    /// same weights up to the rounding of the products' sums (see `expectThreadsAgree`).
    @Test(arguments: configs)
    func threadsAgree(config: ModelConfig) throws {
        try Self.expectThreadsAgree(config: config)
    }

    /// The same with a third of the units dead (bias -100), so that the steps run the
    /// packed products over the units active in each minibatch.
    @Test func threadsAgreeOnPackedSteps() throws {
        try Self.expectThreadsAgree(config: ModelConfig(hidden: 48, activation: .relu)) { model in
            for j in stride(from: 1, to: 48, by: 3) { model.parameters.b1[j] = -100 }
        } check: { trainer in
            #expect(trainer.pass.batchPacked, "the step did not pack")
        }
    }

    /// Phase 2's order within each part, in the packed and dense layouts: the even parts
    /// update the encoder's rows first, the odd ones the decoder's, so that the optimizer's
    /// passes of two threads do not run side by side (`TrainingPass.gradientPhases`; the
    /// sparse layout updates w2 after a barrier). Each part updates exactly its rows, once:
    /// `threadsAgree` holds the results to one thread's.
    @Test(arguments: [configs[0], ModelConfig(hidden: 24, activation: .sigmoid)])
    func oddPartsTakeTheDecoderFirst(config: ModelConfig) throws {
        let trainer = Trainer(model: Autoencoder(config: config, seed: 5),
                              options: TrainingTests.options(seed: 5, batch: 10, threads: 3))
        _ = try trainer.trainStep(TrainingTests.shapes(count: 10), (0..<Int32(10)).map { $0 }[...], epoch: 1)
        final class Log { var calls: [String] = [] }
        let log = Log()
        let serial: TrainingPass.Parallel = { parts, body in for part in 0..<parts { body(part) } }
        trainer.pass.gradientPhases(batch: 10, threads: 3, parallel: serial,
                                    updateEncoder: { part, units in log.calls.append("w1 \(part) \(units)") },
                                    updateDecoder: { part, outputs in log.calls.append("w2 \(part) \(outputs)") })
        let expected = ["w1 0 0..<8", "w2 0 0..<261", "w2 1 261..<522", "w1 1 8..<16", "w1 2 16..<24", "w2 2 522..<784"]
        #expect(log.calls == expected, "\(config.dropMode) \(config.dropP): \(log.calls)")
    }

    /// What the thread counts may change, and the bounds the comparison allows.
    ///
    /// The threads make BLAS calls of other shapes than one thread does (fewer rows, and
    /// the packed products' rows of active units), and OpenBLAS picks its kernels, and so
    /// the order of a sum's terms, by shape and by CPU. A sum of k fp32 terms in another
    /// order differs by at most about k 2^-24 times the sum of the terms' magnitudes, and
    /// in practice by a few 2^-24 of the largest sum (k <= 784 here). So:
    /// - each step's gradients may differ by 1e-5 of that step's largest gradient, where a
    ///   wrong row or column (a shard's example or unit missed or counted twice) differs by
    ///   the size of a gradient, 1e-2 to 1 of the largest;
    /// - the weights after the steps may differ by 1e-4 of the largest change the steps
    ///   made to any weight, where a wrong row differs by a whole update.
    ///
    /// The steps use plain SGD: Adam divides each gradient by its own running magnitude,
    /// so a near-cancelling gradient (|g| a few 2^-24) whose rounding flips its sign
    /// moves its weight by 2 lr either way. Adam's elementwise update is tested against
    /// PyTorch's formula in `OptimizerTests`, and is split over threads by the same row
    /// ranges as SGD's.
    static func expectThreadsAgree(config: ModelConfig, prepare: (Autoencoder) -> Void = { _ in },
                                   check: (Trainer) -> Void = { _ in },
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        let data = TrainingTests.shapes(count: 18)
        let order = (0..<Int32(18)).map { $0 }
        let steps = [order[0..<10], order[10..<17], order[17..<18]]
        var gradients: [[[Float]]] = [], weights: [[Float]] = []
        var initial: [Float] = []
        for threads in [1, 2, 3] {
            let model = Autoencoder(config: config, seed: 5)
            prepare(model)
            initial = model.parameters.values
            let options = TrainingTests.options(seed: 5, batch: 10, lr: 10, optimizer: .sgd, threads: threads)
            let trainer = Trainer(model: model, options: options)
            var stepGradients: [[Float]] = []
            for (s, batch) in steps.enumerated() {
                _ = try trainer.trainStep(data, batch, epoch: 1)
                if s == 0 { check(trainer) }
                stepGradients.append(trainer.pass.gradients.values)
            }
            gradients.append(stepGradients)
            weights.append(model.parameters.values)
        }
        for k in 1..<weights.count {
            for s in steps.indices {
                let reference = gradients[0][s]
                let largest = reference.map(abs).max() ?? 0
                let worst = largestDifference(gradients[k][s], reference).difference
                #expect(largest > 0 && worst <= 1e-5 * largest,
                        """
                        threads \(k + 1) vs 1, step \(s + 1): \(comparison(gradients[k][s], reference)); \
                        largest gradient \(largest)
                        """,
                        sourceLocation: sourceLocation)
            }
            var largestChange: Float = 0
            for i in initial.indices { largestChange = max(largestChange, abs(weights[0][i] - initial[i])) }
            let worst = largestDifference(weights[k], weights[0]).difference
            #expect(largestChange > 0 && worst <= 1e-4 * largestChange,
                    """
                    threads \(k + 1) vs 1, weights: \(comparison(weights[k], weights[0])); \
                    largest change of a weight \(largestChange)
                    """,
                    sourceLocation: sourceLocation)
        }
    }
}
