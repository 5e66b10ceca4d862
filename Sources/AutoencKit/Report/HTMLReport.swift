import Foundation

/// One self-contained HTML5 page, built block by block: headings, paragraphs, definition
/// lists, tables and figures, in the order they are added, under an `<h1>` of the title.
///
/// Nothing on the page is fetched: there is no script, no external style, font or image.
/// Charts are inline SVG elements (cairo's paths and glyphs: no script, no reference
/// outside themselves); images are `data:` URIs (PNG as `image/png`, SVG documents given
/// as text as `image/svg+xml`, both base64), the style is one inline `<style>` block, and
/// a Content-Security-Policy meta tag (`default-src 'none'`) makes the browser refuse any
/// load that slipped in. The page opens offline in any browser.
///
/// All text given (title, headings, paragraphs, terms, cells, captions, alt text) is
/// escaped (`escape`), so it is shown as written and never read as markup. An SVG
/// document given as text (`image(svg:)`) goes into an `<img>`, where a browser runs no
/// script and loads nothing it references; only charts drawn here are inlined.
///
/// The page is also well-formed XML (void elements are closed with `/>`, the only
/// entities are the five `escape` writes), so a test can read it with `XMLParser`.
///
/// ```swift
/// var report = HTMLReport(title: "autoenc compare")
/// report.heading("Metrics")
/// report.table(header: ["variant", "test_mse"], rows: [["none", "0.0123"]])
/// report.image(png: sheet.png, alt: "weight maps", caption: "First-layer weights")
/// try AtomicFile.write(Array(report.html.utf8), to: path)
/// ```
public struct HTMLReport: Sendable {
    /// The page's `<title>` and `<h1>`.
    public var title: String
    /// The blocks added so far, each already markup.
    private var blocks: [String] = []
    /// Inline SVG charts added so far: each one's ids get a prefix of its own.
    private var charts = 0
    /// Weight maps added so far: each one's size switch gets an id of its own.
    private var mapCount = 0

    public init(title: String) {
        self.title = title
    }

    // MARK: - Blocks

    /// A section heading, `<h2>` by default; `level` is 1...6 (the title is the one `<h1>`).
    public mutating func heading(_ text: String, level: Int = 2) {
        precondition((1...6).contains(level), "HTMLReport.heading: level \(level) is not 1...6")
        blocks.append("<h\(level)>\(Self.escape(text))</h\(level)>")
    }

    /// A paragraph of plain text.
    public mutating func paragraph(_ text: String) {
        blocks.append("<p>\(Self.escape(text))</p>")
    }

    /// A definition list, `<dl>`: each term (in code type, as metric names are) with its
    /// meaning, in the order given.
    public mutating func definitions(_ items: [(term: String, meaning: String)]) {
        var out = "<dl>\n"
        for item in items {
            out += "<dt><code>\(Self.escape(item.term))</code></dt><dd>\(Self.escape(item.meaning))</dd>\n"
        }
        blocks.append(out + "</dl>")
    }

