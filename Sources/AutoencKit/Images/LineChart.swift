import Foundation

/// A small line chart of one or more series over consecutive integers (epochs), or over
/// labeled points (a sweep's values): axes with tick labels, a title, axis labels and a
/// legend, as a grayscale PNG (drawn in the bitmap font) or as SVG. Each series takes
/// its `SeriesStyle` (an Okabe-Ito colour in SVG, a gray in the PNG, a dash pattern and
/// a marker); the y ticks are round (`Ticks`), the legend sits in the corner covering the
/// least data (`LegendPlacement`); a series may carry error bars.
public struct LineChart: Sendable {
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

    /// The file formats a chart is written in, chosen by the file's extension.
    public enum Format: String, Sendable, CaseIterable {
        case png
        case svg

        /// The format for `path`'s extension (any letter case), nil when it is neither.
        public init?(path: String) {
            guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
            self.init(rawValue: path[path.index(after: dot)...].lowercased())
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// The x of every series' first value; the next values are at firstX + 1, + 2, ...
    public var firstX: Int
    /// When set, point i's tick label (a sweep's value), every point getting a tick;
    /// otherwise the ticks count from `firstX`.
    public var xLabels: [String]?
    public var width: Int
    public var height: Int

    public init(title: String, xLabel: String, yLabel: String, series: [Series], firstX: Int = 1,
                xLabels: [String]? = nil, width: Int = 480, height: Int = 300) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.firstX = firstX
        self.xLabels = xLabels
        self.width = width
        self.height = height
    }

    /// The chart's bytes in `format`.
    public func encoded(as format: Format) -> [UInt8] {
        switch format {
        case .png: return PNG.encode(render())
        case .svg: return Array(svg().utf8)
        }
    }

    // MARK: - Layout, shared by both formats

    static let background: UInt8 = 255
    static let ink: UInt8 = 0
    /// Series `index`'s gray in the PNG (`SeriesStyle.gray`).
    static func shade(_ series: Int) -> UInt8 { SeriesStyle.of(series).gray }

    /// Where the plot area is and how values map into it, in pixels from the top left.
    struct Frame {
        var left: Int, top: Int, right: Int, bottom: Int
        var low: Double, high: Double
        var count: Int

        func x(_ index: Int) -> Double {
            count <= 1 ? Double(left + right) / 2
                : Double(left) + Double(index) * Double(right - left) / Double(count - 1)
        }

        func y(_ value: Double) -> Double {
            Double(bottom) - (value - low) / (high - low) * Double(bottom - top)
        }

        var rect: LegendPlacement.Rect {
            .init(x: Double(left), y: Double(top), width: Double(right - left), height: Double(bottom - top))
        }
    }

    var pointCount: Int { series.map(\.values.count).max() ?? 0 }

    /// The y axis' round ticks (`Ticks.linear`), covering the finite values and the error
    /// bars' ends; they start at zero or above when no value is below zero (an error or a
    /// loss).
    var yTicks: Ticks {
        let bars = series.flatMap { s in s.values.indices.compactMap(s.bar).flatMap { [$0.low, $0.high] } }
        let finite = (series.flatMap(\.values) + bars).filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return Ticks.linear(low: 0, high: 1) }
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

    var titleScale: Int { BitmapFont.width(title, scale: 2) <= width - 8 ? 2 : 1 }

    var frame: Frame {
        let line = BitmapFont.height() + 4
        let left = 8 + (yTicks.labels.map { BitmapFont.width($0) }.max() ?? 0) + 6
        let top = 4 + BitmapFont.height(scale: titleScale) + 6 + line
        let (low, high) = valueRange
        return Frame(left: left, top: top, right: width - 14, bottom: height - 2 * line - 6,
                     low: low, high: high, count: pointCount)
    }

    /// Each series' finite points in pixels.
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

    /// Each series' error bars in pixels: x, and the y of both ends.
    func bars(_ frame: Frame) -> [[(x: Double, low: Double, high: Double)]] {
        series.map { s in
            s.values.indices.compactMap { i in s.bar(i).map { (frame.x(i), frame.y($0.low), frame.y($0.high)) } }
        }
    }

    /// The legend's box: a row per series, a sample of its line with its marker, then its name.
    var legendSize: (width: Int, height: Int) {
        let names = series.map { BitmapFont.width($0.name) }.max() ?? 0
        return (38 + names, series.count * (BitmapFont.height() + 4) + 4)
    }

