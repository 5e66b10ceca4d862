import Foundation

extension Diagnostics {
    /// What `activations` says before it measures: the checkpoint `model` with its shape,
    /// activation and regularizer (`config`), then the data in `location` with its
    /// `testImages` and the labeled training images the probe learns from
    /// (`probeImages`; nil when the data set has no label files, so no probe).
    public static func header(model: String, config: ModelConfig, location: DataLocation, testImages: Int,
                              probeImages: Int?) -> [String] {
        let dropP = config.dropP > 0 ? " drop-p \(config.dropP)" : ""
        let probe = probeImages.map { ", probe trained on \($0) labeled training images" } ?? ", no label files: no probe"
        return ["model: \(model) (784-\(config.hidden)-784 \(config.activation.rawValue), \(config.regularizerName)\(dropP))",
                "data: \(location.directory) (\(testImages) test images\(probe))"]
    }

    /// What `activations` writes into `directory` for this one model: histograms.png (each
    /// unit's mean activation, and all activations, from `codes`, the test codes
    /// (test images, hidden)) and metrics.json (the diagnostics, then the settings: the
    /// checkpoint `model`, the data directory `data`, `testImages`, the probe's `seed`).
    /// Returns the files written. Throws their write errors (73, 74).
    public func writeOutputs(codes: FloatBuffer, model: String, data: String, testImages: Int, seed: UInt64,
                             directory: String) throws -> [String] {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let settings: [(String, String)] = [("model", Self.quoted(model)), ("data", Self.quoted(data)),
                                            ("test_images", "\(testImages)"), ("seed", "\(seed)")]
        try Comparison.writeHistograms([(name, codes, statistics)], activation: activation, to: path("histograms.png"))
        try AtomicFile.write(Array(Self.json([self], settings: settings).utf8), to: path("metrics.json"))
        return ["histograms.png", "metrics.json"]
    }
}

extension ModelConfig {
    /// The model's name as compare, sweep and activations call it: dropout or dropconnect
    /// when it drops hidden units or connections, else none.
    public var regularizerName: String {
        dropP > 0 ? dropMode.rawValue : Comparison.baseline
    }
}