    /// A table: one header row of `header.count` columns, then `rows`, each of exactly
    /// `header.count` cells (a precondition). Cells that read as numbers (`Double(cell)`
    /// parses them) are set right-aligned with tabular figures, so digits line up.
    public mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
        precondition(!header.isEmpty, "HTMLReport.table: a table needs at least one column")
        for (index, row) in rows.enumerated() {
            precondition(row.count == header.count,
                         "HTMLReport.table: row \(index) has \(row.count) cells for \(header.count) columns")
        }
        var out = "<table>\n"
        if let caption { out += "<caption>\(Self.escape(caption))</caption>\n" }
        out += "<thead><tr>" + header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>" + row.map { cell in
                Double(cell) == nil ? "<td>\(Self.escape(cell))</td>" : "<td class=\"num\">\(Self.escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        blocks.append(out + "</tbody>\n</table>")
    }

    /// A figure of a chart drawn as SVG (`Chart.svg()`, cairo's glyphs and paths) inline in
    /// the page, so that it stays sharp at any zoom; it shrinks to fit the window. Its ids
    /// (glyphs, clips) are prefixed so that two charts' never meet. Throws cairo's error.
    public mutating func chart(_ chart: Chart, alt: String, caption: String? = nil) throws {
        charts += 1
        var svg = Self.inline(try chart.svg(), prefix: "c\(charts)-")
        if let open = svg.range(of: "<svg") {
            svg.replaceSubrange(open, with: "<svg class=\"chart\" role=\"img\" aria-label=\"\(Self.escape(alt))\"")
        }
        var out = "<figure>\n" + svg
        if let caption { out += "<figcaption>\(Self.escape(caption))</figcaption>\n" }
        blocks.append(out + "</figure>")
    }

    /// An SVG document as an element of the page: without its XML declaration, every id
    /// and every reference to one (`href="#`, `url(#`) given `prefix`.
    static func inline(_ svg: String, prefix: String) -> String {
        var body = Substring(svg)
        if body.hasPrefix("<?xml"), let end = body.range(of: "?>") { body = body[end.upperBound...] }
        return String(body.drop { $0.isNewline })
            .replacingOccurrences(of: " id=\"", with: " id=\"\(prefix)")
            .replacingOccurrences(of: "href=\"#", with: "href=\"#\(prefix)")
            .replacingOccurrences(of: "url(#", with: "url(#\(prefix)")
    }

    /// Weight maps side by side, wrapping, each under its name and drawn at twice its size
    /// with hard pixel edges (a 28x28 tile takes 56 pixels); a wider one scrolls rather
    /// than shrinks. A click on a map shows it at its full size (one pixel a weight, the
    /// whole map at once), another at twice it again: a checkbox and its label, no script,
    /// and the PNG embedded once (Chromium opens no `data:` link). Under them `caption`.
    public mutating func weightMaps(_ maps: [(name: String, image: GrayImage)], caption: String) {
        var out = "<figure>\n<div class=\"maps\">\n"
        for map in maps {
            mapCount += 1
            let id = "map\(mapCount)", alt = Self.escape("weight map of " + map.name)
            out += "<div class=\"map\"><div class=\"name\">\(Self.escape(map.name))</div>"
                + "<input type=\"checkbox\" class=\"size\" id=\"\(id)\"/>"
                + "<label for=\"\(id)\" title=\"click: full size (one pixel a weight) or twice it\">"
                + "<img class=\"png\" src=\"data:image/png;base64,\(Self.base64(map.image.png))\" "
                + "width=\"\(2 * map.image.width)\" height=\"\(2 * map.image.height)\" alt=\"\(alt)\"/>"
                + "</label></div>\n"
        }
        let hint = " Click a map for its full size, one pixel a weight; again for twice it."
        blocks.append(out + "</div>\n<figcaption>\(Self.escape(caption + hint))</figcaption>\n</figure>")
    }

    /// A figure of a PNG file's bytes (`GrayImage.png`, `Chart.encoded(as: .png)`),
    /// embedded as a `data:image/png;base64,` URI and drawn with hard pixel edges when
    /// enlarged (weight maps are small). Wider than the window, it shrinks to fit.
    public mutating func image(png: [UInt8], alt: String, caption: String? = nil) {
        figure(source: "data:image/png;base64," + Self.base64(png), kind: "png", alt: alt, caption: caption)
    }

    /// A figure of an SVG document (`Chart.svg()`), embedded as a
    /// `data:image/svg+xml;base64,` URI in an `<img>`: the browser draws it but runs no
    /// script in it and loads nothing it refers to, so it needs no sanitizing.
    public mutating func image(svg: String, alt: String, caption: String? = nil) {
        figure(source: "data:image/svg+xml;base64," + Self.base64(Array(svg.utf8)), kind: "svg", alt: alt,
               caption: caption)
    }

    private mutating func figure(source: String, kind: String, alt: String, caption: String?) {
        var out = "<figure>\n<img class=\"\(kind)\" src=\"\(source)\" alt=\"\(Self.escape(alt))\"/>\n"
        if let caption { out += "<figcaption>\(Self.escape(caption))</figcaption>\n" }
        blocks.append(out + "</figure>")
    }

    // MARK: - The page

    /// The whole page, UTF-8 text ending in a newline: doctype, head (charset, viewport,
    /// content policy, title, style), then the title as `<h1>` and the blocks in order.
    public var html: String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta http-equiv="Content-Security-Policy" content="\(Self.contentPolicy)"/>
        <title>\(Self.escape(title))</title>
        <style>
        \(Self.style)</style>
        </head>
        <body>
        <h1>\(Self.escape(title))</h1>
        \(blocks.map { $0 + "\n" }.joined())</body>
        </html>

        """
    }

    /// What the page may load: images from `data:` URIs and its own inline style, nothing else.
    static let contentPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

    /// Readable defaults: a bounded text width, ruled tables with right-aligned numbers,
    /// images that shrink to the window, PNGs enlarged with hard pixel edges.
    static let style = """
        body { font-family: system-ui, sans-serif; line-height: 1.45; margin: 1.5em auto; max-width: 72em;
               padding: 0 1em; color: #111; background: #fff; }
        h1, h2, h3 { line-height: 1.2; }
        p, dl { max-width: 48em; }
        dt { font-weight: 600; margin-top: 0.4em; }
        dd { margin-left: 1.5em; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
        caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3em; }
        th, td { border: 1px solid #bbb; padding: 0.2em 0.45em; text-align: left; white-space: nowrap; }
        th { background: #eee; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        tbody tr:nth-child(even) { background: #f7f7f7; }
        figure { margin: 1em 0; }
        img { display: block; max-width: 100%; height: auto; }
        img.png { image-rendering: pixelated; }
        svg.chart { display: block; max-width: 100%; height: auto; }
        .maps { display: flex; flex-wrap: wrap; gap: 1em; overflow-x: auto; }
        .map .name { font-weight: 600; margin-bottom: 0.2em; }
        .map img { max-width: none; cursor: zoom-out; }
        .map input.size { display: none; }
        .map input.size:checked + label img { width: auto; height: auto; cursor: zoom-in; }

        figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }

        """

    // MARK: - Encoding

    /// `text` safe inside an element or a quoted attribute: & < > " ' become
    /// `&amp;` `&lt;` `&gt;` `&quot;` `&#39;`, control characters other than tab and
    /// line breaks (which neither HTML nor XML allows) U+FFFD; everything else is kept.
    /// Goes by Unicode scalar: "<" followed by a combining mark is one Character.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(c)
            case _ where c.value < 0x20 || c.value == 0x7F: out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `bytes` in standard base64 (RFC 4648, with `=` padding, no line breaks).
    public static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
