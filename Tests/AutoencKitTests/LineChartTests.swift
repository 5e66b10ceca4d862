import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The charts drawn through cairo: PNG at twice the pixel density whose pixels land where
/// the data puts them, SVG that parses as XML with the text as glyphs, and PDF whose text
/// `pdftotext` reads back.
@Suite struct LineChartTests {
    static func chart(epochs: Int, firstX: Int = 1) -> LineChart {
        LineChart(title: "autoenc train", xLabel: "epoch", yLabel: "mse",
                  series: [.init(name: "train loss", values: (0..<epochs).map { 0.1 / Double($0 + 1) }),
                           .init(name: "test mse", values: (0..<epochs).map { 0.12 / Double($0 + 1) + 0.01 })],
                  firstX: firstX)
    }

    @Test("PNG: twice the chart's size in points, 8-bit RGB, what raster() draws", arguments: [1, 2, 7, 40])
    func png(epochs: Int) throws {
        let chart = Self.chart(epochs: epochs)
        let png = try chart.encoded(as: .png)
        #expect(Array(png[0..<8]) == PNG.signature)
        // IHDR: width, height (big-endian), bit depth 8, colour type 2 (RGB)
        let header = Array(png[16..<26])
        let width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        let height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 2 * Int(chart.width) && height == 2 * Int(chart.height))
        #expect(header[8] == 8 && header[9] == 2, "bit depth \(header[8]), colour type \(header[9])")
        // pHYs right after IHDR: 5669 pixels a metre both ways (144 dpi, 2 pixels a point)
        #expect(String(decoding: png[37..<41], as: UTF8.self) == "pHYs")
        #expect(Array(png[41..<50]) == [0, 0, 0x16, 0x25, 0, 0, 0x16, 0x25, 1])
        // every chunk's CRC-32 checks, IHDR first and IEND last
        var offset = 8, types: [String] = []
        func word(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        while offset + 12 <= png.count {
            let length = word(offset), body = Array(png[offset + 4..<offset + 8 + length])
            types.append(String(decoding: body[0..<4], as: UTF8.self))
            #expect(UInt32(word(offset + 8 + length)) == PNG.crc32(body), "\(types.last!) CRC")
            offset += 12 + length
        }
        #expect(offset == png.count && types.first == "IHDR" && types.last == "IEND" && types[1] == "pHYs")
        let image = try chart.raster()
        #expect(image.width == width && image.height == height)
        // the second series' blue is drawn, antialiased: some pixels exactly, some blended
        let blue = SeriesStyle.of(1)
        #expect(Self.pixels(image, near: blue, within: 0).count > 10)
    }

    /// The pixels of `image` whose colour is within `within` (summed over the channels)
    /// of `style`'s, as (x, y).
    static func pixels(_ image: RGBImage, near style: SeriesStyle, within: Int,
                       in region: (x: ClosedRange<Int>, y: ClosedRange<Int>)? = nil) -> [(x: Int, y: Int)] {
        let xs = region?.x ?? 0...(image.width - 1), ys = region?.y ?? 0...(image.height - 1)
        var found: [(x: Int, y: Int)] = []
        for y in ys where y >= 0 && y < image.height {
            for x in xs where x >= 0 && x < image.width {
                let p = image[x, y]
                let distance = abs(Int(p.red) - Int(style.red)) + abs(Int(p.green) - Int(style.green))
                    + abs(Int(p.blue) - Int(style.blue))
                if distance <= within { found.append((x, y)) }
            }
        }
        return found
    }

