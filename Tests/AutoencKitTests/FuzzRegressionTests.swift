import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Inputs that once trapped a reader (found by the fuzzers under Fuzz/, or while writing
/// them), minimized and kept here so that CI needs no corpus. Each must now end in an
/// AutoencError with exit status 65.
@Suite struct FuzzRegressionTests {
    // MARK: - IDX.inspect

    /// `IDX.inspect` multiplied the dimensions in Int64 without checking: four dimensions of
    /// 0xFFFF (about 2^64 bytes) trapped on overflow. The fuzzer's crasher had twenty.
    static let overflowingDimensions: [(name: String, bytes: [UInt8])] = [
        ("4 x 0xFFFF unsigned bytes", [
            0x00, 0x00, 0x08, 0x04,
            0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF,
        ]),
        ("(2^32 - 1) x 2^31 doubles", [
            0x00, 0x00, 0x0E, 0x02,
            0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00,
        ]),
        ("20 x 0xFFFF unsigned bytes (as found)",
         [0x00, 0x00, 0x08, 0x14] + Array(repeating: [0x00, 0x00, 0xFF, 0xFF] as [UInt8], count: 20).flatMap { $0 }),
    ]

    @Test(arguments: overflowingDimensions)
    func inspectRefusesDimensionsBeyondInt64(name: String, bytes: [UInt8]) throws {
        let dir = try TemporaryDirectory()
        for path in [try dir.write("plain", bytes), try dir.write("gzipped.gz", Deflate.gzip(bytes))] {
            let error = #expect(throws: AutoencError.self, "\(name)") { try IDX.inspect(path) }
            #expect(error?.status == .dataError)
            #expect(error?.message.contains("more than 2^63 bytes") == true, "\(error?.message ?? "")")
        }
    }

    /// The largest products that do fit still get the ordinary length check.
    @Test func inspectStillChecksLargeButRepresentableSizes() throws {
        let dir = try TemporaryDirectory()
        // (2^32 - 1) x (2^31 - 1) unsigned bytes: just under 2^63, so the file is merely short.
        let bytes: [UInt8] = [0x00, 0x00, 0x08, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]
        let error = #expect(throws: AutoencError.self) { try IDX.inspect(dir.write("big", bytes)) }
        #expect(error?.status == .dataError)
        #expect(error?.message.contains("expects 9223372030412324877 bytes, found 12") == true,
                "\(error?.message ?? "")")
    }

    // MARK: - TrainingState.decode

    /// A state whose batch_size or train_images came near Int.max trapped in
    /// `Trainer.stepsPerEpoch` (images + batchSize - 1 overflowed).
    @Test(arguments: [
        (batchSize: Int.max, trainImages: 100),
        (batchSize: 32, trainImages: Int.max),
        (batchSize: Int.max, trainImages: Int.max),
        (batchSize: 65537, trainImages: 100),
        (batchSize: 32, trainImages: 1 << 32),
    ])
    func stateRefusesOutOfRangeBatchAndImageCounts(batchSize: Int, trainImages: Int) throws {
        let state = TrainingState(config: ModelConfig(hidden: 1), seed: 1, optimizer: .sgd, learningRate: 0.1,
                                  batchSize: batchSize, limit: nil, trainImages: trainImages, epochsCompleted: 0,
                                  step: 0, optimizerSteps: 0, modelDigest: 0, buffers: [:])
        let error = #expect(throws: AutoencError.self) {
            try TrainingState.decode(state.encode(), path: "x.state.safetensors")
        }
        #expect(error?.status == .dataError)
        #expect(error?.message.hasPrefix("x.state.safetensors: not a valid autoenc training state: metadata") == true,
                "\(error?.message ?? "")")
    }

    @Test func stateAcceptsTheLimitsThemselves() throws {
        let state = TrainingState(config: ModelConfig(hidden: 1), seed: 1, optimizer: .sgd, learningRate: 0.1,
                                  batchSize: 65536, limit: nil, trainImages: Int(UInt32.max), epochsCompleted: 3,
                                  step: 3 * 65536, optimizerSteps: 0, modelDigest: 0, buffers: [:])
        let decoded = try TrainingState.decode(state.encode(), path: "x.state.safetensors")
        #expect(decoded.batchSize == 65536)
        #expect(decoded.trainImages == Int(UInt32.max))
        #expect(decoded.stepsIntoEpoch == 0)
    }

    // MARK: - NPY.readLabels

    /// A uint64 label of 2^64 - 1 (or an int64 of -2^63) trapped converting the Double
    /// back to Int64 for the message; found while writing the NumPy fuzz target.
    @Test(arguments: [
        ("<u8", [UInt8](repeating: 0xFF, count: 8), "found 1.8446744073709552e+19 at index 0"),
        ("<i8", [0, 0, 0, 0, 0, 0, 0, 0x80], "found -9.223372036854776e+18 at index 0"),
    ])
    func labelsFarOutOfRange(descr: String, value: [UInt8], message: String) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("y.npy", NumPyFixtures.npy(descr: descr, shape: [1], data: value))
        expectAutoencError(.dataError, naming: path, containing: ["expected labels 0 to 9", message]) {
            _ = try NPY.readLabels(try FileByteStream(path: path), count: 1)
        }
    }
}
