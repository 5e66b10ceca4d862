import Testing
@testable import AutoencCore
@testable import AutoencKit

/// PGM bytes and the grids drawn into them.
@Suite struct PGMTests {
    @Test func pgmBytesExactly() {
        var image = GrayImage(width: 3, height: 2, fill: 7)
        image[0, 0] = 0
        image[2, 0] = 255
        image[1, 1] = 128
        let expected = Array("P5\n3 2\n255\n".utf8) + [0, 7, 255, 7, 128, 7]
        #expect(image.pgm == expected)
    }

    @Test(arguments: [(1, 1), (465, 465), (457, 233)])
    func pgmLength(width: Int, height: Int) {
        let image = GrayImage(width: width, height: height, fill: 3)
        let header = Array("P5\n\(width) \(height)\n255\n".utf8)
        #expect(image.pgm.count == header.count + width * height)
        #expect(Array(image.pgm.prefix(header.count)) == header)
    }

    static let bytes: [(Float, UInt8)] = [
        (.nan, 0), (-.nan, 0), (0, 0), (1, 255), (0.5, 128), (0.2, 51),
        (-0.5, 0), (2, 255), (.infinity, 255), (-.infinity, 0), (1e-9, 0), (0.999, 255),
    ]

    @Test(arguments: bytes)
    func floatToByte(value: Float, byte: UInt8) {
        #expect(GrayImage.byte(value) == byte)
    }

