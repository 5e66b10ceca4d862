/// An element type a `.npy` header can name, from its `descr` (`'|u1'`, `'<f4'`, ...):
/// the integers of 1 to 8 bytes and float32 and float64, in either byte order.
public struct NPYElement: Sendable, Equatable {
    /// How the element's bytes are read: an unsigned or signed integer, or an IEEE float.
    public enum Kind: Sendable { case unsigned, signed, float }
    /// Whether the element is an unsigned or signed integer or a float.
    public var kind: Kind
    /// The element's size in bytes: 1 to 8 for integers, 4 or 8 for floats.
    public var size: Int
    /// Whether the bytes are big-endian (`'>'` in `descr`).
    public var bigEndian: Bool

    /// nil for anything else: strings, objects, structured and complex types, float16.
    public init?(descr: String) {
        let text = Array(descr.utf8)
        guard text.count >= 3, let size = Int(String(decoding: text[2...], as: UTF8.self)) else { return nil }
        switch text[0] {
        case UInt8(ascii: "<"), UInt8(ascii: "="), UInt8(ascii: "|"): bigEndian = false
        case UInt8(ascii: ">"): bigEndian = true
        default: return nil
        }
        switch (text[1], size) {
        case (UInt8(ascii: "u"), 1), (UInt8(ascii: "u"), 2), (UInt8(ascii: "u"), 4), (UInt8(ascii: "u"), 8):
            kind = .unsigned
        case (UInt8(ascii: "i"), 1), (UInt8(ascii: "i"), 2), (UInt8(ascii: "i"), 4), (UInt8(ascii: "i"), 8):
            kind = .signed
        case (UInt8(ascii: "f"), 4), (UInt8(ascii: "f"), 8):
            kind = .float
        default: return nil
        }
        self.size = size
        if size == 1 { bigEndian = false }
    }

    /// NumPy's name: "uint8", "int64", "float32".
    public var name: String {
        (kind == .unsigned ? "uint" : kind == .signed ? "int" : "float") + String(size * 8)
    }

    /// The value at `raw`, as a Double (exact for every integer a label or pixel can be).
    func value(at raw: UnsafeRawPointer) -> Double {
        var bits: UInt64 = 0
        for k in 0..<size {
            let byte = UInt64(raw.load(fromByteOffset: bigEndian ? size - 1 - k : k, as: UInt8.self))
            bits |= byte << (8 * UInt64(k))
        }
        switch kind {
        case .unsigned: return Double(bits)
        case .signed:
            let shift = UInt64(64 - 8 * size)
            return Double(Int64(bitPattern: bits << shift) >> Int64(shift))
        case .float:
            return size == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
        }
    }
}

/// A `.npy` header as read, checked against the length of what holds it.
public struct NPYHeader: Sendable, Equatable {
    /// The format version, "1.0", "2.0" or "3.0".
    public var version: String
    /// The element type as the header spells it (`'<f4'`, `'|u1'`, ...).
    public var descr: String
    /// Whether the values are stored column-major.
    public var fortranOrder: Bool
    /// The array's shape, outermost dimension first.
    public var shape: [Int]
    /// Bytes before the data: magic, version, header length and header.
    public var dataOffset: Int
    /// nil when `descr` is no type autoenc reads.
    public var element: NPYElement? { NPYElement(descr: descr) }
    /// The product of the shape (1 for a 0-d array).
    public var elementCount: Int64

    /// `(60000, 28, 28)`, as Python prints a tuple.
    public var shapeText: String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

extension NPY {
    /// The image shapes autoenc reads: (N, 784), (N, 28, 28), and with a channel axis of
    /// 1 before or after, (N, 1, 28, 28) and (N, 28, 28, 1).
    public static func imageCount(shape: [Int]) -> Int? {
        let side = IDX.imageSide
        switch shape.count {
        case 2 where shape[1] == side * side: return shape[0]
        case 3 where shape[1] == side && shape[2] == side: return shape[0]
        case 4 where shape[1...] == [1, side, side] || shape[1...] == [side, side, 1]: return shape[0]
        default: return nil
        }
    }

