import Foundation

/// The ways a data set can lie on disk, each with a training and a test split:
///
/// - `idx`: a directory of MNIST's files, `train-images-idx3-ubyte[.gz]` and
///   `t10k-images-idx3-ubyte[.gz]`, labels in `train-labels-idx1-ubyte[.gz]` and
///   `t10k-labels-idx1-ubyte[.gz]`;
/// - `npz`: one `.npz` file with Keras's `mnist.npz` keys, `x_train` and `x_test`, labels
///   in `y_train` and `y_test` (`np.savez(path, x_train=..., x_test=...)`);
/// - `npy`: a directory holding the same arrays as `.npy` files, `x_train.npy` and
///   `x_test.npy`, labels in `y_train.npy` and `y_test.npy` (a `.npz` unzipped);
/// - `imageFolder`: torchvision's `ImageFolder` layout, `train/CLASS/*.png` and
///   `test/CLASS/*.png`, 28x28 8-bit grayscale, labelled by the class folder's index in
///   sorted order.
public enum DataLayout: String, Sendable, CaseIterable {
    case idx
    case npz
    case npy
    case imageFolder = "image-folder"

    /// What the layout is called in messages and `info`.
    public var title: String {
        switch self {
        case .idx: "IDX files"
        case .npz: "a NumPy .npz archive (Keras's mnist.npz keys)"
        case .npy: "NumPy .npy arrays"
        case .imageFolder: "image folders (torchvision's ImageFolder layout)"
        }
    }

    /// The NumPy arrays of a split, Keras's names: `x_train`, `y_train`, `x_test`, `y_test`.
    public static func arrayName(train: Bool, labels: Bool) -> String {
        (labels ? "y_" : "x_") + (train ? "train" : "test")
    }

    /// A split's folder in the image-folder layout: `train` or `test`.
    public static func folderName(train: Bool) -> String { train ? "train" : "test" }

    /// The layout a directory or file holds, or nil when it is none of them.
    ///
    /// A directory is IDX when it holds either IDX images file, else NumPy when it holds
    /// `x_train.npy` or `x_test.npy`, else image folders when it has a `train` or `test`
    /// folder. A file is an `npz` when its name ends in `.npz` or it starts as a zip
    /// archive does.
    public static func of(_ path: String) -> DataLayout? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return nil }
        guard isDir.boolValue else { return isArchive(path) ? .npz : nil }
        let location = DataLocation(directory: path)
        if location.find(DataLocation.trainImages) != nil || location.find(DataLocation.testImages) != nil {
            return .idx
        }
        let names = [arrayName(train: true, labels: false), arrayName(train: false, labels: false)]
        if names.contains(where: { FileManager.default.fileExists(atPath: join(path, $0 + ".npy")) }) { return .npy }
        for split in [true, false] {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: join(path, folderName(train: split)), isDirectory: &isFolder),
               isFolder.boolValue { return .imageFolder }
        }
        return nil
    }

    /// A `.npz` name, or a zip archive's first bytes.
    static func isArchive(_ path: String) -> Bool {
        if path.lowercased().hasSuffix(".npz") { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return [UInt8](handle.readData(ofLength: 4)) == [0x50, 0x4B, 0x03, 0x04]
    }

    /// How each layout looks, for the errors that find none: what a user should make.
    public static let howToLayOut = "expected a directory holding train-images-idx3-ubyte[.gz] and "
        + "t10k-images-idx3-ubyte[.gz] (IDX), or x_train.npy and x_test.npy (NumPy), or train/CLASS/*.png and "
        + "test/CLASS/*.png (image folders), or a .npz file with x_train and x_test "
        + "(np.savez('digits.npz', x_train=x_train, x_test=x_test))"

    /// What a data set that is one .npy file is told: one array cannot be both splits.
    public static let singleArray: AutoencError.Message = "a .npy holds one array, and autoenc needs a training and "
        + "a test set: put x_train.npy and x_test.npy in a directory and pass \(setting: .data) DIR, "
        + "or np.savez('digits.npz', x_train=x_train, x_test=x_test) and pass \(setting: .data) digits.npz"
}

func join(_ directory: String, _ name: String) -> String {
    (directory as NSString).appendingPathComponent(name)
}

// MARK: - Loading each layout

extension DataLocation {
    /// A split of a NumPy layout (`.npz` or `.npy` files): the images, and the labels
    /// when asked, read with `NPY.readImages` and `NPY.readLabels`.
    func loadNumPy(_ layout: DataLayout, train: Bool, labels: Bool) throws -> ImageSet {
        let images = DataLayout.arrayName(train: train, labels: false)
        let labelName = DataLayout.arrayName(train: train, labels: true)
        if layout == .npz {
            let archive = try ZipArchive(path: directory)
            func member(_ name: String) throws -> ZipArchive.Member {
                guard let found = archive.member(named: name + ".npy") else {
                    let held = archive.members.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
                    throw AutoencError.badData(directory, "expected an array named \(name) (Keras's mnist.npz keys: "
                                               + "x_train, y_train, x_test, y_test), found "
                                               + (held.isEmpty ? "none" : held.joined(separator: ", ")))
                }
                return found
            }
            let stream = try archive.open(try member(images))
            let (count, bytes) = try NPY.readImages(stream)
            var set = ImageSet(count: count, bytes: bytes, source: stream.name)
            if labels { set.labels = try NPY.readLabels(try archive.open(try member(labelName)), count: count) }
            return set
        }
        let imagePath = join(directory, images + ".npy")
        guard FileManager.default.fileExists(atPath: imagePath) else {
            throw AutoencError.missing(imagePath, "missing from the data directory (NumPy layout: "
                                       + "x_train.npy and x_test.npy, labels in y_train.npy and y_test.npy)")
        }
        let (count, bytes) = try NPY.readImages(try FileByteStream(path: imagePath))
        var set = ImageSet(count: count, bytes: bytes, source: imagePath)
        if labels {
            let labelPath = join(directory, labelName + ".npy")
            guard FileManager.default.fileExists(atPath: labelPath) else {
                throw AutoencError.missing(labelPath, "missing from the data directory (labels of \(imagePath))")
            }
            set.labels = try NPY.readLabels(try FileByteStream(path: labelPath), count: count)
        }
        return set
    }

    /// Whether the layout's both splits carry labels.
    func layoutHasLabels(_ layout: DataLayout) -> Bool {
        switch layout {
        case .idx:
            return find(Self.trainLabels) != nil && find(Self.testLabels) != nil
        case .npz:
            guard let archive = try? ZipArchive(path: directory) else { return false }
            return [true, false].allSatisfy {
                archive.member(named: DataLayout.arrayName(train: $0, labels: true) + ".npy") != nil
            }
        case .npy:
            return [true, false].allSatisfy {
                let name = DataLayout.arrayName(train: $0, labels: true) + ".npy"
                return FileManager.default.fileExists(atPath: join(directory, name))
            }
        case .imageFolder:
            return (try? ImageFolder.classes(of: directory)) != nil
        }
    }
}
