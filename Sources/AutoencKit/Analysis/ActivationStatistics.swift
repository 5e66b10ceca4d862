/// What the hidden units do on a set of images (Srivastava et al. 2014, Fig. 8): how
/// strongly they respond on average, how often they are silent, and which never respond.
///
/// A unit is *active* on an example when its activation is > 0 (ReLU) or >= 0.05
/// (sigmoid, which is never exactly 0); otherwise it is *silent*.
public struct ActivationStatistics: Sendable {
    /// Examples (rows) and hidden units (columns) of the activation matrix measured.
    public var examples: Int
    public var units: Int
    /// Mean over every example and unit of the activation.
    public var meanActivation: Double
    /// Fraction of all activations that are silent: exactly 0 for ReLU, below 0.05 for sigmoid.
    public var sparsity: Double
    /// Units silent on every example.
    public var deadUnits: Int
    /// Whether each unit is active on at least one example.
    public var live: [Bool]
    /// Each unit's mean activation over the examples (Fig. 8, left).
    public var unitMeans: [Float]
    /// The largest activation seen.
    public var maximum: Float

    /// The activation at or above which a sigmoid unit counts as active.
    public static let sigmoidThreshold: Float = 0.05

    /// Whether activation `a` counts as active for `activation`.
    @inline(__always)
    public static func isActive(_ a: Float, _ activation: Activation) -> Bool {
        activation == .relu ? a > 0 : a >= sigmoidThreshold
    }

    /// Measures `codes`, an activation matrix (examples, units), row-major.
    /// O(examples * units); sums in Double.
    public init(codes: UnsafeBufferPointer<Float>, examples: Int, units: Int, activation: Activation) {
        precondition(codes.count >= examples * units, "ActivationStatistics: \(codes.count) "
            + "values for \(examples) x \(units)")
        self.examples = examples
        self.units = units
        var sums = [Double](repeating: 0, count: units)
        var live = [Bool](repeating: false, count: units)
        var silent = 0
        var maximum = -Float.infinity
        for e in 0..<examples {
            let row = codes.baseAddress! + e * units
            for u in 0..<units {
                let a = row[u]
                sums[u] += Double(a)
                maximum = max(maximum, a)
                if Self.isActive(a, activation) { live[u] = true } else { silent += 1 }
            }
        }
        let total = Double(examples * units)
        meanActivation = examples * units > 0 ? sums.reduce(0, +) / total : .nan
        sparsity = examples * units > 0 ? Double(silent) / total : .nan
        deadUnits = live.filter { !$0 }.count
        self.live = live
        unitMeans = sums.map { Float($0 / Double(max(examples, 1))) }
        self.maximum = maximum
    }

    public init(codes: [Float], examples: Int, units: Int, activation: Activation) {
        self = codes.withUnsafeBufferPointer { .init(codes: $0, examples: examples, units: units,
                                                     activation: activation) }
    }

    /// Measures `model`'s codes of every image of `test` (`Autoencoder.codes`, on
    /// `threads` threads), as `Diagnostics.measure` does. Throws `.dataError` naming the
    /// file when `test` holds no image: every unit would count as dead.
    public init(_ model: Autoencoder, on test: ImageSet, threads: Int = 1) throws {
        guard test.count > 0 else {
            throw AutoencError.badData(test.source, "expected at least one test image, found none")
        }
        let h = model.config.hidden
        let codes = model.codes(test, threads: threads)
        self = withExtendedLifetime(codes) {
            ActivationStatistics(codes: UnsafeBufferPointer(start: codes.pointer, count: test.count * h),
                                 examples: test.count, units: h, activation: model.config.activation)
        }
    }
}
