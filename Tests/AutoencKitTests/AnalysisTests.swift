import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The Fig. 8 measurements, the localization score, the linear probe, histograms and
/// the bitmap font, each on a case whose answer is known.
@Suite struct AnalysisTests {
    // MARK: - Activation statistics

    @Test("ReLU: mean activation, sparsity, dead units and unit means of a hand-built matrix")
    func reluStatistics() {
        // 3 examples x 4 units; units 0 and 3 never fire.
        let codes: [Float] = [0, 1, 2, 0,
                              0, 3, 0, 0,
                              0, 2, 4, 0]
        let s = ActivationStatistics(codes: codes, examples: 3, units: 4, activation: .relu)
        #expect(abs(s.meanActivation - 1.0) < 1e-12)
        #expect(abs(s.sparsity - 7.0 / 12) < 1e-12)
        #expect(s.deadUnits == 2)
        #expect(s.live == [false, true, true, false])
        #expect(zip(s.unitMeans, [0, 2, 2, 0] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(s.unitMeans)")
        #expect(s.maximum == 4)
    }

    @Test("sigmoid: below 0.05 is silent, 0.05 itself is active")
    func sigmoidStatistics() {
        // 3 examples x 3 units; unit 2 stays below the threshold everywhere.
        let codes: [Float] = [0.01, 0.5, 0.04,
                              0.04, 0.05, 0.049,
                              0.2, 0.049, 0.0]
        let s = ActivationStatistics(codes: codes, examples: 3, units: 3, activation: .sigmoid)
        #expect(abs(s.sparsity - 6.0 / 9) < 1e-12, "\(s.sparsity)")
        #expect(s.deadUnits == 1)
        #expect(s.live == [true, true, false])
        let mean = codes.reduce(0.0) { $0 + Double($1) } / 9
        #expect(abs(s.meanActivation - mean) < 1e-7)
    }

    // MARK: - Localization

    /// 28x28 weights whose energy w^2 is a Gaussian of standard deviation `sigma` around (cx, cy).
    static func blob(sigma: Double, cx: Double = 13.5, cy: Double = 13.5) -> [Float] {
        (0..<784).map { i in
            let dx = Double(i % 28) - cx, dy = Double(i / 28) - cy
            return Float(exp(-(dx * dx + dy * dy) / (4 * sigma * sigma)))
        }
    }

    static func noise(seed: UInt64) -> [Float] {
        var rng = RandomStream(seed: seed, .probe)
        return (0..<784).map { _ in rng.uniform(-1, 1) }
    }

    @Test("a single pixel scores the maximum, 1")
    func singlePixel() throws {
        for position in [0, 13 * 28 + 13, 783] {
            var w = [Float](repeating: 0, count: 784)
            w[position] = -0.3
            let score = try #require(Localization.score(w))
            #expect(abs(score - 1) < 1e-12, "pixel \(position): \(score)")
        }
    }

    @Test("a compact blob scores as the definition predicts, white noise near 0")
    func blobAgainstNoise() throws {
        let blob = try #require(Localization.score(Self.blob(sigma: 2)))
        // spread of an isotropic 2-D Gaussian energy: sigma sqrt(2)
        let predicted = 1 - 2 * 2.0.squareRoot() / Localization.uniformSpread
        #expect(abs(blob - predicted) < 0.01, "blob \(blob), predicted \(predicted)")
        for seed: UInt64 in 1...5 {
            let noise = try #require(Localization.score(Self.noise(seed: seed)))
            #expect(abs(noise) < 0.1, "noise seed \(seed): \(noise)")
            #expect(blob > noise + 0.5, "blob \(blob) vs noise \(noise)")
        }
        // a wider blob is less localized
        let wide = try #require(Localization.score(Self.blob(sigma: 4)))
        #expect(wide < blob - 0.1, "sigma 4: \(wide), sigma 2: \(blob)")
    }

    @Test("scaling the weights leaves the score unchanged", arguments: [Float(1e-6), 0.5, -3, 1e4])
    func scaleInvariance(factor: Float) throws {
        for w in [Self.blob(sigma: 3, cx: 8, cy: 20), Self.noise(seed: 9)] {
            let base = try #require(Localization.score(w))
            let scaled = try #require(Localization.score(w.map { $0 * factor }))
            #expect(abs(base - scaled) < 1e-6, "x\(factor): \(base) -> \(scaled)")
        }
    }

