import Foundation

/// What `autoenc info` says of a file or directory: a safetensors file's metadata and
/// tensors (an autoenc model also checked as `reconstruct` would load it), an IDX file's
/// magic, kind and dimensions after checking it is as long as its header promises; a
/// `.npy` array, a `.npz` archive, a PNG image, or a data set in any `DataLayout`
/// (`Inspection+Data.swift`).
public enum Inspection {
    /// The description of `path`, a line per fact. Throws `.noInput` when missing,
    /// `.dataError` when it is neither kind or not valid.
    public static func describe(_ path: String) throws -> String {
        var lines: [String] = []
        let print = { (line: String) in lines.append(line) }
        switch try kind(of: path) {
        case .safetensors: try describeSafetensors(path, print: print)
        case .idx: try describeIDX(path, print: print)
        case .npy: try describeNPY(path, print: print)
        case .npz: try describeNPZ(path, print: print)
        case .png: try describePNG(path, print: print)
        case .dataSet: try describeDataSet(path, print: print)
        }
        return lines.joined(separator: "\n")
    }

    /// What `autoenc info` takes a path for: a kind of file, or a data set's directory.
    public enum Kind: Sendable { case safetensors, idx, npy, npz, png, dataSet }

    /// A directory is a data set; a file is safetensors by extension or by its first bytes
    /// (a little-endian length, then `{`); `.npy`, `.npz` and PNG by their magic (or the
    /// first two by extension); IDX when gzipped or when it starts with IDX's two zero bytes.
    public static func kind(of path: String) throws -> Kind {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw AutoencError.missing(path)
        }
        if isDir.boolValue { return .dataSet }
        let lowercased = path.lowercased()
        if lowercased.hasSuffix(".safetensors") { return .safetensors }
        if lowercased.hasSuffix(".npy") { return .npy }
        if lowercased.hasSuffix(".npz") { return .npz }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AutoencError(.ioError, "\(path): cannot read")
        }
        defer { try? handle.close() }
        let head = [UInt8](handle.readData(ofLength: 9))
        if head.starts(with: NPY.magic) { return .npy }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .npz }
        if head.starts(with: PNG.signature) { return .png }
        if head.count >= 2 && ((head[0] == 0x1f && head[1] == 0x8b) || (head[0] == 0 && head[1] == 0)) { return .idx }
        if head.count == 9 && head[8] == UInt8(ascii: "{") { return .safetensors }
        throw AutoencError.badData(path, "expected a safetensors checkpoint, an IDX file (gzipped or not), "
                                   + "a .npy, a .npz or a PNG image, found none of them")
    }

    static func describeSafetensors(_ file: String, print: (String) -> Void) throws {
        let header = try SafetensorsHeader.read(file)
        var model: Checkpoint.Loaded?
        if header.tensors.contains(where: { $0.name == "encoder.weight" }) {
            model = try Checkpoint.load(file) // the checks `reconstruct` and `weightmap` apply
        }
        print("\(file): safetensors, \(header.tensors.count) tensors, \(header.dataBytes) bytes of data"
              + (model.map { ", an autoenc model (784-\($0.config.hidden)-784, \($0.config.activation.rawValue))" }
                    ?? ""))
        print("metadata:" + (header.metadata.isEmpty ? " none" : ""))
        let keyWidth = header.metadata.keys.map(\.count).max() ?? 0
        for (key, value) in header.metadata.sorted(by: { $0.key < $1.key }) {
            print("  \(key.padding(toLength: keyWidth, withPad: " ", startingAt: 0))  \(value)")
        }
        print("tensors:")
        let nameWidth = header.tensors.map(\.name.count).max() ?? 0
        for tensor in header.tensors {
            let dimensions = tensor.shape.map(String.init).joined(separator: ", ")
            let shape = "(" + dimensions + (tensor.shape.count == 1 ? ",)" : ")")
            print("  \(tensor.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)) "
                + " \(tensor.dtype)  \(shape)")
        }
        print("parameters: \(header.tensors.reduce(0) { $0 + $1.elements })")
    }

    static func describeIDX(_ file: String, print: (String) -> Void) throws {
        let idx = try IDX.inspect(file)
        let digits = String(idx.magic, radix: 16, uppercase: true)
        let magic = String(repeating: "0", count: max(0, 8 - digits.count)) + digits
        print("\(file): IDX\(idx.isGzip ? " (gzip)" : ""), \(idx.headerBytes + Int(idx.payloadBytes)) "
            + "bytes of header and data")
        print("magic:      0x\(magic) (\(idx.elementType), \(idx.dimensions.count) "
            + "dimension\(idx.dimensions.count == 1 ? "" : "s"))")
        print("kind:       \(idx.kind)")
        print("dimensions: \(idx.dimensions.map(String.init).joined(separator: " x "))")
        let count = idx.dimensions.first ?? 0
        switch idx.kind {
        case "images": print("count:      \(count) images of \(idx.dimensions[1])x\(idx.dimensions[2])")
        case "labels": print("count:      \(count) labels")
        default: print("count:      \(count)")
        }
    }
}
