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
