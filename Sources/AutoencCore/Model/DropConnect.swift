import CKernels

/// DropConnect on the encoder's weights (Wan et al. 2013): each connection w[j, i] is
/// kept with probability 1 - p, kept weights are divided by the keep probability while
/// training, and at test time every connection is kept.
///
/// Masks are never stored. The mask of example `e` at step `s` is a pure function of
/// (seed, s, e), regenerated in the backward pass. A mask is a grid of rows and columns
/// (`Layout`): row r uses the random words at counters r * rowStride ..< r * rowStride +
/// wordsPerRow of its stream, and
/// - at p = 0.5, one random bit per connection: column c is bit c % 64 of word c / 64;
/// - otherwise one random byte per connection, kept when it is below round((1 - p) * 256):
///   the 16 columns of chunk k = c / 16 use the 16 bytes of words 2k and 2k + 1, column
///   lane l = c % 16 taking byte 4 (l % 4) + l / 4, the order in which a vector unpacks
///   them without conversions. The keep probability is then that threshold / 256 (p
///   rounded to a multiple of 1/256), and the scaling uses it, so that the expected
///   masked weight is exactly w.
public struct DropConnectMask: Sendable {
    /// How many random bits decide one connection: one (at p = 0.5) or a byte.
    public enum Resolution: Sendable { case bit, byte }

    /// Which connection a mask's (row, column) is.
    public enum Layout: Sendable, Equatable {
        /// Rows are hidden units, columns the 784 pixels: w1's own layout. The per-batch
        /// mask, applied to w1 once a step.
        case unitRows
        /// Rows are the 784 pixels, columns the `hidden` units. The per-example masks:
        /// the kernels walk each image's nonzero pixels only and take a pixel's mask for
        /// 64 units from one random word (at p = 0.5), so their work follows the pixels
        /// an image lights (about half of Fashion-MNIST's, a fifth of MNIST's).
        case inputRows(hidden: Int)
    }

    /// The run's seed, which with the step and example keys each mask's stream.
    public let seed: UInt64
    /// Which connection a mask's (row, column) is.
    public let layout: Layout
    /// One random bit per connection at p = 0.5, a byte otherwise.
    public let resolution: Resolution
    /// With `.byte`: keep when the byte is below this (1...256).
    public let byteThreshold: UInt16
    /// The exact probability that a connection is kept.
    public let keepProbability: Float
    /// What a kept weight is multiplied by while training: 1 / keepProbability.
    public let scale: Float
    /// Columns of a row: 784 for `.unitRows`, the hidden units for `.inputRows`.
    public var columns: Int { Self.columns(of: layout) }

    static func columns(of layout: Layout) -> Int {
        switch layout {
        case .unitRows: ModelConfig.inputs
        case .inputRows(let hidden): hidden
        }
    }
    /// Random words that one row of one mask uses.
    public let wordsPerRow: Int
    /// Counters between the first words of consecutive rows (a multiple of 8).
    public let rowStride: Int

    /// Creates the masks for drop probability `dropP` under `seed`.
    ///
    /// At p = 0.5 each connection takes one random bit; otherwise a byte, and p is rounded to a
    /// multiple of 1/256 (`keepProbability` says what it became).
    ///
    /// - Parameters:
    ///   - dropP: The probability of dropping a connection, 0 < p < 1.
    ///   - seed: The run's seed.
    ///   - layout: Whether rows are hidden units (per-batch masks) or pixels (per-example ones).
    public init(dropP: Float, seed: UInt64, layout: Layout = .unitRows) {
        self.seed = seed
        self.layout = layout
        let chunks = (Self.columns(of: layout) + 15) / 16
        // p = 0.5, the papers' and the usual choice, is exact with one random bit per
        // connection: an eighth of the random words that bytes take, and p not rounded
        if dropP == 0.5 {
            resolution = .bit
            byteThreshold = 128
            keepProbability = 0.5
            wordsPerRow = (chunks + 3) / 4
        } else {
            resolution = .byte
            let t = min(256, max(1, Self.keptOf256(dropP: dropP)))
            byteThreshold = UInt16(t)
            keepProbability = Float(t / 256)
            wordsPerRow = 2 * chunks
        }
        rowStride = (wordsPerRow + 7) / 8 * 8
        scale = 1 / keepProbability
    }

