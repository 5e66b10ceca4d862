import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The loss chart `train --plot` writes: a valid PNG of the asked size with ink on it,
/// and SVG that parses as XML with one polyline per series, one point per value.
@Suite struct LineChartTests {
    static func chart(epochs: Int, firstX: Int = 1) -> LineChart {
        LineChart(title: "autoenc train", xLabel: "epoch", yLabel: "mse",
                  series: [.init(name: "train loss", values: (0..<epochs).map { 0.1 / Double($0 + 1) }),
                           .init(name: "test mse", values: (0..<epochs).map { 0.12 / Double($0 + 1) + 0.01 })],
                  firstX: firstX)
    }

    @Test("PNG: the asked size, grayscale, black axes and a gray second series", arguments: [1, 2, 7, 40])
    func png(epochs: Int) throws {
        let chart = Self.chart(epochs: epochs)
        let decoded = try DecodedPNG(chart.encoded(as: .png))
        #expect(decoded.width == chart.width && decoded.height == chart.height)
        #expect(decoded.colorType == 0 && decoded.bitDepth == 8)
        #expect(decoded.pixels == chart.render().pixels)
        #expect(decoded.pixels.contains(LineChart.ink))
        #expect(decoded.pixels.contains(LineChart.shade(1)), "the dashed series is drawn")
    }

    /// The points of every `<polyline>` in `svg`, parsed with Foundation's XMLParser.
    static func polylines(_ svg: [UInt8]) throws -> [[(Double, Double)]] {
        final class Collector: NSObject, XMLParserDelegate {
            var points: [String] = []
            var root: String?
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                        qualifiedName: String?, attributes: [String: String] = [:]) {
                if root == nil { root = name }
                if name == "polyline" { points.append(attributes["points"] ?? "") }
            }
        }
        let parser = XMLParser(data: Data(svg))
        let collector = Collector()
        parser.delegate = collector
        try #require(parser.parse(), "XML error: \(String(describing: parser.parserError))")
        #expect(collector.root == "svg")
        return collector.points.map { list in
            list.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                return (xy.first ?? .nan, xy.last ?? .nan)
            }
        }
    }

    @Test("SVG: well-formed XML, two polylines with a point per epoch, x increasing", arguments: [1, 2, 5])
    func svg(epochs: Int) throws {
        let chart = Self.chart(epochs: epochs, firstX: 3)
        let lines = try Self.polylines(chart.encoded(as: .svg))
        try #require(lines.count == 2)
        for line in lines {
            #expect(line.count == epochs)
            #expect(zip(line, line.dropFirst()).allSatisfy { $0.0 < $1.0 }, "\(line)")
            let inside = line.allSatisfy {
                $0.0 >= 0 && $0.0 <= Double(chart.width) && $0.1 >= 0 && $0.1 <= Double(chart.height)
            }
            #expect(inside, "\(line)")
        }
        // a falling loss is drawn falling (SVG y grows downwards)
        if epochs > 1 { #expect(lines[1].first!.1 < lines[1].last!.1) }
        let svg = String(decoding: chart.encoded(as: .svg), as: UTF8.self)
        #expect(svg.contains(">\(3 + epochs - 1)</text>"), "last epoch labelled")
    }

    @Test("text is escaped; non-finite values are left out of the line")
    func escapingAndGaps() throws {
        let chart = LineChart(title: "a < b & \"c\"", xLabel: "x", yLabel: "y",
                              series: [.init(name: "<one>", values: [1, .nan, 3]),
                                       .init(name: "two", values: [.infinity, .infinity])])
        let lines = try Self.polylines(chart.encoded(as: .svg))
        #expect(lines.map(\.count) == [0, 2], "drawn last series first, so that the first stays on top")
        _ = try DecodedPNG(chart.encoded(as: .png))
    }

    @Test("a markup character followed by a combining mark is escaped too")
    func escapingCombiningMarks() throws {
        // "<" + U+0338 is one Character ("≮"): escaping by Character would let the "<" through
        let chart = LineChart(title: "<\u{338}title", xLabel: "&\u{301}", yLabel: "y",
                              series: [.init(name: "\"\u{301}one", values: [1, 2])])
        #expect(try Self.polylines(chart.encoded(as: .svg)).count == 1)
        #expect(LineChart.escape("<\u{338}&\u{301}") == "&lt;\u{338}&amp;\u{301}")
    }

    @Test func formatByExtension() {
        #expect(LineChart.Format(path: "run/loss.PNG") == .png)
        #expect(LineChart.Format(path: "loss.svg") == .svg)
        #expect(LineChart.Format(path: "loss.pdf") == nil)
        #expect(LineChart.Format(path: "dir.svg/loss") == nil)
    }

    /// An error's axis does not go below zero (it did, by the 5% margin), and a chart of
    /// one epoch draws each value as a level across the plot (it was two dots).
    @Test func errorsStayAboveZeroAndOneEpochShowsLevels() {
        let chart = LineChart.trainingCurves(trainLoss: [0.04, 0.02, 0.001], testMSE: [0.03, 0.015, 0.0005],
                                             firstEpoch: 1)
        #expect(chart.valueRange.low == 0, "\(chart.valueRange)")
        let signed = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", values: [-1, 1])],
                               firstX: 1)
        #expect(signed.valueRange.low <= -1 && signed.valueRange.high >= 1, "\(signed.valueRange)")
        let one = LineChart.trainingCurves(trainLoss: [0.04], testMSE: [0.03], firstEpoch: 1)
        let image = one.render(), f = one.frame
        let y = Int(f.y(0.04).rounded())
        var dark = 0
        for x in f.left..<f.right where image.pixels[y * image.width + x] < 128 { dark += 1 }
        #expect(dark > (f.right - f.left) / 2, "row \(y): \(dark) of \(f.right - f.left) pixels drawn")
        #expect(one.svg().components(separatedBy: "class=\"level\"").count - 1 == 2)
    }

    @Test("a sweep's chart: a tick label per point, and an error bar of the right length per point with a spread")
    func errorBarsAndLabels() throws {
        let chart = LineChart(title: "sweep", xLabel: "drop_p", yLabel: "test mse",
                              series: [.init(name: "dropout", values: [0.2, 0.4, 0.3], spread: [0.05, .nan, 0.1])],
                              xLabels: ["0", "0.5", "0.9"])
        let svg = String(decoding: chart.encoded(as: .svg), as: UTF8.self)
        for label in ["0", "0.5", "0.9"] {
            #expect(svg.contains("dominant-baseline=\"hanging\">\(label)</text>"), "tick \(label) missing")
        }
        // two bars (the NaN spread draws none), each from value - spread to value + spread
        let bars = svg.components(separatedBy: "class=\"bar\"").count - 1
        #expect(bars == 2, "\(bars) bars")
        let frame = chart.frame
        let pixelsPerUnit = Double(frame.bottom - frame.top) / (frame.high - frame.low)
        let first = try #require(chart.bars(frame)[0].first)
        #expect(abs((first.low - first.high) - 0.1 * pixelsPerUnit) < 1e-6, "bar \(first)")
        // the range holds the bars' ends: 0.4 at most above, 0.2 - 0.05 below
        #expect(frame.low <= 0.15 && frame.high >= 0.4)
        let png = chart.render()
        #expect(png.width == chart.width && png.height == chart.height)
    }
}
