import Foundation

/// A linear probe: softmax regression from hidden codes to class labels, which measures
/// how much of the label a code exposes to a linear read-out.
///
/// Features are standardized with the training codes' mean and standard deviation (a
/// constant feature becomes 0). Training is minibatch Adam on the mean cross-entropy,
/// weights starting at 0, the order of each epoch a shuffle keyed by (seed, epoch), so
/// a seed reproduces a probe. Products go through `BLAS.sgemm`.
public struct LinearProbe: Sendable {
    /// How a probe trains: epochs, minibatch size, Adam's learning rate and the shuffles' seed.
    public struct Options: Sendable {
        public var epochs = 10
        public var batchSize = 256
        public var learningRate: Float = 0.01
        public var seed: UInt64 = 0
        public init(seed: UInt64 = 0) { self.seed = seed }
    }

    public let features: Int
    public let classes: Int
    /// (classes, features), row-major, on standardized features.
    public private(set) var weights: [Float]
    public private(set) var bias: [Float]
    /// Per-feature mean and 1/std of the training codes (1/std is 0 for a constant feature).
    public private(set) var mean: [Float]
    public private(set) var inverseStd: [Float]

    /// Trains on `codes` (count, features) with `labels` (count values in 0..<classes).
    /// `progress` hears of the epochs done, after each.
    public init(codes: UnsafePointer<Float>, count: Int, features: Int, labels: [UInt8], classes: Int = 10,
                options: Options = Options(), progress: ProgressTask? = nil) {
        precondition(labels.count >= count, "LinearProbe: \(labels.count) labels for \(count) codes")
        precondition(labels.prefix(count).allSatisfy { Int($0) < classes },
                     "LinearProbe: labels must be below \(classes)")
        self.features = features
        self.classes = classes
        weights = [Float](repeating: 0, count: classes * features)
        bias = [Float](repeating: 0, count: classes)
        (mean, inverseStd) = Self.standardization(codes, count: count, features: features)
        guard count > 0 else { return }

        let batch = max(1, min(options.batchSize, count))
        var x = [Float](repeating: 0, count: batch * features)   // (b, f) standardized
        var g = [Float](repeating: 0, count: batch * classes)    // (b, c) logits, then dL/dlogits
        var gw = [Float](repeating: 0, count: classes * features)
        var gb = [Float](repeating: 0, count: classes)
        var adam = Adam(count: weights.count + classes, learningRate: options.learningRate)
        let epochs = max(1, options.epochs)
        let counter = progress?.start(total: epochs, unit: .epochs)
        for epoch in 1...epochs {
            let seed = RandomStream.key(seed: options.seed, .probe, 0, 0)
            let order = Trainer.order(count: count, seed: seed, epoch: epoch)
            var offset = 0
            while offset < count {
                let b = min(batch, count - offset)
                load(codes, order[offset..<offset + b], into: &x)
                logits(x, count: b, into: &g)
                // softmax cross-entropy: dL/dz = (softmax(z) - onehot(y)) / b
                for r in 0..<b {
                    Self.softmax(&g, row: r, classes: classes)
                    g[r * classes + Int(labels[Int(order[offset + r])])] -= 1
                }
                let invB = 1 / Float(b)
                for i in 0..<b * classes { g[i] *= invB }
                // g: (b, c), x: (b, f) -> gw = g^T x: (c, f)
                BLAS.sgemm(transA: true, transB: false, m: classes, n: features, k: b,
                           alpha: 1, a: g, lda: classes, b: x, ldb: features, beta: 0, c: &gw, ldc: features)
                for c in 0..<classes {
                    var s: Float = 0
                    for r in 0..<b { s += g[r * classes + c] }
                    gb[c] = s
                }
                adam.step(&weights, gw, offset: 0)
                adam.step(&bias, gb, offset: weights.count)
                adam.advance()
                offset += b
            }
            counter?.add(1)
        }
    }

