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

    /// Writes row `row`'s random words for mask `key` into `words` (`rowStride` of them).
    @inline(__always)
    public func fillRow(key: UInt64, row: Int, into words: UnsafeMutablePointer<UInt64>) {
        let lanes = SIMD8<UInt64>(1, 2, 3, 4, 5, 6, 7, 8)
        let k = SIMD8<UInt64>(repeating: key)
        var i = 0
        while i < rowStride {
            let counter = SIMD8<UInt64>(repeating: UInt64(row * rowStride + i)) &+ lanes
            var z = k &+ counter &* RandomStream.golden
            z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
            z = z ^ (z &>> 31)
            UnsafeMutableRawPointer(words + i).storeBytes(of: z, as: SIMD8<UInt64>.self)
            i += 8
        }
    }

    /// Which of the 16 columns of chunk `c` (columns 16c ..< 16c + 16) are kept, given the
    /// row's words from `fillRow`: all ones in a kept lane, zero in a dropped one.
    @inline(__always)
    public func chunkKeeps(_ words: UnsafePointer<UInt64>, chunk c: Int) -> SIMD16<Int32> {
        switch resolution {
        case .bit: return BitUnpacker.keeps(words, chunk: c, threshold: 0)
        case .byte: return ByteUnpacker.keeps(words, chunk: c, threshold: Int32(byteThreshold))
        }
    }
}

/// Turns a row's random words into the keep masks of its 16-column chunks. Built from
/// shifts only: the standard library's SIMD integer comparisons against constants
/// compile to per-lane loops. The kernels are generic over it so that each variant is
/// compiled into its own loop.
protocol MaskUnpacker {
    static func keeps(_ words: UnsafePointer<UInt64>, chunk c: Int, threshold: Int32) -> SIMD16<Int32>
}

enum BitUnpacker: MaskUnpacker {
    @inline(__always)
    static func keeps(_ words: UnsafePointer<UInt64>, chunk c: Int, threshold: Int32) -> SIMD16<Int32> {
        // lane l's bit moved to the sign bit, then spread over the lane
        let bits = Int32(truncatingIfNeeded: words[c >> 2] >> UInt64((c & 3) * 16))
        let toTop = SIMD16<Int32>(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16)
        return (SIMD16<Int32>(repeating: bits) &<< toTop) &>> 31
    }
}

enum ByteUnpacker: MaskUnpacker {
    @inline(__always)
    static func keeps(_ words: UnsafePointer<UInt64>, chunk c: Int, threshold: Int32) -> SIMD16<Int32> {
        // lane l = 4q + r takes byte q of 32-bit word r: byte 4r + q of the chunk;
        // byte - threshold is negative exactly when the connection is kept
        let quad = UnsafeRawPointer(words + 2 * c).loadUnaligned(as: SIMD4<Int32>.self)
        let half = SIMD8<Int32>(lowHalf: quad, highHalf: quad)
        let all = SIMD16<Int32>(lowHalf: half, highHalf: half)
        let shifts = SIMD16<Int32>(0, 0, 0, 0, 8, 8, 8, 8, 16, 16, 16, 16, 24, 24, 24, 24)
        return (((all &>> shifts) & 0xff) &- threshold) &>> 31
    }
}

/// v where `keep` is all ones, 0 where it is zero.
@inline(__always)
func masked(_ v: Vec, _ keep: SIMD16<Int32>) -> Vec {
    unsafeBitCast(unsafeBitCast(v, to: SIMD16<Int32>.self) & keep, to: Vec.self)
}

/// The sum of a vector's 16 lanes, through `scratch` (16 floats).
///
/// Summing through memory keeps the accumulators whole: with `lowHalf`/`highHalf`, or a
/// `sum()` the optimizer does not inline, LLVM splits every vector of the calling loop
/// into 128-bit pieces.
@inline(__always)
func laneSum(_ v: Vec, scratch: UnsafeMutablePointer<Float>) -> Float {
    vstore(v, scratch)
    var s: Float = 0
    for i in 0..<16 { s += scratch[i] }
    return s
}

/// The DropConnect encoder products with a mask per example.
public enum DropConnectKernels {
    /// z1[b, j] = scale * sum_i mask_b[j, i] * w1[j, i] * x[b, i], for rows j in `rows`.
    /// x: (batch, 784), w1: (hidden, 784) -> z1: (batch, hidden); bias not added.
    public static func forward(mask: DropConnectMask, keys: UnsafePointer<UInt64>,
                               x: UnsafePointer<Float>, w1: UnsafePointer<Float>,
                               z1: UnsafeMutablePointer<Float>, batch: Int, hidden: Int, rows: Range<Int>) {
        switch mask.resolution {
        case .bit: forward(BitUnpacker.self, mask, keys, x, w1, z1, batch, hidden, rows)
        case .byte: forward(ByteUnpacker.self, mask, keys, x, w1, z1, batch, hidden, rows)
        }
    }

