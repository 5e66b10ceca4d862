import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The max-norm constraint on the encoder's rows, alone and inside the parallel step.
@Suite struct MaxNormTests {
    static let n = ModelConfig.inputs

    static let images: ImageSet = {
        var rng = TestRandom(31)
        let count = 16
        return ImageSet(count: count, bytes: (0..<count * n).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) },
                        source: "random")
    }()

    /// Rows above the limit end at it (to 1e-5 relative), rows within it keep every bit.
    @Test func rowsAboveTheLimitAreScaledBack() {
        let hidden = 4, limit: Float = 1
        let w = FloatBuffer(count: hidden * Self.n)
        var rng = TestRandom(2)
        let spans: [Float] = [0.01, 0.5, 0.03, 2] // per-row weight sizes: norms ~0.16, ~8, ~0.5, ~32
        for j in 0..<hidden {
            for i in 0..<Self.n { w.pointer[j * Self.n + i] = rng.float(-spans[j], spans[j]) }
        }
        let before = w.array
        let norms = (0..<hidden).map { MaxNorm.norm(w.pointer, row: $0) }
        MaxNorm.apply(w.pointer, rows: 0..<hidden, limit: limit)
        for j in 0..<hidden {
            let row = Array(w.array[(j * Self.n)..<((j + 1) * Self.n)])
            let original = Array(before[(j * Self.n)..<((j + 1) * Self.n)])
            if norms[j] <= Double(limit) {
                #expect(row == original, "row \(j), norm \(norms[j]) <= \(limit), was changed")
            } else {
                let after = MaxNorm.norm(w.pointer, row: j)
                #expect(abs(after - Double(limit)) <= 1e-5, "row \(j): norm \(norms[j]) -> \(after), expected \(limit)")
                // scaled, not clipped: directions kept
                #expect(zip(row, original).allSatisfy { ($0 == 0) == ($1 == 0) && ($0 >= 0) == ($1 >= 0) })
            }
        }
        #expect(norms.contains { $0 < Double(limit) } && norms.contains { $0 > Double(limit) })
    }

    /// Inside training: with a large learning rate rows grow past the limit every step,
    /// and after each step every row's norm is <= C (+1e-5); the step matches an
    /// unconstrained twin on the rows the twin left within C, bit for bit, and on the
    /// others is that twin's row scaled back to C. Split over threads too.
    @Test(arguments: [1, 3])
    func trainingKeepsNormsWithinTheLimit(threads: Int) throws {
        let hidden = 6
        var options = TrainingOptions()
        options.batchSize = 8
        options.optimizer = .sgd
        options.learningRate = 50
        options.threads = threads
        let free = Autoencoder(config: ModelConfig(hidden: hidden), seed: 3)
        // a limit between the row norms the first unconstrained step produces
        let probe = Trainer(model: Autoencoder(config: ModelConfig(hidden: hidden),
                                               parameters: Self.copy(free.parameters)), options: options)
        _ = try probe.trainStep(Self.images, (0..<Int32(8)).map { $0 }[...], epoch: 1)
        let stepped = (0..<hidden).map { MaxNorm.norm(probe.model.parameters.w1, row: $0) }.sorted()
        let limit = Float((stepped[hidden / 2 - 1] + stepped[hidden / 2]) / 2)

        let constrained = Trainer(model: Autoencoder(config: ModelConfig(hidden: hidden, maxNorm: limit),
                                                     parameters: Self.copy(free.parameters)), options: options)
        let twin = Trainer(model: Autoencoder(config: ModelConfig(hidden: hidden),
                                              parameters: Self.copy(free.parameters)), options: options)
        var scaledRows = 0, keptRows = 0
        for step in 0..<4 {
            let batch = (Int32(8 * (step % 2))..<Int32(8 * (step % 2) + 8)).map { $0 }[...]
            twin.model.parameters.copy(from: constrained.model.parameters)
            _ = try constrained.trainStep(Self.images, batch, epoch: 1)
            twin.step = constrained.step - 1
            _ = try twin.trainStep(Self.images, batch, epoch: 1)
            let w = constrained.model.parameters.w1, free = twin.model.parameters.w1
            for j in 0..<hidden {
                let norm = MaxNorm.norm(w, row: j), unconstrained = MaxNorm.norm(free, row: j)
                #expect(norm <= Double(limit) + 1e-5, "step \(step), row \(j): norm \(norm) above \(limit)")
                let row = Array(UnsafeBufferPointer(start: w + j * Self.n, count: Self.n))
                let freeRow = Array(UnsafeBufferPointer(start: free + j * Self.n, count: Self.n))
                if unconstrained <= Double(limit) {
                    #expect(row == freeRow, "step \(step), row \(j) within the limit was changed")
                    keptRows += 1
                } else {
                    let factor = Float(Double(limit) / unconstrained)
                    #expect(row == freeRow.map { $0 * factor },
                            "step \(step), row \(j) not the free row scaled to \(limit)")
                    #expect(abs(norm - Double(limit)) <= 1e-5)
                    scaledRows += 1
                }
            }
        }
        #expect(scaledRows > 0 && keptRows > 0, "scaled \(scaledRows), kept \(keptRows): the limit tests nothing")
    }

    static func copy(_ p: Parameters) -> Parameters {
        let q = Parameters(hidden: p.hidden)
        q.copy(from: p)
        return q
    }
}
