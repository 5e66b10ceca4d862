import Foundation

/// A line chart of one or more series over consecutive integers (epochs), or over labeled
/// points (a sweep's values): axes with round ticks (`Ticks`), a title and a line under it
/// saying what was run, axis labels and a legend, drawn through cairo (`Canvas`) as PNG,
/// SVG or PDF. Each series takes its `SeriesStyle` (an Okabe-Ito colour, a dash pattern
/// and a marker); the legend sits in the corner covering the least data
/// (`LegendPlacement`); a series may carry error bars. Sizes are in points.
public struct LineChart: Chart {
    /// One named line of the chart.
    public struct Series: Sendable {
        public var name: String
        /// One value per x; non-finite values are left out of the line.
        public var values: [Double]
        /// Error bars: value ± spread[i] at each point (a non-finite spread draws none).
        public var spread: [Double]?

        public init(name: String, values: [Double], spread: [Double]? = nil) {
            self.name = name
            self.values = values
            self.spread = spread
        }

        /// The ends of point `i`'s error bar, nil when it has none.
        func bar(_ i: Int) -> (low: Double, high: Double)? {
            guard let spread, i < spread.count, spread[i].isFinite, spread[i] > 0, values[i].isFinite else {
                return nil
            }
            return (values[i] - spread[i], values[i] + spread[i])
        }
    }

    public var title: String
    /// What was run (the data set, epochs, seeds), in smaller type under the title.
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// The x of every series' first value; the next values are at firstX + 1, + 2, ...
    public var firstX: Int
    /// When set, point i's tick label (a sweep's value), every point getting a tick;
    /// otherwise the ticks count from `firstX`.
    public var xLabels: [String]?
    public var width: Double
    public var height: Double