    static func forward<U: MaskUnpacker>(_: U.Type, _ mask: DropConnectMask, _ keys: UnsafePointer<UInt64>,
                                         _ x: UnsafePointer<Float>, _ w1: UnsafePointer<Float>,
                                         _ z1: UnsafeMutablePointer<Float>, _ batch: Int, _ hidden: Int, _ rows: Range<Int>) {
        let n = ModelConfig.inputs
        let threshold = Int32(mask.byteThreshold)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: mask.rowStride + 8) { words in
            let wp = words.baseAddress!
            let lanes = UnsafeMutableRawPointer(wp + mask.rowStride).assumingMemoryBound(to: Float.self)
            for j in rows {
                let w = w1 + j * n
                for b in 0..<batch {
                    mask.fillRow(key: keys[b], row: j, into: wp)
                    let xb = x + b * n
                    var acc0 = Vec(), acc1 = Vec()
                    var c = 0
                    while c + 2 <= DropConnectMask.chunks {
                        acc0 += masked(vload(w + 16 * c) * vload(xb + 16 * c), U.keeps(wp, chunk: c, threshold: threshold))
                        acc1 += masked(vload(w + 16 * c + 16) * vload(xb + 16 * c + 16), U.keeps(wp, chunk: c + 1, threshold: threshold))
                        c += 2
                    }
                    if c < DropConnectMask.chunks {
                        acc0 += masked(vload(w + 16 * c) * vload(xb + 16 * c), U.keeps(wp, chunk: c, threshold: threshold))
                    }
                    z1[b * hidden + j] = laneSum(acc0 + acc1, scratch: lanes) * mask.scale
                }
            }
        }
    }

    /// gw1[j, i] = scale * sum_b dz1[b, j] * mask_b[j, i] * x[b, i], for rows j in `rows`;
    /// overwrites those rows of gw1. Reuses the forward pass's masks by regenerating them.
    /// dz1: (batch, hidden), x: (batch, 784) -> gw1: (hidden, 784).
    public static func backward(mask: DropConnectMask, keys: UnsafePointer<UInt64>,
                                x: UnsafePointer<Float>, dz1: UnsafePointer<Float>,
                                gw1: UnsafeMutablePointer<Float>, batch: Int, hidden: Int, rows: Range<Int>) {
        switch mask.resolution {
        case .bit: backward(BitUnpacker.self, mask, keys, x, dz1, gw1, batch, hidden, rows)
        case .byte: backward(ByteUnpacker.self, mask, keys, x, dz1, gw1, batch, hidden, rows)
        }
    }

    static func backward<U: MaskUnpacker>(_: U.Type, _ mask: DropConnectMask, _ keys: UnsafePointer<UInt64>,
                                          _ x: UnsafePointer<Float>, _ dz1: UnsafePointer<Float>,
                                          _ gw1: UnsafeMutablePointer<Float>, _ batch: Int, _ hidden: Int, _ rows: Range<Int>) {
        let n = ModelConfig.inputs
        let threshold = Int32(mask.byteThreshold)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: mask.rowStride) { words in
            let wp = words.baseAddress!
            for j in rows {
                let g = gw1 + j * n
                g.update(repeating: 0, count: n)
                for b in 0..<batch {
                    let d = dz1[b * hidden + j]
                    if d == 0 { continue } // inactive ReLU: no gradient, no mask needed
                    mask.fillRow(key: keys[b], row: j, into: wp)
                    let coefficient = Vec(repeating: d * mask.scale)
                    let xb = x + b * n
                    for c in 0..<DropConnectMask.chunks {
                        let update = masked(coefficient * vload(xb + 16 * c), U.keeps(wp, chunk: c, threshold: threshold))
                        vstore(vload(g + 16 * c) + update, g + 16 * c)
                    }
                }
            }
        }
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
                                   out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let n = ModelConfig.inputs
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: mask.rowStride) { words in
            let wp = words.baseAddress!
            for j in rows {
                mask.fillRow(key: key, row: j, into: wp)
                for c in 0..<DropConnectMask.chunks {
                    let keep = mask.chunkKeeps(wp, chunk: c)
                    let v = vload(w1 + j * n + 16 * c) * mask.scale
                    vstore(masked(v, keep), out + j * n + 16 * c)
                }
            }
        }
    }
}