    /// Why `header` is no image array autoenc can train on, or nil: C order, uint8 or
    /// float (float32, float64) elements, an image shape, at least one image.
    public static func imageProblem(_ header: NPYHeader) -> String? {
        if header.fortranOrder {
            return "fortran_order is True (column-major data): save np.ascontiguousarray(x) instead"
        }
        guard let element = header.element, element == NPYElement(descr: "|u1") || element.kind == .float else {
            return "dtype '\(header.descr)'\(header.element.map { " (\($0.name))" } ?? ""): expected uint8 ('|u1') "
                + "pixels 0 to 255, or float32 ('<f4') in [0, 1]"
        }
        guard let count = imageCount(shape: header.shape) else {
            return "shape \(header.shapeText): expected images of (N, 784) or (N, 28, 28)"
        }
        if count == 0 { return "expected at least one image, found shape \(header.shapeText)" }
        return nil
    }

    /// Why `header` is no label vector for `count` images, or nil: a C-order 1-d array of
    /// integers, one per image.
    public static func labelProblem(_ header: NPYHeader, count: Int?) -> String? {
        guard let element = header.element, element.kind != .float else {
            return "dtype '\(header.descr)': expected integer labels (uint8 or int64)"
        }
        guard header.shape.count == 1 else { return "shape \(header.shapeText): expected labels of shape (N,)" }
        if let count, header.shape[0] != count {
            return "holds \(header.shape[0]) labels, expected \(count), one per image"
        }
        return nil
    }

    // MARK: - Reading

    /// Reads a header from the start of `stream` and checks it against the rest of the stream.
    ///
    /// The data it promises must be exactly what is left of the stream, no more and no less;
    /// this is checked before anything is allocated.
    ///
    /// - Parameter stream: The file or archive member, at its start.
    /// - Returns: The header; the stream is left at the first byte of the data.
    /// - Throws: `AutoencError.badData` naming the stream.
    public static func readHeader(_ stream: SizedByteStream) throws -> NPYHeader {
        let name = stream.name
        var preamble = [UInt8](repeating: 0, count: 10)
        let got = try preamble.withUnsafeMutableBytes { try stream.read(into: $0) }
        guard got >= 8, Array(preamble[0..<6]) == magic else {
            throw AutoencError.badData(name, "expected a .npy array (starting \\x93NUMPY), found "
                                       + describeStart(Array(preamble[0..<got])))
        }
        let version = "\(preamble[6]).\(preamble[7])"
        var offset: Int
        var length: Int
        switch preamble[6] {
        case 1:
            guard got >= 10 else { throw AutoencError.badData(name, "the .npy header ends after \(got) bytes") }
            (offset, length) = (10, Int(preamble[8]) | Int(preamble[9]) << 8)
        case 2, 3:
            var more: [UInt8] = [0, 0]
            guard got == 10, try more.withUnsafeMutableBytes({ try stream.read(into: $0) }) == 2 else {
                throw AutoencError.badData(name, "the .npy header ends after \(got) bytes")
            }
            (offset, length) = (12, Int(Array(preamble[8..<10] + more).le32(0)))
        default:
            throw AutoencError.badData(name, "expected .npy version 1.0, 2.0 or 3.0, found \(version)")
        }
        guard Int64(offset + length) <= stream.length, length <= 1 << 20 else {
            throw AutoencError.badData(name, "header of \(length) bytes runs past the end of the "
                                       + "\(stream.length) bytes that hold it")
        }
        var text = [UInt8](repeating: 0, count: length)
        guard try text.withUnsafeMutableBytes({ try stream.read(into: $0) }) == length else {
            throw AutoencError.badData(name, "the .npy header ends early")
        }
        offset += length
        var parser = HeaderParser(text: text, name: name)
        let fields = try parser.dictionary()
        guard case .string(let descr)? = fields["descr"] else {
            throw AutoencError.badData(name, "the .npy header has no 'descr' string (a structured dtype?)")
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else {
            throw AutoencError.badData(name, "the .npy header has no 'fortran_order' True or False")
        }
        guard case .tuple(let shape)? = fields["shape"] else {
            throw AutoencError.badData(name, "the .npy header has no 'shape' tuple")
        }
        var count: Int64 = 1
        var bytes = Int64(NPYElement(descr: descr)?.size ?? 1)
        for d in shape {
            let (c, overflowCount) = count.multipliedReportingOverflow(by: Int64(d))
            let (b, overflowBytes) = bytes.multipliedReportingOverflow(by: Int64(d))
            guard !overflowCount, !overflowBytes, b <= Int64.max - Int64(offset) else {
                throw AutoencError.badData(name, "shape \(shape) promises more than 2^63 bytes")
            }
            (count, bytes) = (c, b)
        }
        let header = NPYHeader(version: version, descr: descr, fortranOrder: fortran, shape: shape,
                               dataOffset: offset, elementCount: count)
        if header.element != nil, Int64(offset) + bytes != stream.length {
            throw AutoencError.badData(name, "header promises \(header.shapeText) \(header.element!.name) "
                                       + "(\(Int64(offset) + bytes) bytes) but the file holds \(stream.length) bytes")
        }
        return header
    }

    /// What a file that is no .npy starts like, for messages.
    static func describeStart(_ bytes: [UInt8]) -> String {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return "a zip archive (a .npz? pass the .npz itself as the data set)"
        }
        if let known = IDX.recognize(bytes) { return known }
        if bytes.count >= 4 && bytes.starts(with: PNGDecoder.signature.prefix(4)) { return "a PNG image" }
        return bytes.isEmpty ? "an empty file" : "other data"
    }

