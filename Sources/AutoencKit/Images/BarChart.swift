import Foundation

/// Draws a `Histogram` as a bar chart on a `Canvas`: bars on white, axes with round ticks
/// (`Ticks`; 0 then powers of ten on a log count axis), a title and axis labels. Sizes are
/// in points; `HistogramSheet` puts several side by side in one chart.
public struct BarChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Bar heights proportional to log(1 + count) instead of count, so that small bins
    /// stay visible beside a huge one (the zero bin of ReLU activations).
    public var logScale: Bool
    /// When set, the count axis covers this peak at least, so that charts of several
    /// models side by side share their count axis.
    public var sharedPeak: Int?
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, yLabel: String, logScale: Bool = false, sharedPeak: Int? = nil,
                width: Double = 380, height: Double = 250) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logScale = logScale
        self.sharedPeak = sharedPeak
        self.width = width
        self.height = height
    }

    /// The bars' colour: Okabe and Ito's blue.
    static let bar = SeriesStyle.of(1)
    static let titleSize = 11.5, labelSize = 10.0, tickSize = 9.0

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

    /// The count axis' ticks for `histogram`: up to its tallest bar, or `sharedPeak` when higher.
    func countTicks(for histogram: Histogram) -> Ticks {
        countTicks(peak: max(histogram.counts.max() ?? 0, sharedPeak ?? 0))
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

    /// The plot area for count ticks `yTicks`: left, top, right, bottom in points.
    func plotArea(_ yTicks: Ticks) -> (left: Double, top: Double, right: Double, bottom: Double) {
        let tickWidth = yTicks.labels.map { Canvas.textWidth($0, size: Self.tickSize) }.max() ?? 0
        return (8 + 1.3 * Self.labelSize + 5 + tickWidth + 7, 8 + 1.3 * Self.titleSize + 8, width - 12,
                height - (7 + 1.3 * Self.tickSize + 4 + 1.3 * Self.labelSize + 6))
    }

    /// Draws the chart of `histogram` with its top left at the canvas' origin.
    public func draw(_ histogram: Histogram, on canvas: Canvas) {
        let yTicks = countTicks(for: histogram)
        let (left, top, right, bottom) = plotArea(yTicks)
        canvas.gray(0)
        canvas.text(title, at: (width / 2, 8), size: Self.titleSize, anchor: .middle, baseline: .top, bold: true)
        guard right - left >= 8, bottom - top >= 8 else { return }
        let plotWidth = right - left, plotHeight = bottom - top
        func y(_ count: Double) -> Double { bottom - height(count, top: yTicks.high) * plotHeight }
        canvas.gray(228)
        canvas.stroke(width: 0.6)
        for value in yTicks.values { canvas.line((left, y(value)), (right, y(value))) }
        // bars
        canvas.color(Self.bar)
        let binWidth = plotWidth / Double(max(1, histogram.bins))
        for (i, count) in histogram.counts.enumerated() where count > 0 {
            let top = min(y(Double(count)), bottom - 0.5)
            canvas.fillRect(x: left + Double(i) * binWidth, y: top, width: binWidth * (binWidth >= 3 ? 0.85 : 1),
                            height: bottom - top)
        }
        // axes and ticks
        canvas.gray(0)
        canvas.stroke(width: 1)
        canvas.polyline([(left, top), (left, bottom), (right, bottom)])
        var lastLabel = Double.infinity
        for (value, label) in zip(yTicks.values, yTicks.labels) {
            let ty = y(value)
            canvas.line((left - 4, ty), (left, ty))
            // a label that would touch the one below (1 just above 0 on a log axis) is left out
            guard lastLabel - ty > Self.tickSize + 1 else { continue }
            canvas.text(label, at: (left - 7, ty), size: Self.tickSize, anchor: .end, baseline: .middle)
            lastLabel = ty
        }
        let xTicks = Self.valueTicks(histogram), span = histogram.upper - histogram.lower
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let x = left + (value - histogram.lower) / (span > 0 ? span : 1) * plotWidth
            canvas.line((x, bottom), (x, bottom + 4))
            canvas.text(label, at: (x, bottom + 7), size: Self.tickSize, anchor: .middle, baseline: .top)
        }
        canvas.text(xLabel, at: ((left + right) / 2, height - 6), size: Self.labelSize, anchor: .middle)
        canvas.text(yLabel + (logScale ? " (log scale)" : ""), at: (8, (top + bottom) / 2), size: Self.labelSize,
                    anchor: .middle, baseline: .top, angle: -Double.pi / 2)
    }
}