    /// Away from 0.5, the byte values of 256 that keep a connection at drop probability
    /// `dropP`: round((1 - p) * 256), before clamping to 1...256.
    static func keptOf256(dropP: Float) -> Double { ((1 - Double(dropP)) * 256).rounded() }

    /// Why DropConnect cannot train at drop probability `dropP` (given as `given`, e.g.
    /// "--drop-p 0.001"), or nil.
    ///
    /// Away from 0.5 a connection is kept with a probability in steps of 1/256: a p below
    /// 1/512 rounds to keeping every connection, so the run would silently train without a
    /// regularizer, and one above 1 - 1/512 to keeping none.
    public static func problem(dropP: Float, given: String) -> String? {
        guard dropP > 0, dropP != 0.5 else { return nil }
        let threshold = keptOf256(dropP: dropP)
        guard threshold < 1 || threshold > 255 else { return nil }
        let rounded = threshold > 255 ? "0, dropping no connection" : "1, dropping every connection"
        return "\(given) rounds to \(rounded), under DropConnect: "
            + "its masks drop with a probability in steps of 1/256, so give a drop probability in [0.002, 0.998]"
    }

    /// The key of the mask example `example` uses at `step`; the per-batch mask uses
    /// `example: nil`.
    @inline(__always)
    public func key(step: UInt64, example: Int?) -> UInt64 {
        RandomStream.key(seed: seed, .dropConnect, step, example.map { UInt64($0) } ?? UInt64.max)
    }

    /// Whether the connection from pixel `input` to hidden unit `unit` is kept under mask
    /// `key`, wherever the layout puts it.
    public func keeps(key: UInt64, unit: Int, input: Int) -> Bool {
        switch layout {
        case .unitRows: keeps(key: key, row: unit, column: input)
        case .inputRows: keeps(key: key, row: input, column: unit)
        }
    }

    /// Whether (row, column) of mask `key` is kept: the plain reference.
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

    /// What the C kernels read: they generate row r's words for a key as
    /// `RandomStream.word(key:counter:)` at counters r * rowStride ..< r * rowStride +
    /// wordsPerRow, and unpack them as `keeps` does.
    var kernelLayout: AEDropConnect {
        AEDropConnect(row_stride: rowStride, bit_resolution: resolution == .bit ? 1 : 0,
                      threshold: Int32(byteThreshold), scale: scale)
    }
}

/// The nonzero pixels of a batch of images, by example: what the per-example DropConnect
/// kernels read instead of the images.
///
/// Example b's are entries b * 784 ..< b * 784 + counts[b] of `indices` (increasing) and
/// `values`.
public final class NonzeroPixels: @unchecked Sendable {
    /// The most images a fill may hold.
    public let capacity: Int
    let indices: UnsafeMutablePointer<Int32>
    let values: FloatBuffer
    let counts: UnsafeMutablePointer<Int32>

    /// Allocates room for `capacity` images' nonzero pixels.
    public init(capacity: Int) {
        self.capacity = capacity
        indices = .allocate(capacity: max(capacity, 1) * ModelConfig.inputs)
        indices.initialize(repeating: 0, count: max(capacity, 1) * ModelConfig.inputs)
        values = FloatBuffer(count: max(capacity, 1) * ModelConfig.inputs)
        counts = .allocate(capacity: max(capacity, 1))
        counts.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit {
        indices.deallocate()
        counts.deallocate()
    }

    /// The bytes of the buffers for `capacity` examples: indices and values, 784 each,
    /// and the counts.
    static func bytes(capacity: Int) -> Int { 8 * max(capacity, 1) * ModelConfig.inputs + 4 * max(capacity, 1) }
    /// The same, read off the buffers (the indices as many as the values).
    var allocatedBytes: Int { 8 * values.count + 4 * max(capacity, 1) }

    /// Finds the nonzero pixels of `examples` of x, the batch's images: x (batch, 784).
    public func collect(_ x: UnsafePointer<Float>, examples: Range<Int>, kernels: Kernels = .current) {
        precondition(examples.upperBound <= capacity)
        let n = ModelConfig.inputs, first = examples.lowerBound
        kernels.table.nonzero_pixels(x + first * n, examples.count, indices + first * n, values.pointer + first * n,
                                     counts + first)
    }

    /// Example b's pixels, (index, value) in increasing index.
    public func pixels(of b: Int) -> [(index: Int, value: Float)] {
        (0..<Int(counts[b])).map { (Int(indices[b * ModelConfig.inputs + $0]),
                                    values.pointer[b * ModelConfig.inputs + $0]) }
    }
}

/// The nonzero pixels of a batch of images by pixel, for the backward kernel, which sums
/// each pixel's examples: pixel i's examples (increasing) and values are entries i * batch
/// ..< i * batch + counts[i] of `examples` and `values`, where batch is the one `fill` was
/// given.
///
/// Pixel ranges fill independently, so the threads of a step each fill their share of one.
public final class PixelColumns: @unchecked Sendable {
    let examples: UnsafeMutablePointer<Int32>
    let values: FloatBuffer
    let counts: UnsafeMutablePointer<Int32>
    let capacity: Int
    /// Whether pixels 2k and 2k + 1 are filled as a pair: both rows list the examples that
    /// light either, each pixel's values 0 where it is dark (what the AVX-512 level's
    /// backward kernel walks at the bit resolution: `DropConnectKernels.walksPixelPairs`).
    public let pairs: Bool

