import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The kernels' own dense product (`Matrix.multiplyKernel`) at every kernel level the CPU
/// runs, against the plain triple loop in Double (`BLAS.sgemmNaive`).
@Suite struct MultiplyTests {
    /// Shapes with whole tiles and with every kind of tail: rows that are not a multiple
    /// of any level's tile (12, 6, 2), columns that end inside a vector (186, the active
    /// units of a packed step; 784 = 49 x 16), a last panel of one vector or less (170 and
    /// 75: 10 and 11 columns after whole panels of 32; 784: 16), a single row or column,
    /// depth 0 and 1; a or its transpose; row strides wider than the matrices; a b larger
    /// than the kernel's `PREFETCHED_B` (400 x 703 floats), whose tiles ask for the next
    /// panel's rows ahead.
    static let shapes: [(m: Int, n: Int, k: Int, transA: Bool)] = [
        (64, 256, 784, false), (13, 186, 129, false), (1, 1, 1, false), (25, 784, 128, true),
        (7, 33, 5, true), (12, 32, 0, false), (392, 186, 128, true), (5, 17, 784, false),
        (30, 170, 77, false), (26, 75, 40, true), (14, 700, 400, false),
    ]

    /// Each entry is a sum of k products, accumulated in float: its rounding error is at
    /// most about k x 2^-24 x sum |a_i b_i| (each of the k additions and the k products
    /// rounds once, relative 2^-24), so the test allows (2k + 1) x 2^-24 x that sum per
    /// entry, computed in Double beside the reference. Entries outside c's m x n block
    /// (the padding of the wider row stride) must keep their sentinel.
    @Test(arguments: KernelLevel.supported)
    func multiplyMatchesTheTripleLoop(level: KernelLevel) {
        for (index, shape) in Self.shapes.enumerated() {
            for transposedC in [false, true] {
                check(shape, transposedC: transposedC, level: level, seed: UInt64(index))
            }
        }
    }

    /// The same with b's rows read through a list (`bRows`): the packed decoder reads the
    /// active units' rows of hd^T so. Every other row of a taller b, backwards.
    @Test(arguments: KernelLevel.supported)
    func multiplyReadsBsRowsThroughTheList(level: KernelLevel) {
        for (index, shape) in Self.shapes.enumerated() {
            check(shape, transposedC: index % 2 == 0, level: level, seed: UInt64(index), listed: true)
        }
    }

    /// c^T at a row stride that is a multiple of 128 floats (z1's, hidden units wide): the
    /// kernel computes such a product in blocks of rows and copies each block's rows out.
    /// Rows that end inside a block and inside a tile, columns inside a vector, a listed b.
    @Test(arguments: KernelLevel.supported)
    func transposedProductThroughBlocks(level: KernelLevel) {
        let cases: [(shape: (m: Int, n: Int, k: Int, transA: Bool), ldc: Int)] = [
            ((200, 40, 33, false), 256), ((392, 64, 100, true), 512),
        ]
        for (index, test) in cases.enumerated() {
            for listed in [false, true] {
                check(test.shape, transposedC: true, level: level, seed: UInt64(20 + index), listed: listed,
                      ldc: test.ldc)
            }
        }
    }

