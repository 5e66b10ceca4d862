/// What `reconstruct` and `weightmap` write, in the format `--out`'s extension names.
public enum OutputFiles {
    /// A model's reconstructions of a test set: the test-set MSE, and the first `count`
    /// originals and reconstructions, (count, 784) each.
    public struct Reconstructions {
        public var mse: Double
        public var count: Int
        public var originals: [Float]
        public var outputs: [Float]
        /// The test images the MSE is over, and the rule it was measured under.
        public var images: Int
        public var inference: InferenceRule
        /// Whether `inference` drew for the model (`MomentMatchedEncoder.draws`): false
        /// when it is the same as mean.
        public var draws: Bool

        /// Reconstructs every image of `test` under `inference` for the MSE, keeping the
        /// first `count` (fewer when the set is smaller). Throws `.dataError` naming the
        /// file when `test` holds no image. `progress` hears of the images done, as
        /// "reconstructing" or, when the rule draws, "sampling inference (K draws)".
        public init(_ model: Autoencoder, test: ImageSet, count: Int, inference: InferenceRule,
                    progress: ProgressHandler? = nil) throws {
            guard test.count > 0 else {
                throw AutoencError.badData(test.source, "expected at least one test image, found none")
            }
            let shown = min(count, test.count)
            var originals = [Float](), outputs = [Float](), total = 0.0
            let draws = MomentMatchedEncoder.draws(model, inference)
            let name = draws ? inference.phrase : "reconstructing"
            let counter = progress.map { ProgressTask(name, $0).start(total: test.count, unit: .images) }
            model.reconstruct(test, inference: inference) { start, m, x, y in
                total += Layers.sumSquaredError(x, y, count: m * ModelConfig.inputs)
                counter?.add(m)
                let kept = max(0, min(m, shown - start)) * ModelConfig.inputs
                originals += UnsafeBufferPointer(start: x, count: kept)
                outputs += UnsafeBufferPointer(start: y, count: kept)
            }
            self.init(mse: total / Double(test.count * ModelConfig.inputs), count: shown, originals: originals,
                      outputs: outputs,
                      images: test.count, inference: inference, draws: draws)
        }

        init(mse: Double, count: Int, originals: [Float], outputs: [Float], images: Int, inference: InferenceRule,
             draws: Bool) {
            self.mse = mse
            self.count = count
            self.originals = originals
            self.outputs = outputs
            self.images = images
            self.inference = inference
            self.draws = draws
        }

        /// The MSE as `reconstruct` prints it: "test_mse 0.012345 over 10000 images", then
        /// for a rule other than mean " (inference sample:K)", with ", the same as mean for
        /// this model" when the rule did not draw.
        public var summary: String {
            let same = draws ? "" : ", the same as mean for this model"
            let rule = inference == .mean ? "" : " (inference \(inference)\(same))"
            return String(format: "test_mse %.6f over %d images", mse, images) + rule
        }

