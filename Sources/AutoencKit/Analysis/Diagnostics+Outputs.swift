import Foundation

extension Diagnostics {
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