    /// The legend's box in `frame`: the corner covering the fewest points, line segments,
    /// error bars and levels (`LegendPlacement`).
    func legendBox(_ frame: Frame) -> LegendPlacement.Rect {
        let placement = LegendPlacement(plot: frame.rect, width: Double(legendSize.width),
                                        height: Double(legendSize.height))
        let points = points(frame)
        var segments = points.flatMap { line in zip(line, line.dropFirst()).map { ($0, $1) } }
        segments += bars(frame).flatMap { $0.map { bar in ((bar.x, bar.low), (bar.x, bar.high)) } }
        if drawsLevels {
            segments += points.compactMap(\.first).map { p in ((Double(frame.left), p.y), (Double(frame.right), p.y)) }
        }
        return placement.box(placement.corner(points: points.flatMap { $0 }, segments: segments))
    }

    // MARK: - PNG

    /// The chart as a `width` x `height` grayscale image.
    public func render() -> GrayImage {
        var image = GrayImage(width: width, height: height, fill: Self.background)
        let f = frame
        let line = BitmapFont.height() + 4
        image.drawText(title, at: max(4, (width - BitmapFont.width(title, scale: titleScale)) / 2), 4,
                       scale: titleScale, value: Self.ink)
        guard f.right - f.left >= 8, f.bottom - f.top >= 8 else { return image }
        image.drawText(yLabel, at: f.left - 2, f.top - line, value: Self.ink)
        // axes and ticks
        image.fill(x: f.left - 1, y: f.top, width: 1, height: f.bottom - f.top + 1, value: Self.ink)
        image.fill(x: f.left - 1, y: f.bottom, width: f.right - f.left + 2, height: 1, value: Self.ink)
        let ticks = yTicks
        for (value, label) in zip(ticks.values, ticks.labels) {
            let y = Int(f.y(value).rounded())
            image.fill(x: f.left - 4, y: y, width: 3, height: 1, value: Self.ink)
            image.drawText(label, at: f.left - 6 - BitmapFont.width(label), y - BitmapFont.glyphHeight / 2,
                           value: Self.ink)
        }
        for index in xTicks {
            let x = Int(f.x(index).rounded())
            image.fill(x: x, y: f.bottom + 1, width: 1, height: 3, value: Self.ink)
            let label = xTickLabel(index), w = BitmapFont.width(label)
            image.drawText(label, at: min(max(0, x - w / 2), width - w), f.bottom + 6, value: Self.ink)
        }
        image.drawText(xLabel, at: f.left + (f.right - f.left - BitmapFont.width(xLabel)) / 2, f.bottom + 6 + line,
                       value: Self.ink)
        // the series, the first one last so that it stays on top
        for (index, points) in points(f).enumerated().reversed() {
            let style = SeriesStyle.of(index)
            for (a, b) in zip(points, points.dropFirst()) {
                image.drawLine(from: a, to: b, value: style.gray, style: style)
            }
            for bar in bars(f)[index] {
                let x = Int(bar.x.rounded()), top = Int(bar.high.rounded()), bottom = Int(bar.low.rounded())
                image.fill(x: x, y: top, width: 1, height: bottom - top + 1, value: style.gray)
                image.fill(x: x - 3, y: top, width: 7, height: 1, value: style.gray)
                image.fill(x: x - 3, y: bottom, width: 7, height: 1, value: style.gray)
            }
            for p in points { image.drawMarker(style.marker, at: p, value: style.gray) }
            if drawsLevels, let p = points.first {
                image.drawLine(from: (Double(f.left), p.y), to: (Double(f.right), p.y), value: style.gray, style: style)
            }
        }
        // the legend, on white, in the corner covering the least data
        let box = legendBox(f)
        let x = Int(box.x), top = Int(box.y)
        image.fill(x: x, y: top, width: Int(box.width), height: Int(box.height), value: Self.background)
        image.strokeRect(x: x, y: top, width: Int(box.width), height: Int(box.height), value: 200)
        for (index, s) in series.enumerated() {
            let style = SeriesStyle.of(index), y = top + 4 + index * line
            // a sample 28 pixels long, so that the dashes show on both sides of the marker
            image.drawLine(from: (Double(x + 3), Double(y + 3)), to: (Double(x + 31), Double(y + 3)),
                           value: style.gray, style: style)
            image.drawMarker(style.marker, at: (Double(x + 17), Double(y + 3)), value: style.gray)
            image.drawText(s.name, at: x + 35, y, value: Self.ink)
        }
        return image
    }

