import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Inference (encode, decode, test MSE) against the training pass, and the parameter
/// layout and initialization it relies on.
@Suite struct InferenceTests {
    static let images: ImageSet = {
        var rng = TestRandom(77)
        let count = 300
        return ImageSet(count: count, bytes: (0..<count * 784).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                        source: "random")
    }()

    /// The test MSE of the plain model equals the training pass's loss on the same
    /// images (no regularizer: the same function), and a regularized model is evaluated
    /// with every unit and connection kept, unscaled, i.e. as the plain one.
    @Test(arguments: [
        ModelConfig(hidden: 12, activation: .relu),
        ModelConfig(hidden: 12, activation: .sigmoid),
        ModelConfig(hidden: 12, activation: .relu, dropP: 0.5, dropMode: .dropout),
        ModelConfig(hidden: 12, activation: .sigmoid, dropP: 0.3, dropMode: .dropconnect, masks: .example),
    ])
    func testMSEIsTheUnregularizedLoss(config: ModelConfig) {
        let model = Autoencoder(config: config, seed: 4)
        let subset = Self.images.prefix(20)
        let mse = model.meanSquaredError(subset)
        var plainConfig = config
        plainConfig.dropP = 0
        let pass = TrainingPass(model: Autoencoder(config: plainConfig, parameters: model.parameters),
                                maxBatch: 20, seed: 1)
        pass.load(subset, (0..<Int32(20)).map { $0 }[...])
        let loss = Double(pass.run(batch: 20, step: 0))
        #expect(abs(mse - loss) <= 1e-5 * loss, "inference MSE \(mse), training loss \(loss)")
    }

    /// Splitting the evaluation over threads and chunks changes only rounding: the sums'
    /// order, and the products' (BLAS blocks a 7-row product differently from a 300-row
    /// one), each reconstruction to ~1e-7 relative, so the MSE to well within 1e-6.
    @Test func testMSEIndependentOfThreadsAndChunks() {
        let model = Autoencoder(config: ModelConfig(hidden: 10), seed: 2)
        let one = model.meanSquaredError(Self.images, threads: 1)
        let two = model.meanSquaredError(Self.images, threads: 2)
        #expect(abs(one - two) <= 1e-6 * one, "\(one) vs \(two)")
        var chunked = 0.0
        model.reconstruct(Self.images, chunk: 7) { _, m, x, y in
            chunked += Layers.sumSquaredError(x, y, count: m * 784)
        }
        chunked /= Double(Self.images.count * 784)
        #expect(abs(one - chunked) <= 1e-6 * one, "\(one) vs chunks of 7: \(chunked)")
    }

    /// Reconstructions visit every image once, in order, in [0, 1].
    @Test func reconstructCoversTheSet() {
        let model = Autoencoder(config: ModelConfig(hidden: 10), seed: 2)
        var starts: [Int] = [], total = 0
        var outside = 0
        model.reconstruct(Self.images, range: 5..<123, chunk: 50) { start, m, _, y in
            starts.append(start)
            total += m
            for i in 0..<m * 784 where !(y[i] >= 0 && y[i] <= 1) { outside += 1 }
        }
        #expect(starts == [5, 55, 105] && total == 118)
        #expect(outside == 0)
    }

    // MARK: - Parameters

    @Test func layoutMatchesTensors() {
        let h = 9, n = ModelConfig.inputs
        let p = Parameters(hidden: h)
        #expect(p.count == 2 * h * n + h + n)
        let pointers = [p.w1, p.b1, p.w2, p.b2]
        for (tensor, pointer) in zip(p.tensors, pointers) {
            #expect(p.base + tensor.offset == pointer, "\(tensor.name) offset")
        }
        #expect(p.tensors.map(\.name) == Parameters.tensorNames)
        #expect(p.tensors.map(\.shape) == [[h, n], [h], [n, h], [n]])
        let last = p.tensors.last!
        #expect(last.offset + last.shape.reduce(1, *) == p.count)
    }

    /// PyTorch's nn.Linear initialization: uniform in ±1/sqrt(fan_in), so variance
    /// bound²/3, reproducible from the seed.
    @Test func initialization() {
        let h = 64, n = ModelConfig.inputs
        let p = Parameters(hidden: h)
        p.initialize(seed: 11)
        let again = Parameters(hidden: h)
        again.initialize(seed: 11)
        #expect(p.values == again.values)
        let other = Parameters(hidden: h)
        other.initialize(seed: 12)
        #expect(p.values != other.values)
        let groups: [(String, ArraySlice<Float>, Double)] = [
            ("encoder", p.values[0..<(h * n + h)], 1 / Double(n).squareRoot()),
            ("decoder", p.values[(h * n + h)...], 1 / Double(h).squareRoot()),
        ]
        for (name, values, bound) in groups {
            let count = Double(values.count)
            #expect(values.allSatisfy { abs(Double($0)) <= bound }, "\(name) outside ±\(bound)")
            let mean = values.reduce(0.0) { $0 + Double($1) } / count
            let variance = values.reduce(0.0) { $0 + Double($1) * Double($1) } / count - mean * mean
            let expected = bound * bound / 3
            // sd of the mean: sqrt(var / count); of the variance: sqrt(4/45 bound⁴ / count)
            #expect(abs(mean) < 5 * (expected / count).squareRoot(), "\(name) mean \(mean)")
            #expect(abs(variance - expected) < 5 * (4.0 / 45 * bound * bound * bound * bound / count).squareRoot(),
                    "\(name) variance \(variance), expected \(expected)")
        }
    }
}
