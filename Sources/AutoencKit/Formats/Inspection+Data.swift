import Foundation

/// `autoenc info` on data beyond IDX: a `.npy` array, a `.npz` archive, a PNG image, and a
/// whole data set (a directory in any `DataLayout`, or a `.npz`) read as training reads it.
extension Inspection {
    /// What a single array is for, said under every `.npy` `info` describes.
    static let arrayRole = "one array is one split: in a directory name it x_train.npy or x_test.npy (labels "
        + "y_train.npy, y_test.npy) beside the other and pass --data DIR, or np.savez them into a .npz"

    static func describeNPY(_ file: String, print: (String) -> Void) throws {
        let stream = try FileByteStream(path: file)
        let header = try NPY.readHeader(stream)
        print("\(file): NumPy .npy \(header.version), \(stream.length) bytes")
        try describeArray(header, stream, indent: "", print: print)
        print("as data:    \(arrayRole)")
    }

    /// The dtype, shape, value range and what autoenc can read the array as.
    static func describeArray(_ header: NPYHeader, _ stream: SizedByteStream, indent: String,
                              print: (String) -> Void) throws {
        let name = header.element.map { " (\($0.name))" } ?? " (not read by autoenc)"
        print(indent + "dtype:      '\(header.descr)'" + name)
        print(indent + "shape:      \(header.shapeText), \(header.fortranOrder ? "Fortran" : "C") order")
        guard header.element != nil else { return }
        let values = try NPY.scan(stream, header)
        let range = values.min.map { "\(number($0)) to \(number(values.max!))" } ?? "none finite"
        print(indent + "values:     \(range)" + (values.nonFinite > 0 ? ", \(values.nonFinite) NaN or infinite" : ""))
        print(indent + "holds:      " + role(header, values))
    }

    /// "60000 images of 28x28", "60000 labels", or why it is neither.
    static func role(_ header: NPYHeader, _ values: (min: Double?, max: Double?, nonFinite: Int64)) -> String {
        if NPY.imageProblem(header) == nil, let count = NPY.imageCount(shape: header.shape) {
            if header.element!.kind != .float { return "\(count) images of 28x28, pixels 0 to 255" }
            if values.nonFinite == 0, (values.min ?? 0) >= 0, (values.max ?? 0) <= 1 {
                return "\(count) images of 28x28, pixels in [0, 1] (read as round(x * 255))"
            }
            return "no images autoenc reads: float pixels must be finite and in [0, 1]"
                + ((values.max ?? 0) > 1 ? " (pixels 0 to 255? divide by 255 or save as uint8)" : "")
        }
        if NPY.labelProblem(header, count: nil) == nil {
            let fits = (values.min ?? 0) >= 0 && (values.max ?? 0) <= 9
            return "\(header.shape[0]) labels" + (fits ? "" : " (autoenc reads labels 0 to 9 only)")
        }
        return "no images autoenc reads: " + (NPY.imageProblem(header) ?? "")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.6g", value)
    }

    static func describeNPZ(_ file: String, print: (String) -> Void) throws {
        let archive = try ZipArchive(path: file)
        print("\(file): NumPy .npz (zip), \(archive.members.count) members, \(archive.fileSize) bytes")
        for member in archive.members {
            let how = member.method == 8 ? "deflated" : member.method == 0 ? "stored" : "method \(member.method)"
            print("\(member.name) (\(how), \(member.compressedSize) of \(member.uncompressedSize) bytes):")
            guard member.name.hasSuffix(".npy") else { print("  not an array"); continue }
            let stream = try archive.open(member)
            try describeArray(try NPY.readHeader(stream), stream, indent: "  ", print: print)
        }
        try describeDataSet(file, print: print)
    }

    static func describePNG(_ file: String, print: (String) -> Void) throws {
        var pixels = [UInt8](repeating: 0, count: ImageSet.pixels)
        var decoder = PNGDecoder()
        try pixels.withUnsafeMutableBufferPointer { try decoder.decode(file, into: $0.baseAddress!) }
        print("\(file): PNG, 28x28 8-bit grayscale, pixels \(pixels.min()!) to \(pixels.max()!)")
    }

    /// The data set at `path` (a directory, or a `.npz`), both splits read as `train`
    /// reads them: the layout, each split's count, source and labels, the pixels' range.
    static func describeDataSet(_ path: String, print: (String) -> Void) throws {
        let location = DataLocation(directory: path)
        guard let layout = location.layout else {
            throw AutoencError(.noInput, "\(path): no data set found: \(DataLayout.howToLayOut)")
        }
        if layout != .npz { print("\(path): a data set of \(layout.title)") }
        print("layout:     \(layout.files)")
        let labeled = location.hasLabels
        let (train, test) = try location.loadBoth(labels: labeled)
        for (name, set) in [("train", train), ("test", test)] {
            let labels = set.labels.map { "labels \($0.min()!) to \($0.max()!) (\(Set($0).count) classes)" }
            let field = (name + ":").padding(toLength: 12, withPad: " ", startingAt: 0)
            print("\(field)\(set.count) images from \(set.source), " + (labels ?? "no labels"))
        }
        if layout == .imageFolder, labeled {
            print("classes:    " + (try ImageFolder.classes(of: path)).enumerated().map { "\($0) = \($1)" }
                .joined(separator: ", "))
        }
        let low = min(train.bytes.min()!, test.bytes.min()!), high = max(train.bytes.max()!, test.bytes.max()!)
        print("pixels:     \(low) to \(high) as bytes (training reads pixel / 255)")
    }
}

extension DataLayout {
    /// The files the layout is made of, for `info`.
    public var files: String {
        switch self {
        case .idx: "train-images-idx3-ubyte and t10k-images-idx3-ubyte (gzipped or not); "
            + "labels in train-labels-idx1-ubyte and t10k-labels-idx1-ubyte"
        case .npz: "arrays x_train and x_test (Keras's mnist.npz keys); labels in y_train and y_test"
        case .npy: "x_train.npy and x_test.npy; labels in y_train.npy and y_test.npy"
        case .imageFolder: "train/CLASS/*.png and test/CLASS/*.png; a label is its class folder's index, "
            + "classes sorted by name"
        }
    }
}