    /// The predicted class of each of `count` codes (count, features).
    public func predict(_ codes: UnsafePointer<Float>, count: Int) -> [Int] {
        let chunk = 1024
        var x = [Float](repeating: 0, count: chunk * features)
        var z = [Float](repeating: 0, count: chunk * classes)
        var out: [Int] = []
        out.reserveCapacity(count)
        var start = 0
        while start < count {
            let m = min(chunk, count - start)
            load(codes, (Int32(start)..<Int32(start + m)).map { $0 }[...], into: &x)
            logits(x, count: m, into: &z)
            for r in 0..<m {
                var best = 0
                for c in 1..<classes where z[r * classes + c] > z[r * classes + best] { best = c }
                out.append(best)
            }
            start += m
        }
        return out
    }

    /// Fraction of `count` codes whose predicted class is their label.
    public func accuracy(_ codes: UnsafePointer<Float>, count: Int, labels: [UInt8]) -> Double {
        guard count > 0 else { return .nan }
        let predicted = predict(codes, count: count)
        var right = 0
        for i in 0..<count where predicted[i] == Int(labels[i]) { right += 1 }
        return Double(right) / Double(count)
    }

    // MARK: - Pieces

    /// Standardized rows `rows` of `codes` into x: (rows.count, features).
    func load(_ codes: UnsafePointer<Float>, _ rows: ArraySlice<Int32>, into x: inout [Float]) {
        var r = 0
        for row in rows {
            let source = codes + Int(row) * features
            for f in 0..<features { x[r * features + f] = (source[f] - mean[f]) * inverseStd[f] }
            r += 1
        }
    }

    /// z = x W^T + b. x: (m, features), W: (classes, features) -> z: (m, classes).
    func logits(_ x: [Float], count m: Int, into z: inout [Float]) {
        BLAS.sgemm(transA: false, transB: true, m: m, n: classes, k: features,
                   alpha: 1, a: x, lda: features, b: weights, ldb: features, beta: 0, c: &z, ldc: classes)
        for r in 0..<m {
            for c in 0..<classes { z[r * classes + c] += bias[c] }
        }
    }

    /// Row `row` of z (rows of `classes` logits) replaced by its softmax, computed stably.
    static func softmax(_ z: inout [Float], row: Int, classes: Int) {
        let base = row * classes
        var top = -Float.infinity
        for c in 0..<classes { top = max(top, z[base + c]) }
        var sum: Float = 0
        for c in 0..<classes {
            z[base + c] = Foundation.exp(z[base + c] - top)
            sum += z[base + c]
        }
        for c in 0..<classes { z[base + c] /= sum }
    }

    /// Per-feature mean and 1/std (population) over `count` rows, in Double.
    static func standardization(_ codes: UnsafePointer<Float>, count: Int, features: Int) -> ([Float], [Float]) {
        var sum = [Double](repeating: 0, count: features), squares = [Double](repeating: 0, count: features)
        for r in 0..<count {
            for f in 0..<features {
                let v = Double(codes[r * features + f])
                sum[f] += v
                squares[f] += v * v
            }
        }
        let n = Double(max(count, 1))
        var mean = [Float](repeating: 0, count: features), inverse = [Float](repeating: 0, count: features)
        for f in 0..<features {
            let m = sum[f] / n
            let variance = max(0, squares[f] / n - m * m)
            mean[f] = Float(m)
            inverse[f] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 0
        }
        return (mean, inverse)
    }

    /// Adam (Kingma and Ba) with the usual betas, over one flat parameter vector that
    /// the probe's weights and bias occupy at different offsets.
    struct Adam {
        var m: [Float], v: [Float]
        let learningRate: Float
        var t: Float = 1
        let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8

        init(count: Int, learningRate: Float) {
            m = [Float](repeating: 0, count: count)
            v = [Float](repeating: 0, count: count)
            self.learningRate = learningRate
        }

        mutating func step(_ p: inout [Float], _ g: [Float], offset: Int) {
            let c1 = 1 - Foundation.pow(beta1, t), c2 = 1 - Foundation.pow(beta2, t)
            for i in 0..<p.count {
                let j = offset + i
                m[j] = beta1 * m[j] + (1 - beta1) * g[i]
                v[j] = beta2 * v[j] + (1 - beta2) * g[i] * g[i]
                p[i] -= learningRate * (m[j] / c1) / ((v[j] / c2).squareRoot() + epsilon)
            }
        }

        mutating func advance() { t += 1 }
    }
}