    @Test func drawPlacesTilesAndScales() {
        var image = GrayImage(width: 5, height: 4)
        let values: [Float] = [0, 1, 0.5, .nan] // 2x2
        image.draw(values, side: 2, at: 1, 0, scale: 2)
        #expect(image.pixels == [
            0, 0, 0, 255, 255,
            0, 0, 0, 255, 255,
            0, 128, 128, 0, 0,
            0, 128, 128, 0, 0,
        ])
        let big = GrayImage(width: 2, height: 1, fill: 9).scaled(3)
        #expect(big.width == 6 && big.height == 3 && big.pixels == [UInt8](repeating: 9, count: 18))
    }

    // MARK: - Weight maps

    /// Unit u's tile has its top-left pixel at this position.
    func origin(unit: Int, columns: Int) -> (x: Int, y: Int) {
        (1 + (unit % columns) * 29, 1 + (unit / columns) * 29)
    }

    func tile(_ image: GrayImage, unit: Int, columns: Int) -> [UInt8] {
        let (x0, y0) = origin(unit: unit, columns: columns)
        return (0..<784).map { image[x0 + $0 % 28, y0 + $0 / 28] }
    }

    /// 256 units: a 16x16 grid of 28-pixel tiles with 1-pixel black separators and
    /// border, 16 * 29 + 1 = 465 pixels square; each tile stretched to its own range.
    @Test func weightMapGeometryAndScaling() {
        let p = Parameters(hidden: 256)
        var rng = TestRandom(5)
        for unit in 0..<256 {
            // Tiles with very different ranges, so a shared scale would show.
            let scale = Float(unit + 1) * 0.01, offset = Float(unit) - 128
            for i in 0..<784 { p.w1[unit * 784 + i] = offset + scale * rng.float(-1, 1) }
        }
        let image = Grids.weightMap(p)
        #expect(image.width == 465 && image.height == 465)
        #expect(image.pgm.count == "P5\n465 465\n255\n".utf8.count + 465 * 465)
        // Separators: every 29th row and column is black.
        for k in stride(from: 0, through: 464, by: 29) {
            for t in 0..<465 {
                if image[k, t] != 0 || image[t, k] != 0 {
                    Issue.record("separator pixel not black at line \(k), position \(t)")
                    return
                }
            }
        }
        for unit in [0, 1, 15, 16, 200, 255] {
            let pixels = tile(image, unit: unit, columns: 16)
            let w = Array(UnsafeBufferPointer(start: p.w1 + unit * 784, count: 784))
            let low = w.min()!, high = w.max()!
            #expect(pixels.min() == 0 && pixels.max() == 255, "unit \(unit): \(pixels.min()!)...\(pixels.max()!)")
            #expect(pixels[w.firstIndex(of: low)!] == 0 && pixels[w.firstIndex(of: high)!] == 255)
            // Every pixel is its weight's position in the tile's range.
            let worst = (0..<784).map {
                abs(Int(pixels[$0]) - Int(GrayImage.byte((w[$0] - low) / (high - low))))
            }.max()!
            #expect(worst <= 1, "unit \(unit): pixel off by \(worst)")
        }
    }

    @Test(arguments: [(1, 1, 1), (5, 3, 2), (10, 4, 3), (16, 4, 4), (17, 5, 4)])
    func weightMapGridSize(hidden: Int, columns: Int, rows: Int) {
        let image = Grids.weightMap(Parameters(hidden: hidden))
        #expect(image.width == columns * 29 + 1 && image.height == rows * 29 + 1)
    }

    /// A constant tile is mid-gray; NaN weights are black, in a tile with a range and in
    /// a constant one; a tile of NaN only is black.
    @Test func weightMapConstantAndNaNTiles() {
        let p = Parameters(hidden: 4)
        for i in 0..<784 {
            p.w1[i] = 0.25 // unit 0: constant
            p.w1[784 + i] = Float(i) // unit 1: a ramp with NaNs
            p.w1[2 * 784 + i] = 0.25 // unit 2: constant with NaNs
            p.w1[3 * 784 + i] = .nan // unit 3: NaN only
        }
        for i in [0, 5, 783] {
            p.w1[784 + i] = .nan
            p.w1[2 * 784 + i] = .nan
        }
        let image = Grids.weightMap(p)
        #expect(Set(tile(image, unit: 0, columns: 2)) == [128])
        let ramp = tile(image, unit: 1, columns: 2)
        #expect(ramp[0] == 0 && ramp[5] == 0 && ramp[783] == 0,
                "NaN weights in a ramp drawn as \(ramp[0]), \(ramp[5]), \(ramp[783])")
        #expect(ramp[1] == 0 && ramp[782] == 255)
        let constant = tile(image, unit: 2, columns: 2)
        #expect(constant[0] == 0 && constant[5] == 0 && constant[783] == 0,
                "NaN weights in a constant tile drawn as \(constant[0]), \(constant[5]), \(constant[783])")
        #expect(constant[1] == 128)
        let nan = tile(image, unit: 3, columns: 2)
        #expect(Set(nan) == [0], "a NaN-only tile drawn as \(Set(nan))")
    }

    // MARK: - Reconstruction sheets

    @Test func reconstructionSheetGeometry() {
        let count = 10
        let x = (0..<count * 784).map { Float($0 % 784) / 783 }
        let y = [Float](repeating: 1, count: count * 784)
        let image = Grids.reconstructions(original: x, reconstructed: y, count: count, pairsPerRow: 4)
        // 4 pairs per row, each 2 * 28 + 1 wide, separated by 1 pixel; 3 rows under the
        // label strip (a line of 11-pixel text, 13 rows, and 2 pixels above and below).
        let strip = Grids.labelHeight
        #expect(strip == 17 && image.width == 4 * 58 + 1 && image.height == strip + 3 * 29 + 1)
        // Pair k = 5 sits in row 1, column 1: original then reconstruction.
        let x0 = 1 + 1 * 58, y0 = strip + 1 + 29
        #expect(image[x0, y0] == 0 && image[x0 + 27, y0 + 27] == 255)
        #expect(image[x0 + 28, y0] == 0, "separator between original and reconstruction")
        #expect(image[x0 + 29, y0] == 255 && image[x0 + 56, y0 + 27] == 255)
        // The unused slots of the last row stay black.
        #expect(image[1 + 3 * 58 + 10, strip + 1 + 2 * 29 + 10] == 0)
    }
}