        /// What a file in `format` holds, for the user: "8 reconstructions, float32 (8, 28,
        /// 28)" for .npy, else "8 originals, each left of its reconstruction".
        public func description(as format: OutputFormat) -> String {
            format == .npy ? "\(counted(count, "reconstruction")), float32 (\(count), 28, 28)"
                : "\(counted(count, "original")), each left of its reconstruction"
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
    /// the raw weights as .npy, float32 (units, 28, 28): the units `selection` picks, in
    /// its order, from its layer (every unit's encoder weights by default, (hidden, 28,
    /// 28)). With `statistics` (the test set's), dead units are drawn crossed out.
    /// Returns the bytes, what was written (for the user) and the units drawn, in order.
    /// Throws `.usage` when the scaled image would pass 2^30 pixels, `.dataError` when
    /// `--live-only` leaves no unit.
    public static func weightMap(_ parameters: Parameters, as format: OutputFormat, scale: Int,
                                 selection: WeightMapSelection = WeightMapSelection(),
                                 statistics: ActivationStatistics? = nil)
        throws -> (bytes: [UInt8], description: String, units: [Int]) {
        let hidden = parameters.hidden
        let tiles = selection.tiles(parameters, statistics: statistics)
        let units = tiles.map(\.unit)
        guard !tiles.isEmpty else {
            throw AutoencError(.dataError, "--live-only: all \(counted(hidden, "unit")) "
                + "are dead on the test set; nothing to draw")
        }
        let shown = tiles.count < hidden ? "\(tiles.count) of \(counted(hidden, "unit"))" : counted(hidden, "unit")
        let order = selection.sort.phrase.map { [$0] } ?? []
        if format == .npy {
            // the tiles' weights: (units, 784) as (units, 28, 28), unscaled; by default w1
            let weights = tiles.flatMap(\.weights)
            var what = ["\(selection.layer.rawValue) weights" + (tiles.count < hidden ? " of \(shown)" : "")] + order
            if selection.liveOnly, let statistics { what.append("\(statistics.deadUnits) dead left out") }
            return (NPY.encode(weights, shape: [tiles.count, Grids.side, Grids.side]),
                    (what + ["float32 (\(tiles.count), 28, 28)"]).joined(separator: ", "), units)
        }
        let map = Grids.weightMap(tiles)
        try GrayImage.checkDrawable(width: map.width, height: map.height, scale: scale,
                                    what: "--scale \(scale): \(counted(tiles.count, "unit"))")
        let image = map.scaled(scale)
        var parts = [shown] + (selection.layer == .decoder ? ["decoder weights"] : []) + order
        if let statistics {
            let dead = tiles.filter(\.isDead).count
            parts.append(selection.liveOnly ? "\(statistics.deadUnits) dead left out"
                         : dead == 0 ? "none dead" : "\(dead) dead crossed out")
        }
        parts.append("\(image.width)x\(image.height)")
        return (format == .png ? image.png : image.pgm, parts.joined(separator: ", "), units)
    }
}

extension OutputFiles {
    /// `reconstruct`: reconstructs the test set of the data set `data` names (--data as
    /// given; without it the one the checkpoint records, `Checkpoint.Loaded.evaluationData`) with the checkpoint
    /// `model` under `inference`,
    /// writes the first `count` in the format of `out`'s extension (each pixel `scale` x
    /// `scale`) to `out` atomically, and says a note when the model was trained on other
    /// data, a status line while it works (on a terminal, unless quiet), the test MSE and
    /// what was written, on `console`; the products run on `threads` threads. Throws,
    /// before anything is read, `.usage` for an `out` that is no file of ours
    /// (`OutputFormat.problem`) and `.cannotCreate` (73) when it cannot be written
    /// (`AtomicFile.prepare`); then the checkpoint's and the data set's errors, before any
    /// work `GrayImage.checkDrawable`'s (64, 69) for an image, and the file's (73, 74).
    public static func reconstruct(_ model: String, data: String?, count: Int, inference: InferenceRule,
                                   scale: Int, threads: Int = 1, to out: String, console: Console) throws {
        let format = try prepare(out)
        BLAS.setThreads(threads)
        let loaded = try Checkpoint.load(model)
        let source = try loaded.evaluationData(data)
        let location = source.location
        let test = try location.load(train: false)
        try source.check(test)
        if format != .npy {
            let size = Grids.reconstructionsSize(count: min(count, test.count))
            try GrayImage.checkDrawable(width: size.width, height: size.height, scale: scale,
                                        what: "--scale \(scale): \(counted(min(count, test.count), "reconstruction"))")
        }
        if let note = loaded.dataNote(location) { console.say(note) }
        let result = try StatusLine.showing(quiet: console.quiet) { progress in
            try Reconstructions(loaded.model, test: test, count: count, inference: inference, progress: progress)
        }
        try AtomicFile.write(result.encoded(as: format, scale: scale), to: out)
        console.say(result.summary)
        console.say("wrote \(out) (\(result.description(as: format)))")
    }

    /// `weightmap`: draws the units `selection` picks of the checkpoint `model` in the
    /// format of `out`'s extension (each pixel `scale` x `scale`) to `out` atomically,
    /// reading the test set of `data` (--data as given) when the selection needs it or,
    /// for an image, to cross out dead units (`WeightMapSelection.testStatistics`), and
    /// says its notes, what was written and, unless they are simply the first ones, the
    /// units drawn, on `console`. Throws `prepare`'s errors before anything is read,
    /// then the checkpoint's and the data set's, `weightMap`'s, and the file's (73, 74).
    public static func drawWeightMap(_ model: String, data: String?, selection: WeightMapSelection,
                                     scale: Int, to out: String, console: Console) throws {
        let format = try prepare(out)
        let loaded = try Checkpoint.load(model)
        let (statistics, notes) = try WeightMapSelection.testStatistics(
            of: loaded, needed: selection.flagNeedingData, wanted: format != .npy, data: data)
        notes.forEach(console.say)
        let (bytes, description, units) = try weightMap(loaded.parameters, as: format, scale: scale,
                                                        selection: selection,
                                                        statistics: statistics)
        try AtomicFile.write(bytes, to: out)
        console.say("wrote \(out) (\(description))")
        if let line = WeightMapSelection.orderLine(units) { console.say(line) }
    }

    /// The format `out` (--out) names, once it is known to be writable: `.usage` when it
    /// is no file of ours (`OutputFormat.problem`), `.cannotCreate` (73) when it cannot
    /// be written; temporaries a killed run left beside it are removed.
    static func prepare(_ out: String) throws -> OutputFormat {
        try AutoencError.refuse(OutputFormat.problem(out, flag: "--out"))
        try AtomicFile.prepare(out, what: "--out")
        return OutputFormat(path: out)!
    }
}
