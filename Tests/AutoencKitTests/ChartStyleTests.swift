import Foundation
import Testing
@testable import AutoencKit

/// The legend's corner and the series' styles: renderer-independent rules, then the PNG
/// they produce.
struct ChartStyleTests {
    typealias Rect = LegendPlacement.Rect
    static let plot = Rect(x: 0, y: 0, width: 200, height: 100)

    /// Points filling a box: a grid 5 pixels apart over it.
    static func cloud(_ box: Rect) -> [(x: Double, y: Double)] {
        stride(from: box.x, through: box.maxX, by: 5).flatMap { x in
            stride(from: box.y, through: box.maxY, by: 5).map { y in (x, y) }
        }
    }

    @Test("the legend takes the corner whose box misses the data's bounding boxes", arguments: [
        // data in the top right: the next corner free of it, top left
        ([Rect(x: 120, y: 0, width: 80, height: 40)], LegendPlacement.Corner.topLeft),
        // data along the top: a bottom corner
        ([Rect(x: 0, y: 0, width: 200, height: 40)], .bottomRight),
        // everywhere but the bottom left
        ([Rect(x: 0, y: 0, width: 200, height: 40), Rect(x: 100, y: 40, width: 100, height: 60)], .bottomLeft),
        // nothing in the way: the top right
        ([Rect(x: 80, y: 40, width: 30, height: 20)], .topRight),
    ])
    func corner(data: [Rect], expected: LegendPlacement.Corner) {
        let placement = LegendPlacement(plot: Self.plot, width: 60, height: 30)
        let points = data.flatMap(Self.cloud)
        let corner = placement.corner(points: points, segments: [])
        #expect(corner == expected)
        #expect(!data.contains { placement.box(corner).intersects($0) }, "\(placement.box(corner)) over the data")
    }

    /// A falling line crosses the top left and bottom right; its points are only at the
    /// ends, so the segments must count.
    @Test func segmentsCount() {
        let placement = LegendPlacement(plot: Self.plot, width: 60, height: 30)
        let line = [((x: 0.0, y: 0.0), (x: 200.0, y: 100.0))]
        #expect(placement.overlap(.topLeft, points: [], segments: line) == 1)
        #expect(placement.overlap(.topRight, points: [], segments: line) == 0)
        #expect(placement.corner(points: [(0, 0), (200, 100)], segments: line) == .topRight)
        let rising = [((x: 0.0, y: 100.0), (x: 200.0, y: 0.0))]
        #expect(placement.corner(points: [(0, 100), (200, 0)], segments: rising) == .topLeft)
        #expect(!Rect(x: 10, y: 10, width: 5, height: 5).intersects((0, 0), (30, 0)))
        #expect(Rect(x: 10, y: 10, width: 5, height: 5).intersects((0, 0), (30, 30)))
    }

    /// Four series, none to gaussian: every pair differs in dash and marker, and the
    /// grays are at least 30 apart, so they stay apart printed in gray.
    @Test func firstFourStylesDiffer() {
        let styles = (0..<4).map(SeriesStyle.of)
        for i in 0..<4 {
            for j in (i + 1)..<4 {
                #expect(styles[i].dash != styles[j].dash && styles[i].marker != styles[j].marker)
                #expect(abs(Int(styles[i].gray) - Int(styles[j].gray)) >= 30)
            }
        }
        #expect(styles.map(\.hex) == ["#000000", "#0072b2", "#d55e00", "#009e73"])
        #expect(SeriesStyle.of(1).draws(at: 0) && !SeriesStyle.of(1).draws(at: 8) && SeriesStyle.of(1).draws(at: 11))
    }

    /// A curve rising to the top right corner: its legend goes top left, clear of the
    /// points and lines; each marker lands within 1.5 pixels of where its value maps (at
    /// 2 pixels a point), and the y ticks are round.
    @Test func renderedChart() throws {
        let values = [0.0434, 0.05, 0.06, 0.07, 0.09]
        let chart = LineChart(title: "t", xLabel: "epoch", yLabel: "test MSE",
                              series: [.init(name: "none", values: values),
                                       .init(name: "dropout", values: values.map { $0 - 0.002 })])
        let f = chart.frame
        #expect(chart.yTicks.labels == ["0.04", "0.05", "0.06", "0.07", "0.08", "0.09"])
        #expect(f.low == 0.04 && f.high == 0.09)
        let box = chart.legendBox(f)
        #expect(box.x < (f.left + f.right) / 2 && box.y < (f.top + f.bottom) / 2, "top left: \(box)")
        let image = try chart.raster(scale: 2)
        for (i, v) in values.enumerated() {
            let x = Int(2 * f.x(i)), y = Int(2 * f.y(v))
            let dark = (-3...3).contains { dy in (-3...3).contains { dx in image[x + dx, y + dy].red < 60 } }
            #expect(dark, "no ink within 1.5 pixels of point \(i) at (\(x), \(y))")
            #expect(!box.contains((f.x(i), f.y(v))))
        }
    }
}

