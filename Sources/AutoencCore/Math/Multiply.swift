/// The step's dense products that read their right-hand matrix row by row, c = op(a) b:
/// dhd = dz2 w2, dw1 = dz1^T xd and dw2 = dz2^T hd (and their packed forms).
extension Matrix {
    /// The most columns for which `multiply` runs the kernels' own product when b's rows
    /// do not all start on 64-byte lines. Its panel of b (depth x 32 floats) is read with
    /// b's row stride, and a row that starts inside a line splits a vector load across two
    /// in every row of the panel: dhd at 3300 units (13200 bytes apart), one thread, both
    /// threads at once, out of the caches, ran at 63-71 GFLOP/s against OpenBLAS's 79-82.
    public static let ownProductColumns = 1024

    /// Whether the step runs the kernels' own products at `kernels`' level: AVX-512 only.
    /// Measured on one thread of a Zen 4 at the step's shapes, the kernel ran at 103-111
    /// GFLOP/s where OpenBLAS's sgemm ran at 91-101; its AVX2 tile (6 x 16, all AVX2's 16
    /// registers hold) ran at 68-93 against OpenBLAS's Haswell kernels' 82-104, so AVX2
    /// machines keep BLAS.
    public static func hasOwnProduct(_ kernels: Kernels) -> Bool { kernels.level == .avx512 }

    /// Whether `multiply` runs the kernels' own product for `columns` columns: where
    /// `hasOwnProduct`, up to `ownProductColumns`.
    public static func usesOwnProduct(columns: Int, kernels: Kernels) -> Bool {
        hasOwnProduct(kernels) && columns <= ownProductColumns
    }

    /// Whether `multiply` runs the kernels' own product for `columns` columns of b (row
    /// stride ldb): as `usesOwnProduct(columns:kernels:)`, and at any width where every row
    /// of b starts on a 64-byte line (b on a line, ldb a multiple of 16 floats), as the
    /// packed layout's rows do (`PackedProducts.stride`). Both threads at once, out of
    /// the caches, Zen 4, the kernel against OpenBLAS 0.3.21: dhd = dz2 w2 at 3600 units
    /// 88-90 against 78-79 GFLOP/s a thread, at 4096 84-91 against 80-83; dw2 = dz2^T hd
    /// 93 against 88 at 3312 units and 93 against 97 at 4096. In the step at 4096 units
    /// (`autoenc bench --hidden 4096`, 6 alternated rounds) dhd's phase went from
    /// 4244-4508 to 3826-4160 µs a step and dw2's was about even.
    public static func usesOwnProduct(columns: Int, b: UnsafePointer<Float>, ldb: Int, kernels: Kernels) -> Bool {
        hasOwnProduct(kernels)
            && (columns <= ownProductColumns || ldb % 16 == 0 && Int(bitPattern: b) % 64 == 0)
    }

    /// c = op(a) b, overwriting c: op(a) is a (m, k) with row stride lda, or with
    /// `transA` the transpose of a (k, m) with row stride lda; b: (k, n), row stride ldb;
    /// c: (m, n), row stride ldc. The kernels' product where `usesOwnProduct(columns:b:ldb:kernels:)`,
    /// else BLAS.
    @inline(__always)
    public static func multiply(transA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                kernels: Kernels = .current) {
        if usesOwnProduct(columns: n, b: b, ldb: ldb, kernels: kernels) {
            multiplyKernel(transA: transA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                           kernels: kernels)
        } else {
            BLAS.sgemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
                       beta: 0, c: c, ldc: ldc)
        }
    }

    /// c = op(a) b by the kernels' own product at any level (`multiply`'s arguments): each
    /// entry a sum over k in order, one multiply-add per term; with `transposedC`, c^T
    /// (n, m), row stride ldc, is written instead; with `bRows` (k entries), b's row p is
    /// the row bRows[p] of the matrix at b. Tested against `BLAS.sgemmNaive`.
    @inline(__always)
    public static func multiplyKernel(transA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                      b: UnsafePointer<Float>, ldb: Int, bRows: UnsafePointer<Int32>? = nil,
                                      c: UnsafeMutablePointer<Float>, ldc: Int, transposedC: Bool = false,
                                      kernels: Kernels = .current) {
        guard m > 0, n > 0 else { return }
        kernels.table.multiply(a, transA ? 1 : lda, transA ? lda : 1, b, ldb, bRows, c, ldc, m, n, k,
                               transposedC ? 1 : 0)
    }
}
