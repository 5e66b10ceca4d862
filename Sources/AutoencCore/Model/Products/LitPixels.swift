/// The encoder gradient dw1 = dz1^T xd over the lit pixels: for each group of 4
/// neighbouring pixels, only the examples in which one of them is not zero.
///
/// About half of Fashion-MNIST's pixels are zero in an image, four fifths of MNIST's, but
/// hardly any in a whole minibatch (1.5% of Fashion-MNIST's in 128 images), so the dense
/// product, whose tiles run each term for 32 pixels or units at once, has nothing to skip.
/// A tile of 4 neighbouring pixels by up to 96 units (24 at AVX2) skips the examples that
/// leave all 4 dark: 40% of them on Fashion-MNIST, where a single pixel is dark in 50%.
/// Each entry is the dense product's sum in the same order (over the examples, one
/// multiply-add per term) without terms that are zero, so at the AVX-512 level, where the
/// dense product is the kernels' own, the two agree bit for bit. At AVX2 the dense product
/// is OpenBLAS's, whose order differs: there the gradient changes in its last bits.
///
/// Per step the threads find each group's examples, each for a share of the 196 groups
/// (`fill`, in the packed layout's decoder phase), copying each one's 4 pixels beside it,
/// then, in the gradient phase, each computes its rows of dw1 (`encoderGradient`) from
/// those copies: a group's pixels in a row of 16 bytes an example, not a line of xd each.
public final class PixelGroups: @unchecked Sendable {
    /// The groups of 4 pixels in an image.
    public static let count = ModelConfig.inputs / 4
    let examples: UnsafeMutablePointer<Int32>
    /// Beside each group's examples, their 4 pixels: group g's e-th at 4 (g batch + e),
    /// for the batch last filled.
    let values: FloatBuffer
    let counts: UnsafeMutablePointer<Int32>
    let capacity: Int

    /// Allocates room for the groups of up to `capacity` images.
    public init(capacity: Int) {
        self.capacity = capacity
        examples = .allocate(capacity: max(capacity, 1) * Self.count)
        examples.initialize(repeating: 0, count: max(capacity, 1) * Self.count)
        values = FloatBuffer(count: max(capacity, 1) * ModelConfig.inputs)
        counts = .allocate(capacity: Self.count)
        counts.initialize(repeating: 0, count: Self.count)
    }

    deinit {
        examples.deallocate()
        counts.deallocate()
    }

    /// The bytes of the buffers for `capacity` examples: an example list per group, their
    /// pixels, and the counts.
    static func bytes(capacity: Int) -> Int { 4 * (max(capacity, 1) * 5 + 1) * count }
    /// The same, read off the buffers.
    var allocatedBytes: Int { Self.bytes(capacity: capacity) }

    /// Finds the examples that light each group of `groups` among the first `batch` images
    /// of x: x (batch, 784). Group ranges fill independently, so threads fill disjoint
    /// ones at once.
    public func fill(from x: UnsafePointer<Float>, batch: Int, groups: Range<Int> = 0..<count,
                     kernels: Kernels = .current) {
        precondition(batch <= capacity && groups.lowerBound >= 0 && groups.upperBound <= Self.count)
        kernels.table.pixel_groups(x, batch, groups.lowerBound, groups.upperBound, examples, values.pointer, counts)
    }

    /// Group g's examples, in increasing order, as filled for `batch`.
    public func group(_ g: Int, batch: Int) -> [Int] {
        (0..<Int(counts[g])).map { Int(examples[g * batch + $0]) }
    }

    /// The 4 pixels copied beside each of group g's examples, in the list's order, as
    /// filled for `batch`.
    public func pixels(_ g: Int, batch: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: values.pointer + 4 * g * batch, count: 4 * Int(counts[g])))
    }

    /// c[r, k] = sum over b < batch of a[b, r] * x[b, k] for r < rows and every pixel k:
    /// row r of dw1 = dz1^T xd, over the examples that light k's group, x the images last
    /// filled (`fill`, with this `batch`). a: (batch, lda) -> row r of c, or with `rowList`
    /// row rowList[r] (784 floats, row stride ldc), overwritten.
    public func encoderGradient(batch: Int, a: UnsafePointer<Float>, lda: Int, rows: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, rowList: UnsafePointer<Int32>? = nil,
                                kernels: Kernels = .current) {
        guard rows > 0 else { return }
        precondition(batch <= capacity)
        kernels.table.lit_product(examples, values.pointer, counts, batch, a, lda, rows, c, ldc, rowList)
    }
}
