/// NumPy's `.npy` format, version 1.0, for float32 arrays in C order: what
/// `numpy.load` reads back as a `float32` array of the given shape.
///
/// Layout: the magic `\x93NUMPY`, version bytes 1 and 0, the header length as a
/// little-endian UInt16, then the header, a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (N, 28, 28), }` padded with spaces
/// and ended by `\n` so that the data starts at a multiple of 64 bytes, then the values
/// as little-endian IEEE 754 single precision.
public enum NPY {
    /// The six bytes every `.npy` file starts with: 0x93 and "NUMPY".
    public static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The preamble and header for a float32 array of `shape`, a multiple of 64 bytes long.
    public static func header(shape: [Int]) -> [UInt8] {
        precondition(shape.allSatisfy { $0 >= 0 }, "NPY.header: negative dimension in \(shape)")
        // Python tuple syntax: a 1-tuple needs its trailing comma.
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        let preamble = magic.count + 2 + 2
        while (preamble + dict.count + 1) % 64 != 0 { dict.append(0x20) }
        dict.append(0x0A)
        precondition(dict.count <= Int(UInt16.max), "NPY.header: header too long for version 1.0")
        let length = UInt16(dict.count)
        return magic + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + dict
    }

    /// The whole file for `values`, which must hold exactly the product of `shape` floats.
    public static func encode(_ values: UnsafeBufferPointer<Float>, shape: [Int]) -> [UInt8] {
        let elements = shape.reduce(1, *)
        precondition(values.count == elements, "NPY.encode: \(values.count) values for shape \(shape)")
        var bytes = header(shape: shape)
        let start = bytes.count
        bytes += [UInt8](repeating: 0, count: elements * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: start + 4 * i, as: UInt32.self)
            }
        }
        return bytes
    }

    /// A `.npy` file of float32 `values` in the shape `shape`.
    ///
    /// - Parameters:
    ///   - values: The values in row-major order; as many as the shape's elements.
    ///   - shape: The array's shape, outermost dimension first.
    /// - Returns: The file's bytes: `header(shape:)`, then the values little-endian.
    public static func encode(_ values: [Float], shape: [Int]) -> [UInt8] {
        values.withUnsafeBufferPointer { encode($0, shape: shape) }
    }
}
