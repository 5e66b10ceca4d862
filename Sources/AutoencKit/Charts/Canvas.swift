import CCairo
import Foundation

/// The file formats a chart is written in: PNG (antialiased, at twice the pixel density
/// for screens), SVG and PDF, each from the same drawing (`Chart.draw`).
public enum ChartFormat: String, FileFormat {
    case png
    case svg
    case pdf
}

/// Something drawn on a `Canvas`, `size` points wide and high (a point is 1/72 inch, one
/// pixel at 1x), y growing downwards from the top left.
public protocol Chart: Sendable {
    var size: (width: Double, height: Double) { get }
    func draw(on canvas: Canvas)
}

extension Chart {
    /// The chart's file in `format`: PNG at `Canvas.pngScale` pixels a point, SVG and PDF
    /// in points with their text as embedded DejaVu Sans glyphs (a PDF's text extracts).
    /// Throws cairo's error, which only running out of memory causes.
    public func encoded(as format: ChartFormat) throws -> [UInt8] {
        try Canvas.file(format, size: size, draw: draw)
    }

    /// The chart as an SVG document (UTF-8 text).
    public func svg() throws -> String { String(decoding: try encoded(as: .svg), as: UTF8.self) }

    /// The chart drawn into pixels, `scale` pixels a point: what its PNG holds.
    public func raster(scale: Double = Canvas.pngScale) throws -> RGBImage {
        try Canvas.raster(size: size, scale: scale, draw: draw)
    }
}

/// An 8-bit RGB image, 3 bytes a pixel, row-major (a chart's pixels, for tests).
public struct RGBImage: Sendable {
    public var width: Int, height: Int
    public var bytes: [UInt8]

    /// Pixel (x, y)'s red, green and blue.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let i = 3 * (y * width + x)
        return (bytes[i], bytes[i + 1], bytes[i + 2])
    }
}

/// One drawing on one cairo surface: the calls charts make (lines, markers, rectangles,
/// text in DejaVu Sans), in points from the top left. The surface decides the file: an
/// image surface for PNG, an SVG or a PDF surface; what is drawn is the same.
public final class Canvas {
    /// Pixels a point in PNG charts: twice the density of a 1x screen.
    public static let pngScale = 2.0
    /// The font family of all chart text (Debian's fonts-dejavu-core, found by fontconfig).
    public static let fontFamily = "DejaVu Sans"

    let context: OpaquePointer

    init(context: OpaquePointer) {
        self.context = context
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        Self.fontFamily.withCString { cairo_select_font_face(context, $0, CAIRO_FONT_SLANT_NORMAL,
                                                              CAIRO_FONT_WEIGHT_NORMAL) }
    }

    // MARK: - Surfaces and files

    /// Collects what a stream surface writes.
    final class Sink {
        var bytes: [UInt8] = []
    }

