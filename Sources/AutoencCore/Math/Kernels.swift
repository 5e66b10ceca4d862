import CKernels
import Foundation

/// The instruction-set levels the vector kernels are compiled for, best last.
///
/// One binary holds every level its architecture has (the C target `CKernels`), and the
/// process uses the best one the CPU runs unless `AUTOENC_KERNELS` names another.
public enum KernelLevel: String, CaseIterable, Sendable, Comparable {
    /// What the compiler targets by default: SSE2 on x86-64, NEON on arm64.
    case generic
    /// AVX2, FMA and BMI2 (Intel Haswell, AMD Zen and later).
    case avx2
    /// AVX-512 F, BW, VL and DQ (Intel Skylake-X, AMD Zen 4 and later).
    case avx512

    /// The environment variable that chooses a kernel level; unset, the best this CPU runs.
    public static let environmentVariable = "AUTOENC_KERNELS"

    var code: Int32 {
        switch self {
        case .generic: return Int32(AE_LEVEL_GENERIC)
        case .avx2: return Int32(AE_LEVEL_AVX2)
        case .avx512: return Int32(AE_LEVEL_AVX512)
        }
    }

    /// Orders the levels by the instructions they need, `generic` first.
    public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.code < b.code }

    /// Whether this build has the level's kernels and this CPU and OS run them.
    public var isSupported: Bool { ae_kernels(code) != nil && ae_level_supported(code) != 0 }

    /// The levels this machine runs, generic first.
    public static var supported: [KernelLevel] { allCases.filter(\.isSupported) }

    /// The best level this machine runs.
    public static var best: KernelLevel { supported.last ?? .generic }

    /// The level `AUTOENC_KERNELS` asks for, or the best one when it is unset or empty.
    ///
    /// - Parameter environment: The environment to read the variable from.
    /// - Returns: The level to run.
    /// - Throws: `AutoencError` with `.usage` (64) for an unknown value or a level this CPU lacks.
    public static func requested(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> KernelLevel {
        guard let value = environment[environmentVariable], !value.isEmpty else { return best }
        guard let level = KernelLevel(rawValue: value.lowercased()) else {
            throw AutoencError(.usage, "\(environmentVariable)=\(value): "
                + "expected one of \(allCases.map(\.rawValue).joined(separator: ", ")), "
                + "or unset for the best this CPU runs (\(best.rawValue))")
        }
        guard level.isSupported else {
            throw AutoencError(.usage, "\(environmentVariable)=\(value): this CPU does not run the \(level.rawValue) "
                + "kernels; it runs \(supported.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }
}

/// One level's vector kernels.
///
/// Every fast path of the model goes through one of these; the plain references they are
/// tested against sit beside their callers (`ActiveUnits`, `SparseProducts`,
/// `DropConnectKernels`, `Matrix`) or, for the elementwise passes and the optimizers'
/// updates, are the formulas written out in their tests (`KernelLevelTests`,
/// `OptimizerTests`: PyTorch's update rules in Double).
public struct Kernels: @unchecked Sendable {
    /// The instruction-set level these kernels were compiled for.
    public let level: KernelLevel
    /// Whether the CPU runs each 512-bit multiply-add as two 256-bit halves (AMD's Zen 4),
    /// so at the rate of its 256-bit ones; Zen 5 and Intel's AVX-512 cores run them whole.
    /// Where it does, a product that loads a vector for each multiply-add from the
    /// second-level cache keeps pace with the multiply-adds, so `TrainingPass.strategy`
    /// takes such products (the sparse layout) there only.
    public let halvesWideVectors: Bool
    let table: AEKernels

    /// The kernels of `level`, which must be supported, on this CPU.
    public init(_ level: KernelLevel) {
        self.init(level, halvesWideVectors: ae_cpu_halves_512_bit_vectors() != 0)
    }

    /// The kernels of `level` as if on a CPU that does or does not halve 512-bit vectors
    /// (the tests' way to see each CPU's choices on one machine).
    init(_ level: KernelLevel, halvesWideVectors: Bool) {
        precondition(level.isSupported, "kernel level \(level) is not supported here")
        self.level = level
        self.halvesWideVectors = halvesWideVectors
        table = ae_kernels(level.code)!.pointee
    }

    /// The process's kernels: `AUTOENC_KERNELS`'s level, or the best this CPU runs.
    ///
    /// The command line checks the variable first (`KernelLevel.requested`) and refuses a
    /// bad value; here a bad value falls back to the best level.
    public static let current = Kernels((try? KernelLevel.requested()) ?? .best)
}

// MARK: - The step's elementwise passes

extension Kernels {
    /// z = act(z + bias) in place and, when given, gate = act'(z + bias): for ReLU 1 where
    /// z + bias > 0 and 0 elsewhere (NaN included), for sigmoid a (1 - a).
    /// z, gate: (rows, ld), columns 0 ..< units; bias: (units).
    func activate(_ z: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>?, bias: UnsafePointer<Float>,
                  rows: Int, units: Int, ld: Int, activation: Activation) {
        table.activate(z, gate, bias, rows, units, ld, activation == .sigmoid ? 1 : 0)
    }

    /// Dropout on one row of the hidden layer or the input: z[j], and gate[j] when given,
    /// times `mask.scale` where unit j keeps under `key` (`DropoutMask.keeps`), times 0
    /// where it drops. z, gate: (units).
    func dropout(_ z: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>?, key: UInt64, units: Int,
                 mask: DropoutMask) {
        table.dropout_row(z, gate, key, units, mask.threshold, mask.scale)
    }

    /// y = sigmoid(z + bias); leaves scale (y - x) y (1 - y), the loss's gradient for
    /// z when scale is 2 / (pixels in the minibatch), in z; returns sum (y - x)^2.
    /// z, x: (rows, 784); bias: (784).
    func outputLoss(_ z: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                    rows: Int, scale: Float) -> Double {
        table.output_loss(z, x, bias, rows, scale)
    }
}

// MARK: - The multiply-add peak

extension Kernels {
    /// Runs the level's peak loop: `iterations` times acc = acc * multiplier + addend
    /// (fused where the level has FMA) on independent chains, every lane from 0; returns
    /// each lane's final acc.
    func multiplyAddChains(iterations: Int, multiplier: Float, addend: Float) -> [Float] {
        var out = [Float](repeating: .nan, count: 128)
        let lanes = out.withUnsafeMutableBufferPointer {
            table.multiply_add_peak(iterations, multiplier, addend, $0.baseAddress!)
        }
        return Array(out.prefix(lanes))
    }

    /// The fp32 multiply-add rate of this level on `threads` threads at once, in GFLOP/s (2
    /// per multiply-add): the most any product of the model can reach.
    ///
    /// Each thread runs chains of dependent multiply-adds, enough of them to fill the
    /// core's units; the best of at least 3 samples of about `seconds` / 3 each.
    public func multiplyAddPeak(threads: Int = 1, seconds: Double = 0.15) -> Double {
        let pool = WorkerPool(threads: threads)
        let lanes = Double(multiplyAddChains(iterations: 1, multiplier: 1, addend: 0).count)
        // multiplier and addend keep every value near 1 (acc -> addend / (1 - multiplier))
        func sample(_ iterations: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            pool.run(threads) { _ in _ = self.multiplyAddChains(iterations: iterations, multiplier: 0.999,
                                                                addend: 0.001) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var iterations = 1 << 12
        while sample(iterations) < seconds / 30, iterations < 1 << 30 { iterations *= 2 }
        iterations = max(1, Int(Double(iterations) * (seconds / 3) / max(sample(iterations), 1e-9)))
        let best = (0..<3).map { _ in sample(iterations) }.min()!
        return 2 * lanes * Double(iterations) * Double(threads) / best / 1e9
    }
}
