/// Grids of 28x28 tiles: weight maps and reconstruction sheets.
public enum Grids {
    public static let side = 28

    /// Each hidden unit's 784 input weights as a 28x28 tile, in a grid of
    /// ceil(sqrt(hidden)) columns (16x16 for 256 units) with 1-pixel separators; each tile
    /// is scaled on its own, its minimum black and its maximum white (a constant tile is
    /// mid-gray; NaN weights are drawn black).
    public static func weightMap(_ parameters: Parameters) -> GrayImage {
        weightMap(WeightMapSelection().tiles(parameters))
    }

    /// `tiles` in order, left to right and top to bottom, in a grid of ceil(sqrt(count))
    /// columns with 1-pixel black separators, each tile scaled on its own as above. A dead
    /// tile (`WeightMapTile.isDead`) is drawn flat, `deadTile`: dark gray crossed out by
    /// its two diagonals in light gray, unlike any live tile (a constant one is
    /// mid-gray, uncrossed). No tiles: one empty black slot.
    public static func weightMap(_ tiles: [WeightMapTile]) -> GrayImage {
        let slots = max(1, tiles.count)
        var columns = 1
        while columns * columns < slots { columns += 1 }
        let rows = (slots + columns - 1) / columns
        var image = GrayImage(width: columns * (side + 1) + 1, height: rows * (side + 1) + 1, fill: 0)
        var pixels = [Float](repeating: 0, count: side * side)
        for (k, tile) in tiles.enumerated() {
            if tile.isDead {
                pixels = deadTile
            } else {
                tile.weights.withUnsafeBufferPointer { normalize($0, into: &pixels) }
            }
            pixels.withUnsafeBufferPointer {
                image.draw($0.baseAddress!, side: side, at: 1 + (k % columns) * (side + 1),
                           1 + (k / columns) * (side + 1))
            }
        }
        return image
    }

    /// The gray levels of a dead unit's tile: its background and the cross over it.
    public static let deadBackground: Float = 0.25, deadCross: Float = 0.75

    /// A dead unit's tile, 28x28: `deadBackground` with both diagonals in `deadCross`.
    public static let deadTile: [Float] = (0..<side * side).map { i in
        let r = i / side, c = i % side
        return r == c || r + c == side - 1 ? deadCross : deadBackground
    }

    /// Maps values so that their minimum is 0 and maximum 1 (all equal: 0.5); NaN stays
    /// NaN, also in a constant tile.
    static func normalize(_ values: UnsafeBufferPointer<Float>, into out: inout [Float]) {
        var low = Float.infinity, high = -Float.infinity
        for v in values where v.isFinite {
            low = min(low, v)
            high = max(high, v)
        }
        let range = high - low
        for i in 0..<values.count {
            out[i] = values[i].isNaN ? .nan : range > 0 ? (values[i] - low) / range : 0.5
        }
    }

    /// The label strip above a reconstruction sheet: which tile of a pair is which.
    public static let reconstructionsLabel = "left: original, right: reconstruction"

    /// The label's text size in pixels.
    static let labelSize = 11.0

    /// The label strip's height: a line of text with 2 pixels above and below.
    static var labelHeight: Int { GrayImage.lineHeight(size: labelSize) + 4 }

    /// The size of `reconstructions`' sheet of `count` pairs, its label strip included
    /// (at least as wide as the label).
    public static func reconstructionsSize(count: Int, pairsPerRow: Int = 8) -> (width: Int, height: Int) {
        let perRow = max(1, min(pairsPerRow, count))
        let rows = (count + perRow - 1) / perRow
        let grid = perRow * (2 * side + 2) + 1
        let label = GrayImage.textWidth(reconstructionsLabel, size: labelSize) + 4
        return (max(grid, label), labelHeight + rows * (side + 1) + 1)
    }

    /// Pairs of tiles, each original image left of its reconstruction, in rows of
    /// `pairsPerRow` pairs, with 1-pixel separators, under a strip that says so
    /// (`reconstructionsLabel`, white on black). x, y: (count, 784) in [0, 1].
    public static func reconstructions(original x: UnsafePointer<Float>, reconstructed y: UnsafePointer<Float>,
                                       count: Int, pairsPerRow: Int = 8) -> GrayImage {
        let perRow = max(1, min(pairsPerRow, count))
        let pairWidth = 2 * side + 1
        let size = reconstructionsSize(count: count, pairsPerRow: pairsPerRow)
        var image = GrayImage(width: size.width, height: size.height, fill: 0)
        image.drawText(reconstructionsLabel, at: 2, 2, size: labelSize, value: 255)
        for k in 0..<count {
            let x0 = 1 + (k % perRow) * (pairWidth + 1), y0 = labelHeight + 1 + (k / perRow) * (side + 1)
            image.draw(x + k * ModelConfig.inputs, side: side, at: x0, y0)
            image.draw(y + k * ModelConfig.inputs, side: side, at: x0 + side + 1, y0)
        }
        return image
    }
}
