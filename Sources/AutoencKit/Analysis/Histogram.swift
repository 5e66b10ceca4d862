/// Counts of values in equal-width bins over [lower, upper].
///
/// Bin i holds values in [lower + i w, lower + (i + 1) w), w = (upper - lower) / bins;
/// the last bin also holds `upper`. Values below `lower` are counted in the first bin
/// and values above `upper` in the last (`clampedBelow` / `clampedAbove` say how many);
/// NaN is not counted.
public struct Histogram: Sendable {
    public let lower: Double
    public let upper: Double
    public private(set) var counts: [Int]
    public private(set) var clampedBelow = 0
    public private(set) var clampedAbove = 0

    /// `bins` >= 1 bins over [lower, upper]; an empty or inverted range is widened to
    /// [lower, lower + 1].
    public init(bins: Int, lower: Double, upper: Double) {
        precondition(bins >= 1, "Histogram: at least one bin")
        self.lower = lower
        self.upper = upper > lower ? upper : lower + 1
        counts = [Int](repeating: 0, count: bins)
    }

    public var bins: Int { counts.count }
    public var binWidth: Double { (upper - lower) / Double(bins) }
    /// Values counted (NaN excluded).
    public var total: Int { counts.reduce(0, +) }

    /// The bin `value` falls into, nil for NaN.
    public func bin(of value: Double) -> Int? {
        guard !value.isNaN else { return nil }
        if value < lower { return 0 }
        if value >= upper { return bins - 1 }
        return min(bins - 1, Int((value - lower) / binWidth))
    }

    public mutating func add(_ value: Double) {
        guard let i = bin(of: value) else { return }
        if value < lower { clampedBelow += 1 }
        if value > upper { clampedAbove += 1 }
        counts[i] += 1
    }

    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        for v in values { add(Double(v)) }
    }

    public mutating func add(_ values: [Float]) {
        values.withUnsafeBufferPointer { add($0) }
    }

    /// The value below which a fraction `q` (0...1) of `values` lie (nearest rank on a
    /// sorted copy; NaN dropped); nil when there is no value. O(n log n).
    public static func quantile(_ values: UnsafeBufferPointer<Float>, _ q: Double) -> Float? {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