    /// Reads an image array (see `imageProblem`) as bytes, count x 784: uint8 as it is,
    /// floats in [0, 1] as round(v x 255) to nearest, ties to even (NumPy's `np.rint`),
    /// computed in the file's precision. Throws `.dataError` naming the stream, and for a
    /// float outside [0, 1] or not finite, the element, its image and pixel.
    static func readImages(_ stream: SizedByteStream) throws -> (count: Int, bytes: [UInt8]) {
        let header = try readHeader(stream)
        if let problem = imageProblem(header) { throw AutoencError.badData(stream.name, problem) }
        let element = header.element!
        let count = imageCount(shape: header.shape)!
        let total = count * ImageSet.pixels
        var bytes: [UInt8]
        if element.size == 1 {
            var got = 0
            bytes = try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                got = try stream.read(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = got
            }
            if got < total { throw endsEarly(stream, header, at: got) }
        } else {
            bytes = [UInt8](repeating: 0, count: total)
            try convertFloats(stream, header, element, into: &bytes)
        }
        try stream.finish()
        return (count, bytes)
    }

    private static func convertFloats(_ stream: SizedByteStream, _ header: NPYHeader, _ element: NPYElement,
                                      into bytes: inout [UInt8]) throws {
        let chunk = 1 << 14
        var scratch = [UInt8](repeating: 0, count: chunk * element.size)
        var done = 0
        while done < bytes.count {
            let n = min(chunk, bytes.count - done)
            let got = try scratch.withUnsafeMutableBytes {
                try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n * element.size]))
            }
            guard got == n * element.size else { throw endsEarly(stream, header, at: done * element.size + got) }
            try scratch.withUnsafeBytes { raw in
                for i in 0..<n {
                    let at = raw.baseAddress! + i * element.size
                    let v = element.value(at: at)
                    // float32 scaled in float32, as NumPy computes x * 255 for a float32 array
                    let scaled = element.size == 4 ? Double((Float(v) * 255).rounded(.toNearestOrEven))
                                                   : (v * 255).rounded(.toNearestOrEven)
                    guard v >= 0, v <= 1 else { throw outOfRange(stream.name, element: done + i, value: v) }
                    bytes[done + i] = UInt8(scaled)
                }
            }
            done += n
        }
    }

    private static func outOfRange(_ name: String, element: Int, value: Double) -> AutoencError {
        let (image, pixel) = element.quotientAndRemainder(dividingBy: ImageSet.pixels)
        let hint = value.isFinite && value > 1 && value <= 255
            ? " (pixels 0 to 255? divide by 255 or save as uint8)" : ""
        return AutoencError.badData(name, "element \(element) (image \(image), pixel \(pixel)) is \(value): "
                                    + "expected float pixels in [0, 1]\(hint)")
    }

    private static func endsEarly(_ stream: SizedByteStream, _ header: NPYHeader, at got: Int) -> AutoencError {
        AutoencError.badData(stream.name, "expects \(stream.length) bytes, found \(header.dataOffset + got) "
                             + "(the data ends early)")
    }

    /// Scans the data that follows `header` in `stream`, for `autoenc info`.
    ///
    /// It reads everything and checks that `stream` ends there.
    ///
    /// - Parameters:
    ///   - stream: The stream, at the first byte of the data.
    ///   - header: The header `readHeader(_:)` read.
    /// - Returns: The smallest and largest finite value (nil for an array without finite values, or
    ///   of a type autoenc does not read), and how many values are NaN or infinite.
    /// - Throws: `AutoencError.badData` naming the stream when it ends early or goes on.
    public static func scan(_ stream: SizedByteStream, _ header: NPYHeader)
        throws -> (min: Double?, max: Double?, nonFinite: Int64) {
        guard let element = header.element else { return (nil, nil, 0) }
        var (low, high, nonFinite) = (Double.infinity, -Double.infinity, Int64(0))
        var scratch = [UInt8](repeating: 0, count: (1 << 16) * element.size)
        var left = header.elementCount
        while left > 0 {
            let n = Int(min(left, Int64(1 << 16)))
            let got = try scratch.withUnsafeMutableBytes {
                try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n * element.size]))
            }
            guard got == n * element.size else {
                let read = (header.elementCount - left) * Int64(element.size) + Int64(got)
                throw AutoencError.badData(stream.name, "expects \(stream.length) bytes, found "
                                           + "\(Int64(header.dataOffset) + read) (the data ends early)")
            }
            if element == NPYElement(descr: "|u1") {
                // bytes: the common case, without converting each one
                let chunk = scratch[0..<n]
                (low, high) = (Swift.min(low, Double(chunk.min()!)), Swift.max(high, Double(chunk.max()!)))
            } else {
                scratch.withUnsafeBytes { raw in
                    for i in 0..<n {
                        let v = element.value(at: raw.baseAddress! + i * element.size)
                        if v.isFinite { (low, high) = (Swift.min(low, v), Swift.max(high, v)) } else { nonFinite += 1 }
                    }
                }
            }
            left -= Int64(n)
        }
        try stream.finish()
        return low <= high ? (low, high, nonFinite) : (nil, nil, nonFinite)
    }

    /// Reads a label vector for `count` images (see `labelProblem`), each 0 to 9.
    static func readLabels(_ stream: SizedByteStream, count: Int) throws -> [UInt8] {
        let header = try readHeader(stream)
        if let problem = labelProblem(header, count: count) { throw AutoencError.badData(stream.name, problem) }
        let element = header.element!
        var raw = [UInt8](repeating: 0, count: count * element.size)
        let got = try raw.withUnsafeMutableBytes { try stream.read(into: $0) }
        guard got == raw.count else { throw endsEarly(stream, header, at: got) }
        try stream.finish()
        return try raw.withUnsafeBytes { buffer in
            try (0..<count).map { i in
                let v = element.value(at: buffer.baseAddress! + i * element.size)
                guard (0...9).contains(v) else {
                    // v is an integer of up to 64 bits: exact as a Double below 2^53, printed as one
                    let found = abs(v) < 9.0e15 ? String(Int64(v)) : String(v)
                    throw AutoencError.badData(stream.name, "expected labels 0 to 9, found \(found) at index \(i)")
                }
                return UInt8(v)
            }
        }
    }
}

