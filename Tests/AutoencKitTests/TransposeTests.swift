import Testing
@testable import AutoencCore
@testable import AutoencKit

/// `Matrix.transpose` at every kernel level the CPU runs, against its plain reference.
@Suite struct TransposeTests {
    /// A transpose moves values without arithmetic: exactly equal, for shapes with and
    /// without whole tiles (8 and 16), over all rows of the result or a range of them;
    /// rows of the result outside the range are untouched.
    @Test(arguments: KernelLevel.supported, [(rows: 784, columns: 40, first: 0, last: 40),
                                             (rows: 37, columns: 784, first: 392, last: 784),
                                             (rows: 21, columns: 19, first: 3, last: 18),
                                             (rows: 16, columns: 16, first: 0, last: 16)])
    func transposeMatchesNaive(level: KernelLevel, _ c: (rows: Int, columns: Int, first: Int, last: Int)) {
        var rng = TestRandom(UInt64(c.rows * 1000 + c.columns))
        let a = rng.floats(c.rows * c.columns, -1, 1)
        let sentinel: Float = -7
        var b = [Float](repeating: sentinel, count: c.rows * c.columns)
        Matrix.transpose(a, rows: c.rows, columns: c.columns, into: &b, rowsOfResult: c.first..<c.last,
                         kernels: Kernels(level))
        let naive = Matrix.transposeNaive(a, rows: c.rows, columns: c.columns)
        var wrong = 0, stray = 0
        for q in 0..<c.columns {
            for p in 0..<c.rows {
                let i = q * c.rows + p
                if (c.first..<c.last).contains(q) {
                    if b[i].bitPattern != naive[i].bitPattern { wrong += 1 }
                } else if b[i] != sentinel {
                    stray += 1
                }
            }
        }
        #expect(wrong == 0 && stray == 0,
                "\(level): \(wrong) entries differ from a^T, \(stray) written outside the rows asked for")
    }

    /// Into a wider matrix (row stride `ldb` > rows): the transpose fills the first `rows`
    /// columns of each row asked for, exactly, and leaves the rest as it was.
    @Test(arguments: KernelLevel.supported)
    func transposeIntoAWiderMatrix(level: KernelLevel) {
        let (rows, columns, ldb) = (37, 50, 45)
        var rng = TestRandom(5)
        let a = rng.floats(rows * columns, -1, 1)
        let sentinel: Float = -7
        var b = [Float](repeating: sentinel, count: columns * ldb)
        Matrix.transpose(a, rows: rows, columns: columns, into: &b, ldb: ldb, rowsOfResult: 0..<columns,
                         kernels: Kernels(level))
        var wrong = 0, stray = 0
        for q in 0..<columns {
            for p in 0..<ldb {
                if p < rows {
                    if b[q * ldb + p].bitPattern != a[p * columns + q].bitPattern { wrong += 1 }
                } else if b[q * ldb + p] != sentinel {
                    stray += 1
                }
            }
        }
        #expect(wrong == 0 && stray == 0, "\(level): \(wrong) entries differ from a^T, \(stray) written past them")
    }

    /// The naive transpose itself, on a 2 x 3 case written out by hand.
    @Test func naiveTransposeByHand() {
        #expect(Matrix.transposeNaive([1, 2, 3, 4, 5, 6], rows: 2, columns: 3) == [1, 4, 2, 5, 3, 6])
    }
}