/// The histograms' bar chart: round ticks, and a log count axis at powers of ten (it was
/// labelled with the peak and 0 alone).
struct BarChartTicksTests {
    static func histogram(zeros: Int) -> Histogram {
        var h = Histogram(bins: 10, lower: 0, upper: 1)
        for _ in 0..<zeros { h.add(0.01) }
        for k in 1..<10 { for _ in 0..<k { h.add((Double(k) + 0.5) / 10) } }
        return h
    }

    @Test func logAxisAtPowersOfTen() {
        let chart = BarChart(title: "t", xLabel: "activation", yLabel: "count", logScale: true)
        let ticks = chart.countTicks(peak: 1234)
        #expect(ticks.labels == ["0", "1", "10", "100", "1000", "10⁴"])
        #expect(chart.height(0, top: ticks.high) == 0 && abs(chart.height(10_000, top: ticks.high) - 1) < 1e-12)
        #expect(BarChart(title: "t", xLabel: "x", yLabel: "units").countTicks(peak: 3).labels == ["0", "1", "2", "3"])
        #expect(BarChart(title: "t", xLabel: "x", yLabel: "units").countTicks(peak: 37).labels
                == ["0", "10", "20", "30", "40"])
        #expect(BarChart.valueTicks(Self.histogram(zeros: 1)).labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    /// Models side by side share the count axis: a histogram peaking at 1234 beside one
    /// peaking at 2 million goes up to 10⁸ as the other does.
    @Test func sharedCountAxis() {
        let chart = BarChart(title: "t", xLabel: "activation", yLabel: "count", logScale: true,
                             sharedPeak: 2_000_000)
        #expect(chart.countTicks(for: Self.histogram(zeros: 1234)).labels == ["0", "1", "100", "10⁴", "10⁶", "10⁸"])
        let alone = BarChart(title: "t", xLabel: "activation", yLabel: "count", logScale: true)
        #expect(alone.countTicks(for: Self.histogram(zeros: 1234)).labels.last == "10⁴")
    }

    /// The tallest bar (1234 in the first bin) reaches log(1235) / log(10001) of the plot,
    /// within a pixel, on the log axis.
    @Test func tallestBarOnTheLogAxis() throws {
        let chart = BarChart(title: "t", xLabel: "activation", yLabel: "count", logScale: true)
        let h = Self.histogram(zeros: 1234)
        let sheet = HistogramSheet(title: "t", subtitle: nil, rows: [.init(name: "m", charts: [(chart, h)])])
        let image = try sheet.raster(scale: 1)
        // the chart's origin in the sheet: the sheet's title, the row's name, the gap
        let origin = (x: HistogramSheet.gap, y: sheet.top + 1.4 * HistogramSheet.heading)
        let area = chart.plotArea(chart.countTicks(peak: 1234))
        let x = Int(origin.x + area.left + 2)
        let bottom = Int(origin.y + area.bottom)
        var y = bottom - 2
        let blue = BarChart.bar
        func isBar(_ y: Int) -> Bool {
            let p = image[x, y]
            return abs(Int(p.red) - Int(blue.red)) + abs(Int(p.green) - Int(blue.green))
                + abs(Int(p.blue) - Int(blue.blue)) < 60
        }
        try #require(isBar(y), "no bar at (\(x), \(y))")
        while y > 0, isBar(y) { y -= 1 }
        let expected = (area.bottom - area.top) * log1p(1234) / log1p(10_000)
        #expect(abs(origin.y + area.bottom - Double(y + 1) - expected) <= 1.5,
                "bar \(origin.y + area.bottom - Double(y + 1)) px, expected \(expected)")
    }
}

/// reconstruct's sheet says which tile of a pair is the original.
struct ReconstructionLabelTests {
    @Test func labelStripAboveThePairs() {
        let ones = [Float](repeating: 1, count: 784 * 2), zeros = [Float](repeating: 0, count: 784 * 2)
        let sheet = Grids.reconstructions(original: ones, reconstructed: zeros, count: 2)
        let size = Grids.reconstructionsSize(count: 2)
        // two pairs are 115 pixels wide; the label (11-pixel DejaVu Sans) needs more, and 4 pixels
        let label = GrayImage.textWidth(Grids.reconstructionsLabel, size: Grids.labelSize)
        #expect(label > 150 && label < 300, "\(label)")
        #expect(sheet.width == size.width && sheet.height == size.height && size.width == label + 4
                && size.height == 17 + 29 + 1)
        let strip = sheet.pixels[0..<(Grids.labelHeight * sheet.width)]
        #expect(strip.contains(255), "the label is drawn")
        // the first original's top-left pixel is white, its reconstruction's black, just under the strip
        let y = Grids.labelHeight + 1
        #expect(sheet.pixels[y * sheet.width + 1] == 255 && sheet.pixels[y * sheet.width + 1 + 28 + 1] == 0)
    }
}
