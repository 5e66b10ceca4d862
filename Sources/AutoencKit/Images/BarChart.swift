import Foundation

/// Draws a `Histogram` as a bar chart: dark bars on white, axes with round ticks
/// (`Ticks`; powers of ten on a log count axis), a title, and axis labels, all in the
/// bitmap font.
public struct BarChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Bar heights proportional to log(1 + count) instead of count, so that small bins
    /// stay visible beside a huge one (the zero bin of ReLU activations).
    public var logScale: Bool
    public var width: Int
    public var height: Int

    public init(title: String, xLabel: String, yLabel: String, logScale: Bool = false, width: Int = 420,
                height: Int = 260) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logScale = logScale
        self.width = width
        self.height = height
    }

    static let background: UInt8 = 255
    static let ink: UInt8 = 0
    static let bar: UInt8 = 70

    /// The count axis' ticks for a tallest bar of `peak`: round counts from 0 (whole
    /// numbers below 5), or with `logScale` 0 then powers of ten up to the first at or
    /// above the peak. The axis runs from 0 to the last tick.
    func countTicks(peak: Int) -> Ticks {
        if logScale {
            let powers = Ticks.logarithmic(low: 1, high: Double(max(1, peak)))
            return Ticks(values: [0] + powers.values, labels: ["0"] + powers.labels)
        }
        if peak < 5 { return Ticks.integers(from: 0, through: max(1, peak)) }
        return Ticks.linear(low: 0, high: Double(peak))
    }

    /// Where a count sits on the axis, 0 at the bottom and 1 at `top`: log(1 + count)
    /// with `logScale`, so that 0 stays on the axis and small bins stay visible.
    func height(_ count: Double, top: Double) -> Double {
        logScale ? log1p(count) / log1p(top) : count / top
    }

    /// The x axis' ticks: the round values (`Ticks.linear`) inside the histogram's range.
    static func valueTicks(_ histogram: Histogram) -> Ticks {
        let all = Ticks.linear(low: histogram.lower, high: histogram.upper)
        let slack = 1e-9 * max(1, abs(histogram.upper - histogram.lower))
        let inside = all.values.indices.filter {
            all.values[$0] >= histogram.lower - slack && all.values[$0] <= histogram.upper + slack
        }
        return Ticks(values: inside.map { all.values[$0] }, labels: inside.map { all.labels[$0] })
    }

    /// The chart of `histogram`, `width` x `height` pixels.
    public func render(_ histogram: Histogram) -> GrayImage {
        var image = GrayImage(width: width, height: height, fill: Self.background)
        let line = BitmapFont.height() + 4
        let peak = histogram.counts.max() ?? 0
        let yTicks = countTicks(peak: peak)
        let titleScale = BitmapFont.width(title, scale: 2) <= width - 8 ? 2 : 1
        image.drawText(title, at: max(4, (width - BitmapFont.width(title, scale: titleScale)) / 2), 4,
                       scale: titleScale, value: Self.ink)
        // plot area
        let left = 8 + (yTicks.labels.map { BitmapFont.width($0) }.max() ?? 0) + 4
        let top = 4 + BitmapFont.height(scale: titleScale) + 6 + line
        let right = width - 12
        let bottom = height - 2 * line - 6
        guard right - left >= histogram.bins, bottom - top >= 4 else { return image }
        image.drawText(yLabel + (logScale ? " (log scale)" : ""), at: left - 2, top - line, value: Self.ink)
        // bars
        let plotWidth = right - left, plotHeight = bottom - top
        for (i, count) in histogram.counts.enumerated() where count > 0 {
            let x0 = left + i * plotWidth / histogram.bins, x1 = left + (i + 1) * plotWidth / histogram.bins
            let fraction = height(Double(count), top: yTicks.high)
            let h = max(1, Int((fraction * Double(plotHeight)).rounded()))
            image.fill(x: x0, y: bottom - h, width: max(1, x1 - x0 - (x1 - x0 >= 3 ? 1 : 0)), height: h,
                       value: Self.bar)
        }
        // axes and ticks
        image.fill(x: left - 1, y: top, width: 1, height: plotHeight + 1, value: Self.ink)
        image.fill(x: left - 1, y: bottom, width: plotWidth + 1, height: 1, value: Self.ink)
        var lastLabel = Int.max
        for (value, label) in zip(yTicks.values, yTicks.labels) {
            let y = bottom - Int((height(value, top: yTicks.high) * Double(plotHeight)).rounded())
            image.fill(x: left - 4, y: y, width: 3, height: 1, value: Self.ink)
            // a label that would touch the one below (1 just above 0 on a log axis) is left out
            guard lastLabel - y > BitmapFont.glyphHeight + 1 else { continue }
            image.drawText(label, at: left - 6 - BitmapFont.width(label), y - BitmapFont.glyphHeight / 2,
                           value: Self.ink)
            lastLabel = y
        }
        let xTicks = Self.valueTicks(histogram), span = histogram.upper - histogram.lower
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let x = left + Int(((value - histogram.lower) / (span > 0 ? span : 1) * Double(plotWidth)).rounded())
            image.fill(x: x, y: bottom + 1, width: 1, height: 3, value: Self.ink)
            let w = BitmapFont.width(label)
            image.drawText(label, at: min(max(0, x - w / 2), width - w), bottom + 6, value: Self.ink)
        }
        image.drawText(xLabel, at: left + (plotWidth - BitmapFont.width(xLabel)) / 2, bottom + 6 + line,
                       value: Self.ink)
        return image
    }
}
