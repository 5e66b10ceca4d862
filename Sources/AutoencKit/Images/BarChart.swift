import Foundation

/// Draws a `Histogram` as a bar chart: dark bars on white, axes with tick labels, a
/// title, and axis labels, all in the bitmap font.
public struct BarChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Bar heights proportional to log(1 + count) instead of count, so that small bins
    /// stay visible beside a huge one (the zero bin of ReLU activations).
    public var logScale: Bool
    public var width: Int
    public var height: Int

    public init(title: String, xLabel: String, yLabel: String, logScale: Bool = false, width: Int = 420, height: Int = 260) {
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

    /// The chart of `histogram`, `width` x `height` pixels.
    public func render(_ histogram: Histogram) -> GrayImage {
        var image = GrayImage(width: width, height: height, fill: Self.background)
        let line = BitmapFont.height() + 4
        let peak = histogram.counts.max() ?? 0
        let yTicks = [Self.format(Double(peak)), "0"]
        let titleScale = BitmapFont.width(title, scale: 2) <= width - 8 ? 2 : 1
        image.drawText(title, at: max(4, (width - BitmapFont.width(title, scale: titleScale)) / 2), 4,
                       scale: titleScale, value: Self.ink)
        // plot area
        let left = 8 + (yTicks.map { BitmapFont.width($0) }.max() ?? 0) + 4
        let top = 4 + BitmapFont.height(scale: titleScale) + 6 + line
        let right = width - 12
        let bottom = height - 2 * line - 6
        guard right - left >= histogram.bins, bottom - top >= 4 else { return image }
        image.drawText(yLabel + (logScale ? " (log scale)" : ""), at: left - 2, top - line, value: Self.ink)
        // bars
        let plotWidth = right - left, plotHeight = bottom - top
        let scale = logScale ? log1p(Double(peak)) : Double(peak)
        for (i, count) in histogram.counts.enumerated() where count > 0 {
            let x0 = left + i * plotWidth / histogram.bins, x1 = left + (i + 1) * plotWidth / histogram.bins
            let fraction = (logScale ? log1p(Double(count)) : Double(count)) / scale
            let h = max(1, Int((fraction * Double(plotHeight)).rounded()))
            image.fill(x: x0, y: bottom - h, width: max(1, x1 - x0 - (x1 - x0 >= 3 ? 1 : 0)), height: h, value: Self.bar)
        }
        // axes and ticks
        image.fill(x: left - 1, y: top, width: 1, height: plotHeight + 1, value: Self.ink)
        image.fill(x: left - 1, y: bottom, width: plotWidth + 1, height: 1, value: Self.ink)
        for (label, y) in [(yTicks[0], top), (yTicks[1], bottom)] {
            image.fill(x: left - 4, y: y, width: 3, height: 1, value: Self.ink)
            image.drawText(label, at: left - 6 - BitmapFont.width(label), y - BitmapFont.glyphHeight / 2, value: Self.ink)
        }
        for k in 0...2 {
            let value = histogram.lower + Double(k) * (histogram.upper - histogram.lower) / 2
            let x = left + k * plotWidth / 2
            image.fill(x: x, y: bottom + 1, width: 1, height: 3, value: Self.ink)
            let label = Self.format(value)
            let w = BitmapFont.width(label)
            image.drawText(label, at: min(max(0, x - w / 2), width - w), bottom + 6, value: Self.ink)
        }
        image.drawText(xLabel, at: left + (plotWidth - BitmapFont.width(xLabel)) / 2, bottom + 6 + line, value: Self.ink)
        return image
    }

    /// Short tick labels: integers as they are, other values with 3 significant digits.
    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
        return String(format: "%.3g", v)
    }
}