    /// Allocates room for the pixels of up to `capacity` images, filled in pairs of pixels
    /// when `pairs`.
    public init(capacity: Int, pairs: Bool = false) {
        self.capacity = capacity
        self.pairs = pairs
        let n = ModelConfig.inputs
        examples = .allocate(capacity: max(capacity, 1) * n)
        examples.initialize(repeating: 0, count: max(capacity, 1) * n)
        values = FloatBuffer(count: max(capacity, 1) * n)
        counts = .allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
    }

    deinit {
        examples.deallocate()
        counts.deallocate()
    }

    /// The bytes of the buffers for `capacity` examples: examples and values, `capacity`
    /// for each pixel, and the counts.
    static func bytes(capacity: Int) -> Int { (8 * max(capacity, 1) + 4) * ModelConfig.inputs }
    /// The same, read off the buffers (the examples as many as the values).
    var allocatedBytes: Int { 8 * values.count + 4 * ModelConfig.inputs }

    /// Finds the examples that light each pixel of `pixels` among the first `batch` images
    /// of x: x (batch, 784). Filled in pairs, `pixels` starts and ends on an even pixel.
    ///
    /// A scan of x's columns, written without a branch: unlike a counting sort of the
    /// examples' pixel lists, it splits across threads by pixel with nothing shared between
    /// them.
    public func fill(from x: UnsafePointer<Float>, batch: Int, pixels: Range<Int> = 0..<ModelConfig.inputs,
                     kernels: Kernels = .current) {
        precondition(batch <= capacity && pixels.lowerBound >= 0 && pixels.upperBound <= ModelConfig.inputs)
        precondition(!pairs || (pixels.lowerBound % 2 == 0 && pixels.upperBound % 2 == 0), "pixel pairs split")
        kernels.table.pixel_columns(x, batch, pixels.lowerBound, pixels.upperBound, pairs ? 1 : 0, examples,
                                    values.pointer, counts)
    }

    /// Pixel i's examples and values, in increasing example order, as filled for `batch`
    /// (in pairs, the entries of the examples that light it).
    public func column(_ i: Int, batch: Int) -> [(example: Int, value: Float)] {
        entries(i, batch: batch).filter { !pairs || $0.value != 0 }
    }

    /// Pixel i's entries as filled, zeros of a pair included.
    public func entries(_ i: Int, batch: Int) -> [(example: Int, value: Float)] {
        (0..<Int(counts[i])).map { (Int(examples[i * batch + $0]), values.pointer[i * batch + $0]) }
    }
}

/// The DropConnect encoder products with a mask per example, over each image's nonzero
/// pixels, with masks in the `.inputRows` layout (a row per pixel).
public enum DropConnectKernels {
    /// Whether the backward kernel reads pixel columns filled in pairs (`PixelColumns.pairs`):
    /// at the AVX-512 level's bit resolution (a drop probability of 0.5), where it walks two
    /// pixels' examples at once, loading each example's row of dz1 for both. Its other loops
    /// and levels read either fill, but a pair's dark entries would only add zeros there.
    public static func walksPixelPairs(mask: DropConnectMask, kernels: Kernels) -> Bool {
        kernels.level == .avx512 && mask.resolution == .bit
    }

