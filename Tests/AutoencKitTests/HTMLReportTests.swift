import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The report page: text escaped wherever it goes, images embedded byte for byte,
/// nothing fetched, and the structure (read back with XMLParser) holding every block
/// in the order it was added.
@Suite struct HTMLReportTests {
    // MARK: - Reading the page back

    /// An element of the parsed page: its name, attributes, children and own text.
    final class Element {
        let name: String
        let attributes: [String: String]
        var children: [Element] = []
        var text = ""
        init(_ name: String, _ attributes: [String: String]) {
            self.name = name
            self.attributes = attributes
        }

        /// Every element below this one named `name`, in document order.
        func all(_ name: String) -> [Element] {
            children.flatMap { ($0.name == name ? [$0] : []) + $0.all(name) }
        }

        /// The text of this element and everything below it.
        var fullText: String { text + children.map(\.fullText).joined() }
    }

    struct NotWellFormed: Error, CustomStringConvertible {
        var description: String
    }

    /// `html` parsed as XML into a tree; throws `NotWellFormed` when it is not.
    static func parse(_ html: String) throws -> Element {
        final class Builder: NSObject, XMLParserDelegate {
            var stack = [Element("#document", [:])]
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                        qualifiedName: String?, attributes: [String: String] = [:]) {
                let element = Element(name, attributes)
                stack.last!.children.append(element)
                stack.append(element)
            }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?,
                        qualifiedName: String?) {
                stack.removeLast()
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) {
                stack.last!.text += string
            }
        }
        let parser = XMLParser(data: Data(html.utf8))
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse() else { throw NotWellFormed(description: "\(String(describing: parser.parserError))") }
        guard builder.stack.count == 1, let root = builder.stack[0].children.first else {
            throw NotWellFormed(description: "unclosed elements: \(builder.stack.map(\.name))")
        }
        return root
    }

    /// The substrings by which a page would fetch something or run code; the report
    /// must contain none of them (case-insensitively).
    static let forbidden = ["<script", "src=\"http", "href=\"http", "src='http", "href='http",
                            "<link", "@import", "url(", "<iframe", "<object", "<embed"]

    /// The forbidden substrings found in `html`. A reference into the page itself
    /// (`url(#id)`, as an inline chart's clip) fetches nothing.
    static func fetches(_ html: String) -> [String] {
        let lower = html.lowercased().replacingOccurrences(of: "url(#", with: "")
        return forbidden.filter { lower.contains($0) }
    }

    static let hostile = "<script>alert('x')</script> & \"quoted\""
    static let hostileEscaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"

    /// A page with one block of every kind, as compare's will be: a weight map and a
    /// line chart as PNG, the chart again as an SVG document, a table, the metric
    /// definitions, the chart inline and two weight maps at 2x.
    static func samplePage() throws -> (report: HTMLReport, pngs: [[UInt8]], svg: String) {
        let parameters = Parameters(hidden: 16)
        parameters.initialize(seed: 1)
        let chart = LineChart.trainingCurves(trainLoss: [0.08, 0.05, 0.04, 0.035], testMSE: [0.07, 0.05, 0.045, 0.043],
                                             firstEpoch: 1)
        let pngs = [Grids.weightMap(parameters).scaled(3).png, try chart.encoded(as: .png)]
        let svg = try chart.svg()
        var report = HTMLReport(title: "autoenc compare")
        report.paragraph("""
            Three models from the same initial weights, trained on the same batches; only the regularizer differs.
            """)
        report.heading("Metrics")
        report.table(header: ["variant", "test_mse", "sparsity", "dead_units", "probe_accuracy"],
                     rows: [["none", "0.0123", "0.52", "0", "0.91"], ["dropout", "0.0150", "0.61", "3", "0.93"],
                            ["dropconnect", "0.0141", "0.58", "1", "—"]],
                     caption: "On the test set, in inference mode")
        report.definitions(Diagnostics.definitions)
        report.heading("Figures")
        report.image(png: pngs[0], alt: "first-layer weights of 16 units", caption: "Weight maps (untrained, 3x)")
        report.image(png: pngs[1], alt: "training curves")
        report.image(svg: svg, alt: "training curves as SVG", caption: "Loss per epoch (SVG)")
        try report.chart(chart, alt: "training curves inline", caption: "Loss per epoch (inline)")
        report.weightMaps([("none", Grids.weightMap(parameters)), ("dropout", Grids.weightMap(parameters))],
                          caption: "Weight maps at 2x")
        return (report, pngs, svg)
    }

    // MARK: - Escaping

    @Test("escape maps the five characters, replaces control characters and keeps everything else",
          arguments: [("a < b", "a &lt; b"), ("x > 0 && y", "x &gt; 0 &amp;&amp; y"),
                      ("say \"hi\"", "say &quot;hi&quot;"), ("it's", "it&#39;s"),
                      ("plain é ✓ 1.5e-3", "plain é ✓ 1.5e-3"), ("&amp;", "&amp;amp;"),
                      ("tab\tline\nend\r\n", "tab\tline\nend\r\n"),
                      ("nul\u{0} bell\u{7} del\u{7F}", "nul\u{FFFD} bell\u{FFFD} del\u{FFFD}"),
                      // "<" followed by a combining mark is one Character ("≮"); it must still be escaped
                      ("<\u{338}script>", "&lt;\u{338}script&gt;")])
    func escape(text: String, expected: String) {
        #expect(HTMLReport.escape(text) == expected)
    }

    enum Place: String, CaseIterable {
        case title, heading, paragraph, term, meaning, header, cell, caption, alt, figcaption
    }

    @Test("text with markup comes out escaped, wherever it goes", arguments: Place.allCases)
    func escaped(place: Place) throws {
        let h = Self.hostile
        var report = HTMLReport(title: place == .title ? h : "title")
        switch place {
        case .title: break
        case .heading: report.heading(h, level: 3)
        case .paragraph: report.paragraph(h)
        case .term: report.definitions([(term: h, meaning: "m")])
        case .meaning: report.definitions([(term: "t", meaning: h)])
        case .header: report.table(header: [h], rows: [["1"]])
        case .cell: report.table(header: ["c"], rows: [[h]])
        case .caption: report.table(header: ["c"], rows: [], caption: h)
        case .alt: report.image(png: GrayImage(width: 1, height: 1).png, alt: h)
        case .figcaption: report.image(png: GrayImage(width: 1, height: 1).png, alt: "a", caption: h)
        }
        let html = report.html
        #expect(!html.contains("<script"), "\(place) was not escaped")
        #expect(html.contains(Self.hostileEscaped))
        // and it reads back as the text given
        let page = try Self.parse(html)
        let found = place == .alt ? page.all("img").map { $0.attributes["alt"] ?? "" } : [page.fullText]
        #expect(found.contains { $0.contains(h) }, "\(place): \(found)")
    }

    // MARK: - Images

    @Test("every image is a data URI whose base64 decodes to the bytes given, in order")
    func imagesRoundTrip() throws {
        let (report, pngs, svg) = try Self.samplePage()
        let images = Array(try Self.parse(report.html).all("img").prefix(3))
        try #require(images.count == 3)
        let expected: [(type: String, bytes: [UInt8])] = [
            ("image/png", pngs[0]), ("image/png", pngs[1]), ("image/svg+xml", Array(svg.utf8)),
        ]
        for (image, want) in zip(images, expected) {
            let src = try #require(image.attributes["src"])
            let prefix = "data:\(want.type);base64,"
            try #require(src.hasPrefix(prefix), "src starts \(src.prefix(40))")
            let decoded = try #require(Data(base64Encoded: String(src.dropFirst(prefix.count))), "not base64")
            #expect(Array(decoded) == want.bytes)
        }
        _ = try DecodedPNG(pngs[0])
        #expect(images.map { $0.attributes["class"] } == ["png", "png", "svg"], "PNGs get the pixelated style")
        #expect(images.map { $0.attributes["alt"] }
                == ["first-layer weights of 16 units", "training curves", "training curves as SVG"])
    }

    @Test("base64 against hand-worked RFC 4648 vectors", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy")])
    func base64(text: String, expected: String) {
        #expect(HTMLReport.base64(Array(text.utf8)) == expected)
    }

    @Test("an SVG carrying a script or an external reference reaches the page only as base64")
    func svgIsNotInlined() {
        var report = HTMLReport(title: "t")
        let svg = """
            <svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>\
            <image href="http://example.com/x.png"/></svg>
            """
        report.image(svg: svg, alt: "s")
        #expect(Self.fetches(report.html) == [])
        #expect(!report.html.contains("example.com"))
    }

    /// Two charts inline: each an `<svg>` of the page whose ids carry a prefix of its own,
    /// so that no glyph of one is drawn in the other, and every reference inside one
    /// names an id of that chart.
    @Test func chartsInlineWithIdsOfTheirOwn() throws {
        let a = LineChart.trainingCurves(trainLoss: [0.08, 0.05], testMSE: [0.07, 0.05], firstEpoch: 1)
        let b = LineChart(title: "Other words entirely", xLabel: "drop_p", yLabel: "sparsity",
                          series: [.init(name: "dropout", values: [0.5, 0.7])], xLabels: ["0.2", "0.5"])
        var report = HTMLReport(title: "t")
        try report.chart(a, alt: "a")
        try report.chart(b, alt: "b")
        let html = report.html
        #expect(!html.contains("<?xml"), "no XML declaration inside the page")
        #expect(Self.fetches(html) == [])
        let charts = try Self.parse(html).all("svg")
        try #require(charts.count == 2)
        for (index, chart) in charts.enumerated() {
            #expect(chart.attributes["class"] == "chart" && chart.attributes["role"] == "img")
            let ids = Set(([chart] + Self.descendants(chart)).compactMap { $0.attributes["id"] })
            #expect(!ids.isEmpty && ids.allSatisfy { $0.hasPrefix("c\(index + 1)-") }, "\(ids.sorted().prefix(5))")
            let references = Self.descendants(chart).compactMap { $0.attributes["xlink:href"] ?? $0.attributes["href"] }
            #expect(!references.isEmpty, "glyphs are placed by reference")
            for reference in references {
                #expect(reference.hasPrefix("#") && ids.contains(String(reference.dropFirst())), "\(reference)")
            }
        }
    }

    /// Every element below `element`.
    static func descendants(_ element: Element) -> [Element] {
        element.children.flatMap { [$0] + descendants($0) }
    }

    /// Weight maps at twice their size (a 28-pixel tile takes 56), each PNG embedded
    /// once, a click switching it to its full size: a hidden checkbox, its label around
    /// the image, and the style rule that sets the checked one's width to its own.
    @Test func weightMapsAtTwiceTheirSize() throws {
        let parameters = Parameters(hidden: 4)
        parameters.initialize(seed: 1)
        let map = Grids.weightMap(parameters)
        var report = HTMLReport(title: "t")
        report.weightMaps([("none", map), ("dropout", map)], caption: "c")
        let html = report.html
        let figure = try #require(try Self.parse(html).all("figure").first)
        let images = figure.all("img")
        try #require(images.count == 2)
        #expect(images[0].attributes["width"] == String(2 * map.width) && map.width == 2 * 29 + 1)
        #expect(images[0].attributes["height"] == String(2 * map.height))
        let src = try #require(images[0].attributes["src"])
        let decoded = try #require(Data(base64Encoded: String(src.dropFirst("data:image/png;base64,".count))))
        #expect(Array(decoded) == map.png)
        let inputs = figure.all("input"), labels = figure.all("label")
        #expect(inputs.map { $0.attributes["id"] } == ["map1", "map2"])
        #expect(inputs.allSatisfy { $0.attributes["type"] == "checkbox" })
        #expect(labels.map { $0.attributes["for"] } == ["map1", "map2"])
        #expect(labels.map { $0.all("img").count } == [1, 1])
        #expect(html.contains(".map input.size:checked + label img { width: auto; height: auto;"))
        #expect(figure.all("figcaption").first?.fullText.contains("Click a map for its full size") == true)
    }

    // MARK: - Nothing fetched

    @Test("the page fetches nothing: no script, link, import or remote URL")
    func selfContained() throws {
        let html = try Self.samplePage().report.html
        #expect(Self.fetches(html) == [])
        #expect(html.contains("<meta charset=\"utf-8\"/>"))
        #expect(html.contains("<meta name=\"viewport\""))
        #expect(html.contains("default-src 'none'"), "the content policy forbids loads")
    }

    @Test("the check for fetches finds each forbidden pattern planted in a page", arguments: forbidden)
    func fetchCheckFails(pattern: String) throws {
        let html = try Self.samplePage().report.html
        let planted = html.replacingOccurrences(of: "</body>", with: pattern.uppercased() + "\"x\"</body>")
        #expect(Self.fetches(planted) == [pattern])
    }

    // MARK: - Structure

    @Test("tables have a header row and one row per given row, each with a cell per column",
          arguments: [(0, 1), (1, 3), (5, 7)])
    func tableShape(rows: Int, columns: Int) throws {
        var report = HTMLReport(title: "t")
        let header = (0..<columns).map { "c\($0)" }
        let body = (0..<rows).map { r in (0..<columns).map { c in c == 0 ? "row \(r)" : "\(r * columns + c)" } }
        report.table(header: header, rows: body, caption: "shape")
        let table = try #require(try Self.parse(report.html).all("table").first)
        let head = try #require(table.all("thead").first).all("tr")
        let bodyRows = try #require(table.all("tbody").first).all("tr")
        #expect(head.count == 1)
        #expect(head.first?.all("th").map(\.fullText) == header)
        #expect(bodyRows.count == rows)
        #expect(bodyRows.map { $0.all("td").map(\.fullText) } == body)
        #expect(bodyRows.allSatisfy { $0.all("th").isEmpty })
        // numbers are right-aligned, words are not
        for row in bodyRows {
            #expect(row.all("td").map { $0.attributes["class"] } == (0..<columns).map { $0 == 0 ? nil : "num" })
        }
        #expect(table.all("caption").map(\.fullText) == ["shape"])
    }

    @Test("the page parses; head and body hold every block in the order added")
    func structure() throws {
        let (report, _, _) = try Self.samplePage()
        let page = try Self.parse(report.html)
        #expect(page.name == "html")
        #expect(page.children.map(\.name) == ["head", "body"])
        let head = page.children[0], body = page.children[1]
        #expect(head.all("meta").compactMap { $0.attributes["charset"] } == ["utf-8"])
        #expect(head.all("meta").contains { $0.attributes["name"] == "viewport" })
        #expect(head.all("title").map(\.fullText) == ["autoenc compare"])
        #expect(head.all("style").count == 1)
        #expect(body.children.map(\.name)
                == ["h1", "p", "h2", "table", "dl", "h2"] + Array(repeating: "figure", count: 5))
        #expect(body.children.first?.fullText == "autoenc compare")
        let figures = body.all("figure")
        #expect(figures.map { $0.all("img").count } == [1, 1, 1, 0, 2])
        #expect(figures.map { $0.all("svg").count } == [0, 0, 0, 1, 0])
        #expect(figures.map { $0.all("figcaption").map(\.fullText) } == [["Weight maps (untrained, 3x)"], [],
                                                                          ["Loss per epoch (SVG)"],
                                                                          ["Loss per epoch (inline)"],
                                                                          ["Weight maps at 2x Click a map for its "
                                                                           + "full size, one pixel a weight; again "
                                                                           + "for twice it."]])
        let dl = try #require(body.all("dl").first)
        let pairs = Array(repeating: ["dt", "dd"], count: Diagnostics.definitions.count).flatMap { $0 }
        #expect(dl.children.map(\.name) == pairs)
        #expect(dl.all("dt").map(\.fullText) == Diagnostics.definitions.map(\.term))
        #expect(dl.all("dd").map(\.fullText) == Diagnostics.definitions.map(\.meaning))
    }

    @Test("heading levels", arguments: 1...6)
    func headingLevel(level: Int) throws {
        var report = HTMLReport(title: "t")
        report.heading("h", level: level)
        let body = try #require(try Self.parse(report.html).children.last)
        #expect(body.children.map(\.name) == ["h1", "h\(level)"])
    }

    @Test("the parser used above rejects an unclosed element, so the structure test can fail")
    func parserRejectsBrokenPage() throws {
        let broken = try Self.samplePage().report.html.replacingOccurrences(of: "</table>", with: "")
        #expect(throws: (any Error).self) { try Self.parse(broken) }
    }

    /// Not a check of its own: with AUTOENC_REPORT_SAMPLE=PATH set, writes the sample
    /// page there for Scripts/check-report to open in a browser.
    @Test("writes the sample page to $AUTOENC_REPORT_SAMPLE",
          .enabled(if: ProcessInfo.processInfo.environment["AUTOENC_REPORT_SAMPLE"] != nil))
    func writeSample() throws {
        let path = try #require(ProcessInfo.processInfo.environment["AUTOENC_REPORT_SAMPLE"])
        let html = try Self.samplePage().report.html
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == html)
    }
}
