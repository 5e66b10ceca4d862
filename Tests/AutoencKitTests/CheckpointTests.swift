import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// safetensors checkpoints: bit-exact round trips, and every kind of damaged file refused.
@Suite struct CheckpointTests {
    static let hidden = 8

    /// Parameters with random values plus the awkward ones: signed zeros, subnormals,
    /// the largest and smallest finite floats.
    static func parameters() -> Parameters {
        let p = Parameters(hidden: hidden)
        var rng = TestRandom(11)
        for i in 0..<p.count { p.base[i] = rng.float(-1, 1) }
        let specials: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, -1, .ulpOfOne]
        for (k, v) in specials.enumerated() {
            p.w1[k] = v
            p.b1[k % hidden] = v
            p.w2[k * 13] = v
            p.b2[783 - k] = v
        }
        return p
    }

    static let metadata = CheckpointMetadata(
        config: ModelConfig(hidden: hidden, activation: .sigmoid, dropP: 0.3, dropMode: .dropconnect, masks: .batch),
        seed: UInt64.max - 1, epoch: 7, dataset: "quote \" backslash \\ newline \n tab \t é ✓",
        extra: ["note": "kept as is", "lr": "0.001"])

    /// An encoded checkpoint split into its JSON header (padding removed) and data section.
    struct Parts {
        var json: String
        var data: [UInt8]

        init() {
            let (header, data) = CheckpointTests.encoded(CheckpointTests.parameters(), CheckpointTests.metadata)
            json = String(decoding: header[8...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            self.data = data
        }

        /// The file's bytes: header length, JSON padded to a multiple of 8, data.
        func bytes(length: UInt64? = nil) -> [UInt8] {
            var header = Array(json.utf8)
            while header.count % 8 != 0 { header.append(0x20) }
            return withUnsafeBytes(of: (length ?? UInt64(header.count)).littleEndian, Array.init) + header + data
        }

        /// `json` with `old` replaced by `new`; `old` must occur exactly once.
        func replacing(_ old: String, with new: String) -> Parts {
            precondition(json.components(separatedBy: old).count == 2, "\(old) does not occur exactly once in \(json)")
            var copy = self
            copy.json = json.replacingOccurrences(of: old, with: new)
            return copy
        }
    }

    static func entry(_ name: String, shape: [Int], begin: Int, end: Int) -> String {
        let dimensions = shape.map(String.init).joined(separator: ",")
        return "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(dimensions)],\"data_offsets\":[\(begin),\(end)]}"
    }

    // Byte offsets of the tensors in the data section.
    static let n = ModelConfig.inputs
    static let w1End = 4 * hidden * n, b1End = w1End + 4 * hidden, w2End = b1End + 4 * hidden * n, b2End = w2End + 4 * n
    static let w1 = entry("encoder.weight", shape: [hidden, n], begin: 0, end: w1End)
    static let b1 = entry("encoder.bias", shape: [hidden], begin: w1End, end: b1End)
    static let w2 = entry("decoder.weight", shape: [n, hidden], begin: b1End, end: w2End)
    static let b2 = entry("decoder.bias", shape: [n], begin: w2End, end: b2End)

    /// `Checkpoint.encode` with its data copied out while `parameters` is alive (the
    /// returned buffer points into the parameters' storage).
    static func encoded(_ parameters: Parameters, _ metadata: CheckpointMetadata) -> (header: [UInt8], data: [UInt8]) {
        withExtendedLifetime(parameters) {
            let (header, data) = Checkpoint.encode(parameters, metadata: metadata)
            return (header, Array(data))
        }
    }

    /// Every float of `a` has the bit pattern of the same float of `b`.
    func expectBitIdentical(_ a: Parameters, _ b: Parameters, sourceLocation: SourceLocation = #_sourceLocation) {
        let x = a.values.map(\.bitPattern), y = b.values.map(\.bitPattern)
        #expect(x.count == y.count, "\(x.count) vs \(y.count) floats", sourceLocation: sourceLocation)
        let differing = zip(x, y).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        if let first = differing.first {
            let firstPair = "\(a.values[first]) vs \(b.values[first])"
            Issue.record("\(differing.count) floats differ, first at \(first): \(firstPair)",
                         sourceLocation: sourceLocation)
        }
    }

    // MARK: - Round trips

    @Test func headerLayout() throws {
        let (header, data) = Self.encoded(Self.parameters(), Self.metadata)
        #expect(header.count % 8 == 0)
        let length = header[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(length == UInt64(header.count - 8))
        #expect(data.count == 4 * Parameters.count(hidden: Self.hidden))
        let parts = Parts()
        for entry in [Self.w1, Self.b1, Self.w2, Self.b2] {
            #expect(parts.json.contains(entry), "header lacks \(entry): \(parts.json)")
        }
    }

    @Test func roundTripInMemory() throws {
        let original = Self.parameters()
        let loaded = try Checkpoint.decode(Parts().bytes(), path: "memory")
        #expect(loaded.config == Self.metadata.config)
        #expect(loaded.metadata == Self.metadata.dictionary)
        expectBitIdentical(loaded.parameters, original)
    }

    @Test func roundTripThroughAFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("model.safetensors")
        let original = Self.parameters()
        try Checkpoint.save(original, metadata: Self.metadata, to: path)
        let loaded = try Checkpoint.load(path)
        expectBitIdentical(loaded.parameters, original)
        #expect(loaded.metadata["epoch"] == "7")
        #expect(loaded.metadata["seed"] == String(UInt64.max - 1))
        #expect(loaded.metadata["dataset"] == Self.metadata.dataset)
        #expect(loaded.metadata["note"] == "kept as is")
        #expect(loaded.metadata["format"] == CheckpointMetadata.formatVersion)
        #expect(loaded.config == Self.metadata.config)
        #expect(loaded.model.config.hidden == Self.hidden)
        // Saving again over the file replaces it and leaves no temporary behind.
        try Checkpoint.save(original, metadata: Self.metadata, to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }

    /// Each configuration survives the metadata strings.
    @Test(arguments: Activation.allCases, DropMode.allCases)
    func configurationsRoundTrip(activation: Activation, mode: DropMode) throws {
        var metadata = Self.metadata
        metadata.config = ModelConfig(hidden: Self.hidden, activation: activation, dropP: 0.5, dropMode: mode,
                                      masks: .example)
        let (header, data) = Self.encoded(Self.parameters(), metadata)
        let loaded = try Checkpoint.decode(header + data, path: "memory")
        #expect(loaded.config == metadata.config)
    }

    /// A checkpoint written by another tool may have no metadata and its tensors in
    /// another order: safetensors allows both.
    @Test func tensorsInAnyOrderWithoutMetadata() throws {
        var parts = Parts()
        parts.json = "{\(Self.b2),\(Self.w2),\(Self.b1),\(Self.w1)}"
        let loaded = try Checkpoint.decode(parts.bytes(), path: "memory")
        expectBitIdentical(loaded.parameters, Self.parameters())
        #expect(loaded.config == ModelConfig(hidden: Self.hidden))
    }

    // MARK: - Damaged files

    enum Damage: String, CaseIterable, Sendable {
        case empty, fiveBytes, lengthOnly, truncatedHeader, truncatedData, extraData
        case randomBytes, randomAfterPlausibleLength, absurdHeaderLength, headerLengthPastEnd, headerLengthTiny
        case notJSON, jsonArray, metadataNotObject, metadataNotString
        case overlappingOffsets, gapBetweenTensors, offsetsPastEnd, negativeOffset, fractionalOffset, reversedOffsets
        case dtypeF16, dtypeMissing, shapeTooShort, shapeTransposed, shapeMissing, shapeOverflows, hiddenZero
        case missingTensor, unexpectedTensor
        case wrongFormat, hiddenMismatch, unknownActivation, dropPOutOfRange, unknownDropMode

        func bytes() -> [UInt8] {
            let parts = Parts()
            let valid = parts.bytes()
            let h = CheckpointTests.hidden, n = ModelConfig.inputs
            let (w1End, b1End, w2End, b2End) = (CheckpointTests.w1End, CheckpointTests.b1End, CheckpointTests.w2End,
                                                CheckpointTests.b2End)
            let b1 = CheckpointTests.b1, w2 = CheckpointTests.w2, b2 = CheckpointTests.b2, w1 = CheckpointTests.w1
            var rng = TestRandom(UInt64(rawValue.count))
            switch self {
            case .empty: return []
            case .fiveBytes: return Array(valid[0..<5])
            case .lengthOnly: return Array(valid[0..<8])
            case .truncatedHeader: return Array(valid[0..<40])
            case .truncatedData: return Array(valid.dropLast(4))
            case .extraData: return valid + [0, 0, 0, 0]
            case .randomBytes: return (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case .randomAfterPlausibleLength:
                let length = withUnsafeBytes(of: UInt64(64).littleEndian, Array.init)
                return length + (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next() | 0x80) }
            case .absurdHeaderLength: return parts.bytes(length: UInt64.max)
            case .headerLengthPastEnd: return parts.bytes(length: UInt64(valid.count - 8 + 1))
            case .headerLengthTiny: return parts.bytes(length: 1)
            case .notJSON: return parts.replacing(",\"encoder.bias\"", with: ";\"encoder.bias\"").bytes()
            case .jsonArray:
                var p = parts
                p.json = "[" + String(p.json.dropFirst().dropLast()) + "]"
                return p.bytes()
            case .metadataNotObject:
                var p = parts
                p.json = "{\"__metadata__\":[1,2],\(w1),\(b1),\(w2),\(b2)}"
                return p.bytes()
            case .metadataNotString: return parts.replacing("\"epoch\":\"7\"", with: "\"epoch\":7").bytes()
            case .overlappingOffsets:
                let moved = CheckpointTests.entry("encoder.bias", shape: [h], begin: w1End - 4, end: b1End - 4)
                return parts.replacing(b1, with: moved).bytes()
            case .gapBetweenTensors:
                let moved = CheckpointTests.entry("encoder.bias", shape: [h], begin: w1End + 4, end: b1End + 4)
                return parts.replacing(b1, with: moved).bytes()
            case .offsetsPastEnd:
                let moved = CheckpointTests.entry("decoder.bias", shape: [n], begin: w2End + 4, end: b2End + 4)
                return parts.replacing(b2, with: moved).bytes()
            case .negativeOffset:
                let negative = CheckpointTests.entry("encoder.weight", shape: [h, n], begin: -4, end: w1End - 4)
                return parts.replacing(w1, with: negative).bytes()
            case .fractionalOffset:
                return parts.replacing("\"data_offsets\":[0,\(w1End)]", with: "\"data_offsets\":[0.5,\(w1End)]").bytes()
            case .reversedOffsets:
                return parts.replacing("\"data_offsets\":[0,\(w1End)]", with: "\"data_offsets\":[\(w1End),0]").bytes()
            case .dtypeF16: return parts.replacing(b1, with: b1.replacingOccurrences(of: "F32", with: "F16")).bytes()
            case .dtypeMissing:
                return parts.replacing(b1, with: b1.replacingOccurrences(of: "\"dtype\":\"F32\",", with: "")).bytes()
            case .shapeTooShort:
                return parts.replacing("\"shape\":[\(h),\(n)]", with: "\"shape\":[\(h),\(n - 1)]").bytes()
            case .shapeTransposed:
                // Same number of bytes, wrong orientation: only the shape check can catch it.
                return parts.replacing("\"shape\":[\(n),\(h)]", with: "\"shape\":[\(h),\(n)]").bytes()
            case .shapeMissing:
                return parts.replacing(b2, with: b2.replacingOccurrences(of: "\"shape\":[\(n)],", with: "")).bytes()
            case .shapeOverflows:
                // 2^24 * 2^24 * 2^14 = 2^62 elements: 2^64 bytes.
                return parts.replacing("\"shape\":[\(h)]", with: "\"shape\":[16777216,16777216,16384]").bytes()
            case .hiddenZero:
                var p = parts
                p.json = "{\(CheckpointTests.entry("encoder.weight", shape: [0, n], begin: 0, end: 0)),"
                    + "\(CheckpointTests.entry("encoder.bias", shape: [0], begin: 0, end: 0)),"
                    + "\(CheckpointTests.entry("decoder.weight", shape: [n, 0], begin: 0, end: 0)),"
                    + "\(CheckpointTests.entry("decoder.bias", shape: [n], begin: 0, end: 4 * n))}"
                p.data = Array(p.data[0..<4 * n])
                return p.bytes()
            case .missingTensor:
                var p = parts.replacing("," + b2, with: "")
                p.data = Array(p.data[0..<w2End])
                return p.bytes()
            case .unexpectedTensor:
                let extra = CheckpointTests.entry("extra.bias", shape: [1], begin: b2End, end: b2End + 4)
                var p = parts.replacing(b2, with: b2 + "," + extra)
                p.data += [0, 0, 0, 0]
                return p.bytes()
            case .wrongFormat: return parts.replacing("\"format\":\"autoenc-1\"",
                                                      with: "\"format\":\"autoenc-0\"").bytes()
            case .hiddenMismatch: return parts.replacing("\"hidden\":\"\(h)\"", with: "\"hidden\":\"\(h + 1)\"").bytes()
            case .unknownActivation: return parts.replacing("\"activation\":\"sigmoid\"",
                                                            with: "\"activation\":\"tanh\"").bytes()
            case .dropPOutOfRange: return parts.replacing("\"drop_p\":\"0.3\"", with: "\"drop_p\":\"1.5\"").bytes()
            case .unknownDropMode: return parts.replacing("\"drop_mode\":\"dropconnect\"",
                                                          with: "\"drop_mode\":\"zoneout\"").bytes()
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func damagedCheckpointRefused(_ damage: Damage) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("damaged.safetensors", damage.bytes())
        expectAutoencError(.dataError, naming: path, containing: ["not a valid autoenc checkpoint"]) {
            _ = try Checkpoint.load(path)
        }
    }

    /// The header edits themselves are sound: undoing nothing, the same helpers give a
    /// loadable file.
    @Test func editingHelpersKeepAValidFile() throws {
        let parts = Parts().replacing("\"note\":\"kept as is\"", with: "\"note\":\"edited\"")
        let loaded = try Checkpoint.decode(parts.bytes(), path: "memory")
        #expect(loaded.metadata["note"] == "edited")
    }

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("none.safetensors")
        expectAutoencError(.noInput, naming: path) { _ = try Checkpoint.load(path) }
    }

    @Test func directoryInsteadOfFile() throws {
        let dir = try TemporaryDirectory()
        expectAutoencError(.noInput, naming: dir.path) { _ = try Checkpoint.load(dir.path) }
    }

    /// A model whose weights are not finite is bad data naming the tensor (it was loaded,
    /// and `reconstruct` printed "test_mse nan").
    @Test(arguments: [("encoder.weight", 3, Float.nan), ("decoder.bias", 783, Float.infinity),
                      ("decoder.weight", 0, -Float.infinity)])
    func nonFiniteWeightsAreRefused(tensor: String, element: Int, value: Float) {
        let parameters = Autoencoder(config: ModelConfig(hidden: 4), seed: 1).parameters
        let offset = parameters.tensors.first { $0.name == tensor }!.offset
        parameters.base[offset + element] = value
        let metadata = CheckpointMetadata(config: ModelConfig(hidden: 4), seed: 1, epoch: 1, dataset: "d")
        let (header, data) = Checkpoint.encode(parameters, metadata: metadata)
        let bytes = header + Array(data)
        expectAutoencError(.dataError, naming: "m.safetensors",
                           containing: ["\(tensor) holds \(value) at element \(element)"]) {
            _ = try Checkpoint.decode(bytes, path: "m.safetensors")
        }
    }

    /// Files that are not models say what they are: IDX data, gzipped or not (they gave
    /// "header length 7713359181797427999 does not fit"), and a training state (it gave
    /// "unexpected tensor ...exp_avg_sq"), naming the model it belongs with.
    /// The optimizer's settings survive the metadata strings, each checked on the way
    /// back; threads and kernels are not stored and keep their defaults.
    @Test func trainingOptionsMetadataRoundTrip() throws {
        var options = TrainingOptions()
        (options.optimizer, options.learningRate, options.batchSize, options.seed) = (.momentum, 0.0123, 77, UInt64.max)
        options.threads = 3
        #expect(options.metadataFields.map(\.key) == ["optimizer", "lr", "batch_size", "seed"])
        let bad = { (what: String) in AutoencError.badData("f", what) }
        let back = try TrainingOptions(metadata: MetadataReader(metadata: options.metadata, bad: bad))
        #expect(back.optimizer == .momentum && back.learningRate == 0.0123 && back.batchSize == 77
                && back.seed == UInt64.max)
        #expect(back.threads == TrainingOptions().threads)
        var damaged = options.metadata
        damaged["batch_size"] = "0"
        expectAutoencError(.dataError, containing: ["metadata batch_size is 0"]) {
            _ = try TrainingOptions(metadata: MetadataReader(metadata: damaged, bad: bad))
        }
        damaged["batch_size"] = nil
        expectAutoencError(.dataError, containing: ["metadata batch_size is missing"]) {
            _ = try TrainingOptions(metadata: MetadataReader(metadata: damaged, bad: bad))
        }
    }

    @Test func otherFilesSayWhatTheyAre() {
        let idx: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28] + [UInt8](repeating: 7, count: 784)
        expectAutoencError(.dataError, naming: "x.gz",
                           containing: ["a gzip file (a gzipped IDX data file?), not a model"]) {
            _ = try Checkpoint.decode(Deflate.gzip(idx), path: "x.gz")
        }
        expectAutoencError(.dataError, naming: "x", containing: ["an IDX data file, not a model"]) {
            _ = try Checkpoint.decode(idx, path: "x")
        }
        let state = TrainingState(config: ModelConfig(hidden: 1), seed: 1, optimizer: .sgd, learningRate: 0.1,
                                  batchSize: 4, limit: nil, trainImages: 8, epochsCompleted: 1, step: 2,
                                  optimizerSteps: 2, modelDigest: 1, buffers: [:])
        expectAutoencError(.dataError, naming: "runs/m.state.safetensors",
                           containing: ["a training state, not a model; its model is runs/m.safetensors"]) {
            _ = try Checkpoint.decode(state.encode(), path: "runs/m.state.safetensors")
        }
    }

    /// A state whose optimizer moments or unscaled decoder weights are not finite, or
    /// whose second moments are negative, is refused naming the tensor and element.
    @Test func stateValuesAreChecked() throws {
        let classic = ModelConfig(hidden: 3, dropP: 0.5, dropMode: .dropout, scaling: .classic)
        let trainer = Trainer(model: Autoencoder(config: classic, seed: 1), options: TrainingOptions())
        let good = TrainingState(trainer: trainer, limit: nil, trainImages: 10, epochsCompleted: 0)
        _ = try TrainingState.decode(good.encode(), path: "s")
        let decoderBias = Parameters.tensors(hidden: 3).first { $0.name == "decoder.bias" }!.offset
        let cases: [(String, Int, Float, String)] = [
            ("exp_avg", 2, .infinity, "encoder.weight.exp_avg holds inf at element 2; its values must be finite"),
            ("exp_avg", decoderBias + 1, .nan, "decoder.bias.exp_avg holds nan at element 1"),
            ("exp_avg_sq", decoderBias, -1,
             "decoder.bias.exp_avg_sq holds -1.0 at element 0; its values must not be negative"),
        ]
        for (buffer, index, value, message) in cases {
            var bad = good
            bad.buffers[buffer]![index] = value
            expectAutoencError(.dataError, naming: "s", containing: [message]) {
                _ = try TrainingState.decode(bad.encode(), path: "s")
            }
        }
        var bad = good
        bad.unscaledDecoderWeight![4] = -.infinity
        expectAutoencError(.dataError, naming: "s", containing: ["decoder.weight.unscaled holds -inf at element 4"]) {
            _ = try TrainingState.decode(bad.encode(), path: "s")
        }
        // a negative first moment is an ordinary value
        var negative = good
        negative.buffers["exp_avg"]![0] = -1
        _ = try TrainingState.decode(negative.encode(), path: "s")
    }
}
