import Foundation

/// A small line chart of one or more series over consecutive integers (epochs), or over
/// labeled points (a sweep's values): axes with tick labels, a title, axis labels and a
/// legend, as a grayscale PNG (drawn in the bitmap font) or as SVG. The first series is
/// drawn solid and black, the second dashed and gray, further ones in lighter grays; a
/// series may carry error bars.
public struct LineChart: Sendable {
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
            guard let spread, i < spread.count, spread[i].isFinite, spread[i] > 0, values[i].isFinite else { return nil }
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
    static func shade(_ series: Int) -> UInt8 { [0, 110, 170, 200][min(series, 3)] }

    /// Where the plot area is and how values map into it, in pixels from the top left.
    struct Frame {
        var left: Int, top: Int, right: Int, bottom: Int
        var low: Double, high: Double
        var count: Int

        func x(_ index: Int) -> Double {
            count <= 1 ? Double(left + right) / 2 : Double(left) + Double(index) * Double(right - left) / Double(count - 1)
        }

        func y(_ value: Double) -> Double {
            Double(bottom) - (value - low) / (high - low) * Double(bottom - top)
        }
    }

    var pointCount: Int { series.map(\.values.count).max() ?? 0 }

    /// The y range: the finite values' extent with 5% to spare, never empty, and never
    /// below zero when no value is (an error or a loss).
    var valueRange: (low: Double, high: Double) {
        let bars = series.flatMap { s in s.values.indices.compactMap(s.bar).flatMap { [$0.low, $0.high] } }
        let finite = (series.flatMap(\.values) + bars).filter(\.isFinite)
        guard var low = finite.min(), var high = finite.max() else { return (0, 1) }
        let floor = low >= 0 ? 0 : -Double.infinity
        if high - low < 1e-12 * max(1, abs(high)) {
            let pad = abs(high) > 0 ? abs(high) * 0.1 : 1
            return (max(low - pad, floor), high + pad)
        }
        let pad = (high - low) * 0.05
        low = max(low - pad, floor)
        high += pad
        return (low, high)
    }

    /// With one point per series there is no line to draw: each value is drawn as a
    /// level across the plot as well (a one-epoch chart was two dots).
    var drawsLevels: Bool { pointCount == 1 }

    var yTicks: [(label: String, value: Double)] {
        let (low, high) = valueRange
        return [high, (low + high) / 2, low].map { (Self.format($0), $0) }
    }

    /// Up to six integer x ticks, the first and last x always among them.
    var xTicks: [Int] {
        let n = pointCount
        if xLabels != nil { return Array(0..<n) }
        guard n > 1 else { return n == 1 ? [0] : [] }
        let step = max(1, Int((Double(n - 1) / 5).rounded(.up)))
        var ticks = Array(stride(from: 0, to: n - 1, by: step))
        if let last = ticks.last, n - 1 - last < step / 2 + 1, ticks.count > 1 { ticks.removeLast() }
        return ticks + [n - 1]
    }

    var titleScale: Int { BitmapFont.width(title, scale: 2) <= width - 8 ? 2 : 1 }

    var frame: Frame {
        let line = BitmapFont.height() + 4
        let left = 8 + (yTicks.map { BitmapFont.width($0.label) }.max() ?? 0) + 6
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

    /// Tick labels: 4 significant digits.
    static func format(_ v: Double) -> String { String(format: "%.4g", v) }

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
        for tick in yTicks {
            let y = Int(f.y(tick.value).rounded())
            image.fill(x: f.left - 4, y: y, width: 3, height: 1, value: Self.ink)
            image.drawText(tick.label, at: f.left - 6 - BitmapFont.width(tick.label), y - BitmapFont.glyphHeight / 2, value: Self.ink)
        }
        for index in xTicks {
            let x = Int(f.x(index).rounded())
            image.fill(x: x, y: f.bottom + 1, width: 1, height: 3, value: Self.ink)
            let label = xTickLabel(index), w = BitmapFont.width(label)
            image.drawText(label, at: min(max(0, x - w / 2), width - w), f.bottom + 6, value: Self.ink)
        }
        image.drawText(xLabel, at: f.left + (f.right - f.left - BitmapFont.width(xLabel)) / 2, f.bottom + 6 + line, value: Self.ink)
        // the series, the first one last so that it stays on top
        for (index, points) in points(f).enumerated().reversed() {
            let shade = Self.shade(index)
            for (a, b) in zip(points, points.dropFirst()) {
                image.drawLine(from: a, to: b, value: shade, dash: index == 0 ? nil : (6, 4))
            }
            for p in points { image.fill(x: Int(p.x.rounded()) - 1, y: Int(p.y.rounded()) - 1, width: 3, height: 3, value: shade) }
            for bar in bars(f)[index] {
                let x = Int(bar.x.rounded()), top = Int(bar.high.rounded()), bottom = Int(bar.low.rounded())
                image.fill(x: x, y: top, width: 1, height: bottom - top + 1, value: shade)
                image.fill(x: x - 3, y: top, width: 7, height: 1, value: shade)
                image.fill(x: x - 3, y: bottom, width: 7, height: 1, value: shade)
            }
            if drawsLevels, let p = points.first {
                image.drawLine(from: (Double(f.left), p.y), to: (Double(f.right), p.y), value: shade, dash: index == 0 ? nil : (6, 4))
            }
        }
        // legend, top right inside the plot area
        var y = f.top + 4
        let legendWidth = 20 + (series.map { BitmapFont.width($0.name) }.max() ?? 0)
        for (index, s) in series.enumerated() {
            let x = f.right - legendWidth - 4
            image.drawLine(from: (Double(x), Double(y + 3)), to: (Double(x + 14), Double(y + 3)),
                           value: Self.shade(index), dash: index == 0 ? nil : (4, 3))
            image.drawText(s.name, at: x + 20, y, value: Self.ink)
            y += line
        }
        return image
    }

