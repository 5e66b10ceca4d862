import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Dropout masks by their statistics, and the scaling the training pass applies.
@Suite struct DropoutTests {
    /// Binomial standard deviation of a fraction estimated from `n` draws.
    static func sd(_ p: Double, _ n: Int) -> Double { (p * (1 - p) / Double(n)).squareRoot() }

    @Test(arguments: [Float(0.1), 0.3, 0.5, 0.8])
    func keepFraction(dropP: Float) {
        let mask = DropoutMask(dropP: dropP, seed: 17)
        #expect(mask.scale == 1 / (1 - dropP))
        let keys = 400, units = 256
        var kept = 0, bothKept = 0
        for e in 0..<keys {
            let key = mask.key(step: UInt64(e / 20), example: e % 20)
            var previous = false
            for unit in 0..<units {
                let k = mask.keeps(key: key, unit: unit)
                if k { kept += 1 }
                // Units 2m and 2m + 1 share a random word (its two halves).
                if unit % 2 == 1 && k && previous { bothKept += 1 }
                previous = k
            }
        }
        let keep = 1 - Double(dropP), n = keys * units
        let fraction = Double(kept) / Double(n)
        let sd = Self.sd(keep, n)
        #expect(abs(fraction - keep) < 5 * sd, "kept \(fraction), expected \(keep) ± \(sd)")
        // The two halves are independent: both kept with probability keep².
        let pairs = n / 2, both = Double(bothKept) / Double(pairs)
        #expect(abs(both - keep * keep) < 5 * Self.sd(keep * keep, pairs),
                "pairs kept \(both), expected \(keep * keep)")
    }

    /// The kernels' dropout of a row (`Kernels.dropout`, what the training pass runs) at
    /// every level against `DropoutMask.keeps`, the definition: each value times the
    /// mask's scale where the unit keeps and times 0 where it drops, one rounding of the
    /// same product, so equal bit for bit. Rows of 1 to 40 units (whole vectors of 16 and
    /// every tail), 256 and 784 (the input's pixels); p = 0 has the threshold 2^32, where
    /// every unit keeps. Without a gate (input dropout) the row comes out the same.
    @Test(arguments: KernelLevel.supported)
    func kernelMatchesTheMask(level: KernelLevel) {
        var rng = TestRandom(5)
        for dropP in [Float(0.5), 0.1, 0] {
            let mask = DropoutMask(dropP: dropP, seed: 11)
            for units in Array(1...40) + [256, 784] {
                let key = mask.key(step: 3, example: units)
                let z = rng.floats(units, -2, 2), gate = rng.floats(units, 0, 1)
                var zOut = z, gateOut = gate, zAlone = z
                Kernels(level).dropout(&zOut, gate: &gateOut, key: key, units: units, mask: mask)
                Kernels(level).dropout(&zAlone, gate: nil, key: key, units: units, mask: mask)
                let factors = (0..<units).map { mask.keeps(key: key, unit: $0) ? mask.scale : 0 }
                let expected = zip(z, factors).map { $0 * $1 } + zip(gate, factors).map { $0 * $1 }
                let got = zOut + gateOut
                #expect(zAlone.map(\.bitPattern) == zOut.map(\.bitPattern), "\(level), \(units) units, no gate")
                let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                let largest = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(differing == 0, """
                    \(level) p \(dropP), \(units) units: \(differing) values differ from the mask's \
                    (largest difference \(largest))
                    """)
            }
        }
    }

    /// Same (seed, step, example): same mask; any of them changed: a different one.
    @Test func masksReproduceAndDiffer() {
        let mask = DropoutMask(dropP: 0.5, seed: 3)
        func bits(_ m: DropoutMask, step: UInt64, example: Int) -> [Bool] {
            let key = m.key(step: step, example: example)
            return (0..<512).map { m.keeps(key: key, unit: $0) }
        }
        let reference = bits(mask, step: 4, example: 2)
        #expect(bits(DropoutMask(dropP: 0.5, seed: 3), step: 4, example: 2) == reference)
        for other in [bits(DropoutMask(dropP: 0.5, seed: 4), step: 4, example: 2),
                      bits(mask, step: 5, example: 2), bits(mask, step: 4, example: 3)] {
            // Independent masks at keep 1/2 disagree on half the units.
            let differing = zip(other, reference).filter { $0 != $1 }.count
            #expect(abs(Double(differing) / 512 - 0.5) < 5 * Self.sd(0.5, 512), "\(differing) of 512 units differ")
        }
    }

    @Test func extremes() {
        let none = DropoutMask(dropP: 0, seed: 1)
        let key = none.key(step: 0, example: 0)
        #expect((0..<1000).allSatisfy { none.keeps(key: key, unit: $0) })
        #expect(none.scale == 1)
        let most = DropoutMask(dropP: 0.99, seed: 1)
        let kept = (0..<10_000).filter { most.keeps(key: most.key(step: 0, example: $0 / 100), unit: $0 % 100) }.count
        #expect(abs(Double(kept) / 10_000 - 0.01) < 5 * Self.sd(0.01, 10_000), "kept \(kept) of 10000 at p = 0.99")
    }

    // MARK: - In the training pass

    static let hidden = 32, batch = 8

    static func model(_ config: ModelConfig, parameters: Parameters? = nil) -> Autoencoder {
        if let parameters { return Autoencoder(config: config, parameters: parameters) }
        return Autoencoder(config: config, seed: 21)
    }

    static let inputs: [Float] = {
        var rng = TestRandom(8)
        return rng.floats(batch * ModelConfig.inputs, 0, 1)
    }()

    /// The hidden activations a pass leaves behind (after dropout): (batch, hidden).
    static func activations(_ model: Autoencoder, step: UInt64) -> [Float] {
        let pass = TrainingPass(model: model, maxBatch: batch, seed: 99)
        inputs.withUnsafeBufferPointer { pass.input.update(from: $0.baseAddress!, count: $0.count) }
        pass.run(batch: batch, step: step)
        return Array(UnsafeBufferPointer(start: pass.hidden.pointer, count: batch * hidden))
    }

    /// Each dropped activation is 0 or the plain one divided by 1 - p; over many steps
    /// a fraction 1 - p is kept and the mean equals the plain activation (5 sigma).
    @Test(arguments: [(Activation.sigmoid, Float(0.5)), (.relu, 0.2), (.sigmoid, 0.7)])
    func passScalesKeptUnits(activation: Activation, dropP: Float) {
        let plainModel = Self.model(ModelConfig(hidden: Self.hidden, activation: activation))
        let plain = Self.activations(plainModel, step: 0)
        let dropped = Self.model(ModelConfig(hidden: Self.hidden, activation: activation, dropP: dropP,
                                             dropMode: .dropout),
                                 parameters: plainModel.parameters)
        let steps = 60
        let keep = Double(1 - dropP), scale = 1 / Float(1 - dropP)
        var sums = [Double](repeating: 0, count: plain.count)
        var kept = 0, counted = 0, malformed = 0
        for step in 0..<steps {
            let a = Self.activations(dropped, step: UInt64(step))
            for i in a.indices {
                if a[i] == 0 && plain[i] != 0 { counted += 1; continue }
                if plain[i] == 0 { continue } // an inactive ReLU unit says nothing
                if abs(a[i] - plain[i] * scale) > 1e-6 * abs(plain[i] * scale) { malformed += 1 }
                kept += 1
                counted += 1
                sums[i] += Double(a[i])
            }
        }
        #expect(malformed == 0, "\(malformed) activations neither 0 nor scaled by 1 / (1 - p)")
        let fraction = Double(kept) / Double(counted)
        #expect(abs(fraction - keep) < 5 * Self.sd(keep, counted), "kept \(fraction), expected \(keep)")
        // The mean over steps of every activation: sd of one draw is a * sqrt(p / (1 - p)).
        var worst = (z: 0.0, i: 0)
        for i in plain.indices where plain[i] != 0 {
            let mean = sums[i] / Double(steps)
            let sd = Double(abs(plain[i])) * (Double(dropP) / keep / Double(steps)).squareRoot()
            let z = abs(mean - Double(plain[i])) / sd
            if isWorse(z, than: worst.z) { worst = (z, i) }
        }
        // 256 activations: 5.5 sigma keeps the chance of a false alarm below 1e-5.
        #expect(worst.z < 5.5,
                "activation \(worst.i): mean \(sums[worst.i] / Double(steps)) vs \(plain[worst.i]), \(worst.z) sigma")
        // And over all of them together, the total is preserved.
        let total = plain.reduce(0.0) { $0 + Double($1) }, totalMean = sums.reduce(0, +) / Double(steps)
        let sumOfSquares = plain.reduce(0.0) { $0 + Double($1) * Double($1) }
        let totalSD = (sumOfSquares * Double(dropP) / keep / Double(steps)).squareRoot()
        #expect(abs(totalMean - total) < 5 * totalSD, "sum of means \(totalMean) vs \(total) ± \(totalSD)")
    }

    /// With p = 0 the dropout configuration is the plain layer, bit for bit.
    @Test func zeroPIsThePlainLayer() {
        let plain = Self.model(ModelConfig(hidden: Self.hidden))
        let zero = Self.model(ModelConfig(hidden: Self.hidden, dropP: 0, dropMode: .dropout),
                              parameters: plain.parameters)
        #expect(Self.activations(plain, step: 3).map(\.bitPattern) == Self.activations(zero, step: 3).map(\.bitPattern))
    }
}
