import CCairo

/// Text on a grayscale image (captions, the reconstruction sheets' labels), drawn through
/// cairo in DejaVu Sans, antialiased over what is there; the image stays one byte a pixel.
extension GrayImage {
    /// The height in pixels of a line of text `size` pixels high: the font's ascent and
    /// descent (DejaVu Sans: about 1.17 em).
    public static func lineHeight(size: Double) -> Int { Int((size * 1.17).rounded(.up)) }

    /// How many pixels wide `text` is at `size`.
    public static func textWidth(_ text: String, size: Double) -> Int {
        Int(Canvas.textWidth(text, size: size).rounded(.up))
    }

    /// Writes `text` at `size` pixels in gray `value`, the top of its line (`lineHeight`)
    /// at row `y` and its start at column `x`, clipped to the image.
    public mutating func drawText(_ text: String, at x: Int, _ y: Int, size: Double = 11, value: UInt8 = 255) {
        let boxWidth = Self.textWidth(text, size: size) + 2, boxHeight = Self.lineHeight(size: size)
        guard !text.isEmpty, boxWidth > 0, boxHeight > 0 else { return }
        // the text's coverage (alpha) in a box of its own, then blended into the image
        let surface = cairo_image_surface_create(CAIRO_FORMAT_A8, Int32(boxWidth), Int32(boxHeight))!
        defer { cairo_surface_destroy(surface) }
        let context = cairo_create(surface)!
        Canvas.fontFamily.withCString {
            cairo_select_font_face(context, $0, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        }
        cairo_set_font_size(context, size)
        var extents = cairo_font_extents_t()
        cairo_font_extents(context, &extents)
        cairo_move_to(context, 0, extents.ascent)
        text.withCString { cairo_show_text(context, $0) }
        cairo_destroy(context)
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return }
        let stride = Int(cairo_image_surface_get_stride(surface))
        for row in 0..<boxHeight where y + row >= 0 && y + row < height {
            for col in 0..<boxWidth where x + col >= 0 && x + col < width {
                let alpha = Int(data[row * stride + col])
                guard alpha > 0 else { continue }
                let old = Int(self[x + col, y + row])
                self[x + col, y + row] = UInt8((old * (255 - alpha) + Int(value) * alpha + 127) / 255)
            }
        }
    }
}
