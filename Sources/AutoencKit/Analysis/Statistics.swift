import Foundation

/// A metric measured over several seeds: its values, their mean, sample standard deviation
/// and a 95% confidence interval of the mean (Student's t with n - 1 degrees of freedom).
///
/// With one value the sd and the interval are undefined (NaN).
public struct Summary: Sendable, Equatable {
    public var values: [Double]

    public init(_ values: [Double]) { self.values = values }

    public var count: Int { values.count }
    public var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

    /// The sample standard deviation (n - 1 in the denominator); NaN below two values.
    public var sd: Double {
        guard values.count > 1 else { return .nan }
        let m = mean
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }

    /// mean ± t(0.975, n - 1) sd / sqrt(n); NaN below two values.
    public var interval95: (low: Double, high: Double) {
        guard values.count > 1 else { return (.nan, .nan) }
        let t = StudentT.quantile(0.975, degreesOfFreedom: Double(values.count - 1))
        let half = t * sd / Double(values.count).squareRoot()
        return (mean - half, mean + half)
    }
}

/// Welch's t test of the difference of two means, whose variances need not be equal.
public struct WelchTest: Sendable {
    /// mean(a) - mean(b).
    public var difference: Double
    public var t: Double
    /// Welch-Satterthwaite degrees of freedom.
    public var degreesOfFreedom: Double
    /// Two-sided p-value.
    public var p: Double

    /// The test of `a` against `b`; nil when either has fewer than two values (no
    /// spread to test against). Two samples without spread differ exactly when their
    /// means do (p 0 or 1).
    public init?(_ a: Summary, _ b: Summary) {
        guard a.count > 1, b.count > 1 else { return nil }
        difference = a.mean - b.mean
        let va = a.sd * a.sd / Double(a.count), vb = b.sd * b.sd / Double(b.count)
        let se2 = va + vb
        guard se2 > 0 else {
            t = difference == 0 ? 0 : difference.sign == .minus ? -.infinity : .infinity
            degreesOfFreedom = Double(a.count + b.count - 2)
            p = difference == 0 ? 1 : 0
            return
        }
        t = difference / se2.squareRoot()
        degreesOfFreedom = se2 * se2 / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
        p = StudentT.twoSidedP(t, degreesOfFreedom: degreesOfFreedom)
    }

    /// The significance level of `differs`.
    public static let level = 0.05

    /// Whether the difference is larger than the seeds' noise explains (p < 0.05).
    public var differs: Bool { p < Self.level }
}

/// Student's t distribution, through the regularized incomplete beta function.
public enum StudentT {
    /// P(|T| >= |t|) for T with `degreesOfFreedom` (> 0) degrees of freedom.
    public static func twoSidedP(_ t: Double, degreesOfFreedom v: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return incompleteBeta(v / (v + t * t), a: v / 2, b: 0.5)
    }

    /// P(T <= t).
    public static func cdf(_ t: Double, degreesOfFreedom v: Double) -> Double {
        let tail = twoSidedP(t, degreesOfFreedom: v) / 2
        return t >= 0 ? 1 - tail : tail
    }

    /// The t with P(T <= t) = p, 0 < p < 1, by bisection to about 1e-12.
    public static func quantile(_ p: Double, degreesOfFreedom v: Double) -> Double {
        precondition(p > 0 && p < 1, "StudentT.quantile: p must be in (0, 1)")
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: v) }
        var low = 0.0, high = 1.0
        while cdf(high, degreesOfFreedom: v) < p { high *= 2 }
        for _ in 0..<200 where high - low > 1e-12 * max(1, high) {
            let mid = (low + high) / 2
            if cdf(mid, degreesOfFreedom: v) < p { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }

    /// I_x(a, b), the regularized incomplete beta function, by its continued fraction
    /// (modified Lentz), using the symmetry I_x(a, b) = 1 - I_(1-x)(b, a) where the
    /// fraction converges slowly.
    static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        if x > (a + 1) / (a + b + 2) { return 1 - incompleteBeta(1 - x, a: b, b: a) }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logFront: Double = logGammas + a * log(x) + b * log(1 - x)
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; if abs(d) < tiny { d = tiny }
            c = 1 + even / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            let odd: Double = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; if abs(d) < tiny { d = tiny }
            c = 1 + odd / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            f *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return exp(logFront) * f / a
    }
}
