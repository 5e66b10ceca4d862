import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Gaussian dropout's factors 1 + σ ε by their statistics over many draws, their keys,
/// and inference without noise or scaling.
@Suite struct GaussianDropoutTests {
    /// The factors of `examples` examples x `units` units, keys spread over steps and examples.
    static func factors(_ noise: GaussianNoise, examples: Int = 400, units: Int = 256) -> [Double] {
        (0..<examples).flatMap { e in
            let key = noise.key(step: UInt64(e / 20), example: e % 20)
            return (0..<units).map { Double(noise.factor(key: key, unit: $0)) }
        }
    }

    /// Over 102,400 draws: the mean within 5 standard errors of 1 (σ / sqrt(N)); the
    /// variance within 5 standard errors of σ² (a normal sample's variance has standard
    /// error σ² sqrt(2 / (N - 1))); skewness 0 and kurtosis 3 within 5 of their standard
    /// errors (sqrt(6 / N), sqrt(24 / N)); 68.27% of the factors within one σ of 1
    /// within 5 binomial standard errors.
    @Test(arguments: [Float(0.1), 0.2, 0.5, 0.8])
    func factorsHaveMeanOneAndVarianceSigmaSquared(dropP: Float) {
        let noise = GaussianNoise(dropP: dropP, seed: 17)
        let sigma2 = Double(dropP) / (1 - Double(dropP))
        #expect(abs(noise.sigma * noise.sigma - sigma2) <= 1e-12 * sigma2)
        let f = Self.factors(noise)
        let n = Double(f.count)
        let mean = f.reduce(0, +) / n
        let variance = f.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let sigma = sigma2.squareRoot()
        #expect(abs(mean - 1) < 5 * sigma / n.squareRoot(), "mean \(mean), expected 1 ± \(sigma / n.squareRoot())")
        let varianceError = sigma2 * (2 / (n - 1)).squareRoot()
        #expect(abs(variance - sigma2) < 5 * varianceError,
                "variance \(variance), expected \(sigma2) ± \(varianceError)")
        let eps = f.map { ($0 - 1) / sigma }
        let skewness = eps.reduce(0) { $0 + $1 * $1 * $1 } / n
        let kurtosis = eps.reduce(0) { $0 + $1 * $1 * $1 * $1 } / n
        #expect(abs(skewness) < 5 * (6 / n).squareRoot(), "skewness \(skewness)")
        #expect(abs(kurtosis - 3) < 5 * (24 / n).squareRoot(), "kurtosis \(kurtosis)")
        let within = Double(eps.filter { abs($0) < 1 }.count) / n, p1 = 0.682689492
        #expect(abs(within - p1) < 5 * (p1 * (1 - p1) / n).squareRoot(), "\(within) within one sigma, expected \(p1)")
    }

    /// Neighbouring units, and the same unit of neighbouring examples, are uncorrelated:
    /// correlations within 5 / sqrt(N) of 0.
    @Test func factorsAreUncorrelated() {
        let noise = GaussianNoise(dropP: 0.5, seed: 3)
        let units = 256, examples = 400
        let f = Self.factors(noise, examples: examples, units: units)
        func correlation(_ pairs: [(Double, Double)]) -> Double {
            let n = Double(pairs.count)
            let ma = pairs.reduce(0) { $0 + $1.0 } / n, mb = pairs.reduce(0) { $0 + $1.1 } / n
            let cov = pairs.reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
            let va = pairs.reduce(0) { $0 + ($1.0 - ma) * ($1.0 - ma) }
            let vb = pairs.reduce(0) { $0 + ($1.1 - mb) * ($1.1 - mb) }
            return cov / (va * vb).squareRoot()
        }
        let units1 = (0..<examples).flatMap { e in
            (0..<(units - 1)).map { (f[e * units + $0], f[e * units + $0 + 1]) }
        }
        let examples1 = (0..<(examples - 1)).flatMap { e in
            (0..<units).map { (f[e * units + $0], f[(e + 1) * units + $0]) }
        }
        for (what, pairs) in [("units j, j + 1", units1), ("examples e, e + 1", examples1)] {
            let r = correlation(pairs)
            #expect(abs(r) < 5 / Double(pairs.count).squareRoot(), "\(what): correlation \(r)")
        }
    }

    /// Same (seed, step, example): the same factors; any of them changed: others.
    @Test func factorsReproduceAndDiffer() {
        let noise = GaussianNoise(dropP: 0.5, seed: 3)
        func draw(_ g: GaussianNoise, step: UInt64, example: Int) -> [Float] {
            let key = g.key(step: step, example: example)
            return (0..<64).map { g.factor(key: key, unit: $0) }
        }
        let reference = draw(noise, step: 4, example: 2)
        #expect(draw(GaussianNoise(dropP: 0.5, seed: 3), step: 4, example: 2) == reference)
        for other in [draw(GaussianNoise(dropP: 0.5, seed: 4), step: 4, example: 2),
                      draw(noise, step: 5, example: 2), draw(noise, step: 4, example: 3)] {
            #expect(zip(other, reference).filter { $0 == $1 }.count == 0)
        }
        // not the streams of dropout's masks
        #expect(noise.key(step: 4, example: 2) != DropoutMask(dropP: 0.5, seed: 3).key(step: 4, example: 2))
    }

    /// Box-Muller at the ends of its range: u1 = 1 gives ε = 0 whatever u2; the smallest
    /// u1, 2^-32, gives the largest |ε|, sqrt(2 ln 2^32) ≈ 6.66, so every factor is finite.
    @Test func boxMullerBounds() {
        let largest = (2 * 32 * log(2.0)).squareRoot()
        let draws = Self.factors(GaussianNoise(dropP: 0.5, seed: 1), examples: 100)
        #expect(draws.allSatisfy { $0.isFinite && abs($0 - 1) <= largest + 1e-6 })
        #expect(abs(largest - 6.660) < 1e-3)
    }

    /// Inference uses the layer as it is: the same parameters reconstruct the same under
    /// Gaussian dropout as without a regularizer (no noise, no scaling).
    @Test func inferenceIsTheIdentity() {
        let plain = Autoencoder(config: ModelConfig(hidden: 8, activation: .sigmoid), seed: 4)
        let config = ModelConfig(hidden: 8, activation: .sigmoid, dropP: 0.5, dropMode: .gaussian)
        let gaussian = Autoencoder(config: config, parameters: plain.parameters)
        #expect(!gaussian.config.scalesForInference)
        let data = TrainingTests.shapes(count: 5)
        var a: [Float] = [], b: [Float] = []
        plain.reconstruct(data) { _, m, _, y in a += UnsafeBufferPointer(start: y, count: m * ModelConfig.inputs) }
        gaussian.reconstruct(data) { _, m, _, y in b += UnsafeBufferPointer(start: y, count: m * ModelConfig.inputs) }
        #expect(a == b && !a.isEmpty)
    }

    /// Checkpoint metadata: drop_mode "gaussian" reads back; classic scaling with it is refused.
    @Test func metadata() throws {
        let config = ModelConfig(hidden: 8, dropP: 0.3, dropMode: .gaussian)
        #expect(config.metadata["drop_mode"] == "gaussian")
        let back = try ModelConfig(metadata: config.metadata, hidden: nil, complete: true) {
            AutoencError(.dataError, $0)
        }
        #expect(back == config)
        var classic = config.metadata
        classic["dropout_scaling"] = "classic"
        #expect(throws: AutoencError.self) {
            try ModelConfig(metadata: classic, hidden: nil, complete: true) { AutoencError(.dataError, $0) }
        }
    }
}