// MARK: - The header's Python literal

/// The values a `.npy` header's dictionary holds.
enum PythonLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])
    case integer(Int)
    /// A list (a structured dtype's fields) or anything else autoenc does not use.
    case other
}

/// A reader for the header's one line of Python, `{'descr': '<f4', 'fortran_order': False,
/// 'shape': (2, 784), }`: string keys, and string, boolean, integer-tuple or list values.
struct HeaderParser {
    let text: [UInt8]
    let name: String
    var at = 0

    init(text: [UInt8], name: String) {
        self.text = text
        self.name = name
    }

    private func fail(_ what: String) -> AutoencError {
        AutoencError.badData(name, "the .npy header is not a Python dictionary literal: \(what) at character \(at)")
    }

    private mutating func skipSpace() {
        while at < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[at]) { at += 1 }
    }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard at < text.count, text[at] == c.asciiValue! else { throw fail("expected '\(c)'") }
        at += 1
    }

    private mutating func take(_ c: Character) -> Bool {
        skipSpace()
        if at < text.count, text[at] == c.asciiValue! { at += 1; return true }
        return false
    }

    mutating func dictionary() throws -> [String: PythonLiteral] {
        var fields: [String: PythonLiteral] = [:]
        try expect("{")
        while !take("}") {
            guard case .string(let key) = try value() else { throw fail("expected a string key") }
            try expect(":")
            fields[key] = try value()
            if !take(",") { try expect("}"); break }
        }
        skipSpace()
        guard at == text.count else { throw fail("unexpected text after the dictionary") }
        return fields
    }

    private mutating func value(depth: Int = 0) throws -> PythonLiteral {
        skipSpace()
        guard at < text.count, depth < 16 else { throw fail("expected a value") }
        switch text[at] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            let quote = text[at]
            at += 1
            let start = at
            while at < text.count, text[at] != quote {
                if text[at] == UInt8(ascii: "\\") { at += 1 }
                at += 1
            }
            guard at < text.count else { throw fail("unterminated string") }
            at += 1
            return .string(String(decoding: text[start..<at - 1], as: UTF8.self))
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close: Character = text[at] == UInt8(ascii: "(") ? ")" : "]"
            at += 1
            var items: [PythonLiteral] = []
            while !take(close) {
                items.append(try value(depth: depth + 1))
                if !take(",") { try expect(close); break }
            }
            // a shape: a tuple of integers; anything else (a structured dtype's fields) is other
            let integers = items.compactMap { if case .integer(let n) = $0 { n } else { nil } }
            return close == ")" && integers.count == items.count ? .tuple(integers) : .other
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .integer(try integer())
        default:
            for (word, result) in [("True", PythonLiteral.bool(true)), ("False", .bool(false))]
            where text[at...].starts(with: word.utf8) {
                at += word.utf8.count
                return result
            }
            throw fail("expected a string, True, False, a non-negative integer, a tuple or a list")
        }
    }

    /// A non-negative integer of up to 18 digits, with Python 2's `L` suffix allowed.
    private mutating func integer() throws -> Int {
        skipSpace()
        let start = at
        while at < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[at]) { at += 1 }
        guard at > start, at - start <= 18, let n = Int(String(decoding: text[start..<at], as: UTF8.self)) else {
            throw fail("expected a dimension (a non-negative integer)")
        }
        if at < text.count, text[at] == UInt8(ascii: "L") { at += 1 }
        return n
    }
}
