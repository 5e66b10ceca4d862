/// What `reconstruct` and `weightmap` write, in the format `--out`'s extension names.
public enum OutputFiles {
    /// A model's reconstructions of a test set: the test-set MSE, and the first `count`
    /// originals and reconstructions, (count, 784) each.
    public struct Reconstructions {
        public var mse: Double
        public var count: Int
        public var originals: [Float]
        public var outputs: [Float]

        /// Reconstructs every image of `test` under `inference` for the MSE, keeping the
        /// first `count` (fewer when the set is smaller). Throws `.dataError` naming the
        /// file when `test` holds no image.
        public init(_ model: Autoencoder, test: ImageSet, count: Int, inference: InferenceRule) throws {
            guard test.count > 0 else { throw AutoencError.badData(test.source, "expected at least one test image, found none") }
            let shown = min(count, test.count)
            var originals = [Float](), outputs = [Float](), total = 0.0
            model.reconstruct(test, inference: inference) { start, m, x, y in
                total += Layers.sumSquaredError(x, y, count: m * ModelConfig.inputs)
                let kept = max(0, min(m, shown - start)) * ModelConfig.inputs
                originals += UnsafeBufferPointer(start: x, count: kept)
                outputs += UnsafeBufferPointer(start: y, count: kept)
            }
            self.init(mse: total / Double(test.count * ModelConfig.inputs), count: shown, originals: originals, outputs: outputs)
        }

        init(mse: Double, count: Int, originals: [Float], outputs: [Float]) {
            self.mse = mse
            self.count = count
            self.originals = originals
            self.outputs = outputs
        }

        /// The file's bytes: originals beside reconstructions as PGM or PNG, each pixel
        /// `scale` x `scale`, or the reconstructions as .npy, float32 (count, 28, 28).
        public func encoded(as format: OutputFormat, scale: Int = 1) -> [UInt8] {
            if format == .npy { return NPY.encode(outputs, shape: [count, Grids.side, Grids.side]) }
            let sheet = originals.withUnsafeBufferPointer { x in
                outputs.withUnsafeBufferPointer { y in
                    Grids.reconstructions(original: x.baseAddress!, reconstructed: y.baseAddress!, count: count)
                }
            }.scaled(scale)
            return format == .png ? sheet.png : sheet.pgm
        }
    }

    /// The weight map of `parameters` as PGM or PNG (each tile scaled `scale` times), or
    /// the raw encoder weights as .npy, float32 (hidden, 28, 28); with what was written,
    /// for the user. Throws `.usage` when the scaled image would pass 2^30 pixels.
    public static func weightMap(_ parameters: Parameters, as format: OutputFormat, scale: Int) throws -> (bytes: [UInt8], description: String) {
        let hidden = parameters.hidden
        if format == .npy {
            // w1: (hidden, 784) as (hidden, 28, 28), unscaled
            let weights = UnsafeBufferPointer(start: parameters.w1, count: hidden * ModelConfig.inputs)
            return (NPY.encode(weights, shape: [hidden, Grids.side, Grids.side]), "encoder weights, float32 (\(hidden), 28, 28)")
        }
        let map = Grids.weightMap(parameters)
        guard map.width * scale * map.height * scale <= 1 << 30 else {
            throw AutoencError(.usage, "--scale \(scale): \(hidden) units would make a \(map.width * scale)x\(map.height * scale) image; use a smaller --scale")
        }
        let image = map.scaled(scale)
        return (format == .png ? image.png : image.pgm, "\(counted(hidden, "unit")), \(image.width)x\(image.height)")
    }
}
