import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// DropConnect inference by Gaussian moment matching (`InferenceRule.sample`).
@Suite struct MomentMatchingTests {
    static let n = ModelConfig.inputs

    static let images: ImageSet = {
        var rng = TestRandom(41)
        let count = 30
        return ImageSet(count: count, bytes: (0..<count * n).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) },
                        source: "random")
    }()

    @Test func parsing() {
        #expect(InferenceRule("mean") == .mean)
        #expect(InferenceRule("sample:1") == .sample(1))
        #expect(InferenceRule("sample:64") == .sample(64))
        for bad in ["", "Mean", "sample", "sample:", "sample:0", "sample:-3", "sample:2.5", "samples:4",
                    "sample:4x", " mean"] {
            #expect(InferenceRule(bad) == nil, "\(bad.debugDescription) parsed")
        }
        #expect(InferenceRule.sample(8).description == "sample:8")
        // parsed, but past the draws a pass over the test set can afford (Limits.samples)
        #expect(InferenceRule.mean.problem == nil && InferenceRule.sample(1000).problem == nil)
        #expect(InferenceRule.sample(1001).problem == "--inference sample:K must be in 1...1000, got 1001")
    }

    /// With p = 0 the variance is 0, and for a dropout model sampling does not apply:
    /// sample:K then gives the mean network's reconstructions exactly.
    @Test(arguments: [
        ModelConfig(hidden: 8, activation: .relu, dropP: 0, dropMode: .dropconnect),
        ModelConfig(hidden: 8, activation: .sigmoid, dropP: 0.5, dropMode: .dropout),
    ])
    func withoutVarianceSampleIsMean(_ config: ModelConfig) {
        let model = Autoencoder(config: config, seed: 5)
        var mean: [Float] = [], sampled: [Float] = []
        model.reconstruct(Self.images, chunk: 7) { _, m, _, y in
            mean += UnsafeBufferPointer(start: y, count: m * Self.n)
        }
        model.reconstruct(Self.images, chunk: 7, inference: .sample(5)) { _, m, _, y in
            sampled += UnsafeBufferPointer(start: y, count: m * Self.n)
        }
        #expect(mean == sampled)
        #expect(model.meanSquaredError(Self.images, inference: .sample(3)) == model.meanSquaredError(Self.images))
    }

    /// An all-zero input has zero variance in every unit: codes exactly as `.mean`'s,
    /// even on a DropConnect model.
    @Test func zeroVarianceUnitsKeepTheMeanCode() {
        let model = Autoencoder(config: ModelConfig(hidden: 8, activation: .sigmoid, dropP: 0.5,
                                                    dropMode: .dropconnect), seed: 5)
        let x = FloatBuffer(count: Self.n)
        let a = FloatBuffer(count: 8), b = FloatBuffer(count: 8)
        model.encode(x.pointer, count: 1, into: a.pointer)
        model.encode(x.pointer, count: 1, into: b.pointer, inference: .sample(4))
        #expect(a.array == b.array)
    }

    /// The hand-checked case: three nonzero pixels x = (1, 0.5, 0.25), weights (0.4,
    /// -0.8, 2), bias 0.1, keep q = 0.5: E[u] = 0.4 - 0.4 + 0.5 + 0.1 = 0.6 and
    /// Var[u] = (1 - q)/q (0.4² + 0.4² + 0.5²) = 0.57. Then the same moments from the
    /// real DropConnect kernel over `draws` masks: the sample mean within 5 standard
    /// errors, the sample variance within 5 of its standard errors (from the sample's
    /// fourth central moment), at the bit resolution (p = 0.5) and the byte one (p = 0.3).
    @Test(arguments: [Float(0.5), 0.3])
    func momentsMatchRealMasks(_ dropP: Float) {
        // w: one unit's weights, which are also w1^T for hidden = 1 (16 floats of slack)
        let w = FloatBuffer(count: Self.n + 16), x = FloatBuffer(count: Self.n)
        for (i, (wi, xi)) in [(Float(0.4), Float(1)), (-0.8, 0.5), (2, 0.25)].enumerated() {
            // spread over chunks and lanes of the mask layout
            let column = [5, 300, 777][i]
            w.pointer[column] = wi
            x.pointer[column] = xi
        }
        let mask = DropConnectMask(dropP: dropP, seed: 12, layout: .inputRows(hidden: 1))
        let q = Double(mask.keepProbability)
        let (mean, variance) = MomentMatchedEncoder.moments(w: w.pointer, x: x.pointer, bias: 0.1,
                                                            keep: mask.keepProbability)
        #expect(abs(mean - 0.6) <= 1e-7)
        #expect(abs(variance - (1 - q) / q * 0.57) <= 1e-7)
        if dropP == 0.5 { #expect(abs(variance - 0.57) <= 1e-7) }

        let draws = 20000
        let keys = (0..<draws).map { mask.key(step: UInt64($0), example: 0) }
        let z = FloatBuffer(count: draws)
        let pixels = NonzeroPixels(capacity: 1)
        pixels.collect(x.pointer, examples: 0..<1)
        keys.withUnsafeBufferPointer { k in
            for d in 0..<draws {
                // x: (1, 784), w1^T: (784, 1) -> z1: (1, 1)
                DropConnectKernels.forward(mask: mask, keys: k.baseAddress! + d, pixels: pixels, examples: 0..<1,
                                           w1t: w.pointer, z1: z.pointer + d, hidden: 1)
            }
        }
        let u = z.array.map { Double($0) + 0.1 }
        let sampleMean = u.reduce(0, +) / Double(draws)
        let m2 = u.map { ($0 - sampleMean) * ($0 - sampleMean) }.reduce(0, +) / Double(draws)
        let m4 = u.map { pow($0 - sampleMean, 4) }.reduce(0, +) / Double(draws)
        let meanTolerance = 5 * (variance / Double(draws)).squareRoot()
        let varianceTolerance = 5 * ((m4 - m2 * m2) / Double(draws)).squareRoot()
        #expect(abs(sampleMean - mean) <= meanTolerance,
                "p \(dropP): mean over masks \(sampleMean), formula \(mean), tolerance \(meanTolerance)")
        #expect(abs(m2 - variance) <= varianceTolerance,
                "p \(dropP): variance over masks \(m2), formula \(variance), tolerance \(varianceTolerance)")
    }

    /// The fast path's moments (two products) against the plain reference on a whole
    /// random model and images, and its codes against the closed form of
    /// E[relu(N(μ, σ²))] = μ Φ(μ/σ) + σ φ(μ/σ) with many draws (5 standard errors of the
    /// draws' mean, the spread of relu(u) being at most sqrt(μ² + σ²)).
    @Test func sampledCodesMatchTheGaussian() throws {
        let hidden = 4, count = 3, draws = 20000
        let model = Autoencoder(config: ModelConfig(hidden: hidden, activation: .relu, dropP: 0.5,
                                                    dropMode: .dropconnect), seed: 9)
        for j in 0..<hidden { model.parameters.b1[j] = -0.1 + 0.1 * Float(j) }
        let encoder = try #require(MomentMatchedEncoder(model: model, rule: .sample(draws), capacity: count, seed: 3))
        let x = FloatBuffer(count: count * Self.n)
        Self.images.gather((0..<Int32(count)).map { $0 }[...], into: x.pointer)
        let codes = FloatBuffer(count: count * hidden)
        encoder.encode(x.pointer, count: count, firstImage: 10, into: codes.pointer)
        var worst = (ratio: 0.0, what: "")
        for b in 0..<count {
            for j in 0..<hidden {
                let (mu, variance) = MomentMatchedEncoder.moments(w: model.parameters.w1 + j * Self.n,
                                                                  x: x.pointer + b * Self.n,
                                                                   bias: model.parameters.b1[j], keep: encoder.keep)
                // fast path's products against the reference
                let fastMean = Double(encoder.preActivation.pointer[b * hidden + j]) + Double(model.parameters.b1[j])
                let fastVariance = Double(encoder.variance.pointer[b * hidden + j])
                    * Double((1 - encoder.keep) / encoder.keep)
                #expect(abs(fastMean - mu) <= 1e-4 * max(1, abs(mu)), "mean \(fastMean) vs \(mu)")
                #expect(abs(fastVariance - variance) <= 1e-4 * variance, "variance \(fastVariance) vs \(variance)")
                let sigma = variance.squareRoot(), t = mu / sigma
                let expected = mu * 0.5 * erfc(-t / 2.0.squareRoot())
                    + sigma * exp(-t * t / 2) / (2 * Double.pi).squareRoot()
                let tolerance = 5 * ((mu * mu + variance) / Double(draws)).squareRoot()
                let ratio = abs(Double(codes.pointer[b * hidden + j]) - expected) / tolerance
                if isWorse(ratio, than: worst.ratio) {
                    worst = (ratio, """
                        image \(b) unit \(j): sampled \(codes.pointer[b * hidden + j]), E[relu] \(expected), \
                        tolerance \(tolerance)
                        """)
                }
            }
        }
        #expect(worst.ratio <= 1, "\(worst.what)")
    }

    /// The draws are keyed by image index: chunks and threads do not change the result
    /// beyond rounding; the seed does change it.
    ///
    /// Chunks change the shapes of the encoder's BLAS products, and OpenBLAS picks the
    /// order of a sum's terms by shape and CPU. The outputs are sigmoids (slope <= 1/4)
    /// of 8-term sums over codes that are averages of ReLUs of 784-term sums; reordering
    /// moves such a sum by a few 2^-24 of its terms' magnitudes (about 1e-6 of a code
    /// here), so the outputs may differ by 1e-5. Draws keyed by the wrong image differ by
    /// the sampling noise itself, about 1e-2 (`whole != reseeded` below).
    @Test func sampledMSEIndependentOfChunksAndThreads() {
        let model = Autoencoder(config: ModelConfig(hidden: 8, activation: .sigmoid, dropP: 0.3,
                                                    dropMode: .dropconnect), seed: 6)
        var whole: [Float] = [], chunked: [Float] = []
        model.reconstruct(Self.images, inference: .sample(4)) { _, m, _, y in
            whole += UnsafeBufferPointer(start: y, count: m * Self.n)
        }
        model.reconstruct(Self.images, chunk: 4, inference: .sample(4)) { _, m, _, y in
            chunked += UnsafeBufferPointer(start: y, count: m * Self.n)
        }
        #expect(whole.count == chunked.count)
        #expect(largestDifference(chunked, whole).difference <= 1e-5,
                "chunks of 4 against one chunk: \(comparison(chunked, whole))")
        var reseeded: [Float] = []
        model.reconstruct(Self.images, inference: .sample(4),
                          seed: 1) { _, m, _, y in reseeded += UnsafeBufferPointer(start: y, count: m * Self.n) }
        #expect(largestDifference(reseeded, whole).difference > 1e-3,
                "another seed's draws: \(comparison(reseeded, whole))")
        let one = model.meanSquaredError(Self.images, threads: 1, inference: .sample(4))
        let mean = model.meanSquaredError(Self.images)
        #expect(one != mean)
        #expect(abs(one - mean) < 0.05 * mean, "sampled \(one) far from mean \(mean)")
    }
}
