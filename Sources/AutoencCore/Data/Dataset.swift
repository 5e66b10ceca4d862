import Foundation

/// A set of 28x28 images kept as bytes (60k images are 47 MB as bytes, 188 MB as
/// floats); batches are converted to floats on demand.
public struct ImageSet: Sendable {
    /// Pixels per image: 28 x 28.
    public static let pixels = 784
    /// The number of images.
    public var count: Int
    /// count x 784 bytes, row-major.
    public var bytes: [UInt8]
    /// One class label (0-9) per image, or nil when the set has no label file.
    public var labels: [UInt8]?
    /// Where the images came from, for messages and checkpoint metadata.
    public var source: String

    /// Creates a set from `count` images of 784 bytes each.
    ///
    /// - Parameters:
    ///   - count: The number of images.
    ///   - bytes: `count` x 784 pixel bytes, row-major; anything else is a programming error.
    ///   - labels: One label per image, if the set has them.
    ///   - source: Where the images came from, for messages and checkpoint metadata.
    public init(count: Int, bytes: [UInt8], labels: [UInt8]? = nil, source: String) {
        precondition(bytes.count == count * Self.pixels, "ImageSet: bytes must be count x 784")
        self.count = count
        self.bytes = bytes
        self.labels = labels
        self.source = source
    }

    /// The first `n` images (all of them when `n` is nil or larger than the set).
    public func prefix(_ n: Int?) -> ImageSet {
        guard let n, n < count else { return self }
        return ImageSet(count: n, bytes: Array(bytes[0..<n * Self.pixels]),
                        labels: labels.map { Array($0[0..<n]) }, source: source)
    }

