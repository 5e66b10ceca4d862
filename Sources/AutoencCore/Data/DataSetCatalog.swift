/// The MNIST-style data sets `autoenc download` knows: where their canonical gzipped
/// IDX files are served and the MD5 sums their publishers give for them.
public enum KnownDataSet: String, CaseIterable, Sendable {
    case mnist
    case fashionMNIST = "fashion-mnist"
    case kmnist

    /// The four files, in the order they are fetched (the large training images first).
    public static let fileNames = [DataLocation.trainImages, DataLocation.trainLabels,
                                   DataLocation.testImages, DataLocation.testLabels].map { $0 + ".gz" }

    /// The default mirror, HTTPS; a file's URL is this plus its name.
    public var mirror: String {
        switch self {
        // torchvision's copy of LeCun's files (yann.lecun.com refuses most automated downloads)
        case .mnist: return "https://ossci-datasets.s3.amazonaws.com/mnist/"
        // the files in Zalando Research's repository
        case .fashionMNIST:
            return "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
        // ROIS-DS Center for Open Data in the Humanities
        case .kmnist: return "https://codh.rois.ac.jp/kmnist/dataset/kmnist/"
        }
    }

    /// MD5 of each `.gz` file as published (LeCun's page via torchvision, the Fashion-MNIST
    /// README, the KMNIST repository); the same values torchvision checks.
    public var md5: [String: String] {
        let sums: [String]
        switch self {
        case .mnist:
            sums = ["f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                    "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"]
        case .fashionMNIST:
            sums = ["8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                    "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"]
        case .kmnist:
            sums = ["bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                    "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"]
        }
        return Dictionary(uniqueKeysWithValues: zip(Self.fileNames, sums))
    }
}
