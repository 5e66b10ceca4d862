import Foundation

/// How concentrated a hidden unit's 784 input weights are in image space: a compact
/// blob scores near 1, white noise near 0.
///
/// Definition. Treat the weights' energy as a distribution over the 28x28 pixel
/// positions, p_j = w_j^2 / sum_k w_k^2. With the centroid mu = sum_j p_j x_j (x_j the
/// pixel's (column, row)), the spatial spread is s = sqrt(sum_j p_j |x_j - mu|^2), in
/// pixels. The score is
///
///     localization = 1 - s / s_uniform,   s_uniform = sqrt(2 (28^2 - 1) / 12) ~ 11.42,
///
/// the spread of the uniform distribution over the grid. A single pixel scores 1 (the
/// maximum), weights whose energy w^2 is a Gaussian blob of standard deviation sigma
/// pixels (well inside the grid) about 1 - sigma sqrt(2) / 11.42, and weights of equal energy everywhere (white noise,
/// in expectation) about 0. Energy
/// split between far-apart places spreads more than uniform and scores below 0 (down to
/// about -0.67 for two opposite corners). Multiplying the weights by any nonzero
/// constant leaves the score unchanged.
public enum Localization {
    public static let side = 28
    /// The spread of the uniform distribution over the 28x28 grid, in pixels.
    public static let uniformSpread = (2 * Double(side * side - 1) / 12).squareRoot()

    /// The score of one unit's weights `w` (784 floats, row-major 28x28); nil when they
    /// are all zero or not all finite.
    public static func score(_ w: UnsafePointer<Float>) -> Double? {
        var energy = 0.0, cx = 0.0, cy = 0.0
        for r in 0..<side {
            for c in 0..<side {
                let e = Double(w[r * side + c]) * Double(w[r * side + c])
                energy += e
                cx += e * Double(c)
                cy += e * Double(r)
            }
        }
        guard energy > 0, energy.isFinite else { return nil }
        cx /= energy
        cy /= energy
        var variance = 0.0
        for r in 0..<side {
            for c in 0..<side {
                let e = Double(w[r * side + c]) * Double(w[r * side + c])
                let dx = Double(c) - cx, dy = Double(r) - cy
                variance += e * (dx * dx + dy * dy)
            }
        }
        return 1 - (variance / energy).squareRoot() / uniformSpread
    }

    public static func score(_ w: [Float]) -> Double? {
        precondition(w.count == side * side, "Localization.score: expected \(side * side) weights, got \(w.count)")
        return w.withUnsafeBufferPointer { score($0.baseAddress!) }
    }

    /// The mean score over the units of `parameters` for which `include(unit)` holds
    /// (e.g. the live ones) and whose score is defined; NaN when there is none.
    public static func mean(_ parameters: Parameters, include: (Int) -> Bool = { _ in true }) -> Double {
        var total = 0.0, count = 0
        for unit in 0..<parameters.hidden where include(unit) {
            if let s = score(parameters.w1 + unit * ModelConfig.inputs) {
                total += s
                count += 1
            }
        }
        return count > 0 ? total / Double(count) : .nan
    }
}