    @Test("all-zero weights have no score; the mean covers only the included units")
    func meanOverLiveUnits() {
        #expect(Localization.score([Float](repeating: 0, count: 784)) == nil)
        let parameters = Parameters(hidden: 3)
        parameters.w1.update(repeating: 0, count: 3 * 784)
        parameters.w1[5] = 2                                   // unit 0: one pixel, score 1
        let noise = Self.noise(seed: 3)
        for i in 0..<784 { parameters.w1[784 + i] = noise[i] } // unit 1: noise
        // unit 2: all zero, never counted
        #expect(abs(Localization.mean(parameters, include: { $0 == 0 }) - 1) < 1e-12)
        let both = Localization.mean(parameters)
        #expect(abs(both - (1 + Localization.score(noise)!) / 2) < 1e-12)
        #expect(Localization.mean(parameters, include: { $0 == 2 }).isNaN)
    }

    // MARK: - Linear probe

    /// `count` codes of `features` dimensions around one random center per class, and
    /// their labels (cycling through the classes).
    static func clusters(count: Int, features: Int, seed: UInt64, spread: Float) -> ([Float], [UInt8]) {
        var centers = RandomStream(seed: 77, .probe)
        let center = (0..<10 * features).map { _ in centers.uniform(-1, 1) }
        var rng = RandomStream(seed: seed, .probe)
        var codes: [Float] = [], labels: [UInt8] = []
        for i in 0..<count {
            let c = i % 10
            labels.append(UInt8(c))
            for f in 0..<features { codes.append(max(0, center[c * features + f] + spread * rng.uniform(-1, 1))) }
        }
        return (codes, labels)
    }

    @Test("linearly separable codes: the probe reaches ~100% on held-out codes")
    func separable() {
        let (train, trainLabels) = Self.clusters(count: 1000, features: 24, seed: 1, spread: 0.1)
        let (test, testLabels) = Self.clusters(count: 500, features: 24, seed: 2, spread: 0.1)
        let probe = LinearProbe(codes: train, count: 1000, features: 24, labels: trainLabels, options: .init(seed: 5))
        let accuracy = probe.accuracy(test, count: 500, labels: testLabels)
        #expect(accuracy >= 0.99, "accuracy \(accuracy)")
    }

    @Test("random labels: the probe is near chance on held-out codes, and a seed reproduces it")
    func randomLabels() {
        var rng = RandomStream(seed: 4, .probe)
        let features = 16
        let train = (0..<2000 * features).map { _ in rng.uniform(0, 1) }
        let test = (0..<2000 * features).map { _ in rng.uniform(0, 1) }
        let trainLabels = (0..<2000).map { _ in UInt8(rng.next() % 10) }
        let testLabels = (0..<2000).map { _ in UInt8(rng.next() % 10) }
        let probe = LinearProbe(codes: train, count: 2000, features: features, labels: trainLabels,
                                options: .init(seed: 1))
        let accuracy = probe.accuracy(test, count: 2000, labels: testLabels)
        #expect(accuracy > 0.05 && accuracy < 0.16, "accuracy \(accuracy), chance 0.1")
        let again = LinearProbe(codes: train, count: 2000, features: features, labels: trainLabels,
                                options: .init(seed: 1))
        #expect(again.weights == probe.weights)
    }

    @Test("a constant feature is ignored, not divided by zero")
    func constantFeature() {
        let (codes, labels) = Self.clusters(count: 1000, features: 12, seed: 3, spread: 0.05)
        var padded: [Float] = []
        for i in 0..<1000 { padded += codes[i * 12..<(i + 1) * 12] + [7] }
        let probe = LinearProbe(codes: padded, count: 1000, features: 13, labels: labels)
        #expect(probe.weights.allSatisfy { $0.isFinite })
        #expect(probe.inverseStd[12] == 0)
        #expect(probe.accuracy(padded, count: 1000, labels: labels) > 0.95)
    }

    // MARK: - Codes of a whole set

