import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The seeds' statistics against an independent reference: SciPy 1.x
/// (`scipy.stats.t.ppf`, `t.sf`, `ttest_ind(equal_var=False)`), to the digits shown.
@Suite struct StatisticsTests {
    /// (degrees of freedom, t(0.975)) from `scipy.stats.t.ppf(0.975, df)`.
    static let quantiles: [(Double, Double)] = [
        (1, 12.706204736174694), (2, 4.302652729749462), (4, 2.7764451051977934),
        (10, 2.228138851986274), (30, 2.0422724563012378), (1000, 1.9623390808264083),
    ]

    @Test("t quantiles match SciPy's within 1e-9 relative", arguments: quantiles)
    func quantile(df: Double, expected: Double) {
        let t = StudentT.quantile(0.975, degreesOfFreedom: df)
        #expect(abs(t - expected) <= 1e-9 * expected, "df \(df): \(t) against \(expected), off by \(abs(t - expected))")
        #expect(abs(StudentT.quantile(0.025, degreesOfFreedom: df) + expected) <= 1e-9 * expected)
    }

    /// (t, df, two-sided p) from `2 * scipy.stats.t.sf(t, df)`.
    static let tails: [(Double, Double, Double)] = [
        (2.0, 10, 0.07338803477074037), (3, 5, 0.030099247897462586), (0.5, 2.5, 0.6576979198697148),
        (40, 3, 3.4380680789158506e-05), (1, 1, 0.5), (0, 7, 1),
    ]

    @Test("two-sided p-values match SciPy's within 1e-9 relative", arguments: tails)
    func pValue(t: Double, df: Double, expected: Double) {
        let p = StudentT.twoSidedP(t, degreesOfFreedom: df)
        #expect(abs(p - expected) <= 1e-9 * expected, "t \(t), df \(df): \(p) against \(expected)")
        #expect(abs(StudentT.twoSidedP(-t, degreesOfFreedom: df) - p) == 0)
    }

    @Test("Summary: mean, sample sd, and the 95% interval from t")
    func summary() {
        let s = Summary([1, 2, 3, 4, 5])
        #expect(s.mean == 3)
        #expect(abs(s.sd - 2.5.squareRoot()) <= 1e-15)
        let half = 2.7764451051977934 * 2.5.squareRoot() / 5.squareRoot()
        #expect(abs(s.interval95.low - (3 - half)) <= 1e-9 && abs(s.interval95.high - (3 + half)) <= 1e-9,
                "\(s.interval95)")
        let one = Summary([0.5])
        #expect(one.mean == 0.5 && one.sd.isNaN && one.interval95.low.isNaN)
    }

    @Test("Welch's t test matches SciPy's ttest_ind(equal_var=False)")
    func welch() throws {
        let a = try #require(WelchTest(Summary([1, 2, 3, 4, 5]), Summary([2, 4, 6, 8, 10])))
        #expect(abs(a.t - -1.8973665961010275) <= 1e-12)
        #expect(abs(a.degreesOfFreedom - 5.882352941176471) <= 1e-12)
        #expect(abs(a.p - 0.10753119493062728) <= 1e-9, "p \(a.p)")
        #expect(!a.differs)
        // the one-seed table, as if from 3 and 4 seeds: far beyond noise
        let b = try #require(WelchTest(Summary([0.0157, 0.0159, 0.0156]), Summary([0.0093, 0.0094, 0.0091, 0.0092])))
        #expect(abs(b.t - 59.32194385938299) <= 1e-9 * 59.3)
        #expect(abs(b.degreesOfFreedom - 3.959314775160578) <= 1e-9 * 4)
        #expect(abs(b.p - 5.464378337569923e-07) <= 1e-6 * 5.5e-7, "p \(b.p)")
        #expect(b.differs)
    }

    @Test("Welch's test: one seed is untestable; no spread differs exactly when the means do")
    func welchEdges() {
        #expect(WelchTest(Summary([1]), Summary([1, 2])) == nil)
        #expect(WelchTest(Summary([2, 2]), Summary([2, 2]))?.p == 1)
        #expect(WelchTest(Summary([2, 2]), Summary([3, 3]))?.p == 0)
    }

    @Test("under no difference, about 5% of Welch's tests say 'differs'")
    func falsePositiveRate() throws {
        // 4000 pairs of 5 normal draws each from the same distribution
        var random = RandomStream(seed: 7, .evaluation)
        func normal() -> Double {
            let u = Double.random(in: 1e-12..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        var rejections = 0
        let trials = 4000
        for _ in 0..<trials {
            let a = Summary((0..<5).map { _ in normal() }), b = Summary((0..<5).map { _ in normal() })
            if try #require(WelchTest(a, b)).differs { rejections += 1 }
        }
        // Welch's test is slightly conservative at n = 5; the binomial sd at 5% is 0.34%
        let rate = Double(rejections) / Double(trials)
        #expect((0.03...0.065).contains(rate), "false positive rate \(rate)")
    }

    /// The table's spread: never shown as zeros when it is not zero (it printed
    /// "0.006 ± 0.000" for an sd of 0.00036), now by the one rule of `MeanSD`.
    @Test func spreadsShowTheirFirstDigit() {
        #expect(MeanSD.format(mean: 0.006, sd: 0.00036, count: 3) == "0.00600 ± 0.00036")
        #expect(MeanSD.format(mean: 0.5, sd: 0.0000021, count: 3) == "0.5000000 ± 0.0000021")
    }
}