/// Activation histograms of several models as one chart (Srivastava et al. 2014, Fig. 8):
/// a row per model under its name, each unit's mean activation beside all activations on
/// a log count axis.
public struct HistogramSheet: Chart {
    public struct Row: Sendable {
        public var name: String
        public var charts: [(chart: BarChart, histogram: Histogram)]
    }

    public var title: String
    /// What was run, in smaller type under the title.
    public var subtitle: String?
    public var rows: [Row]

    static let heading = 13.0, gap = 8.0

    public init(title: String, subtitle: String?, rows: [Row]) {
        self.title = title
        self.subtitle = subtitle
        self.rows = rows
    }

    /// The sheet of `models`' histograms (on shared axes, `ActivationHistograms.sharedAxes`;
    /// each column's count axis shared too).
    public init(_ models: [(name: String, histograms: ActivationHistograms, statistics: ActivationStatistics)],
                title: String = "Hidden activations on the test set", subtitle: String? = nil) {
        let meansPeak = models.map { $0.histograms.unitMeans.counts.max() ?? 0 }.max()
        let allPeak = models.map { $0.histograms.activations.counts.max() ?? 0 }.max()
        self.init(title: title, subtitle: subtitle, rows: models.map { model in
            let percent = String(format: "%.0f%%", 100 * model.statistics.sparsity)
            let means = BarChart(title: "mean activation per unit",
                                 xLabel: String(format: "mean activation (overall %.3f)",
                                                model.statistics.meanActivation),
                                 yLabel: "units", sharedPeak: meansPeak)
            let above = model.histograms.activations.clampedAbove
            let all = BarChart(title: "all activations, \(percent) silent",
                               xLabel: above > 0 ? "activation (last bin: also the \(above) larger)" : "activation",
                               yLabel: "count", logScale: true, sharedPeak: allPeak)
            return Row(name: model.name, charts: [(means, model.histograms.unitMeans),
                                                  (all, model.histograms.activations)])
        })
    }

    var top: Double { 8 + 1.3 * LineChart.titleSize + (subtitle == nil ? 0 : 1.3 * LineChart.subtitleSize) + 6 }

    func rowHeight(_ row: Row) -> Double { 1.4 * Self.heading + (row.charts.map(\.chart.height).max() ?? 0) }

    public var size: (width: Double, height: Double) {
        let widths = rows.map { $0.charts.reduce(Self.gap) { $0 + $1.chart.width + Self.gap } }
        return (max(widths.max() ?? 0, 300), top + rows.map(rowHeight).reduce(0, +) + Self.gap)
    }

    public func draw(on canvas: Canvas) {
        let width = size.width
        canvas.gray(0)
        canvas.text(title, at: (width / 2, 8), size: LineChart.titleSize, anchor: .middle, baseline: .top, bold: true)
        if let subtitle {
            canvas.gray(70)
            canvas.text(subtitle, at: (width / 2, 8 + 1.25 * LineChart.titleSize + 2), size: LineChart.subtitleSize,
                        anchor: .middle, baseline: .top)
        }
        var y = top
        for row in rows {
            canvas.gray(0)
            canvas.text(row.name, at: (Self.gap, y + 2), size: Self.heading, baseline: .top, bold: true)
            var x = Self.gap
            for (chart, histogram) in row.charts {
                canvas.translated(x, y + 1.4 * Self.heading) { chart.draw(histogram, on: $0) }
                x += chart.width + Self.gap
            }
            y += rowHeight(row)
        }
    }
}
