/// Matrix transposes: the vector kernels' (`Kernels`) beside their plain reference.
///
/// The training step transposes w2 for the sparse products, w1 for per-example DropConnect,
/// and their gradients back.
public enum Matrix {
    /// Rows `rowsOfResult` of b = a^T.
    ///
    /// a: (rows, columns) -> b: (columns, rows), row stride `ldb` (default `rows`; wider
    /// writes a's transpose into the first columns of a wider matrix). AVX-512 moves 16 x 16
    /// tiles through vector permutes, AVX2 8 x 8 tiles through unpacks and shuffles; the
    /// other rows and columns, and the generic level, copy element by element.
    public static func transpose(_ a: UnsafePointer<Float>, rows: Int, columns: Int,
                                 into b: UnsafeMutablePointer<Float>, ldb: Int? = nil, rowsOfResult: Range<Int>,
                                 kernels: Kernels = .current) {
        precondition((ldb ?? rows) >= rows)
        kernels.table.transpose(a, rows, columns, b, ldb ?? rows, rowsOfResult.lowerBound, rowsOfResult.upperBound)
    }

    /// The plain reference for `transpose`: every element of b = a^T.
    public static func transposeNaive(_ a: [Float], rows: Int, columns: Int) -> [Float] {
        var b = [Float](repeating: 0, count: rows * columns)
        for p in 0..<rows {
            for q in 0..<columns { b[q * rows + p] = a[p * columns + q] }
        }
        return b
    }
}