    @Test("codes of a set equal encode on the gathered images, with any number of threads")
    func codesMatchEncode() {
        let model = Autoencoder(config: ModelConfig(hidden: 8), seed: 3)
        var rng = RandomStream(seed: 6, .probe)
        let bytes = (0..<600 * 784).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let set = ImageSet(count: 600, bytes: bytes, source: "random")
        var x = [Float](repeating: 0, count: 600 * 784), expected = [Float](repeating: 0, count: 600 * 8)
        set.gather((0..<Int32(600)).map { $0 }[...], into: &x)
        model.encode(x, count: 600, into: &expected)
        for threads in [1, 2, 3] {
            let codes = model.codes(set, threads: threads, chunk: 97).array
            let worst = zip(codes, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, """
                threads \(threads): largest difference \(worst), \
                first \(codes.prefix(3)) vs \(expected.prefix(3))
                """)
        }
    }

    // MARK: - Histograms

    @Test("values land in the right bins; the ends clamp; NaN is skipped")
    func histogramBins() {
        var h = Histogram(bins: 4, lower: 0, upper: 1)
        h.add([0, 0.1, 0.25, 0.5, 0.99, 1.0, 1.5, -1, .nan])
        #expect(h.counts == [3, 1, 1, 3])
        #expect(h.total == 8)
        #expect(h.clampedBelow == 1)
        #expect(h.clampedAbove == 1)
        #expect(h.bin(of: 0.7499) == 2)
        #expect(h.bin(of: 0.75) == 3)
        #expect(h.bin(of: .nan) == nil)
    }

    @Test("quantiles by nearest rank")
    func quantiles() {
        let values: [Float] = (1...1001).map { Float($0) }.reversed()
        values.withUnsafeBufferPointer {
            #expect(Histogram.quantile($0, 0) == 1)
            #expect(Histogram.quantile($0, 0.5) == 501)
            #expect(Histogram.quantile($0, 0.999) == 1000)
            #expect(Histogram.quantile($0, 1) == 1001)
        }
        #expect([Float]().withUnsafeBufferPointer { Histogram.quantile($0, 0.5) } == nil)
    }

    @Test("a bar chart draws bars only over the non-empty bins, half as tall for half the count")
    func barChart() throws {
        var h = Histogram(bins: 10, lower: 0, upper: 10)
        h.add([2.5, 2.5, 2.5, 2.5, 7.5, 7.5])
        let chart = BarChart(title: "t", xLabel: "x", yLabel: "y")
        let sheet = HistogramSheet(title: "t", subtitle: nil, rows: [.init(name: "m", charts: [(chart, h)])])
        let image = try sheet.raster(scale: 1)
        // columns holding bar pixels, and each such column's bar height
        let blue = BarChart.bar
        var heights: [Int: Int] = [:]
        for x in 0..<image.width {
            let count = (0..<image.height).filter { y in
                let p = image[x, y]
                return p.red == blue.red && p.green == blue.green && p.blue == blue.blue
            }.count
            if count > 0 { heights[x] = count }
        }
        let columns = heights.keys.sorted()
        try #require(!columns.isEmpty)
        // the count axis runs to 4 (ticks 0...4): bars of 4 and 2 are the plot's height and half
        let tall = heights.values.max()!, short = heights.values.min()!
        #expect(abs(Double(short) / Double(tall) - 0.5) < 0.03, "bar heights \(short) and \(tall)")
        // two separate groups of columns: bins 2 and 7
        let gaps = zip(columns, columns.dropFirst()).filter { $1 - $0 > 1 }.count
        #expect(gaps == 1, "\(columns)")
    }

    // MARK: - Report

    @Test("the metrics JSON parses and carries every field; non-finite numbers are null")
    func reportJSON() throws {
        let statistics = ActivationStatistics(codes: [0, 1, 0, 3], examples: 2, units: 2, activation: .relu)
        var a = Diagnostics(name: "none", activation: .relu, testMSE: 0.02, statistics: statistics,
                            localization: 0.4, probeAccuracy: 0.8)
        a.extraMSE = [("test_mse_sample64", 0.021)]
        let b = Diagnostics(name: "q\"uote", activation: .relu, testMSE: .nan, statistics: statistics,
                            localization: .nan, probeAccuracy: nil)
        let text = Diagnostics.json([a, b], settings: [("seed", .number(3))])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let variants = try #require(object["variants"] as? [[String: Any]])
        #expect(variants.count == 2)
        #expect(variants[0]["name"] as? String == "none")
        #expect(variants[0]["test_mse_sample64"] as? Double == 0.021)
        #expect(variants[0]["dead_units"] as? Int == 1)
        #expect(variants[0]["sparsity"] as? Double == 0.5)
        #expect(variants[0]["mean_activation"] as? Double == 1)
        #expect(variants[1]["name"] as? String == "q\"uote")
        #expect(variants[1]["test_mse"] is NSNull)
        #expect(variants[1]["probe_accuracy"] is NSNull)
        #expect((object["settings"] as? [String: Any])?["seed"] as? Int == 3)
        let table = Diagnostics.table([a, b]).split(separator: "\n")
        #expect(table.count == 3)
        #expect(table[0].contains("test_mse_sample64"))
    }