    func check(_ s: (m: Int, n: Int, k: Int, transA: Bool), transposedC: Bool, level: KernelLevel, seed: UInt64,
               listed: Bool = false, ldc givenLdc: Int? = nil) {
        var rng = TestRandom(seed + 77)
        // a as stored: (m, k), or (k, m) when transposed; row strides 3 wider than needed
        let (aRows, aColumns) = s.transA ? (s.k, s.m) : (s.m, s.k)
        let lda = aColumns + 3, ldb = s.n + 3
        let (cRows, cColumns) = transposedC ? (s.n, s.m) : (s.m, s.n)
        let ldc = givenLdc ?? cColumns + 3
        let a = rng.floats(max(1, aRows * lda), -1, 1)
        // listed: row p of b is row 2 (k - 1 - p) of the stored matrix
        let rows: [Int32] = (0..<s.k).map { Int32(2 * (s.k - 1 - $0)) }
        let stored = rng.floats(max(1, (listed ? 2 * s.k : s.k) * ldb), -1, 1)
        var b = stored
        if listed { b = (0..<s.k).flatMap { p in stored[Int(rows[p]) * ldb ..< (Int(rows[p]) + 1) * ldb] } }
        let sentinel: Float = -7
        var c = [Float](repeating: sentinel, count: cRows * ldc)
        rows.withUnsafeBufferPointer { list in
            Matrix.multiplyKernel(transA: s.transA, m: s.m, n: s.n, k: s.k, a: a, lda: lda, b: listed ? stored : b,
                                  ldb: ldb, bRows: listed ? list.baseAddress : nil, c: &c, ldc: ldc,
                                  transposedC: transposedC, kernels: Kernels(level))
        }
        var worst = 0.0, wrong = 0, stray = 0
        for i in 0..<cRows {
            for j in 0..<ldc {
                let value = c[i * ldc + j]
                guard j < cColumns else {
                    if value != sentinel { stray += 1 }
                    continue
                }
                let (r, column) = transposedC ? (j, i) : (i, j)
                var sum = 0.0, magnitude = 0.0
                for p in 0..<s.k {
                    let x = Double(s.transA ? a[p * lda + r] : a[r * lda + p]), y = Double(b[p * ldb + column])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let allowed = Double(2 * s.k + 1) * 0x1p-24 * magnitude
                let error = abs(Double(value) - sum)
                worst = worse(worst, error)
                if !(error <= allowed) { wrong += 1 } // a NaN too
            }
        }
        #expect(wrong == 0 && stray == 0, """
            \(level) \(s) transposedC \(transposedC) listed \(listed): \(wrong) entries beyond (2k + 1) 2^-24 sum|ab| \
            (largest difference \(worst)), \(stray) written outside c
            """)
    }

    /// The products the training step runs through `Matrix.multiply` take the kernel only at
    /// the AVX-512 level: up to `ownProductColumns` columns, and above where every row of b
    /// starts on a 64-byte line; BLAS otherwise.
    @Test func ownProductOnlyWhereItMeasuredFaster() {
        let b = FloatBuffer(count: 2 * 4112 + 16) // 64-byte aligned
        for level in KernelLevel.supported {
            let kernels = Kernels(level), avx512 = level == .avx512
            #expect(Matrix.usesOwnProduct(columns: 256, kernels: kernels) == avx512)
            #expect(!Matrix.usesOwnProduct(columns: 4096, kernels: kernels))
            #expect(Matrix.usesOwnProduct(columns: 186, b: b.pointer + 1, ldb: 187, kernels: kernels) == avx512)
            #expect(Matrix.usesOwnProduct(columns: 4096, b: b.pointer, ldb: 4096, kernels: kernels) == avx512)
            #expect(Matrix.usesOwnProduct(columns: 4100, b: b.pointer, ldb: 4112, kernels: kernels) == avx512)
            #expect(!Matrix.usesOwnProduct(columns: 4100, b: b.pointer, ldb: 4100, kernels: kernels))
            #expect(!Matrix.usesOwnProduct(columns: 4096, b: b.pointer + 4, ldb: 4096, kernels: kernels))
        }
    }

    /// A product wider than `ownProductColumns` through `Matrix.multiply`, b's rows on
    /// lines: the triple loop's sums within (2k + 1) 2^-24 sum|ab|, and at the AVX-512 level
    /// the kernel's own bits. OpenBLAS splits a depth of 520 into blocks whose partial
    /// sums it adds to c, and so rounds differently (the test fails when `multiply` runs BLAS
    /// here).
    @Test(arguments: KernelLevel.supported)
    func wideProductOnLinesRunsTheKernel(level: KernelLevel) {
        let (m, n, k, ldb) = (2, 1040, 520, 1056)
        var rng = TestRandom(91)
        let a = rng.floats(m * k, -1, 1), b = FloatBuffer(count: k * ldb)
        for (i, value) in rng.floats(k * ldb, -1, 1).enumerated() { b.pointer[i] = value }
        var viaMultiply = [Float](repeating: 0, count: m * n), viaKernel = viaMultiply
        let kernels = Kernels(level)
        Matrix.multiply(transA: false, m: m, n: n, k: k, a: a, lda: k, b: b.pointer, ldb: ldb, c: &viaMultiply,
                        ldc: n, kernels: kernels)
        Matrix.multiplyKernel(transA: false, m: m, n: n, k: k, a: a, lda: k, b: b.pointer, ldb: ldb, c: &viaKernel,
                              ldc: n, kernels: kernels)
        var worst = 0.0, wrong = 0
        for r in 0..<m {
            for column in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let product = Double(a[r * k + p]) * Double(b.pointer[p * ldb + column])
                    sum += product
                    magnitude += abs(product)
                }
                let error = abs(Double(viaMultiply[r * n + column]) - sum)
                worst = worse(worst, error)
                if !(error <= Double(2 * k + 1) * 0x1p-24 * magnitude) { wrong += 1 }
            }
        }
        #expect(wrong == 0, "\(level): \(wrong) entries beyond (2k + 1) 2^-24 sum|ab| (largest difference \(worst))")
        if level == .avx512 {
            let differ = zip(viaMultiply, viaKernel).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "\(differ) entries differ from the kernel's")
        }
    }
    /// A c of 4 MB or more (the kernel's `STREAMED_C`), rows on 64-byte lines: at the
    /// AVX-512 level the kernel stores its whole vectors past the caches. The same bits as
    /// the same product computed in pieces of rows below that size (plain stores), which
    /// the triple loop checks as above; columns that end inside a panel and a vector (1000)
    /// are stored plainly beside them; the row padding keeps its sentinel.
    @Test(arguments: KernelLevel.supported)
    func largeProductStoredPastTheCaches(level: KernelLevel) {
        let (m, n, k, ldc) = (1030, 1000, 5, 1024)
        var rng = TestRandom(93)
        let a = rng.floats(m * k, -1, 1), b = rng.floats(k * n, -1, 1)
        let sentinel: Float = -7
        let whole = FloatBuffer(count: m * ldc, value: sentinel), pieces = FloatBuffer(count: m * ldc, value: sentinel)
        let kernels = Kernels(level)
        Matrix.multiplyKernel(transA: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: whole.pointer, ldc: ldc,
                              kernels: kernels)
        for first in stride(from: 0, to: m, by: 100) {
            let rows = min(100, m - first)
            a.withUnsafeBufferPointer { a in
                Matrix.multiplyKernel(transA: false, m: rows, n: n, k: k, a: a.baseAddress! + first * k, lda: k, b: b,
                                      ldb: n, c: pieces.pointer + first * ldc, ldc: ldc, kernels: kernels)
            }
        }
        var differ = 0, wrong = 0, stray = 0, worst = 0.0
        for r in 0..<m {
            for column in 0..<ldc {
                let value = whole.pointer[r * ldc + column]
                guard column < n else {
                    if value != sentinel { stray += 1 }
                    continue
                }
                if value.bitPattern != pieces.pointer[r * ldc + column].bitPattern { differ += 1 }
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let product = Double(a[r * k + p]) * Double(b[p * n + column])
                    sum += product
                    magnitude += abs(product)
                }
                let error = abs(Double(value) - sum)
                worst = worse(worst, error)
                if !(error <= Double(2 * k + 1) * 0x1p-24 * magnitude) { wrong += 1 }
            }
        }
        #expect(differ == 0 && wrong == 0 && stray == 0, """
            \(level): \(differ) entries differ from the product in pieces, \(wrong) beyond (2k + 1) 2^-24 sum|ab| \
            (largest difference \(worst)), \(stray) written outside c
            """)
    }
}
