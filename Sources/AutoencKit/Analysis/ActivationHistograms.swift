/// The two histograms of Srivastava et al. 2014, Fig. 8, for one model on a set of
/// images: each hidden unit's mean activation, and every activation.
public struct ActivationHistograms: Sendable {
    public var unitMeans: Histogram
    public var activations: Histogram

    /// Histograms of `statistics.unitMeans` over [0, unitUpper] and of `codes` (the
    /// activation matrix `statistics` measured) over [0, activationUpper], `bins` bins
    /// each; larger values land in the last bin.
    public init(codes: UnsafeBufferPointer<Float>, statistics: ActivationStatistics,
                unitUpper: Double, activationUpper: Double, bins: Int = 50) {
        unitMeans = Histogram(bins: bins, lower: 0, upper: unitUpper)
        unitMeans.add(statistics.unitMeans)
        activations = Histogram(bins: bins, lower: 0, upper: activationUpper)
        activations.add(UnsafeBufferPointer(rebasing: codes[0..<statistics.examples * statistics.units]))
    }

    /// Upper ends that show one model's values: 1 for sigmoid; for ReLU the largest
    /// unit mean and the 99.9th percentile of the activations (the rare larger ones
    /// would squeeze the rest into a few bins). Take the maximum over models to draw
    /// several on the same axes.
    public static func upperEnds(codes: UnsafeBufferPointer<Float>, statistics: ActivationStatistics,
                                 activation: Activation) -> (unit: Double, activation: Double) {
        guard activation == .relu else { return (1, 1) }
        let unit = Double(statistics.unitMeans.max() ?? 0)
        let values = UnsafeBufferPointer(rebasing: codes[0..<statistics.examples * statistics.units])
        let high = Double(Histogram.quantile(values, 0.999) ?? 0)
        return (unit > 0 ? unit : 1, high > 0 ? high : max(Double(statistics.maximum), 1))
    }
}

extension ActivationHistograms {
    /// Histograms of several models on the same axes: the upper ends are the largest
    /// of each model's `upperEnds`. codes: (statistics.examples, statistics.units) each.
    public static func sharedAxes(_ models: [(name: String, codes: FloatBuffer, statistics: ActivationStatistics)],
                                  activation: Activation, bins: Int = 50)
        -> [(name: String, histograms: ActivationHistograms, statistics: ActivationStatistics)] {
        func values(_ m: (name: String, codes: FloatBuffer,
                          statistics: ActivationStatistics)) -> UnsafeBufferPointer<Float> {
            UnsafeBufferPointer(start: m.codes.pointer, count: m.statistics.examples * m.statistics.units)
        }
        var unit = 0.0, all = 0.0
        for model in models {
            let ends = upperEnds(codes: values(model), statistics: model.statistics, activation: activation)
            unit = max(unit, ends.unit)
            all = max(all, ends.activation)
        }
        return models.map { model in
            (model.name, ActivationHistograms(codes: values(model), statistics: model.statistics,
                                              unitUpper: unit, activationUpper: all, bins: bins), model.statistics)
        }
    }
}