    // MARK: - SVG

    /// The chart as a standalone SVG document: one `<polyline>` per series (points in
    /// pixels, one per finite value) in its `SeriesStyle` colour and dashes, a marker per
    /// point, axes, ticks and text.
    public func svg() -> String {
        let f = frame
        let line = Double(BitmapFont.height() + 4)
        func n(_ v: Double) -> String { String(format: "%.1f", v) }
        func dash(_ style: SeriesStyle) -> String {
            style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash.map(String.init).joined(separator: " "))\""
        }
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="18" text-anchor="middle" font-size="14">\(Self.escape(title))</text>

            """
        out += "<text x=\(quote(n(Double(f.left - 2)))) "
            + "y=\(quote(n(Double(f.top) - 6)))>\(Self.escape(yLabel))</text>\n"
        out += "<path d=\"M\(f.left - 1) \(f.top) V\(f.bottom) H\(f.right + 1)\" fill=\"none\" stroke=\"black\"/>\n"
        let ticks = yTicks
        for (value, label) in zip(ticks.values, ticks.labels) {
            let y = n(f.y(value))
            out += "<line x1=\"\(f.left - 4)\" y1=\"\(y)\" x2=\"\(f.left - 1)\" y2=\"\(y)\" stroke=\"black\"/>"
            out += "<text x=\"\(f.left - 6)\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">"
                + "\(label)</text>\n"
        }
        for index in xTicks {
            let x = n(f.x(index))
            out += "<line x1=\"\(x)\" y1=\"\(f.bottom)\" x2=\"\(x)\" y2=\"\(f.bottom + 4)\" stroke=\"black\"/>"
            out += "<text x=\"\(x)\" y=\"\(f.bottom + 6)\" text-anchor=\"middle\" dominant-baseline=\"hanging\">"
                + "\(Self.escape(xTickLabel(index)))</text>\n"
        }
        out += "<text x=\(quote(n(Double(f.left + f.right) / 2))) y=\(quote(n(Double(f.bottom) + 6 + line))) "
            + "text-anchor=\"middle\" dominant-baseline=\"hanging\">\(Self.escape(xLabel))</text>\n"
        for (index, points) in points(f).enumerated().reversed() {
            let style = SeriesStyle.of(index)
            let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
            out += "<polyline class=\"series\" data-name=\(quote(Self.escape(series[index].name))) "
                + "points=\"\(list)\" fill=\"none\" stroke=\"\(style.hex)\" stroke-width=\"2\"\(dash(style))/>\n"
            for bar in bars(f)[index] {
                out += "<path class=\"bar\" d=\"M\(n(bar.x)) \(n(bar.high)) V\(n(bar.low)) M\(n(bar.x - 3)) "
                    + "\(n(bar.high)) h6 M\(n(bar.x - 3)) \(n(bar.low)) h6\" stroke=\"\(style.hex)\" fill=\"none\"/>\n"
            }
            for p in points { out += Self.svgMarker(style, at: p) }
            if drawsLevels, let p = points.first {
                out += "<line class=\"level\" x1=\"\(f.left)\" y1=\(quote(n(p.y))) x2=\"\(f.right)\" "
                    + "y2=\(quote(n(p.y))) stroke=\"\(style.hex)\" stroke-width=\"2\"\(dash(style))/>\n"
            }
        }
        let box = legendBox(f)
        out += "<rect class=\"legend\" x=\(quote(n(box.x))) y=\(quote(n(box.y))) width=\(quote(n(box.width))) "
            + "height=\(quote(n(box.height))) fill=\"white\" stroke=\"rgb(200,200,200)\"/>\n"
        for (index, s) in series.enumerated() {
            let style = SeriesStyle.of(index), y = box.y + 4 + Double(index) * line + 3
            out += "<line x1=\(quote(n(box.x + 3))) y1=\(quote(n(y))) x2=\(quote(n(box.x + 31))) y2=\(quote(n(y))) "
                + "stroke=\"\(style.hex)\" stroke-width=\"2\"\(dash(style))/>"
            out += Self.svgMarker(style, at: (box.x + 17, y))
            out += "<text x=\(quote(n(box.x + 35))) y=\(quote(n(y))) dominant-baseline=\"middle\">"
                + "\(Self.escape(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// A point's marker in SVG, in the series' colour, about 6 pixels across.
    static func svgMarker(_ style: SeriesStyle, at p: (x: Double, y: Double)) -> String {
        func n(_ v: Double) -> String { String(format: "%.1f", v) }
        let (x, y) = (p.x, p.y)
        let d: String
        switch style.marker {
        case .square: d = "M\(n(x - 3)) \(n(y - 3)) h6 v6 h-6 Z"
        case .circle: d = "M\(n(x - 3)) \(n(y)) a3 3 0 1 0 6 0 a3 3 0 1 0 -6 0 Z"
        case .triangle: d = "M\(n(x)) \(n(y - 4)) L\(n(x + 4)) \(n(y + 3)) L\(n(x - 4)) \(n(y + 3)) Z"
        case .diamond: d = "M\(n(x)) \(n(y - 4)) L\(n(x + 4)) \(n(y)) L\(n(x)) \(n(y + 4)) L\(n(x - 4)) \(n(y)) Z"
        case .cross:
            d = "M\(n(x - 3)) \(n(y - 3)) L\(n(x + 3)) \(n(y + 3)) M\(n(x - 3)) \(n(y + 3)) L\(n(x + 3)) \(n(y - 3))"
        }
        let fill = style.marker == .cross ? "none" : style.hex
        return "<path class=\"marker\" d=\"\(d)\" fill=\"\(fill)\" stroke=\"\(style.hex)\"/>"
    }

    private func quote(_ s: String) -> String { "\"" + s + "\"" }

    /// Text safe inside an XML element or a double-quoted attribute: the report's
    /// escaping, which goes by Unicode scalar ("<" followed by a combining mark is one
    /// Character) and keeps control characters out of the XML.
    static func escape(_ text: String) -> String { HTMLReport.escape(text) }
}

extension GrayImage {
    /// Draws a 2-pixel-wide line from `a` to `b` in `value`, clipped to the image, with
    /// `style`'s dash pattern (solid without a style).
    mutating func drawLine(from a: (x: Double, y: Double), to b: (x: Double, y: Double), value: UInt8,
                           style: SeriesStyle?) {
        let length = max(abs(b.x - a.x), abs(b.y - a.y))
        let steps = max(1, Int(length.rounded(.up)))
        for i in 0...steps {
            if let style, !style.draws(at: i) { continue }
            let t = Double(i) / Double(steps)
            let x = Int((a.x + (b.x - a.x) * t).rounded()), y = Int((a.y + (b.y - a.y) * t).rounded())
            fill(x: x, y: y, width: 2, height: 2, value: value)
        }
    }

    /// Draws `marker` centred on `p`, 7 pixels across, in `value`, clipped to the image.
    mutating func drawMarker(_ marker: SeriesStyle.Marker, at p: (x: Double, y: Double), value: UInt8) {
        let cx = Int(p.x.rounded()), cy = Int(p.y.rounded())
        for dy in -3...3 {
            for dx in -3...3 {
                let on: Bool
                switch marker {
                case .square: on = abs(dx) <= 2 && abs(dy) <= 2
                case .circle: on = dx * dx + dy * dy <= 9
                case .triangle: on = dy >= -3 && dy <= 2 && abs(dx) * 2 <= dy + 4
                case .diamond: on = abs(dx) + abs(dy) <= 3
                case .cross: on = abs(dx) == abs(dy)
                }
                if on { fill(x: cx + dx, y: cy + dy, width: 1, height: 1, value: value) }
            }
        }
    }

    /// A 1-pixel outline of the rectangle.
    mutating func strokeRect(x: Int, y: Int, width: Int, height: Int, value: UInt8) {
        fill(x: x, y: y, width: width, height: 1, value: value)
        fill(x: x, y: y + height - 1, width: width, height: 1, value: value)
        fill(x: x, y: y, width: 1, height: height, value: value)
        fill(x: x + width - 1, y: y, width: 1, height: height, value: value)
    }
}

extension LineChart {
    /// `train --plot`'s chart: the training loss and the test MSE per epoch, from epoch
    /// `firstEpoch` on.
    public static func trainingCurves(trainLoss: [Double], testMSE: [Double], firstEpoch: Int) -> LineChart {
        LineChart(title: "autoenc train", xLabel: "epoch", yLabel: "mean squared error per pixel",
                  series: [.init(name: "train loss", values: trainLoss), .init(name: "test mse", values: testMSE)],
                  firstX: firstEpoch)
    }
}