    @Test("activations' outputs: histograms.png and metrics.json with the settings; a model's regularizer name")
    func activationsOutputs() throws {
        let dir = try TemporaryDirectory()
        let model = Autoencoder(config: ModelConfig(hidden: 4, dropP: 0.5, dropMode: .dropconnect), seed: 1)
        let test = ImageSet(count: 3, bytes: Fixtures.pixels(count: 3), source: "test")
        let (diagnostics, codes) = Diagnostics.evaluate(model, name: model.config.regularizerName, test: test,
                                                        train: nil, seed: 2, threads: 1)
        let files = try diagnostics.writeOutputs(codes: codes, model: "m.safetensors", data: "data",
                                                 testImages: test.count, seed: 2, directory: dir.path)
        #expect(files == ["histograms.png", "metrics.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == files)
        let json = try #require(FileManager.default.contents(atPath: dir.file("metrics.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect((object["variants"] as? [[String: Any]])?.first?["name"] as? String == "dropconnect")
        let settings = try #require(object["settings"] as? [String: Any])
        #expect(settings["model"] as? String == "m.safetensors" && settings["data"] as? String == "data")
        #expect(settings["test_images"] as? Int == 3 && settings["seed"] as? Int == 2)
        #expect(ModelConfig().regularizerName == "none" && ModelConfig(dropP: 0.2).regularizerName == "dropout")
    }

    @Test("the metric definitions name exactly the metrics metrics.json writes, in its order")
    func definitionsCoverMetrics() throws {
        let statistics = ActivationStatistics(codes: [0, 1, 0, 2], examples: 2, units: 2, activation: .relu)
        var diagnostics = Diagnostics(name: "dropconnect", activation: .relu, testMSE: 0.01,
                                      statistics: statistics, localization: 0.5, probeAccuracy: 0.9)
        diagnostics.extraMSE = [("test_mse_sample\(Diagnostics.dropConnectSamples)", 0.011)]
        let parsed = try JSONSerialization.jsonObject(with: Data(diagnostics.json.compact.utf8))
        let object = try #require(parsed as? [String: Any])
        let metrics = Set(object.keys).subtracting(["name", "activation", "units"])
        let terms = Diagnostics.definitions.map(\.term)
        #expect(Set(terms) == metrics)
        #expect(terms.count == Set(terms).count, "no metric defined twice")
        let offsets = terms.map { diagnostics.json.compact.range(of: "\"\($0)\":")?.lowerBound }
        #expect(offsets.compactMap { $0 } == offsets.compactMap { $0 }.sorted() && !offsets.contains(nil), "\(terms)")
        #expect(Diagnostics.definitions.allSatisfy { !$0.meaning.isEmpty && $0.meaning.hasSuffix(".") })
    }

    @Test("activations' header: the regularizer, its drop-p if any; the probe's images or why there is no probe")
    func activationsHeader() {
        let location = DataLocation(directory: "data")
        let dropConnect = ModelConfig(hidden: 16, activation: .sigmoid, dropP: 0.25, dropMode: .dropconnect)
        #expect(Diagnostics.header(model: "m.safetensors", config: dropConnect, location: location, testImages: 100,
                                   probeImages: 500) == [
            "model: m.safetensors (784-16-784 sigmoid, dropconnect drop-p 0.25)",
            "data: data (100 test images, probe trained on 500 labeled training images)",
        ])
        #expect(Diagnostics.header(model: "m.safetensors", config: ModelConfig(hidden: 16), location: location,
                                   testImages: 100, probeImages: nil) == [
            "model: m.safetensors (784-16-784 relu, none)",
            "data: data (100 test images, no label files: no probe)",
        ])
    }
}
