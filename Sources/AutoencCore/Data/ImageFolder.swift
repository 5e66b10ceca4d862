import Foundation

/// torchvision's `ImageFolder` layout of PNG digits: `ROOT/train/CLASS/*.png` and
/// `ROOT/test/CLASS/*.png`.
///
/// As in torchvision, classes are the folder names in sorted order (by code point) and a
/// label is its class's index; images come class by class, each class's files in sorted
/// order. Hidden entries (a leading ".") are skipped; any other file that is no `.png`, or
/// a folder inside a class, is refused, as is an empty class. Every image must be 28x28
/// 8-bit grayscale (`PNGDecoder`).
public enum ImageFolder {
    /// A split's classes and their files, in order, listed before anything is read.
    struct Listing {
        var classes: [String]
        /// (class index, path) for every image.
        var files: [(label: Int, path: String)]
    }

    /// The names of `folder`'s visible entries, sorted by code point (Python's `sorted`).
    static func entries(_ folder: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw AutoencError(.ioError, "\(folder): cannot list: \(error.localizedDescription)")
        }
        return names.filter { !$0.hasPrefix(".") }
            .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Lists `root`'s split folder. Throws `.noInput` when it is missing or has no class
    /// folders, `.dataError` naming the entry for anything that is no PNG or an empty class.
    static func list(_ root: String, train: Bool) throws -> Listing {
        let split = join(root, DataLayout.folderName(train: train))
        guard isDirectory(split) else {
            throw AutoencError.missing(split, "missing (image folders: train/CLASS/*.png and test/CLASS/*.png)")
        }
        let names = try entries(split)
        let classes = names.filter { isDirectory(join(split, $0)) }
        guard !classes.isEmpty else {
            let loose = names.first { $0.lowercased().hasSuffix(".png") }
            let hint = loose.map { " (\($0) lies directly in it: move the images into a folder per class)" } ?? ""
            throw AutoencError(.noInput, "\(split): expected class folders (\(split)/CLASS/*.png), found none\(hint)")
        }
        var files: [(label: Int, path: String)] = []
        for name in names where !classes.contains(name) {
            throw AutoencError.badData(join(split, name), "expected only class folders in \(split)")
        }
        for (label, name) in classes.enumerated() {
            let folder = join(split, name)
            let images = try entries(folder)
            guard !images.isEmpty else {
                throw AutoencError.badData(folder, "expected PNG images, found an empty class")
            }
            for image in images {
                let path = join(folder, image)
                guard image.lowercased().hasSuffix(".png"), !isDirectory(path) else {
                    throw AutoencError.badData(path, "expected only .png images in the class folder")
                }
                files.append((label, path))
            }
        }
        return Listing(classes: classes, files: files)
    }

    /// The training split's classes, when they can be labels 0 to 9 for both splits.
    ///
    /// - Parameter root: The folder holding `train/` and `test/`.
    /// - Returns: The class names in sorted order; a label is an index into them.
    /// - Throws: `AutoencError` with `.dataError` when there are more than 10 classes or a test class
    ///   is not among the training ones, and as listing a split does.
    public static func classes(of root: String) throws -> [String] {
        let trainClasses = try list(root, train: true).classes
        guard trainClasses.count <= 10 else {
            throw AutoencError.badData(join(root, "train"), "expected at most 10 class folders (labels 0 to 9), "
                                       + "found \(trainClasses.count)")
        }
        for name in try list(root, train: false).classes where !trainClasses.contains(name) {
            throw AutoencError.badData(join(join(root, "test"), name), "a test class the training set does not have "
                                       + "(its classes: \(trainClasses.joined(separator: ", ")))")
        }
        return trainClasses
    }

    /// Loads a split (see the type's description).
    ///
    /// - Parameters:
    ///   - root: The folder holding `train/` and `test/`.
    ///   - train: Whether to load the training split; the test split otherwise.
    ///   - labels: Whether to label each image by its class's index in the training split's sorted
    ///     classes (see `classes(of:)`).
    /// - Returns: The split's images, class by class, with their labels when asked for.
    /// - Throws: `AutoencError` with `.noInput` when the split is missing, `.dataError` naming the file or
    ///   folder that is not as the layout requires or the image that is no 28x28 8-bit grayscale PNG.
    public static func load(_ root: String, train: Bool, labels: Bool) throws -> ImageSet {
        let listing = try list(root, train: train)
        let trainClasses = labels ? try classes(of: root) : listing.classes
        let count = listing.files.count
        var decoder = PNGDecoder()
        let bytes = try [UInt8](unsafeUninitializedCapacity: count * ImageSet.pixels) { buffer, initialized in
            for (i, file) in listing.files.enumerated() {
                try decoder.decode(file.path, into: buffer.baseAddress! + i * ImageSet.pixels)
                initialized = (i + 1) * ImageSet.pixels
            }
        }
        let split = join(root, DataLayout.folderName(train: train))
        var set = ImageSet(count: count, bytes: bytes, source: split)
        if labels {
            let index = Dictionary(uniqueKeysWithValues: trainClasses.enumerated().map { ($1, UInt8($0)) })
            set.labels = try listing.files.map { file in
                // classes(of:) found every class among the training set's, unless a folder came since
                guard let label = index[listing.classes[file.label]] else {
                    throw AutoencError.badData(file.path, "its class is not among the training set's")
                }
                return label
            }
        }
        return set
    }
}