    // MARK: - SVG

    /// The chart as a standalone SVG document: one `<polyline>` per series (points in
    /// pixels, one per finite value), axes, ticks and text.
    public func svg() -> String {
        let f = frame
        let line = Double(BitmapFont.height() + 4)
        func n(_ v: Double) -> String { String(format: "%.1f", v) }
        func gray(_ v: UInt8) -> String { "rgb(\(v),\(v),\(v))" }
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="18" text-anchor="middle" font-size="14">\(Self.escape(title))</text>

            """
        out += "<text x=\(quote(n(Double(f.left - 2)))) y=\(quote(n(Double(f.top) - 6)))>\(Self.escape(yLabel))</text>\n"
        out += "<path d=\"M\(f.left - 1) \(f.top) V\(f.bottom) H\(f.right + 1)\" fill=\"none\" stroke=\"black\"/>\n"
        for tick in yTicks {
            let y = n(f.y(tick.value))
            out += "<line x1=\"\(f.left - 4)\" y1=\"\(y)\" x2=\"\(f.left - 1)\" y2=\"\(y)\" stroke=\"black\"/>"
            out += "<text x=\"\(f.left - 6)\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(tick.label)</text>\n"
        }
        for index in xTicks {
            let x = n(f.x(index))
            out += "<line x1=\"\(x)\" y1=\"\(f.bottom)\" x2=\"\(x)\" y2=\"\(f.bottom + 4)\" stroke=\"black\"/>"
            out += "<text x=\"\(x)\" y=\"\(f.bottom + 6)\" text-anchor=\"middle\" dominant-baseline=\"hanging\">\(Self.escape(xTickLabel(index)))</text>\n"
        }
        out += "<text x=\(quote(n(Double(f.left + f.right) / 2))) y=\(quote(n(Double(f.bottom) + 6 + line))) text-anchor=\"middle\" dominant-baseline=\"hanging\">\(Self.escape(xLabel))</text>\n"
        for (index, points) in points(f).enumerated().reversed() {
            let dash = index == 0 ? "" : " stroke-dasharray=\"6 4\""
            let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
            out += "<polyline class=\"series\" data-name=\(quote(Self.escape(series[index].name))) points=\"\(list)\" fill=\"none\" stroke=\"\(gray(Self.shade(index)))\" stroke-width=\"2\"\(dash)/>\n"
            for bar in bars(f)[index] {
                out += "<path class=\"bar\" d=\"M\(n(bar.x)) \(n(bar.high)) V\(n(bar.low)) M\(n(bar.x - 3)) \(n(bar.high)) h6 M\(n(bar.x - 3)) \(n(bar.low)) h6\" stroke=\"\(gray(Self.shade(index)))\" fill=\"none\"/>\n"
            }
            if drawsLevels, let p = points.first {
                out += "<line class=\"level\" x1=\"\(f.left)\" y1=\(quote(n(p.y))) x2=\"\(f.right)\" y2=\(quote(n(p.y))) stroke=\"\(gray(Self.shade(index)))\" stroke-width=\"2\"\(dash)/>\n"
            }
        }
        let legendWidth = 20 + (series.map { BitmapFont.width($0.name) }.max() ?? 0)
        for (index, s) in series.enumerated() {
            let x = f.right - legendWidth - 4, y = Double(f.top + 4) + Double(index) * line
            let dash = index == 0 ? "" : " stroke-dasharray=\"4 3\""
            out += "<line x1=\"\(x)\" y1=\(quote(n(y + 3))) x2=\"\(x + 14)\" y2=\(quote(n(y + 3))) stroke=\"\(gray(Self.shade(index)))\" stroke-width=\"2\"\(dash)/>"
            out += "<text x=\"\(x + 20)\" y=\(quote(n(y + 3))) dominant-baseline=\"middle\">\(Self.escape(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    private func quote(_ s: String) -> String { "\"" + s + "\"" }

    /// Text safe inside an XML element or a double-quoted attribute: the report's
    /// escaping, which goes by Unicode scalar ("<" followed by a combining mark is one
    /// Character) and keeps control characters out of the XML.
    static func escape(_ text: String) -> String { HTMLReport.escape(text) }
}

extension GrayImage {
    /// Draws a 2-pixel-wide line from `a` to `b` in `value`, clipped to the image;
    /// with `dash` (on, off) in pixels along the line, dashed.
    mutating func drawLine(from a: (x: Double, y: Double), to b: (x: Double, y: Double), value: UInt8, dash: (Int, Int)? = nil) {
        let length = max(abs(b.x - a.x), abs(b.y - a.y))
        let steps = max(1, Int(length.rounded(.up)))
        for i in 0...steps {
            if let (on, off) = dash, i % (on + off) >= on { continue }
            let t = Double(i) / Double(steps)
            let x = Int((a.x + (b.x - a.x) * t).rounded()), y = Int((a.y + (b.y - a.y) * t).rounded())
            fill(x: x, y: y, width: 2, height: 2, value: value)
        }
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
