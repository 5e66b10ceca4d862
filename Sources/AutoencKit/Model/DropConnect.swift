import CKernels

/// DropConnect on the encoder's weights (Wan et al. 2013): each connection w[j, i] is
/// kept with probability 1 - p, kept weights are divided by the keep probability while
/// training, and at test time every connection is kept.
///
/// Masks are never stored. The mask of example `e` at step `s` is a pure function of
/// (seed, s, e), regenerated in the backward pass. Row j of a mask uses the random words
/// at counters j * rowStride ..< j * rowStride + wordsPerRow of its stream:
/// - at p = 0.5, one random bit per connection: column i is bit i % 64 of word i / 64
///   (13 words a row, stride 16);
/// - otherwise one random byte per connection, kept when it is below round((1 - p) * 256):
///   the 16 columns of chunk c = i / 16 use the 16 bytes of words 2c and 2c + 1, column
///   lane l = i % 16 taking byte 4 (l % 4) + l / 4, the order in which a vector unpacks
///   them without conversions (98 words a row, stride 104). The keep probability is then
///   that threshold / 256 (p rounded to a multiple of 1/256), and the scaling uses it, so
///   that the expected masked weight is exactly w.
public struct DropConnectMask: Sendable {
    public static let columns = ModelConfig.inputs
    public static let chunks = columns / 16 // 49

    public enum Resolution: Sendable { case bit, byte }

    public let seed: UInt64
    public let resolution: Resolution
    /// With `.byte`: keep when the byte is below this (1...256).
    public let byteThreshold: UInt16
    /// The exact probability that a connection is kept.
    public let keepProbability: Float
    /// What a kept weight is multiplied by while training: 1 / keepProbability.
    public let scale: Float
    /// Random words that one row of one mask uses.
    public let wordsPerRow: Int
    /// Counters between the first words of consecutive rows (a multiple of 8, so a row
    /// is generated in whole 8-word vectors).
    public let rowStride: Int

    public init(dropP: Float, seed: UInt64) {
        self.seed = seed
        if dropP == 0.5 {
            resolution = .bit
            byteThreshold = 128
            keepProbability = 0.5
            wordsPerRow = (Self.columns + 63) / 64
        } else {
            resolution = .byte
            let t = min(256, max(1, ((1 - Double(dropP)) * 256).rounded()))
            byteThreshold = UInt16(t)
            keepProbability = Float(t / 256)
            wordsPerRow = Self.columns / 8
        }
        rowStride = (wordsPerRow + 7) / 8 * 8
        scale = 1 / keepProbability
    }

    /// The key of the mask example `example` uses at `step`; the per-batch mask uses
    /// `example: nil`.
    @inline(__always)
    public func key(step: UInt64, example: Int?) -> UInt64 {
        RandomStream.key(seed: seed, .dropConnect, step, example.map { UInt64($0) } ?? UInt64.max)
    }

    /// Whether connection (row, column) is kept under mask `key`: the plain reference.
    public func keeps(key: UInt64, row: Int, column: Int) -> Bool {
        let first = row * rowStride
        switch resolution {
        case .bit:
            let word = RandomStream.word(key: key, counter: UInt64(first + column / 64))
            return (word >> UInt64(column % 64)) & 1 == 1
        case .byte:
            let lane = column % 16
            let byte = 4 * (lane % 4) + lane / 4
            let word = RandomStream.word(key: key, counter: UInt64(first + 2 * (column / 16) + byte / 8))
            return UInt16((word >> UInt64(8 * (byte % 8))) & 0xff) < byteThreshold
        }
    }

    /// The layout the C kernels read: they generate row j's words for a key as
    /// `RandomStream.word(key:counter:)` at counters j * rowStride ..< j * rowStride +
    /// wordsPerRow, and unpack them as `keeps` does.
    var layout: AEDropConnect {
        AEDropConnect(row_stride: rowStride, bit_resolution: resolution == .bit ? 1 : 0,
                      threshold: Int32(byteThreshold), scale: scale)
    }
}

/// The DropConnect encoder products with a mask per example.
public enum DropConnectKernels {
    /// z1[b, j] = scale * sum_i mask_b[j, i] * w1[j, i] * x[b, i], for rows j in `rows`.
    /// x: (batch, 784), w1: (hidden, 784) -> z1: (batch, hidden); bias not added.
    public static func forward(mask: DropConnectMask, keys: UnsafePointer<UInt64>,
                               x: UnsafePointer<Float>, w1: UnsafePointer<Float>,
                               z1: UnsafeMutablePointer<Float>, batch: Int, hidden: Int, rows: Range<Int>,
                               kernels: Kernels = .current) {
        var layout = mask.layout
        kernels.table.dropconnect_forward(&layout, keys, x, w1, z1, batch, hidden, rows.lowerBound, rows.upperBound)
    }

    /// gw1[j, i] = scale * sum_b dz1[b, j] * mask_b[j, i] * x[b, i], for rows j in `rows`;
    /// overwrites those rows of gw1. Reuses the forward pass's masks by regenerating them,
    /// and skips the examples whose dz1[b, j] is zero (an inactive ReLU).
    /// dz1: (batch, hidden), x: (batch, 784) -> gw1: (hidden, 784).
    public static func backward(mask: DropConnectMask, keys: UnsafePointer<UInt64>,
                                x: UnsafePointer<Float>, dz1: UnsafePointer<Float>,
                                gw1: UnsafeMutablePointer<Float>, batch: Int, hidden: Int, rows: Range<Int>,
                                kernels: Kernels = .current) {
        var layout = mask.layout
        kernels.table.dropconnect_backward(&layout, keys, x, dz1, gw1, batch, hidden, rows.lowerBound, rows.upperBound)
    }

    /// The plain reference for `forward`: scalar loops over `mask.keeps`, in Double.
    public static func forwardNaive(mask: DropConnectMask, keys: [UInt64], x: [Float], w1: [Float],
                                    batch: Int, hidden: Int) -> [Float] {
        let n = ModelConfig.inputs
        var z = [Float](repeating: 0, count: batch * hidden)
        for b in 0..<batch {
            for j in 0..<hidden {
                var sum = 0.0
                for i in 0..<n where mask.keeps(key: keys[b], row: j, column: i) {
                    sum += Double(w1[j * n + i]) * Double(x[b * n + i])
                }
                z[b * hidden + j] = Float(sum * Double(mask.scale))
            }
        }
        return z
    }

    /// The plain reference for `backward`.
    public static func backwardNaive(mask: DropConnectMask, keys: [UInt64], x: [Float], dz1: [Float],
                                     batch: Int, hidden: Int) -> [Float] {
        let n = ModelConfig.inputs
        var g = [Double](repeating: 0, count: hidden * n)
        for b in 0..<batch {
            for j in 0..<hidden {
                for i in 0..<n where mask.keeps(key: keys[b], row: j, column: i) {
                    g[j * n + i] += Double(dz1[b * hidden + j]) * Double(x[b * n + i]) * Double(mask.scale)
                }
            }
        }
        return g.map { Float($0) }
    }

    /// Writes scale * mask ⊙ w1 for the one mask `key` shared by a whole batch, for
    /// `rows`. w1: (hidden, 784) -> out: (hidden, 784); `out` may be `w1`.
    public static func maskWeights(mask: DropConnectMask, key: UInt64, w1: UnsafePointer<Float>,
                                   out: UnsafeMutablePointer<Float>, rows: Range<Int>, kernels: Kernels = .current) {
        var layout = mask.layout
        kernels.table.dropconnect_mask_weights(&layout, key, w1, out, rows.lowerBound, rows.upperBound)
    }
}
