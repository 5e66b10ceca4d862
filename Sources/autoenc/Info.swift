import ArgumentParser
import AutoencKit
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint (.safetensors) or an IDX data file (gzipped or not).",
        discussion: """
            For safetensors: the metadata, each tensor's name, dtype and shape, and the \
            parameter count; an autoenc model is also checked as `reconstruct` would load it. \
            For IDX: the magic, what it holds and its dimensions, after checking that the \
            file is as long as its header promises.
            """)

    @Argument(help: ArgumentHelp("The file to describe.", valueName: "file"))
    var file: String

    func run() throws {
        try reportingErrors {
            switch try Self.kind(of: file) {
            case .safetensors: try describeSafetensors()
            case .idx: try describeIDX()
            }
        }
    }

    enum Kind { case safetensors, idx }

    /// Safetensors by extension or by its first bytes (a little-endian length, then `{`);
    /// IDX when gzipped or when it starts with IDX's two zero bytes.
    static func kind(of path: String) throws -> Kind {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw AutoencError.missing(path) }
        if isDir.boolValue { throw AutoencError(.noInput, "\(path): expected a file, found a directory") }
        if path.lowercased().hasSuffix(".safetensors") { return .safetensors }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AutoencError(.ioError, "\(path): cannot read") }
        defer { try? handle.close() }
        let head = [UInt8](handle.readData(ofLength: 9))
        if head.count >= 2 && ((head[0] == 0x1f && head[1] == 0x8b) || (head[0] == 0 && head[1] == 0)) { return .idx }
        if head.count == 9 && head[8] == UInt8(ascii: "{") { return .safetensors }
        throw AutoencError.badData(path, "expected a safetensors checkpoint or an IDX file (gzipped or not), found neither")
    }

    func describeSafetensors() throws {
        let header = try SafetensorsHeader.read(file)
        var model: Checkpoint.Loaded?
        if header.tensors.contains(where: { $0.name == "encoder.weight" }) {
            model = try Checkpoint.load(file) // the checks `reconstruct` and `weightmap` apply
        }
        print("\(file): safetensors, \(header.tensors.count) tensors, \(header.dataBytes) bytes of data"
              + (model.map { ", an autoenc model (784-\($0.config.hidden)-784, \($0.config.activation.rawValue))" } ?? ""))
        print("metadata:" + (header.metadata.isEmpty ? " none" : ""))
        let keyWidth = header.metadata.keys.map(\.count).max() ?? 0
        for (key, value) in header.metadata.sorted(by: { $0.key < $1.key }) {
            print("  \(key.padding(toLength: keyWidth, withPad: " ", startingAt: 0))  \(value)")
        }
        print("tensors:")
        let nameWidth = header.tensors.map(\.name.count).max() ?? 0
        for tensor in header.tensors {
            let shape = "(" + tensor.shape.map(String.init).joined(separator: ", ") + (tensor.shape.count == 1 ? ",)" : ")")
            print("  \(tensor.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0))  \(tensor.dtype)  \(shape)")
        }
        print("parameters: \(header.tensors.reduce(0) { $0 + $1.elements })")
    }

    func describeIDX() throws {
        let idx = try IDX.inspect(file)
        let digits = String(idx.magic, radix: 16, uppercase: true)
        let magic = String(repeating: "0", count: max(0, 8 - digits.count)) + digits
        print("\(file): IDX\(idx.isGzip ? " (gzip)" : ""), \(idx.headerBytes + Int(idx.payloadBytes)) bytes of header and data")
        print("magic:      0x\(magic) (\(idx.elementType), \(idx.dimensions.count) dimension\(idx.dimensions.count == 1 ? "" : "s"))")
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