    /// z1[b, j] = scale * sum_i mask_b[i, j] * w1[j, i] * x[b, i] for examples b in
    /// `examples` and every unit j, from their `pixels` (collected from x) and w1t = w1^T.
    /// keys: (batch), w1t: (784, hidden), at least 16 floats more -> z1: (batch, hidden);
    /// bias not added.
    public static func forward(mask: DropConnectMask, keys: UnsafePointer<UInt64>, pixels: NonzeroPixels,
                               examples: Range<Int>, w1t: UnsafePointer<Float>, z1: UnsafeMutablePointer<Float>,
                               hidden: Int, kernels: Kernels = .current) {
        precondition(mask.layout == .inputRows(hidden: hidden))
        var layout = mask.kernelLayout
        let n = ModelConfig.inputs, first = examples.lowerBound
        kernels.table.dropconnect_forward(&layout, keys + first, pixels.indices + first * n,
                                          pixels.values.pointer + first * n,
                                          pixels.counts + first, w1t, z1 + first * hidden, examples.count, hidden)
    }

    /// gw1[j, i] = scale * sum_b dz1[b, j] * mask_b[i, j] * x[b, i] for units j in `units`,
    /// over the examples of `columns` (filled from x for `batch` images, every pixel),
    /// regenerating the forward pass's masks; overwrites those rows of gw1.
    ///
    /// The sums go to those columns of gw1t first, then are transposed into gw1. dz1:
    /// (batch, hidden), at least 16 floats more; gw1t: (784, hidden) scratch -> gw1:
    /// (hidden, 784).
    public static func backward(mask: DropConnectMask, keys: UnsafePointer<UInt64>, columns: PixelColumns, batch: Int,
                                dz1: UnsafePointer<Float>, gw1t: UnsafeMutablePointer<Float>,
                                gw1: UnsafeMutablePointer<Float>,
                                hidden: Int, units: Range<Int>, kernels: Kernels = .current) {
        precondition(mask.layout == .inputRows(hidden: hidden) && batch <= columns.capacity)
        guard !units.isEmpty else { return }
        var layout = mask.kernelLayout
        kernels.table.dropconnect_backward(&layout, keys, columns.examples, columns.values.pointer,
                                           columns.counts, batch, columns.pairs ? 1 : 0, dz1,
                                           gw1t, hidden, units.lowerBound, units.upperBound)
        Matrix.transpose(gw1t, rows: ModelConfig.inputs, columns: hidden, into: gw1, rowsOfResult: units,
                         kernels: kernels)
    }

    /// The plain reference for `forward`: scalar loops over every pixel and
    /// `mask.keeps`, in Double. x: (batch, 784), w1: (hidden, 784) -> z1: (batch, hidden).
    public static func forwardNaive(mask: DropConnectMask, keys: [UInt64], x: [Float], w1: [Float],
                                    batch: Int, hidden: Int) -> [Float] {
        let n = ModelConfig.inputs
        var z = [Float](repeating: 0, count: batch * hidden)
        for b in 0..<batch {
            for j in 0..<hidden {
                var sum = 0.0
                for i in 0..<n where mask.keeps(key: keys[b], unit: j, input: i) {
                    sum += Double(w1[j * n + i]) * Double(x[b * n + i])
                }
                z[b * hidden + j] = Float(sum * Double(mask.scale))
            }
        }
        return z
    }

    /// The plain reference for `backward`: gw1 (hidden, 784).
    public static func backwardNaive(mask: DropConnectMask, keys: [UInt64], x: [Float], dz1: [Float],
                                     batch: Int, hidden: Int) -> [Float] {
        let n = ModelConfig.inputs
        var g = [Double](repeating: 0, count: hidden * n)
        for b in 0..<batch {
            for j in 0..<hidden {
                for i in 0..<n where mask.keeps(key: keys[b], unit: j, input: i) {
                    g[j * n + i] += Double(dz1[b * hidden + j]) * Double(x[b * n + i]) * Double(mask.scale)
                }
            }
        }
        return g.map { Float($0) }
    }

    /// Writes scale * mask ⊙ w1 for the one mask `key` shared by a whole batch (layout
    /// `.unitRows`), for `rows`. w1: (hidden, 784) -> out: (hidden, 784); `out` may be `w1`.
    public static func maskWeights(mask: DropConnectMask, key: UInt64, w1: UnsafePointer<Float>,
                                   out: UnsafeMutablePointer<Float>, rows: Range<Int>, kernels: Kernels = .current) {
        precondition(mask.layout == .unitRows)
        var layout = mask.kernelLayout
        kernels.table.dropconnect_mask_weights(&layout, key, w1, out, rows.lowerBound, rows.upperBound)
    }
}
