import Foundation

/// Round tick values for a chart's axis, whatever draws it: the "nice numbers" of
/// Heckbert ("Nice numbers for graph labels", Graphics Gems, 1990) with matplotlib's
/// `MaxNLocator` steps. A linear axis gets ticks 1, 2, 2.5 or 5 x 10^k apart that cover
/// the data (the first at or below the lowest value, the last at or above the highest),
/// so the axis runs from the first tick to the last; a log axis gets powers of ten.
public struct Ticks: Sendable {
    /// The tick positions in data units, ascending.
    public var values: [Double]
    /// Each value's label, as short as its step allows ("0.05", "2.5", "10⁴").
    public var labels: [String]

    /// The axis' ends: the first and the last tick.
    public var low: Double { values.first ?? 0 }
    public var high: Double { values.last ?? 1 }

    /// The steps tried, each times a power of ten, smallest first.
    static let mantissas: [Double] = [1, 2, 2.5, 5, 10]

    /// Ticks covering `low...high` (in either order) with at most `intervals` steps between
    /// the first and the last: the smallest round step that does. A range of one value
    /// (or non-finite ends) is widened first: by 10% of the value on each side, or by 1
    /// around zero.
    public static func linear(low: Double, high: Double, intervals: Int = 5) -> Ticks {
        var (a, b) = (min(low, high), max(low, high))
        if !a.isFinite || !b.isFinite { (a, b) = (0, 1) }
        if b - a <= 1e-12 * max(abs(a), abs(b)) {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            (a, b) = (a - pad, b + pad)
        }
        let intervals = max(1, intervals)
        let rough = (b - a) / Double(intervals)
        var power = pow(10, (log10(rough)).rounded(.down))
        while true {
            for mantissa in mantissas {
                let step = mantissa * power
                let first = Self.snapped(a / step, .down), last = Self.snapped(b / step, .up)
                if last - first <= Double(intervals) {
                    // i x mantissa / 10^-k rather than i x step: 3 x 0.05 is 0.15000000000000002
                    let values = stride(from: first, through: last, by: 1).map { i in
                        power >= 1 ? i * mantissa * power : i * mantissa / (1 / power).rounded()
                    }
                    let decimals = Self.decimals(step: step)
                    return Ticks(values: values, labels: values.map { Self.label($0, decimals: decimals) })
                }
            }
            power *= 10
        }
    }

    /// Whole-number ticks inside `low...high` (an x axis of epochs): multiples of a step
    /// of 1, 2 or 5 x 10^k, at most `intervals` steps apart; the axis stays the data's.
    /// A single whole number is its own tick.
    public static func integers(from low: Int, through high: Int, intervals: Int = 5) -> Ticks {
        let (a, b) = (min(low, high), max(low, high))
        guard b > a else { return Ticks(values: [Double(a)], labels: [String(a)]) }
        var power = 1
        while true {
            for mantissa in [1, 2, 5] {
                let step = mantissa * power
                let first = Int((Double(a) / Double(step)).rounded(.up)) * step
                if (b - first) / step <= intervals {
                    let values = Array(stride(from: first, through: b, by: step))
                    return Ticks(values: values.map(Double.init), labels: values.map(String.init))
                }
            }
            power *= 10
        }
    }

    /// `q` rounded in `rule`, or to the nearest whole number when within 1e-9 of one, so
    /// that a value on a tick (0.08 / 0.01 = 8.000000000000002) is not pushed past it.
    static func snapped(_ q: Double, _ rule: FloatingPointRoundingRule) -> Double {
        abs(q - q.rounded()) < 1e-9 ? q.rounded() : q.rounded(rule)
    }

    /// Powers of ten from the one at or below `low` to the one at or above `high` (both
    /// above zero; a non-positive `low` counts as `high`'s decade), every decade while
    /// at most `intervals` steps apart, every second or further one beyond: "1", "10",
    /// "100", "1000", then "10⁴".
    public static func logarithmic(low: Double, high: Double, intervals: Int = 5) -> Ticks {
        let top = high > 0 && high.isFinite ? high : 1
        let bottom = low > 0 && low.isFinite ? min(low, top) : top
        let first = Int((log10(bottom) + 1e-9).rounded(.down)), last = Int((log10(top) - 1e-9).rounded(.up))
        let hi = max(first, last)
        let every = max(1, Int((Double(hi - first) / Double(max(1, intervals))).rounded(.up)))
        var exponents = Array(stride(from: first, through: hi, by: every))
        if let end = exponents.last, end < hi { exponents.append(end + every) }
        if exponents.count == 1 { exponents.append(first + 1) }
        return Ticks(values: exponents.map { pow(10, Double($0)) }, labels: exponents.map(Self.power))
    }

    /// A power of ten's label: plainly from 0.01 to 1000 ("0.01", "1", "1000"), beyond
    /// that with a superscript exponent ("10⁴", "10⁻³"), as matplotlib writes them.
    static func power(_ exponent: Int) -> String {
        if exponent >= 0 && exponent <= 3 { return String(Int(pow(10, Double(exponent)))) }
        if exponent < 0 && exponent >= -2 { return String(format: "%.\(-exponent)f", pow(10, Double(exponent))) }
        let superscripts: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        let digits = String(abs(exponent)).map { superscripts[Int(String($0))!] }
        return "10" + (exponent < 0 ? "⁻" : "") + String(digits)
    }

    /// The decimals a tick `step` apart needs: 2 for 0.05, 1 for 2.5, 0 for 20.
    static func decimals(step: Double) -> Int {
        var decimals = 0
        while decimals < 12 {
            let shifted = step * pow(10, Double(decimals))
            if abs(shifted - shifted.rounded()) <= 1e-6 { break }
            decimals += 1
        }
        return decimals
    }

    /// `value` with `decimals` decimals, never "-0".
    static func label(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }
}
