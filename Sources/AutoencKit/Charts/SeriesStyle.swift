/// How a chart tells its series apart, whatever draws it: a colour from Okabe and Ito's
/// palette (safe for the common colour blindnesses), a gray for grayscale output, a dash
/// pattern and a marker. Any two of the first four series differ in dash and marker, so
/// none, dropout, DropConnect and gaussian stay apart in gray and in print too.
public struct SeriesStyle: Sendable, Equatable {
    /// The shape drawn at each of a series' points.
    public enum Marker: String, Sendable, CaseIterable {
        case square, circle, triangle, diamond, cross
    }

    public var name: String
    /// sRGB, 0-255.
    public var red: UInt8, green: UInt8, blue: UInt8
    /// The gray a grayscale renderer draws the series in (0 black, 255 white).
    public var gray: UInt8
    /// Lengths along the line in pixels, drawn and skipped in turn; empty for a solid line.
    public var dash: [Int]
    public var marker: Marker

    /// Okabe and Ito's colours (2008) in the order the series take them: black, blue,
    /// vermillion, bluish green, reddish purple, orange, sky blue; the grays stay 60 or
    /// more below white so that a line shows on a white page.
    public static let palette: [SeriesStyle] = [
        SeriesStyle(name: "black", red: 0, green: 0, blue: 0, gray: 0, dash: [], marker: .square),
        SeriesStyle(name: "blue", red: 0, green: 114, blue: 178, gray: 120, dash: [7, 4], marker: .circle),
        SeriesStyle(name: "vermillion", red: 213, green: 94, blue: 0, gray: 70, dash: [2, 3], marker: .triangle),
        SeriesStyle(name: "bluish green", red: 0, green: 158, blue: 115, gray: 160, dash: [9, 3, 2, 3],
                    marker: .diamond),
        SeriesStyle(name: "reddish purple", red: 204, green: 121, blue: 167, gray: 40, dash: [4, 4], marker: .cross),
        SeriesStyle(name: "orange", red: 230, green: 159, blue: 0, gray: 140, dash: [12, 4], marker: .square),
        SeriesStyle(name: "sky blue", red: 86, green: 180, blue: 233, gray: 190, dash: [1, 2], marker: .circle),
    ]

    /// Series `index`'s style; past the palette's end the styles repeat.
    public static func of(_ index: Int) -> SeriesStyle { palette[index % palette.count] }

    /// "#0072b2".
    public var hex: String {
        "#" + [red, green, blue].map { v in
            let digits = String(v, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// Whether the point `distance` pixels along the line is drawn.
    public func draws(at distance: Int) -> Bool {
        guard !dash.isEmpty else { return true }
        var offset = distance % dash.reduce(0, +)
        for (i, length) in dash.enumerated() {
            if offset < length { return i % 2 == 0 }
            offset -= length
        }
        return true
    }
}
