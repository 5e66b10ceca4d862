import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Inverted and classic dropout scaling: the same expected decoder pre-activation, the
/// inference-ready weights classic scaling saves, and exact resuming from them.
@Suite struct DropoutScalingTests {
    static let n = ModelConfig.inputs

    static let images: ImageSet = {
        var rng = TestRandom(21)
        let count = 40
        return ImageSet(count: count, bytes: (0..<count * n).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) },
                        source: "random")
    }()

    /// z2 = w2 h + b2 for one hidden vector h. w2: (784, hidden), h: (hidden) -> (784).
    static func decoderPreActivation(_ p: Parameters, _ h: UnsafePointer<Float>) -> [Double] {
        let hidden = p.hidden
        return (0..<n).map { i in
            var z = Double(p.b2[i])
            for j in 0..<hidden { z += Double(p.w2[i * hidden + j]) * Double(h[j]) }
            return z
        }
    }

    /// The decoder pre-activation is linear in the dropped hidden units, so its average
    /// over many training-mode masks must approach the inference-mode z2 computed with
    /// the inference-ready weights, under either rule. Per output pixel the draws have
    /// variance sum_j (w2_ij a_j s)² q (1 - q) (s the training factor of a kept unit), so
    /// the mean of `draws` of them is allowed 5 of its standard deviations.
    @Test(arguments: DropoutScaling.allCases)
    func trainingExpectationMatchesInference(_ scaling: DropoutScaling) {
        let hidden = 12, draws = 800, dropP: Float = 0.4
        let config = ModelConfig(hidden: hidden, activation: .relu, dropP: dropP, dropMode: .dropout, scaling: scaling)
        let model = Autoencoder(config: config, seed: 8)
        // biases leaning positive so that most units are on
        for j in 0..<hidden { model.parameters.b1[j] = 0.3 + 0.05 * Float(j) }
        var options = TrainingOptions()
        options.batchSize = 1
        let trainer = Trainer(model: model, options: options)
        let pass = trainer.pass
        pass.load(Self.images, [Int32(3)][...])

        // inference: codes a with the encoder as it is, z2 with the inference-ready weights
        let inference = trainer.inferenceModel()
        let codes = FloatBuffer(count: hidden)
        inference.encode(pass.input, count: 1, into: codes.pointer)
        let expected = Self.decoderPreActivation(inference.parameters, codes.pointer)
        let unscaled = Self.decoderPreActivation(model.parameters, codes.pointer)

        var mean = [Double](repeating: 0, count: Self.n)
        for s in 0..<draws {
            _ = pass.run(batch: 1,
                         step: UInt64(s)) // the step, without an update: hd is left as the forward pass made it
            let z = Self.decoderPreActivation(model.parameters, pass.hidden.pointer)
            for i in 0..<Self.n { mean[i] += z[i] / Double(draws) }
        }
        let q = 1 - Double(dropP), kept = scaling == .inverted ? 1 / q : 1
        var worst = (ratio: 0.0, what: "")
        var missedScale = 0
        for i in 0..<Self.n {
            var variance = 0.0
            for j in 0..<hidden {
                let t = Double(model.parameters.w2[i * hidden + j]) * Double(codes.pointer[j]) * kept
                variance += t * t * q * (1 - q)
            }
            let tolerance = 5 * (variance / Double(draws)).squareRoot() + 1e-5
            let ratio = abs(mean[i] - expected[i]) / tolerance
            if isWorse(ratio, than: worst.ratio) {
                worst = (ratio, """
                    pixel \(i): mean of \(draws) draws \(mean[i]), inference \(expected[i]), \
                    tolerance \(tolerance)
                    """)
            }
            if abs(mean[i] - unscaled[i]) > tolerance { missedScale += 1 }
        }
        #expect(worst.ratio <= 1, "\(scaling): \(worst.what)")
        if scaling == .classic {
            // the test has power: the unscaled decoder would miss on most pixels
            #expect(missedScale > Self.n / 2, "only \(missedScale) pixels tell w2 from w2 * (1 - p)")
        } else {
            #expect(inference === model, "inverted scaling evaluates the trained weights themselves")
        }
    }

    /// Classic scaling: the inference-ready copy is w2 * (1 - p) bit for bit, everything
    /// else as trained, and making it leaves the trained weights alone.
    @Test func classicInferenceWeights() throws {
        let config = ModelConfig(hidden: 8, dropP: 0.3, dropMode: .dropout, scaling: .classic)
        let model = Autoencoder(config: config, seed: 2)
        var options = TrainingOptions()
        options.batchSize = 8
        let trainer = Trainer(model: model, options: options)
        _ = try trainer.trainStep(Self.images, (0..<Int32(8)).map { $0 }[...], epoch: 1)
        let before = model.parameters.values
        let inference = trainer.inferenceModel().parameters
        #expect(model.parameters.values == before)
        let h = config.hidden, n = Self.n
        for i in 0..<(h * n) {
            try #require(inference.w2[i] == model.parameters.w2[i] * config.keepP)
            try #require(inference.w1[i] == model.parameters.w1[i])
        }
        for j in 0..<h { #expect(inference.b1[j] == model.parameters.b1[j]) }
        for i in 0..<n { #expect(inference.b2[i] == model.parameters.b2[i]) }
        // the epoch's test MSE is the inference-ready model's
        let report = try trainer.trainEpoch(Self.images.prefix(16), test: Self.images, epoch: 1)
        #expect(report.testMSE == trainer.inferenceModel().meanSquaredError(Self.images))
        #expect(report.testMSE != model.meanSquaredError(Self.images))
    }

    /// Stopping a classic-scaled run, saving the model file (inference-ready) and the
    /// state, loading both and continuing gives the weights of an uninterrupted run
    /// exactly: the state carries the unscaled decoder weights.
    @Test(arguments: [DropoutScaling.classic, .inverted])
    func resumeIsExact(_ scaling: DropoutScaling) throws {
        let config = ModelConfig(hidden: 8, activation: .sigmoid, dropP: 0.5, dropMode: .dropout, scaling: scaling,
                                 inputDropP: 0.2, maxNorm: 0.9)
        var options = TrainingOptions()
        options.batchSize = 8
        options.seed = 4
        let data = Self.images
        func batch(_ s: Int) -> ArraySlice<Int32> { (Int32(8 * (s % 5))..<Int32(8 * (s % 5) + 8)).map { $0 }[...] }

        let whole = Trainer(model: Autoencoder(config: config, seed: 4), options: options)
        for s in 0..<6 { _ = try whole.trainStep(data, batch(s), epoch: 1) }

        let first = Trainer(model: Autoencoder(config: config, seed: 4), options: options)
        for s in 0..<3 { _ = try first.trainStep(data, batch(s), epoch: 1) }
        let metadata = CheckpointMetadata(config: config, seed: 4, epoch: 0, dataset: "random")
        let (header, body) = Checkpoint.encode(first.inferenceModel().parameters, metadata: metadata)
        let loaded = try Checkpoint.decode(header + Array(body), path: "model.safetensors")
        #expect(loaded.config == config)
        let state = try TrainingState.decode(TrainingState(trainer: first, limit: nil, trainImages: 40,
                                                           epochsCompleted: 0).encode(),
                                             path: "model.state.safetensors")
        #expect(state.config == config)
        #expect(TrainingState.digest(loaded.parameters) == state.modelDigest)
        #expect((state.unscaledDecoderWeight != nil) == (scaling == .classic))

        let second = Trainer(model: loaded.model, options: options)
        state.restore(into: second)
        #expect(second.model.parameters.values == first.model.parameters.values)
        for s in 3..<6 { _ = try second.trainStep(data, batch(s), epoch: 1) }
        #expect(second.model.parameters.values == whole.model.parameters.values)
        #expect(second.inferenceModel().parameters.values == whole.inferenceModel().parameters.values)
    }

    /// A classic state file must carry the unscaled decoder weights.
    @Test func classicStateWithoutDecoderWeightsIsRefused() throws {
        let config = ModelConfig(hidden: 4, dropP: 0.5, dropMode: .dropout, scaling: .classic)
        let trainer = Trainer(model: Autoencoder(config: config, seed: 1), options: TrainingOptions())
        var state = TrainingState(trainer: trainer, limit: nil, trainImages: 10, epochsCompleted: 0)
        state.unscaledDecoderWeight = nil
        #expect {
            try TrainingState.decode(state.encode(), path: "x.state.safetensors")
        } throws: { error in
            "\(error)".contains("decoder") && (error as? AutoencError)?.status == .dataError
        }
    }

    /// The new settings are in the checkpoint's metadata and come back from it; files
    /// without them load with the defaults.
    @Test func metadataRoundTrip() throws {
        let config = ModelConfig(hidden: 4, dropP: 0.5, dropMode: .dropout, scaling: .classic,
                                 inputDropP: 0.2, maxNorm: 3.5)
        let p = Parameters(hidden: 4)
        p.initialize(seed: 1)
        let metadata = CheckpointMetadata(config: config, seed: 1, epoch: 1, dataset: "d")
        let (header, body) = Checkpoint.encode(p, metadata: metadata)
        let loaded = try Checkpoint.decode(header + Array(body), path: "m.safetensors")
        #expect(loaded.config == config)
        #expect(loaded.metadata["dropout_scaling"] == "classic")
        #expect(loaded.metadata["input_drop_p"] == "0.2")
        #expect(loaded.metadata["max_norm"] == "3.5")

        let plain = ModelConfig(hidden: 4)
        let plainMetadata = CheckpointMetadata(config: plain, seed: 1, epoch: 1, dataset: "d")
        let (h2, b2) = Checkpoint.encode(p, metadata: plainMetadata)
        let loadedPlain = try Checkpoint.decode(h2 + Array(b2), path: "m.safetensors")
        #expect(loadedPlain.metadata["max_norm"] == "none")
        #expect(loadedPlain.config == plain)

        func read(_ m: [String: String]) throws -> ModelConfig {
            try ModelConfig(metadata: m, hidden: 4, complete: false) { AutoencError.badData("m", $0) }
        }
        #expect(throws: AutoencError.self) { _ = try read(["dropout_scaling": "sideways"]) }
        #expect(throws: AutoencError.self) { _ = try read(["max_norm": "-1"]) }
        let c = try read([:])
        #expect(c == ModelConfig(hidden: 4))
    }
}
