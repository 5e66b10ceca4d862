/// Products that skip the zeros dropout leaves in the hidden layer.
///
/// With ReLU units and dropout at p = 0.5, about 85% of the dropped hidden activations hd
/// are zero while training (half the units are dropped, and about 70% of the rest are
/// inactive), and so is dL/dz1 wherever hd is. Three of a step's five products read one
/// of them: the decoder z2 = hd w2^T, the backward dhd = dz2 w2 (needed only where the
/// gate is non-zero) and the encoder gradient dw1 = dz1^T x. Computed row by row over the
/// non-zero entries only, they cost a fraction of the dense products. Each result is the
/// same sum as the dense product's, over the same non-zero terms, up to rounding.
///
/// The kernels are the C target's (`Kernels`), rows of 784 floats in 7 blocks of 7
/// vectors accumulated in registers; the `Naive` functions beside them are the plain
/// references they are tested against.
public enum SparseProducts {
    static let n = ModelConfig.inputs

    /// out = sum over k of c[k * stride] * rows[k], over the k < count with c != 0.
    ///
    /// c: count coefficients `stride` apart; rows: (count, 784) -> out: (784).
    /// `indices` and `values` are scratch for `count` entries.
    @inline(__always)
    public static func combineRows(_ c: UnsafePointer<Float>, stride: Int, count: Int,
                                   rows: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                   indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>,
                                   kernels: Kernels = .current) {
        kernels.table.combine_rows(c, stride, count, rows, out, indices, values)
    }

    /// The plain reference for `combineRows`, summed in Double.
    public static func combineRowsNaive(_ c: [Float], stride: Int, count: Int, rows: [Float]) -> [Float] {
        (0..<n).map { i in
            var sum = 0.0
            for k in 0..<count { sum += Double(c[k * stride]) * Double(rows[k * n + i]) }
            return Float(sum)
        }
    }

    /// out[j] = dot(v, rows[j]) where select[j] != 0, and 0 elsewhere, for j < count.
    ///
    /// v: (784), rows: (count, 784), select: (count) -> out: (count).
    /// `indices` (count entries) is scratch.
    @inline(__always)
    public static func selectedDots(_ v: UnsafePointer<Float>, rows: UnsafePointer<Float>,
                                    select: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                                    indices: UnsafeMutablePointer<Int32>, kernels: Kernels = .current) {
        kernels.table.selected_dots(v, rows, select, count, out, indices)
    }

    /// The plain reference for `selectedDots`, summed in Double.
    public static func selectedDotsNaive(_ v: [Float], rows: [Float], select: [Float], count: Int) -> [Float] {
        (0..<count).map { j in
            guard select[j] != 0 else { return 0 }
            var sum = 0.0
            for i in 0..<n { sum += Double(v[i]) * Double(rows[j * n + i]) }
            return Float(sum)
        }
    }
}