    /// A known chart drawn at 2 pixels a point: around each point the data gives, the
    /// pixels of its series' colour (its marker, a circle 3.5 points across, and the line
    /// through it) have their centre within 1.5 pixels (0.75 points) of where the value
    /// maps; half-way between two points the line passes within 1.5 pixels of the segment's
    /// middle; and a spot of the plot far from both lines has none of their colours.
    @Test func pixelsLandWhereTheDataSays() throws {
        let blue = [0.30, 0.62, 0.41, 0.85, 0.52], red = [0.15, 0.2, 0.25, 0.22, 0.12]
        let chart = LineChart(title: "known points", xLabel: "epoch", yLabel: "value",
                              series: [.init(name: "black", values: [.nan]), .init(name: "blue", values: blue),
                                       .init(name: "vermillion", values: red)])
        let f = chart.frame, scale = Canvas.pngScale
        #expect(f.low == 0 && f.high == 1, "ticks 0, 0.2, ..., 1: \(chart.yTicks.labels)")
        let image = try chart.raster(scale: scale)
        let style = SeriesStyle.of(1)
        #expect(style.marker == .circle)
        for (i, v) in blue.enumerated() {
            let x = f.x(i) * scale, y = f.y(v) * scale
            let near = Self.pixels(image, near: style, within: 40,
                                   in: (Int(x) - 7...Int(x) + 7, Int(y) - 7...Int(y) + 7))
            try #require(near.count > 60, "point \(i): \(near.count) blue pixels near (\(x), \(y))")
            // pixel (px, py) covers px...px + 1: its centre is at px + 0.5
            let cx = near.map { Double($0.x) + 0.5 }.reduce(0, +) / Double(near.count)
            let cy = near.map { Double($0.y) + 0.5 }.reduce(0, +) / Double(near.count)
            #expect(abs(cx - x) <= 1.5 && abs(cy - y) <= 1.5,
                    "point \(i) of blue: drawn around (\(cx), \(cy)), the data gives (\(x), \(y))")
        }
        // the middle of each segment: the dashed line has a gap or a dash there, so look
        // along a short stretch of the segment for the nearest blue pixel
        for i in 0..<(blue.count - 1) {
            var nearest = Double.infinity
            for t in stride(from: 0.35, through: 0.65, by: 0.05) {
                let x = (f.x(i) + t * (f.x(i + 1) - f.x(i))) * scale
                let y = (f.y(blue[i]) + t * (f.y(blue[i + 1]) - f.y(blue[i]))) * scale
                for p in Self.pixels(image, near: style, within: 40, in: (Int(x) - 4...Int(x) + 4,
                                                                           Int(y) - 4...Int(y) + 4)) {
                    nearest = min(nearest, hypot(Double(p.x) + 0.5 - x, Double(p.y) + 0.5 - y))
                }
            }
            #expect(nearest <= 1.5, "segment \(i): nearest blue pixel \(nearest) px from the line")
        }
        // a value of 0.95 at the middle epoch is far above both lines (and the legend sits
        // in another corner): none of their colours there
        let x = Int(f.x(2) * scale), y = Int(f.y(0.95) * scale)
        let legend = chart.legendBox(f)
        #expect(!legend.contains((f.x(2), f.y(0.95))), "legend \(legend)")
        for s in [SeriesStyle.of(1), SeriesStyle.of(2)] {
            #expect(Self.pixels(image, near: s, within: 40, in: (x - 10...x + 10, y - 10...y + 10)).isEmpty)
        }
    }

    /// Parses `svg` with Foundation's XMLParser: its root element and the names of all
    /// its elements.
    static func elements(_ svg: [UInt8]) throws -> (root: String?, names: [String]) {
        final class Collector: NSObject, XMLParserDelegate {
            var names: [String] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                        qualifiedName: String?, attributes: [String: String] = [:]) {
                names.append(name)
            }
        }
        let parser = XMLParser(data: Data(svg))
        let collector = Collector()
        parser.delegate = collector
        try #require(parser.parse(), "XML error: \(String(describing: parser.parserError))")
        return (collector.names.first, collector.names)
    }

    @Test("SVG: well-formed XML of the chart's size in points, its text as glyphs", arguments: [1, 2, 5])
    func svg(epochs: Int) throws {
        let chart = Self.chart(epochs: epochs, firstX: 3)
        let bytes = try chart.encoded(as: .svg)
        let (root, names) = try Self.elements(bytes)
        #expect(root == "svg")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("width=\"480pt\"") && text.contains("height=\"320pt\""))
        // cairo writes each glyph once as a symbol and places it with <use>: the title
        // alone places 12 glyphs
        #expect(text.contains("id=\"glyph"))
        #expect(names.filter { $0 == "use" }.count >= 12, "\(names.filter { $0 == "use" }.count) glyphs placed")
        #expect(names.contains("path"))
    }

    /// Characters that are markup in XML reach the SVG as glyphs, never as text, so the
    /// file stays well-formed; non-finite values are left out of the line.
    @Test func markupCharactersAndGaps() throws {
        let chart = LineChart(title: "a < b & \"c\" <\u{338}", xLabel: "&\u{301}", yLabel: "y",
                              series: [.init(name: "<one>", values: [1, .nan, 3]),
                                       .init(name: "two", values: [.infinity, .infinity])])
        #expect(try Self.elements(chart.encoded(as: .svg)).root == "svg")
        #expect(chart.points(chart.frame).map(\.count) == [2, 0])
        #expect(try chart.encoded(as: .pdf).starts(with: Array("%PDF-".utf8)))
    }

    /// Dead units of 1 ± 1.5: a count's axis stays at zero, the bar cut there (the axis ran
    /// to -50 for a bar reaching below zero).
    @Test func countsStayAboveZeroUnderTheirBars() throws {
        let chart = LineChart(title: "t", xLabel: "drop_p", yLabel: "dead_units",
                              series: [.init(name: "dropconnect", values: [56, 30, 1], spread: [5, 3, 1.5])],
                              xLabels: ["0", "0.5", "0.9"])
        let frame = chart.frame
        #expect(frame.low == 0 && chart.yTicks.labels.first == "0", "\(chart.yTicks.labels)")
        let last = try #require(chart.bars(frame)[0].last)
        #expect(abs(last.low - frame.bottom) < 1e-9, "the bar ends at the axis: \(last), bottom \(frame.bottom)")
    }

    /// A sweep's test_mse_sample64 has values for DropConnect alone: the legend lists it
    /// alone, in its own style (the third series' vermillion).
    @Test func legendListsTheSeriesDrawn() {
        let chart = LineChart(title: "t", xLabel: "drop_p", yLabel: "y",
                              series: [.init(name: "none", values: [.nan, .nan]),
                                       .init(name: "dropout", values: [.nan, .nan]),
                                       .init(name: "dropconnect", values: [0.1, 0.2])],
                              xLabels: ["0.2", "0.5"])
        #expect(chart.legendEntries.map(\.index) == [2] && chart.legendEntries.map(\.name) == ["dropconnect"])
        #expect(chart.legendSize.height == LineChart.legendRow + 6)
    }

    @Test func formatByExtension() {
        #expect(ChartFormat(path: "run/loss.PNG") == .png)
        #expect(ChartFormat(path: "loss.svg") == .svg)
        #expect(ChartFormat(path: "loss.pdf") == .pdf)
        #expect(ChartFormat(path: "loss.eps") == nil)
        #expect(ChartFormat(path: "dir.svg/loss") == nil)
        #expect(ChartFormat.accepted == ".png, .svg or .pdf")
    }

    /// An error's axis does not go below zero (it did, by the 5% margin), and a chart of
    /// one epoch draws each value as a level across the plot (it was two dots).
    @Test func errorsStayAboveZeroAndOneEpochShowsLevels() throws {
        let chart = LineChart.trainingCurves(trainLoss: [0.04, 0.02, 0.001], testMSE: [0.03, 0.015, 0.0005],
                                             firstEpoch: 1)
        #expect(chart.valueRange.low == 0, "\(chart.valueRange)")
        let signed = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", values: [-1, 1])],
                               firstX: 1)
        #expect(signed.valueRange.low <= -1 && signed.valueRange.high >= 1, "\(signed.valueRange)")
        let one = LineChart.trainingCurves(trainLoss: [0.04], testMSE: [0.03], firstEpoch: 1)
        let image = try one.raster(scale: 1), f = one.frame
        // the level of train loss (black, solid) across the plot, within a pixel of 0.04
        let y = Int(f.y(0.04))
        var dark = 0
        for x in Int(f.left)..<Int(f.right) where (y - 1...y + 1).contains(where: { image[x, $0].red < 100 }) {
            dark += 1
        }
        #expect(Double(dark) > (f.right - f.left) * 0.8, "row \(y): \(dark) of \(f.right - f.left) pixels drawn")
    }

    @Test("a sweep's chart: a tick label per point, and an error bar of the right length per point with a spread")
    func errorBarsAndLabels() throws {
        let chart = LineChart(title: "sweep", xLabel: "drop_p", yLabel: "test mse",
                              series: [.init(name: "dropout", values: [0.2, 0.4, 0.3], spread: [0.05, .nan, 0.1])],
                              xLabels: ["0", "0.5", "0.9"])
        #expect(chart.xTicks == [0, 1, 2] && chart.xTicks.map(chart.xTickLabel) == ["0", "0.5", "0.9"])
        let frame = chart.frame
        // two bars (the NaN spread draws none), each from value - spread to value + spread
        let bars = chart.bars(frame)[0]
        #expect(bars.count == 2)
        let perUnit = (frame.bottom - frame.top) / (frame.high - frame.low)
        let first = try #require(bars.first)
        #expect(abs((first.low - first.high) - 0.1 * perUnit) < 1e-6, "bar \(first)")
        // the range holds the bars' ends: 0.4 at most above, 0.2 - 0.05 below
        #expect(frame.low <= 0.15 && frame.high >= 0.4)
        // the bar's caps (6 points wide) are drawn in the series' colour at both ends, within a
        // pixel, at 2 pixels a point; right of the axis, where no tick mark is
        let image = try chart.raster(scale: 2), style = SeriesStyle.of(0)
        for end in [first.low, first.high] {
            let x = Int(2 * first.x), y = Int(2 * end)
            #expect(!Self.pixels(image, near: style, within: 60, in: (x + 2...x + 5, y - 2...y + 2)).isEmpty,
                    "no cap at \(end)")
        }
    }
}

