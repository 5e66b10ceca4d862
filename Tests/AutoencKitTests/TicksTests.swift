import Foundation
import Testing
@testable import AutoencKit

/// Round ticks on known ranges: the labels exactly, the values within 1e-12 of the step's multiples.
struct TicksTests {
    static func expectValues(_ ticks: Ticks, _ expected: [Double], _ comment: Comment? = nil) {
        #expect(ticks.values.count == expected.count, "\(ticks.values) vs \(expected)")
        for (v, e) in zip(ticks.values, expected) {
            #expect(abs(v - e) <= 1e-12 * max(1, abs(e)), "\(ticks.values) vs \(expected)")
        }
    }

    /// A sweep's test MSE from 0.0434 to 0.0806: step 0.01 from 0.04 to 0.09, covering the range.
    @Test func testMSERange() {
        let ticks = Ticks.linear(low: 0.0434, high: 0.0806)
        #expect(ticks.labels == ["0.04", "0.05", "0.06", "0.07", "0.08", "0.09"])
        Self.expectValues(ticks, [0.04, 0.05, 0.06, 0.07, 0.08, 0.09])
        #expect(ticks.low <= 0.0434 && ticks.high >= 0.0806)
    }

    @Test(arguments: [
        (0.0, 1.0, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
        (0.0, 10.0, ["0", "2", "4", "6", "8", "10"]),
        (0.0, 11.0, ["0.0", "2.5", "5.0", "7.5", "10.0", "12.5"]),
        (1.0, 20.0, ["0", "5", "10", "15", "20"]),
        (-3.0, -1.0, ["-3.0", "-2.5", "-2.0", "-1.5", "-1.0"]),
        (-0.7, 0.3, ["-0.75", "-0.50", "-0.25", "0.00", "0.25", "0.50"]),
        (1.00001, 1.00003, ["1.000010", "1.000015", "1.000020", "1.000025", "1.000030"]),
        (0.08, 0.08, ["0.070", "0.075", "0.080", "0.085", "0.090"]),
        (0.0, 0.0, ["-1.0", "-0.5", "0.0", "0.5", "1.0"]),
    ])
    func linear(low: Double, high: Double, labels: [String]) {
        let ticks = Ticks.linear(low: low, high: high)
        #expect(ticks.labels == labels, "\(low)...\(high)")
        #expect(ticks.values.count <= 6 + 1)
        #expect(ticks.low <= min(low, high) && ticks.high >= max(low, high))
    }

    /// A log axis: powers of ten covering the counts, labelled plainly up to 1000.
    @Test func logarithmic() {
        let ticks = Ticks.logarithmic(low: 1, high: 1000)
        #expect(ticks.labels == ["1", "10", "100", "1000"])
        Self.expectValues(ticks, [1, 10, 100, 1000])
        #expect(Ticks.logarithmic(low: 1, high: 150_000).labels == ["1", "100", "10⁴", "10⁶"])
        #expect(Ticks.logarithmic(low: 1, high: 5_000_000, intervals: 4).labels == ["1", "100", "10⁴", "10⁶", "10⁸"])
        #expect(Ticks.logarithmic(low: 0.003, high: 0.5).labels == ["10⁻³", "0.01", "0.1", "1"])
        #expect(Ticks.logarithmic(low: 1, high: 1).labels == ["1", "10"])
    }
}

/// The tables' one rounding rule on the examples issue 25 quotes.
struct MeanSDTests {
    @Test(arguments: [
        (0.09634, 0.00101, 5, "0.0963 ± 0.0010"),
        (32.0, 4.2, 5, "32.0 ± 4.2"),
        (32.0, 4.24, 5, "32.0 ± 4.2"),
        (0.096, 0.00010, 5, "0.09600 ± 0.00010"),
        (55.4, 4.0, 5, "55.4 ± 4.0"),
        (-0.066, 0.005, 5, "-0.0660 ± 0.0050"),
        (0.5, 0.0996, 5, "0.50 ± 0.10"),
        (300.0, 42.0, 5, "300 ± 42"),
        (7.0, 0.0, 5, "7 ± 0"),
        (0.012345, 0.0, 3, "0.0123 ± 0"),
        (7.0, Double.nan, 1, "7"),
        (0.0048213, Double.nan, 1, "0.00482"),
        (1.51849, Double.nan, 1, "1.52"),
        (0.9996, Double.nan, 1, "1.00"),
        (Double.nan, 1.0, 3, "-"),
    ])
    func rule(mean: Double, sd: Double, count: Int, expected: String) {
        #expect(MeanSD.format(mean: mean, sd: sd, count: count) == expected)
    }
}
