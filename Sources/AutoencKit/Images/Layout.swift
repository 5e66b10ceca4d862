/// Putting images together: copying one into another, captions, rows and columns.
extension GrayImage {
    /// Copies `other` with its top-left corner at (x, y), clipped to this image.
    public mutating func paste(_ other: GrayImage, at x: Int, _ y: Int) {
        for row in 0..<other.height where y + row >= 0 && y + row < height {
            for col in 0..<other.width where x + col >= 0 && x + col < width {
                pixels[(y + row) * width + x + col] = other.pixels[row * other.width + col]
            }
        }
    }

    /// This image below a caption line (`size` pixels, DejaVu Sans), centred, with
    /// `margin` pixels around the text, on `background` with the text in `ink`.
    public func captioned(_ text: String, size: Double = 15, margin: Int = 4,
                          background: UInt8 = 0, ink: UInt8 = 255) -> GrayImage {
        let captionHeight = GrayImage.lineHeight(size: size) + 2 * margin
        let textWidth = GrayImage.textWidth(text, size: size)
        var out = GrayImage(width: max(width, textWidth + 2 * margin), height: height + captionHeight, fill: background)
        out.drawText(text, at: (out.width - textWidth) / 2, margin, size: size, value: ink)
        out.paste(self, at: (out.width - width) / 2, captionHeight)
        return out
    }
}

/// Arranging images in a row or a column.
public enum Layout {
    /// `images` left to right, top-aligned, `gap` pixels apart and around, on `background`.
    public static func row(_ images: [GrayImage], gap: Int = 8, background: UInt8 = 0) -> GrayImage {
        let height = (images.map(\.height).max() ?? 0) + 2 * gap
        let width = images.reduce(gap) { $0 + $1.width + gap }
        var out = GrayImage(width: max(1, width), height: max(1, height), fill: background)
        var x = gap
        for image in images {
            out.paste(image, at: x, gap)
            x += image.width + gap
        }
        return out
    }

    /// `images` top to bottom, left-aligned, `gap` pixels apart and around, on `background`.
    public static func column(_ images: [GrayImage], gap: Int = 8, background: UInt8 = 0) -> GrayImage {
        let width = (images.map(\.width).max() ?? 0) + 2 * gap
        let height = images.reduce(gap) { $0 + $1.height + gap }
        var out = GrayImage(width: max(1, width), height: max(1, height), fill: background)
        var y = gap
        for image in images {
            out.paste(image, at: gap, y)
            y += image.height + gap
        }
        return out
    }
}
