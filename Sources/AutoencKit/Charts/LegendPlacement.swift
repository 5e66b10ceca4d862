/// Where a chart's legend goes: the corner of the plot area whose box covers the fewest
/// data points and line segments (points count once, segments once each they cross the
/// box, error bars as segments). Pixel coordinates from the top left, so the same rule
/// serves every renderer.
public struct LegendPlacement: Sendable {
    /// A rectangle in pixels, its origin at the top left.
    public struct Rect: Sendable, Equatable {
        public var x: Double, y: Double, width: Double, height: Double

        public init(x: Double, y: Double, width: Double, height: Double) {
            (self.x, self.y, self.width, self.height) = (x, y, width, height)
        }

        public var maxX: Double { x + width }
        public var maxY: Double { y + height }

        public func contains(_ p: (x: Double, y: Double)) -> Bool { p.x >= x && p.x <= maxX && p.y >= y && p.y <= maxY }

        public func intersects(_ other: Rect) -> Bool {
            x <= other.maxX && other.x <= maxX && y <= other.maxY && other.y <= maxY
        }

        /// Whether the segment from `a` to `b` passes through the box (Liang-Barsky clipping).
        public func intersects(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Bool {
            var t0 = 0.0, t1 = 1.0
            let dx = b.x - a.x, dy = b.y - a.y
            for (p, q) in [(-dx, a.x - x), (dx, maxX - a.x), (-dy, a.y - y), (dy, maxY - a.y)] {
                if p == 0 {
                    if q < 0 { return false }
                } else {
                    let r = q / p
                    if p < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
                    if t0 > t1 { return false }
                }
            }
            return true
        }
    }

    /// A corner of the plot area the legend can sit in; on a tie, the first in this order wins.
    public enum Corner: String, Sendable, CaseIterable {
        case topRight, topLeft, bottomRight, bottomLeft
    }

    /// The plot area the legend sits inside.
    public var plot: Rect
    /// The legend box's size.
    public var width: Double, height: Double
    /// Pixels between the box and the plot area's edges.
    public var inset: Double

    public init(plot: Rect, width: Double, height: Double, inset: Double = 4) {
        self.plot = plot
        self.width = width
        self.height = height
        self.inset = inset
    }

    /// The box at `corner`.
    public func box(_ corner: Corner) -> Rect {
        let left = plot.x + inset, right = plot.maxX - inset - width
        let top = plot.y + inset, bottom = plot.maxY - inset - height
        switch corner {
        case .topRight: return Rect(x: right, y: top, width: width, height: height)
        case .topLeft: return Rect(x: left, y: top, width: width, height: height)
        case .bottomRight: return Rect(x: right, y: bottom, width: width, height: height)
        case .bottomLeft: return Rect(x: left, y: bottom, width: width, height: height)
        }
    }

    /// How much of the data the box at `corner` covers: the points inside it, plus the
    /// segments through it.
    public func overlap(_ corner: Corner, points: [(x: Double, y: Double)],
                        segments: [((x: Double, y: Double), (x: Double, y: Double))]) -> Int {
        let box = box(corner)
        return points.filter(box.contains).count + segments.filter { box.intersects($0.0, $0.1) }.count
    }

    /// The corner covering the least data, the first in `Corner.allCases` (top right,
    /// top left, bottom right, bottom left) among equals.
    public func corner(points: [(x: Double, y: Double)],
                       segments: [((x: Double, y: Double), (x: Double, y: Double))]) -> Corner {
        let counts = Corner.allCases.map { overlap($0, points: points, segments: segments) }
        return Corner.allCases[counts.firstIndex(of: counts.min()!)!]
    }
}