    /// cairo's write callback: appends to the `Sink` behind `closure`.
    static let write: cairo_write_func_t = { closure, data, length in
        let sink = Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue()
        if let data { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length))) }
        return CAIRO_STATUS_SUCCESS
    }

    static func check(_ status: cairo_status_t, _ what: String) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw AutoencError(.unavailable,
                               "cannot draw \(what): cairo: " + String(cString: cairo_status_to_string(status)))
        }
    }

    /// Draws with `draw` on a surface of `size` points and returns the file in `format`.
    static func file(_ format: ChartFormat, size: (width: Double, height: Double),
                     draw: (Canvas) -> Void) throws -> [UInt8] {
        let sink = Sink()
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        let surface: OpaquePointer
        switch format {
        case .png:
            surface = try imageSurface(size: size, scale: pngScale, draw: draw)
            defer { cairo_surface_destroy(surface) }
            try check(cairo_surface_write_to_png_stream(surface, write, closure), "a PNG chart")
            return withPixelDensity(sink.bytes, pixelsPerPoint: pngScale)
        case .svg:
            surface = cairo_svg_surface_create_for_stream(write, closure, size.width, size.height)
            cairo_svg_surface_restrict_to_version(surface, CAIRO_SVG_VERSION_1_1)
        case .pdf:
            surface = cairo_pdf_surface_create_for_stream(write, closure, size.width, size.height)
            "autoenc".withCString { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, $0) }
        }
        defer { cairo_surface_destroy(surface) }
        try paint(surface, scale: 1, draw: draw, what: "a \(format.rawValue.uppercased()) chart")
        cairo_surface_finish(surface)
        try check(cairo_surface_status(surface), "a \(format.rawValue.uppercased()) chart")
        return sink.bytes
    }

    /// `png` (as cairo writes it: the signature, then IHDR) with a pHYs chunk after its
    /// IHDR saying `pixelsPerPoint` x 72 pixels an inch, so that a viewer or a document
    /// that honours it shows the chart at its size in points (144 dpi: 5669 pixels a metre).
    static func withPixelDensity(_ png: [UInt8], pixelsPerPoint: Double) -> [UInt8] {
        let ihdrEnd = 8 + 4 + 4 + 13 + 4
        guard png.count > ihdrEnd, png[12..<16].elementsEqual("IHDR".utf8) else { return png }
        let perMetre = UInt32((pixelsPerPoint * 72 / 0.0254).rounded())
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: perMetre >> (24 - 8 * $0)) }
        // x and y pixels per unit, unit 1: the metre
        return Array(png[..<ihdrEnd]) + PNG.chunk("pHYs", bytes + bytes + [1]) + Array(png[ihdrEnd...])
    }

    /// A white image surface `scale` pixels a point with `draw`'s drawing on it; the
    /// caller destroys it.
    static func imageSurface(size: (width: Double, height: Double), scale: Double,
                             draw: (Canvas) -> Void) throws -> OpaquePointer {
        let width = Int32((size.width * scale).rounded(.up)), height = Int32((size.height * scale).rounded(.up))
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)!
        do {
            try paint(surface, scale: scale, draw: draw, what: "a \(width)x\(height) chart")
        } catch {
            cairo_surface_destroy(surface)
            throw error
        }
        cairo_surface_flush(surface)
        return surface
    }

    /// White, then `draw`, on `surface` at `scale`.
    static func paint(_ surface: OpaquePointer, scale: Double, draw: (Canvas) -> Void, what: String) throws {
        try check(cairo_surface_status(surface), what)
        let context = cairo_create(surface)!
        defer { cairo_destroy(context) }
        cairo_scale(context, scale, scale)
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
        draw(Canvas(context: context))
        try check(cairo_status(context), what)
    }

    /// The drawing's pixels, `scale` pixels a point.
    static func raster(size: (width: Double, height: Double), scale: Double,
                       draw: (Canvas) -> Void) throws -> RGBImage {
        let surface = try imageSurface(size: size, scale: scale, draw: draw)
        defer { cairo_surface_destroy(surface) }
        let width = Int(cairo_image_surface_get_width(surface)), height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        var bytes = [UInt8](repeating: 0, count: 3 * width * height)
        for y in 0..<height {
            let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width {
                // RGB24: a native-endian 32-bit word 0x00RRGGBB per pixel
                let pixel = row[x], i = 3 * (y * width + x)
                bytes[i] = UInt8(truncatingIfNeeded: pixel >> 16)
                bytes[i + 1] = UInt8(truncatingIfNeeded: pixel >> 8)
                bytes[i + 2] = UInt8(truncatingIfNeeded: pixel)
            }
        }
        return RGBImage(width: width, height: height, bytes: bytes)
    }

    // MARK: - Colour and lines

    /// Sets the colour of what is drawn next: sRGB, 0-255.
    public func color(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        cairo_set_source_rgb(context, Double(red) / 255, Double(green) / 255, Double(blue) / 255)
    }

    public func color(_ style: SeriesStyle) { color(style.red, style.green, style.blue) }

    public func gray(_ level: UInt8) { color(level, level, level) }

    /// Sets the line width (points) and dash pattern (lengths in points, drawn and skipped
    /// in turn; empty for a solid line) of what is stroked next.
    public func stroke(width: Double, dash: [Double] = []) {
        cairo_set_line_width(context, width)
        dash.withUnsafeBufferPointer { cairo_set_dash(context, $0.baseAddress, Int32($0.count), 0) }
    }

    /// Strokes the line through `points` in the current colour, width and dashes.
    public func polyline(_ points: [(x: Double, y: Double)]) {
        guard let first = points.first else { return }
        cairo_move_to(context, first.x, first.y)
        for p in points.dropFirst() { cairo_line_to(context, p.x, p.y) }
        cairo_stroke(context)
    }

    public func line(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) { polyline([a, b]) }

    public func fillRect(x: Double, y: Double, width: Double, height: Double) {
        cairo_rectangle(context, x, y, width, height)
        cairo_fill(context)
    }

    public func strokeRect(x: Double, y: Double, width: Double, height: Double) {
        cairo_rectangle(context, x, y, width, height)
        cairo_stroke(context)
    }

    /// `marker` centred on `p`, `radius` points from the centre to its edge, solid and
    /// filled in the current colour (a cross is stroked).
    public func marker(_ marker: SeriesStyle.Marker, at p: (x: Double, y: Double), radius: Double = 3.5) {
        let (x, y, r) = (p.x, p.y, radius)
        cairo_save(context)
        defer { cairo_restore(context) }
        stroke(width: 1.2)
        switch marker {
        case .square:
            cairo_rectangle(context, x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r)
        case .circle:
            cairo_new_sub_path(context)
            cairo_arc(context, x, y, r, 0, 2 * Double.pi)
        case .triangle:
            cairo_move_to(context, x, y - 1.15 * r)
            cairo_line_to(context, x + r, y + 0.85 * r)
            cairo_line_to(context, x - r, y + 0.85 * r)
            cairo_close_path(context)
        case .diamond:
            cairo_move_to(context, x, y - 1.2 * r)
            cairo_line_to(context, x + r, y)
            cairo_line_to(context, x, y + 1.2 * r)
            cairo_line_to(context, x - r, y)
            cairo_close_path(context)
        case .cross:
            cairo_move_to(context, x - r, y - r)
            cairo_line_to(context, x + r, y + r)
            cairo_move_to(context, x - r, y + r)
            cairo_line_to(context, x + r, y - r)
            stroke(width: 1.6)
            cairo_stroke(context)
            return
        }
        cairo_fill(context)
    }

    /// Draws `draw` shifted by (x, y), its own drawing state restored after.
    public func translated(_ x: Double, _ y: Double, _ draw: (Canvas) -> Void) {
        cairo_save(context)
        cairo_translate(context, x, y)
        draw(self)
        cairo_restore(context)
    }

    // MARK: - Text

    /// Where a text's point is: its start, middle or end along the line...
    public enum Anchor: Sendable { case start, middle, end }
    /// ...and its baseline, the middle of its digits' height, or its top.
    public enum Baseline: Sendable { case alphabetic, middle, top }

    /// Writes `text` in DejaVu Sans at `size` points, anchored at `p` as `anchor` and
    /// `baseline` say, turned `angle` radians (negative: anticlockwise, -pi/2 reads upwards).
    public func text(_ text: String, at p: (x: Double, y: Double), size: Double, anchor: Anchor = .start,
                     baseline: Baseline = .alphabetic, bold: Bool = false, angle: Double = 0) {
        guard !text.isEmpty else { return }
        cairo_save(context)
        defer { cairo_restore(context) }
        Self.fontFamily.withCString {
            cairo_select_font_face(context, $0, CAIRO_FONT_SLANT_NORMAL,
                                   bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        }
        cairo_set_font_size(context, size)
        cairo_translate(context, p.x, p.y)
        cairo_rotate(context, angle)
        let width = Self.width(text, context: context)
        let dx = anchor == .start ? 0 : anchor == .middle ? -width / 2 : -width
        let dy: Double
        switch baseline {
        case .alphabetic: dy = 0
        case .middle: dy = 0.36 * size // half a digit's height (DejaVu's is 0.73 em)
        case .top: dy = 0.76 * size
        }
        cairo_move_to(context, dx, dy)
        text.withCString { cairo_show_text(context, $0) }
    }

    static func width(_ text: String, context: OpaquePointer) -> Double {
        var extents = cairo_text_extents_t()
        text.withCString { cairo_text_extents(context, $0, &extents) }
        return extents.x_advance
    }

    /// How wide `text` is in DejaVu Sans at `size` points (its advance), for layout.
    public static func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        guard !text.isEmpty else { return 0 }
        let surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1)
        let context = cairo_create(surface)!
        defer {
            cairo_destroy(context)
            cairo_surface_destroy(surface)
        }
        fontFamily.withCString {
            cairo_select_font_face(context, $0, CAIRO_FONT_SLANT_NORMAL,
                                   bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        }
        cairo_set_font_size(context, size)
        return width(text, context: context)
    }
}
