/// A grayscale image, one byte per pixel, row-major.
public struct GrayImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, fill: UInt8 = 0) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: fill, count: width * height)
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// A float in [0, 1] as a byte: NaN is 0, values outside are clamped, rounded.
    @inline(__always)
    public static func byte(_ v: Float) -> UInt8 {
        guard v == v else { return 0 }
        return UInt8((min(max(v, 0), 1) * 255).rounded())
    }

    /// Draws `values` (28x28 floats in [0, 1]) at (x0, y0), each pixel `scale` x `scale`.
    public mutating func draw(_ values: UnsafePointer<Float>, side: Int, at x0: Int, _ y0: Int, scale: Int = 1) {
        for r in 0..<side * scale {
            for c in 0..<side * scale {
                self[x0 + c, y0 + r] = Self.byte(values[(r / scale) * side + c / scale])
            }
        }
    }

    /// The most pixels an output image may have (1 GiB as bytes).
    public static let maxPixels = 1 << 30

    /// Checks, before drawing, that a `width` x `height` image magnified `scale` times
    /// (`what`: "--scale 16: 10000 reconstructions") can be made and encoded: throws
    /// `.usage` (64) past `maxPixels`, and `.unavailable` (69) when the image and its
    /// encoding, about 3 bytes a pixel, need more memory than is `available`.
    public static func checkDrawable(width: Int, height: Int, scale: Int, what: String,
                                     available: Int? = Memory.available()) throws {
        let (w, h) = (width * scale, height * scale)
        guard w * h <= maxPixels else {
            throw AutoencError(.usage, "\(what) would make a \(w)x\(h) image, more than \(maxPixels >> 20) "
                + "million pixels; use a smaller --scale or fewer images")
        }
        try Memory.check(3 * w * h, available: available, what: "drawing \(what) as a \(w)x\(h) image",
                         remedy: "use a smaller --scale or fewer images")
    }

    /// Each pixel repeated `k` x `k` times.
    public func scaled(_ k: Int) -> GrayImage {
        guard k > 1 else { return self }
        var out = GrayImage(width: width * k, height: height * k)
        for y in 0..<out.height {
            for x in 0..<out.width { out[x, y] = self[x / k, y / k] }
        }
        return out
    }
}
