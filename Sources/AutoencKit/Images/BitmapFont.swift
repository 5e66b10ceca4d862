/// A 5x7 pixel font for captions and axis labels: lowercase letters (capitals are drawn
/// as lowercase), digits, the space and `. , - _ : ( ) = + / % < > ? # [ ] * '`. Any
/// other character is drawn as `?`.
///
/// Each glyph is 7 rows of 5 pixels; text advances 6 pixels per character (one blank
/// column between glyphs) and a line is 7 pixels tall. Everything scales by an integer.
public enum BitmapFont {
    public static let glyphWidth = 5
    public static let glyphHeight = 7
    /// Horizontal distance from one character to the next, in unscaled pixels.
    public static let advance = 6

    /// The glyph of `c` as 7 rows, top first; bit 4 of a row is its leftmost pixel.
    public static func glyph(_ c: Character) -> [UInt8] {
        let key = Character(c.lowercased())
        return glyphs[key] ?? glyphs["?"]!
    }

    /// Whether the font has a glyph of its own for `c` (else it draws `?`).
    public static func covers(_ c: Character) -> Bool {
        glyphs[Character(c.lowercased())] != nil
    }

    /// Width in pixels of `text` drawn at `scale` (no trailing blank column).
    public static func width(_ text: String, scale: Int = 1) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    /// Height in pixels of one line at `scale`.
    public static func height(scale: Int = 1) -> Int { glyphHeight * scale }

    // MARK: - Glyphs

    /// Each glyph as 7 rows of `#` (ink) and `.` (blank), separated by spaces.
    static let drawings: [Character: String] = [
        " ": "..... ..... ..... ..... ..... ..... .....",
        "a": "..... ..... .###. ....# .#### #...# .####",
        "b": "#.... #.... #.##. ##..# #...# #...# ####.",
        "c": "..... ..... .###. #.... #.... #...# .###.",
        "d": "....# ....# .##.# #..## #...# #...# .####",
        "e": "..... ..... .###. #...# ##### #.... .###.",
        "f": "..##. .#..# .#... ###.. .#... .#... .#...",
        "g": "..... ..... .#### #...# .#### ....# .###.",
        "h": "#.... #.... #.##. ##..# #...# #...# #...#",
        "i": "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
        "j": "...#. ..... ..##. ...#. ...#. #..#. .##..",
        "k": "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
        "l": ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        "m": "..... ..... ##.#. #.#.# #.#.# #...# #...#",
        "n": "..... ..... #.##. ##..# #...# #...# #...#",
        "o": "..... ..... .###. #...# #...# #...# .###.",
        "p": "..... ..... ####. #...# ####. #.... #....",
        "q": "..... ..... .##.# #..## .#### ....# ....#",
        "r": "..... ..... #.##. ##..# #.... #.... #....",
        "s": "..... ..... .###. #.... .###. ....# ####.",
        "t": ".#... .#... ###.. .#... .#... .#..# ..##.",
        "u": "..... ..... #...# #...# #...# #..## .##.#",
        "v": "..... ..... #...# #...# #...# .#.#. ..#..",
        "w": "..... ..... #...# #...# #.#.# #.#.# .#.#.",
        "x": "..... ..... #...# .#.#. ..#.. .#.#. #...#",
        "y": "..... ..... #...# #...# .#### ....# .###.",
        "z": "..... ..... ##### ...#. ..#.. .#... #####",
        "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
        "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
        "2": ".###. #...# ....# ...#. ..#.. .#... #####",
        "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
        "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
        "5": "##### #.... ####. ....# ....# #...# .###.",
        "6": "..##. .#... #.... ####. #...# #...# .###.",
        "7": "##### ....# ...#. ..#.. .#... .#... .#...",
        "8": ".###. #...# #...# .###. #...# #...# .###.",
        "9": ".###. #...# #...# .#### ....# ...#. .##..",
        ".": "..... ..... ..... ..... ..... .##.. .##..",
        ",": "..... ..... ..... ..... .##.. ..#.. .#...",
        "-": "..... ..... ..... .###. ..... ..... .....",
        "_": "..... ..... ..... ..... ..... ..... #####",
        ":": "..... .##.. .##.. ..... .##.. .##.. .....",
        "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
        ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
        "[": ".###. .#... .#... .#... .#... .#... .###.",
        "]": ".###. ...#. ...#. ...#. ...#. ...#. .###.",
        "=": "..... ..... ##### ..... ##### ..... .....",
        "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
        "*": "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
        "/": "..... ....# ...#. ..#.. .#... #.... .....",
        "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
        "<": "...#. ..#.. .#... #.... .#... ..#.. ...#.",
        ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#...",
        "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
        "'": "..#.. ..#.. .#... ..... ..... ..... .....",
        "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
    ]

    /// `drawings` as row bit masks.
    static let glyphs: [Character: [UInt8]] = drawings.mapValues { drawing in
        drawing.split(separator: " ").map { row in
            row.reduce(UInt8(0)) { bits, pixel in (bits << 1) | (pixel == "#" ? 1 : 0) }
        }
    }
}

extension GrayImage {
    /// Draws `text` with its top-left corner at (x, y), every font pixel `scale` x
    /// `scale`, in `value`; pixels falling outside the image are skipped. Returns the
    /// x just past the text.
    @discardableResult
    public mutating func drawText(_ text: String, at x: Int, _ y: Int, scale: Int = 1, value: UInt8 = 255) -> Int {
        var left = x
        for c in text {
            let rows = BitmapFont.glyph(c)
            for (r, bits) in rows.enumerated() {
                for col in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - col)) != 0 {
                    fill(x: left + col * scale, y: y + r * scale, width: scale, height: scale, value: value)
                }
            }
            left += BitmapFont.advance * scale
        }
        return left
    }

    /// Sets the rectangle's pixels to `value`, clipped to the image.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, value: UInt8) {
        let x0 = max(0, x), x1 = min(width, x + w), y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for col in x0..<x1 { pixels[row * width + col] = value }
        }
    }
}