/// The PDF a chart writes: a PDF whose labels are text, as `pdftotext` (poppler-utils,
/// which Scripts/setup installs) reads them back.
@Suite struct ChartPDFTests {
    /// pdftotext's path, nil when it is not installed.
    static let pdftotext: String? = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext", "/opt/homebrew/bin/pdftotext"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The text pdftotext extracts from `pdf`.
    static func text(_ pdf: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoenc-chart-\(UInt64.random(in: 0...UInt64.max)).pdf")
        try Data(pdf).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(pdftotext))
        process.arguments = [file.path, "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "pdftotext exited \(process.terminationStatus)")
        return String(decoding: out, as: UTF8.self)
    }

    @Test("a sweep's chart as PDF: its axis labels, ticks, legend and title are text",
          .enabled(if: pdftotext != nil, "pdftotext not installed (poppler-utils; Scripts/setup installs it)"))
    func sweepChartText() throws {
        let chart = LineChart(title: "test_mse against drop_p", subtitle: "fashion-mnist · 3 epochs · 2 seeds (0, 1)",
                              xLabel: "drop_p", yLabel: "test_mse (mean; error bars ± sd, 2 seeds)",
                              series: [.init(name: "none", values: [0.05, 0.05]),
                                       .init(name: "dropout", values: [0.043, 0.048], spread: [0.001, 0.002])],
                              xLabels: ["0.2", "0.5"])
        let pdf = try chart.encoded(as: .pdf)
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        let text = try Self.text(pdf)
        for expected in ["test_mse against drop_p", "drop_p", "fashion-mnist", "2 seeds", "dropout", "none", "0.5",
                         "error bars ± sd"] {
            #expect(text.contains(expected), "\(expected) not in pdftotext's \(text)")
        }
    }

    @Test("learning curves as PDF say epoch; the histograms' log axis reads 10⁴",
          .enabled(if: pdftotext != nil, "pdftotext not installed (poppler-utils; Scripts/setup installs it)"))
    func curvesAndHistogramsText() throws {
        let curves = LineChart.trainingCurves(trainLoss: [0.04, 0.03], testMSE: [0.035, 0.03], firstEpoch: 1)
        #expect(try Self.text(curves.encoded(as: .pdf)).contains("epoch"))
        var h = Histogram(bins: 10, lower: 0, upper: 1)
        for _ in 0..<20_000 { h.add(0.05) }
        h.add(0.5)
        let sheet = HistogramSheet(title: "Hidden activations", subtitle: nil, rows: [
            .init(name: "dropout", charts: [(BarChart(title: "all activations", xLabel: "activation",
                                                      yLabel: "count", logScale: true), h)]),
        ])
        let text = try Self.text(sheet.encoded(as: .pdf))
        for expected in ["dropout", "activation", "count (log scale)", "10⁴"] {
            #expect(text.contains(expected), "\(expected) not in pdftotext's \(text)")
        }
    }
}
