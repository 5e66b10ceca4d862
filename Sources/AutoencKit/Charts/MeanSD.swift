import Foundation

/// How every table writes a mean and its standard deviation, one rule for the printed
/// table, report.html and the docs: the sd to two significant digits and the mean to
/// the same decimal place ("0.0963 ± 0.0010", "32.0 ± 4.2", "-0.066 ± 0.005" becomes
/// "-0.0660 ± 0.0050"). A value with no spread, from one seed or from seeds that agree
/// exactly, is written to three significant digits (a whole number as it is: "7"),
/// followed by "± 0" when several seeds agreed; a non-finite mean is "-".
public enum MeanSD {
    /// "mean ± sd" of `count` values by the rule above (`count` 1: the mean alone).
    public static func format(mean: Double, sd: Double, count: Int) -> String {
        guard mean.isFinite else { return "-" }
        guard count > 1, sd.isFinite, sd > 0 else {
            return value(mean) + (count > 1 && sd == 0 ? " ± 0" : "")
        }
        let places = decimals(sd: sd)
        return fixed(mean, places) + " ± " + fixed(sd, places)
    }

    /// The decimals that show `sd` (> 0) to two significant digits, none for an sd of
    /// 10 or more (an sd of 42 is "42", of 420 "420").
    static func decimals(sd: Double) -> Int {
        var places = 1 - Int(log10(sd).rounded(.down))
        // rounding may carry into a third digit (0.0996 -> "0.100"): one decimal fewer
        if places > 0, abs((sd * pow(10, Double(places))).rounded()) >= 100 { places -= 1 }
        return max(0, places)
    }

    /// A value with no spread: a whole number as it is, otherwise three significant digits.
    public static func value(_ x: Double) -> String {
        guard x.isFinite else { return "-" }
        if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
        let magnitude = Int(log10(abs(x)).rounded(.down))
        var places = 2 - magnitude
        if places > 0, abs((x * pow(10, Double(places))).rounded()) >= 1000 { places -= 1 }
        return fixed(x, max(0, places))
    }

    /// `x` with `places` decimals, never "-0.00".
    static func fixed(_ x: Double, _ places: Int) -> String {
        let text = String(format: "%.\(places)f", x)
        return Double(text) == 0 ? String(format: "%.\(places)f", 0.0) : text
    }
}
