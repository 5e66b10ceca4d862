@testable import AutoencCore
@testable import AutoencKit

/// Small `.npy` and `.npz` files built in memory, as NumPy writes them: `np.save`'s header
/// (version 1.0, padded to 64 bytes) and `np.savez`'s zip (stored or deflated members,
/// optionally with the zip64 records `np.savez` adds).
enum NumPyFixtures {
    /// A `.npy` file: `descr`, `shape` and the raw element bytes `data`.
    static func npy(descr: String, shape: [Int], fortran: Bool = false, data: [UInt8],
                    version: UInt8 = 1) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let order = fortran ? "True" : "False"
        var dict = Array("{'descr': '\(descr)', 'fortran_order': \(order), 'shape': \(tuple), }".utf8)
        let preamble = version == 1 ? 10 : 12
        while (preamble + dict.count + 1) % 64 != 0 { dict.append(0x20) }
        dict.append(0x0A)
        let length = UInt32(dict.count)
        let lengthBytes: [UInt8] = version == 1 ? [UInt8(length & 0xff), UInt8(length >> 8)]
            : (0..<4).map { UInt8((length >> (8 * UInt32($0))) & 0xff) }
        return NPY.magic + [version, 0] + lengthBytes + dict + data
    }

    /// Little-endian float32 bytes.
    static func float32(_ values: [Float], bigEndian: Bool = false) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let bits = v.bitPattern
            let bytes = (0..<4).map { UInt8((bits >> (8 * UInt32($0))) & 0xff) }
            return bigEndian ? bytes.reversed() : bytes
        }
    }

    static func float64(_ values: [Double]) -> [UInt8] {
        values.flatMap { v in (0..<8).map { UInt8((v.bitPattern >> (8 * UInt64($0))) & 0xff) } }
    }

    static func int64(_ values: [Int64]) -> [UInt8] {
        values.flatMap { v in (0..<8).map { UInt8((UInt64(bitPattern: v) >> (8 * UInt64($0))) & 0xff) } }
    }

    /// Images as `np.save` writes a uint8 (count, 28, 28) array.
    static func images(_ pixels: [UInt8], count: Int) -> [UInt8] {
        npy(descr: "|u1", shape: [count, 28, 28], data: pixels)
    }

    static func labels(_ values: [UInt8]) -> [UInt8] { npy(descr: "|u1", shape: [values.count], data: values) }

    struct Entry {
        var name: String
        var data: [UInt8]
        var deflated = false
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
    static func le64(_ v: Int64) -> [UInt8] { (0..<8).map { UInt8((UInt64(v) >> (8 * UInt64($0))) & 0xff) } }

    /// Raw deflate data: a zlib stream without its 2-byte header and 4-byte Adler-32.
    static func rawDeflate(_ bytes: [UInt8]) -> [UInt8] {
        let stream = Deflate.zlib(bytes)
        return Array(stream[2..<stream.count - 4])
    }

    /// A zip archive of `entries`. With `zip64`, the central directory gives every size
    /// and offset as 0xFFFFFFFF with the values in a zip64 extra field, and the end record
    /// is preceded by zip64's record and locator.
    static func zip(_ entries: [Entry], zip64: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let stored = entry.deflated ? rawDeflate(entry.data) : entry.data
            let crc = PNG.crc32(entry.data)
            let name = Array(entry.name.utf8)
            let offset = out.count
            let method = entry.deflated ? 8 : 0
            out += le32(0x0403_4b50) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21)
            out += le32(crc) + le32(UInt32(stored.count)) + le32(UInt32(entry.data.count))
            out += le16(name.count) + le16(0) + name + stored
            let extra = zip64 ? le16(1) + le16(24) + le64(Int64(entry.data.count)) + le64(Int64(stored.count))
                + le64(Int64(offset)) : []
            let (usize, csize, at) = zip64 ? (UInt32.max, UInt32.max, UInt32.max)
                : (UInt32(entry.data.count), UInt32(stored.count), UInt32(offset))
            central += le32(0x0201_4b50) + le16(45) + le16(45) + le16(0) + le16(method) + le16(0) + le16(0x21)
            central += le32(crc) + le32(csize) + le32(usize) + le16(name.count) + le16(extra.count) + le16(0)
            central += le16(0) + le16(0) + le32(0) + le32(at) + name + extra
        }
        let directoryOffset = out.count
        out += central
        if zip64 {
            let record = out.count
            out += le32(0x0606_4b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
            out += le64(Int64(entries.count)) + le64(Int64(entries.count))
            out += le64(Int64(central.count)) + le64(Int64(directoryOffset))
            out += le32(0x0706_4b50) + le32(0) + le64(Int64(record)) + le32(1)
        }
        out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(zip64 ? 0xFFFF : entries.count)
        out += le16(zip64 ? 0xFFFF : entries.count) + le32(UInt32(central.count))
        out += le32(zip64 ? UInt32.max : UInt32(directoryOffset)) + le16(0)
        return out
    }

    /// Keras's mnist.npz layout: x_train, y_train, x_test, y_test (the labels when given).
    static func mnistNPZ(train: [UInt8], trainLabels: [UInt8]? = nil, test: [UInt8], testLabels: [UInt8]? = nil,
                         deflated: Bool = false, zip64: Bool = false) -> [UInt8] {
        var entries = [Entry(name: "x_train.npy", data: images(train, count: train.count / 784), deflated: deflated)]
        if let trainLabels { entries.append(Entry(name: "y_train.npy", data: labels(trainLabels), deflated: deflated)) }
        entries.append(Entry(name: "x_test.npy", data: images(test, count: test.count / 784), deflated: deflated))
        if let testLabels { entries.append(Entry(name: "y_test.npy", data: labels(testLabels), deflated: deflated)) }
        return zip(entries, zip64: zip64)
    }
}