    public init(title: String, subtitle: String? = nil, xLabel: String, yLabel: String, series: [Series],
                firstX: Int = 1, xLabels: [String]? = nil, width: Double = 480, height: Double = 320) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.firstX = firstX
        self.xLabels = xLabels
        self.width = width
        self.height = height
    }

    public var size: (width: Double, height: Double) { (width, height) }

    // MARK: - Layout

    /// Text sizes in points: the title, the line under it, axis labels, tick labels and the legend.
    static let titleSize = 13.0, subtitleSize = 10.0, labelSize = 11.0, tickSize = 10.0, legendSize = 10.0

    /// Where the plot area is and how values map into it, in points from the top left.
    struct Frame {
        var left: Double, top: Double, right: Double, bottom: Double
        var low: Double, high: Double
        var count: Int

        func x(_ index: Int) -> Double {
            count <= 1 ? (left + right) / 2 : left + Double(index) * (right - left) / Double(count - 1)
        }

        func y(_ value: Double) -> Double { bottom - (value - low) / (high - low) * (bottom - top) }

        var rect: LegendPlacement.Rect { .init(x: left, y: top, width: right - left, height: bottom - top) }
    }

    var pointCount: Int { series.map(\.values.count).max() ?? 0 }

    /// The y axis' round ticks (`Ticks.linear`), covering the finite values and the error
    /// bars' ends; they start at zero or above when no value is below zero (an error, a
    /// loss, a count: a bar reaching below zero is cut at the axis).
    var yTicks: Ticks {
        let bars = series.flatMap { s in s.values.indices.compactMap(s.bar).flatMap { [$0.low, $0.high] } }
        let values = series.flatMap(\.values).filter(\.isFinite)
        let finite = (values + bars).filter(\.isFinite)
        guard var low = finite.min(), let high = finite.max() else { return Ticks.linear(low: 0, high: 1) }
        if let lowest = values.min(), lowest >= 0 { low = max(low, 0) }
        var ticks = Ticks.linear(low: low, high: high)
        if low >= 0, ticks.low < 0 {
            // a single value near zero widened below it: keep the axis at zero
            ticks = Ticks.linear(low: 0, high: ticks.high)
        }
        return ticks
    }

    /// The y axis' ends: the first and last tick.
    var valueRange: (low: Double, high: Double) { (yTicks.low, yTicks.high) }

    /// With one point per series there is no line to draw: each value is drawn as a
    /// level across the plot as well (a one-epoch chart was two dots).
    var drawsLevels: Bool { pointCount == 1 }

    /// The points given an x tick: every point of a sweep's values, round epochs otherwise
    /// (`Ticks.integers`).
    var xTicks: [Int] {
        let n = pointCount
        if xLabels != nil { return Array(0..<n) }
        guard n > 0 else { return [] }
        return Ticks.integers(from: firstX, through: firstX + n - 1).values.map { Int($0) - firstX }
    }

    /// The title's size: `titleSize`, smaller when the title would not fit.
    var fittedTitleSize: Double {
        let natural = Canvas.textWidth(title, size: Self.titleSize, bold: true)
        return natural <= width - 16 ? Self.titleSize : max(8, Self.titleSize * (width - 16) / natural)
    }

    var fittedSubtitleSize: Double {
        guard let subtitle else { return Self.subtitleSize }
        let natural = Canvas.textWidth(subtitle, size: Self.subtitleSize)
        return natural <= width - 16 ? Self.subtitleSize : max(7, Self.subtitleSize * (width - 16) / natural)
    }

    /// The plot area: below the title (and subtitle), right of the y label and the tick
    /// labels, above the tick labels and the x label.
    var frame: Frame {
        let tickWidth = yTicks.labels.map { Canvas.textWidth($0, size: Self.tickSize) }.max() ?? 0
        let left = 8 + 1.3 * Self.labelSize + 6 + tickWidth + 7
        let top = 8 + 1.25 * fittedTitleSize + (subtitle == nil ? 0 : 1.3 * fittedSubtitleSize) + 10
        let lastLabel = xTicks.last.map { Canvas.textWidth(xTickLabel($0), size: Self.tickSize) } ?? 0
        let right = width - max(14, lastLabel / 2 + 6)
        let bottom = height - (7 + 1.3 * Self.tickSize + 4 + 1.3 * Self.labelSize + 6)
        let (low, high) = valueRange
        return Frame(left: left, top: top, right: right, bottom: bottom, low: low, high: high, count: pointCount)
    }

    /// Each series' finite points in points.
    func points(_ frame: Frame) -> [[(x: Double, y: Double)]] {
        series.map { s in
            s.values.enumerated().filter { $0.element.isFinite }.map { (frame.x($0.offset), frame.y($0.element)) }
        }
    }

    /// Point `index`'s x tick label.
    func xTickLabel(_ index: Int) -> String {
        if let xLabels, index < xLabels.count { return xLabels[index] }
        return String(firstX + index)
    }

    /// Each series' error bars: x, and the y of both ends, cut at the axis' ends.
    func bars(_ frame: Frame) -> [[(x: Double, low: Double, high: Double)]] {
        func y(_ value: Double) -> Double { frame.y(min(max(value, frame.low), frame.high)) }
        return series.map { s in
            s.values.indices.compactMap { i in s.bar(i).map { (frame.x(i), y($0.low), y($0.high)) } }
        }
    }

    /// A legend row's height, and the length of its line sample (long enough for the
    /// dashes to show on both sides of the marker).
    static let legendRow = 15.0, legendSample = 30.0

    /// The series the legend lists, each with its index (its style): those with a value
    /// to draw (a sweep's DropConnect-only metric leaves the others out).
    var legendEntries: [(index: Int, name: String)] {
        series.enumerated().filter { $0.element.values.contains(where: \.isFinite) }
            .map { ($0.offset, $0.element.name) }
    }

    /// The legend's box: a row per listed series, a sample of its line with its marker, then its name.
    var legendSize: (width: Double, height: Double) {
        let names = legendEntries.map { Canvas.textWidth($0.name, size: Self.legendSize) }.max() ?? 0
        return (6 + Self.legendSample + 6 + names + 8, Double(legendEntries.count) * Self.legendRow + 6)
    }

    /// The legend's box in `frame`: the corner covering the fewest points, line segments,
    /// error bars and levels (`LegendPlacement`).
    func legendBox(_ frame: Frame) -> LegendPlacement.Rect {
        let placement = LegendPlacement(plot: frame.rect, width: legendSize.width, height: legendSize.height)
        let points = points(frame)
        var segments = points.flatMap { line in zip(line, line.dropFirst()).map { ($0, $1) } }
        segments += bars(frame).flatMap { $0.map { bar in ((bar.x, bar.low), (bar.x, bar.high)) } }
        if drawsLevels {
            segments += points.compactMap(\.first).map { p in ((frame.left, p.y), (frame.right, p.y)) }
        }
        return placement.box(placement.corner(points: points.flatMap { $0 }, segments: segments))
    }

    // MARK: - Drawing

    /// A series' line width in points, and its dash pattern in points.
    static let lineWidth = 1.8
    static func dash(_ style: SeriesStyle) -> [Double] { style.dash.map { Double($0) * 0.9 } }

    public func draw(on canvas: Canvas) {
        let f = frame
        canvas.gray(0)
        canvas.text(title, at: (width / 2, 8), size: fittedTitleSize, anchor: .middle, baseline: .top, bold: true)
        if let subtitle {
            canvas.gray(70)
            canvas.text(subtitle, at: (width / 2, 8 + 1.25 * fittedTitleSize + 2), size: fittedSubtitleSize,
                        anchor: .middle, baseline: .top)
        }
        guard f.right - f.left >= 8, f.bottom - f.top >= 8 else { return }
        drawAxes(canvas, f)
        // the series, the first one last so that it stays on top
        let bars = bars(f)
        for (index, points) in points(f).enumerated().reversed() {
            let style = SeriesStyle.of(index)
            canvas.color(style)
            canvas.stroke(width: 1.1)
            for bar in bars[index] {
                canvas.line((bar.x, bar.high), (bar.x, bar.low))
                canvas.line((bar.x - 3, bar.high), (bar.x + 3, bar.high))
                canvas.line((bar.x - 3, bar.low), (bar.x + 3, bar.low))
            }
            canvas.stroke(width: Self.lineWidth, dash: Self.dash(style))
            canvas.polyline(points)
            if drawsLevels, let p = points.first { canvas.line((f.left, p.y), (f.right, p.y)) }
            for p in points { canvas.marker(style.marker, at: p) }
        }
        if !legendEntries.isEmpty { drawLegend(canvas, legendBox(f)) }
    }

    /// The axes, light grid lines at the y ticks, the ticks and their labels, the axis labels.
    func drawAxes(_ canvas: Canvas, _ f: Frame) {
        let ticks = yTicks
        canvas.gray(228)
        canvas.stroke(width: 0.6)
        for value in ticks.values { canvas.line((f.left, f.y(value)), (f.right, f.y(value))) }
        canvas.gray(0)
        canvas.stroke(width: 1)
        canvas.polyline([(f.left, f.top), (f.left, f.bottom), (f.right, f.bottom)])
        for (value, label) in zip(ticks.values, ticks.labels) {
            let y = f.y(value)
            canvas.line((f.left - 4, y), (f.left, y))
            canvas.text(label, at: (f.left - 7, y), size: Self.tickSize, anchor: .end, baseline: .middle)
        }
        for index in xTicks {
            let x = f.x(index)
            canvas.line((x, f.bottom), (x, f.bottom + 4))
            canvas.text(xTickLabel(index), at: (x, f.bottom + 7), size: Self.tickSize, anchor: .middle,
                        baseline: .top)
        }
        canvas.text(xLabel, at: ((f.left + f.right) / 2, height - 6), size: Self.labelSize, anchor: .middle)
        // the y label reads upwards along the axis, centred on the plot, smaller when longer than it
        let natural = Canvas.textWidth(yLabel, size: Self.labelSize), room = f.bottom - f.top + 20
        canvas.text(yLabel, at: (8, (f.top + f.bottom) / 2),
                    size: natural <= room ? Self.labelSize : max(7, Self.labelSize * room / natural),
                    anchor: .middle, baseline: .top, angle: -Double.pi / 2)
    }

    /// The legend on white in `box`: a row per series, its line sample with its marker, then its name.
    func drawLegend(_ canvas: Canvas, _ box: LegendPlacement.Rect) {
        canvas.gray(255)
        canvas.fillRect(x: box.x, y: box.y, width: box.width, height: box.height)
        canvas.gray(190)
        canvas.stroke(width: 0.8)
        canvas.strokeRect(x: box.x, y: box.y, width: box.width, height: box.height)
        for (row, entry) in legendEntries.enumerated() {
            let style = SeriesStyle.of(entry.index), y = box.y + 3 + (Double(row) + 0.5) * Self.legendRow
            canvas.color(style)
            canvas.stroke(width: Self.lineWidth, dash: Self.dash(style))
            canvas.line((box.x + 6, y), (box.x + 6 + Self.legendSample, y))
            canvas.marker(style.marker, at: (box.x + 6 + Self.legendSample / 2, y))
            canvas.gray(0)
            canvas.text(entry.name, at: (box.x + 12 + Self.legendSample, y), size: Self.legendSize,
                        baseline: .middle)
        }
    }
}

extension LineChart {
    /// `train --plot`'s chart: the training loss and the test MSE per epoch, from epoch
    /// `firstEpoch` on; `subtitle` says what was trained.
    public static func trainingCurves(trainLoss: [Double], testMSE: [Double], firstEpoch: Int,
                                      subtitle: String? = nil) -> LineChart {
        LineChart(title: "Training loss and test MSE per epoch", subtitle: subtitle, xLabel: "epoch",
                  yLabel: "mean squared error per pixel",
                  series: [.init(name: "train loss", values: trainLoss), .init(name: "test MSE", values: testMSE)],
                  firstX: firstEpoch)
    }
}