    /// A digest of the images' pixels, 16 hex digits: the same images in the same order,
    /// the same digest, whatever file or folder they came from.
    ///
    /// A 64-bit FNV-1a over 8-byte words (the tail zero-padded) and the count, then
    /// SplitMix64's finalizer: one pass over the bytes, which did not measurably change
    /// `train`'s start-up. It tells one data set from another, not an adversary's edit.
    public var digest: String {
        var fnv = FNV1a(start: UInt64(count))
        bytes.withUnsafeBytes { raw in
            let words = raw.count / 8
            for i in 0..<words { fnv.add(raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            var tail: UInt64 = 0
            for (k, byte) in raw[(8 * words)...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(k)) }
            fnv.add(tail)
        }
        let mixed = RandomStream.mix(fnv.hash)
        let hex = String(mixed, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Writes images `indices` as floats in [0, 1] into `out` (indices.count x 784).
    ///
    /// The kernels' `gather_images` does it, with the next rows prefetched while one is
    /// converted (a minibatch's rows lie anywhere in the images, most of them in no
    /// cache); `gatherReference` is the plain loop it is tested against.
    ///
    /// - Parameters:
    ///   - indices: Images of this set, each in `0 ..< count`.
    ///   - out: Room for `indices.count` rows of 784 floats.
    ///   - kernels: The vector kernels to run.
    public func gather(_ indices: ArraySlice<Int32>, into out: UnsafeMutablePointer<Float>,
                       kernels: Kernels = .current) {
        precondition(indices.allSatisfy { $0 >= 0 && Int($0) < count }, "an image index outside the set")
        bytes.withUnsafeBufferPointer { src in
            indices.withContiguousStorageIfAvailable { list in
                kernels.table.gather_images(src.baseAddress!, list.baseAddress!, list.count, out)
            } ?? gatherReference(indices, into: out)
        }
    }

    /// The plain loop `gather` is tested against: the same floats, byte times the float
    /// nearest 1/255.
    func gatherReference(_ indices: ArraySlice<Int32>, into out: UnsafeMutablePointer<Float>) {
        bytes.withUnsafeBufferPointer { src in
            var row = 0
            for index in indices {
                let from = src.baseAddress! + Int(index) * Self.pixels
                let to = out + row * Self.pixels
                for i in 0..<Self.pixels { to[i] = Float(from[i]) * (1 / 255) }
                row += 1
            }
        }
    }
}

/// Where to find a data set, and loading its train and test splits, in any `DataLayout`.
public struct DataLocation: Sendable {
    /// The data set's directory, or its file for a `.npz` (`DataLayout`).
    public var directory: String

    /// The training images' file name, without the `.gz` it may carry.
    public static let trainImages = "train-images-idx3-ubyte"
    /// The test images' file name, without the `.gz` it may carry.
    public static let testImages = "t10k-images-idx3-ubyte"
    /// The training labels' file name, without the `.gz` it may carry.
    public static let trainLabels = "train-labels-idx1-ubyte"
    /// The test labels' file name, without the `.gz` it may carry.
    public static let testLabels = "t10k-labels-idx1-ubyte"

    /// How the data set lies on disk; nil when `directory` holds none of the layouts.
    public var layout: DataLayout? { DataLayout.of(directory) }

    /// Whether both splits have labels (for the linear probe): both IDX label files, both
    /// `y_train` and `y_test`, or image folders of at most 10 classes, the test set's among
    /// the training set's.
    public var hasLabels: Bool { layout.map(layoutHasLabels) ?? false }

    /// Loads what `compare` and `activations` measure on.
    ///
    /// That is the test images, with labels when both label files exist, and the first `limit`
    /// training images with theirs, for the linear probe; the training images are loaded when
    /// labeled or when `always` is true.
    ///
    /// - Parameters:
    ///   - limit: The training images to load at most; nil for all of them.
    ///   - always: Whether to load the training images even without labels.
    /// - Returns: The training images (nil when not loaded), the test images, and whether they are labeled.
    /// - Throws: `AutoencError` as `load(train:labels:)` does, and `.dataError` when the test set is empty.
    public func loadForAnalysis(limit: Int?, always: Bool) throws -> (train: ImageSet?, test: ImageSet, labeled: Bool) {
        let labeled = hasLabels
        let test = try load(train: false, labels: labeled)
        guard test.count > 0 else {
            throw AutoencError.badData(test.source, "expected at least one test image, found none")
        }
        let train = labeled || always ? try load(train: true, labels: labeled).prefix(limit) : nil
        return (train, test, labeled)
    }

    /// Debian's dataset-fashion-mnist package installs here.
    public static let debianFashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// ./Data, the data folder of the directory autoenc runs in.
    public static let localData = "Data"

    /// Where `download` puts data sets and where a bare `--data NAME` looks after
    /// ./Data/NAME: `$AUTOENC_DATA`, else `${XDG_DATA_HOME:-~/.local/share}/autoenc`.
    public static func userData(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let given = environment["AUTOENC_DATA"], !given.isEmpty { return given }
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/share")
        return (base as NSString).appendingPathComponent("autoenc")
    }

    /// Creates a location for the data set in `directory` (or the `.npz` file it names); nothing is read yet.
    public init(directory: String) {
        self.directory = directory
    }

    /// `directory` (or the `.npz` file) as an absolute path, for records that outlive the
    /// current directory.
    public var absoluteDirectory: String {
        let path = directory.hasPrefix("/") ? directory
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
        return (path as NSString).standardizingPath
    }

    /// The data set a checkpoint recorded: a directory, or a `.npz` file.
    ///
    /// - Parameters:
    ///   - directory: The path the checkpoint recorded.
    ///   - purpose: What the data set was for, as the message says it: "resumed on", "scored on".
    /// - Returns: The recorded location.
    /// - Throws: `AutoencError` with `.noInput` (66) naming it when it is gone or holds no data set.
    public static func recorded(_ directory: String, purpose: String = "resumed on") throws -> DataLocation {
        let location = DataLocation(directory: directory)
        guard location.layout != nil else {
            throw AutoencError(.noInput, naming: "\(directory): the data set the checkpoint was trained on "
                + "is not there (no IDX files, NumPy arrays or image folders); pass \(setting: .data) DIR "
                + "to name the data it is \(purpose)")
        }
        return location
    }

    /// Where the data set is, the way users know from other tools.
    ///
    /// - A path (with a "/", or naming a directory or file here): that directory or `.npz` file,
    ///   relative to the current directory;
    /// - a name that is no directory here: ./Data/NAME, then `userData`/NAME;
    /// - nothing: ./Data when it holds a data set, else Debian's Fashion-MNIST.
    ///
    /// - Parameters:
    ///   - given: The path or name the user gave, or nil.
    ///   - environment: The environment, for `$AUTOENC_DATA` and the user's data directory.
    /// - Returns: The data set's location.
    /// - Throws: `AutoencError` with `.noInput` naming every full path tried, with install instructions
    ///   when nothing was given.
    public static func resolve(_ given: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> DataLocation {
        func full(_ path: String) -> String { DataLocation(directory: path).absoluteDirectory }
        func isDirectory(_ path: String) -> Bool {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
        }
        guard let given else {
            for candidate in [localData, debianFashionMNIST] where DataLocation(directory: candidate).layout != nil {
                return DataLocation(directory: candidate)
            }
            throw AutoencError(.noInput, naming: "no data set found in \(full(localData)) or "
                + "\(debianFashionMNIST): install Fashion-MNIST with `sudo apt-get install dataset-fashion-mnist`, "
                + "or pass \(setting: .data) DIR")
        }
        var tried = [given]
        if !given.isEmpty, !given.contains("/"), !FileManager.default.fileExists(atPath: given) {
            tried += [(localData as NSString).appendingPathComponent(given),
                      (userData(environment: environment) as NSString).appendingPathComponent(given)]
        }
        let usable = { (path: String) in isDirectory(path) || DataLayout.of(path) == .npz }
        if let found = tried.first(where: usable) { return DataLocation(directory: found) }
        if FileManager.default.fileExists(atPath: given) {
            if given.lowercased().hasSuffix(".npy") {
                throw AutoencError(.noInput, naming: "\(given): \(DataLayout.singleArray)")
            }
            throw AutoencError(.noInput, "\(given): \(DataLayout.howToLayOut); found another file")
        }
        throw AutoencError.missing(given, "no such data directory or .npz file "
                                   + "(tried \(tried.map(full).joined(separator: ", ")))")
    }

    /// The path of `name.gz` or `name` in the directory, whichever exists (gzipped first).
    public func find(_ name: String) -> String? {
        for candidate in [name + ".gz", name] {
            let path = (directory as NSString).appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    func require(_ name: String) throws -> String {
        guard let path = find(name) else {
            throw AutoencError.missing((directory as NSString).appendingPathComponent(name) + "[.gz]",
                                       "missing from the data directory")
        }
        return path
    }

    /// Loads the training and test images at once, the test set on a second thread.
    ///
    /// - Parameter labels: Whether to load the labels too.
    /// - Returns: Both splits.
    /// - Throws: As `load(train:labels:)` does; the training set's error first when both fail.
    public func loadBoth(labels: Bool = false) throws -> (train: ImageSet, test: ImageSet) {
        let box = DisjointlyShared(UnsafeMutablePointer<Result<ImageSet, Error>?>.allocate(capacity: 1))
        box.value.initialize(to: nil)
        defer { box.value.deinitialize(count: 1); box.value.deallocate() }
        let done = DispatchSemaphore(value: 0)
        let location = self
        Thread.detachNewThread {
            box.value.pointee = Result { try location.load(train: false, labels: labels) }
            done.signal()
        }
        let train = Result { try load(train: true, labels: labels) }
        done.wait()
        return (try train.get(), try box.value.pointee!.get())
    }

    /// Loads a split's images, and its labels when asked for, from whichever `DataLayout` the location holds.
    ///
    /// Label counts must agree with the images', and labels must be 0...9.
    ///
    /// - Parameters:
    ///   - train: Whether to load the training split; the test split otherwise.
    ///   - labels: Whether to load the labels too.
    /// - Returns: The split's images, with their labels when asked for.
    /// - Throws: `AutoencError` with `.noInput` (66) when the split is missing, saying how the layouts
    ///   look when there is no data set at all, and `.dataError` (65) naming the file when its
    ///   contents are bad.
    public func load(train: Bool, labels: Bool = false) throws -> ImageSet {
        switch layout {
        case .idx?: return try loadIDX(train: train, labels: labels)
        case .npz?: return try loadNumPy(.npz, train: train, labels: labels)
        case .npy?: return try loadNumPy(.npy, train: train, labels: labels)
        case .imageFolder?: return try ImageFolder.load(directory, train: train, labels: labels)
        case nil:
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
                throw AutoencError.missing(directory, "data set does not exist")
            }
            if !isDir.boolValue && directory.lowercased().hasSuffix(".npy") {
                throw AutoencError(.noInput, naming: "\(directory): \(DataLayout.singleArray)")
            }
            throw AutoencError(.noInput, "\(directory): no data set found: \(DataLayout.howToLayOut)")
        }
    }

    private func loadIDX(train: Bool, labels: Bool) throws -> ImageSet {
        let imagePath = try require(train ? Self.trainImages : Self.testImages)
        let images = try IDX.read(imagePath, kind: .images)
        var set = ImageSet(count: images.header.count, bytes: images.bytes, source: imagePath)
        if labels {
            let labelPath = try require(train ? Self.trainLabels : Self.testLabels)
            let file = try IDX.read(labelPath, kind: .labels)
            guard file.header.count == set.count else {
                throw AutoencError.badData(labelPath, "expected \(set.count) labels to match \(imagePath), "
                    + "found \(file.header.count)")
            }
            if let bad = file.bytes.firstIndex(where: { $0 > 9 }) {
                throw AutoencError.badData(labelPath, "expected labels 0 to 9, found "
                    + "\(file.bytes[bad]) at index \(bad)")
            }
            set.labels = file.bytes
        }
        return set
    }
}
