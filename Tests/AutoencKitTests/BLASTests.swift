import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The BLAS product against the plain triple loop it must agree with.
@Suite struct BLASTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var m: Int, n: Int, k: Int
        var transA: Bool, transB: Bool
        var alpha: Float, beta: Float
        /// Extra row stride beyond what the stored matrices need.
        var padding: Int
        var testDescription: String {
            let a = transA ? "Aᵀ" : "A", b = transB ? "Bᵀ" : "B"
            return "m=\(m) n=\(n) k=\(k) \(a)\(b) alpha=\(alpha) beta=\(beta) pad=\(padding)"
        }
    }

    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (7, 13, 29), (16, 16, 16), (33, 5, 17),
        // the model's products at batch 4: encoder, decoder, and both weight gradients
        (4, 256, 784), (4, 784, 256), (784, 256, 4), (256, 784, 4),
    ]

    static var cases: [Case] {
        var all: [Case] = []
        for (i, (m, n, k)) in shapes.enumerated() {
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.75, -0.5)] {
                        all.append(Case(m: m, n: n, k: k, transA: transA, transB: transB,
                                        alpha: alpha, beta: beta, padding: i % 2 == 0 ? 0 : 3))
                    }
                }
            }
        }
        return all
    }

    @Test(arguments: cases)
    func sgemmMatchesNaive(_ c: Case) {
        // Stored shapes: A is (m, k) or, transposed, (k, m); B is (k, n) or (n, k).
        let aRows = c.transA ? c.k : c.m, aCols = c.transA ? c.m : c.k
        let bRows = c.transB ? c.n : c.k, bCols = c.transB ? c.k : c.n
        let lda = aCols + c.padding, ldb = bCols + c.padding, ldc = c.n + c.padding
        var rng = TestRandom(UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
        let a = rng.floats(aRows * lda, -1, 1)
        let b = rng.floats(bRows * ldb, -1, 1)
        let c0 = rng.floats(c.m * ldc, -1, 1)
        var fast = c0, naive = c0, magnitude = c0.map { abs($0) }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                BLAS.sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                           a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: c.beta,
                           c: &fast, ldc: ldc)
                BLAS.sgemmNaive(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                                a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: c.beta,
                                c: &naive, ldc: ldc)
            }
        }
        // The scale each entry's rounding error is relative to: |alpha| |A||B| + |beta| |C|.
        let absA = a.map { abs($0) }, absB = b.map { abs($0) }
        absA.withUnsafeBufferPointer { a in
            absB.withUnsafeBufferPointer { b in
                BLAS.sgemmNaive(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: abs(c.alpha),
                                a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: abs(c.beta),
                                c: &magnitude, ldc: ldc)
            }
        }
        let tolerance: Float = 1e-5
        var worst: Float = 0, worstAt = (0, 0)
        for i in 0..<c.m {
            for j in 0..<c.n {
                let e = abs(fast[i * ldc + j] - naive[i * ldc + j]) / max(magnitude[i * ldc + j], 1e-30)
                if e > worst || e.isNaN { worst = e; worstAt = (i, j) }
            }
        }
        let at = worstAt.0 * ldc + worstAt.1
        #expect(worst <= tolerance,
                """
                largest relative difference \(worst) at (\(worstAt.0), \(worstAt.1)): \(fast[at]) vs \(naive[at]); \
                first \(Array(fast.prefix(4))) vs \(Array(naive.prefix(4)))
                """)
        // Padding columns of C are never written.
        for i in 0..<c.m {
            for j in c.n..<ldc {
                #expect(fast[i * ldc + j] == c0[i * ldc + j], "padding at (\(i), \(j)) changed")
            }
        }
    }

    /// beta = 0 must ignore C entirely, even NaN left in it (BLAS's contract).
    @Test(arguments: [false, true])
    func betaZeroIgnoresGarbage(naive: Bool) {
        let m = 3, n = 5, k = 4
        let a = [Float](repeating: 1, count: m * k), b = [Float](repeating: 2, count: k * n)
        var c = [Float](repeating: .nan, count: m * n)
        if naive {
            BLAS.sgemmNaive(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                            beta: 0, c: &c, ldc: n)
        } else {
            BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0,
                       c: &c, ldc: n)
        }
        #expect(c == [Float](repeating: 8, count: m * n), "\(c)")
    }

    /// A hand-computed 2x2 product, so the reference itself is checked.
    @Test func naiveReferenceByHand() {
        let a: [Float] = [1, 2, 3, 4] // (2, 2)
        let b: [Float] = [5, 6, 7, 8]
        var c: [Float] = [1, 1, 1, 1]
        BLAS.sgemmNaive(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 2, a: a, lda: 2, b: b, ldb: 2, beta: 3,
                        c: &c, ldc: 2)
        #expect(c == [41, 47, 89, 103])
        var t: [Float] = [0, 0, 0, 0]
        BLAS.sgemmNaive(transA: true, transB: true, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2, beta: 0,
                        c: &t, ldc: 2)
        // Aᵀ Bᵀ = (B A)ᵀ: [[1*5+3*6, 1*7+3*8], [2*5+4*6, 2*7+4*8]]
        #expect(t == [23, 31, 34, 46])
    }
}
