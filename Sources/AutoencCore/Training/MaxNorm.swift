/// The max-norm constraint of Srivastava et al. (2014).
///
/// After each update, every hidden unit's incoming weight vector (a row of w1) whose L2
/// norm exceeds `c` is scaled back onto the ball of radius `c`; rows inside it are left
/// untouched.
public enum MaxNorm {
    /// Rescales rows `rows` of w1 whose norm is above `limit` to norm `limit`.
    ///
    /// The result is exact up to float rounding, a relative error of a few ulps.
    /// w1: (hidden, 784). The norm is accumulated in Double; O(|rows| x 784), no allocation.
    public static func apply(_ w1: UnsafeMutablePointer<Float>, rows: Range<Int>, limit: Float) {
        let n = ModelConfig.inputs
        for j in rows {
            let row = w1 + j * n
            var squares = 0.0
            for i in 0..<n { squares += Double(row[i]) * Double(row[i]) }
            let norm = squares.squareRoot()
            guard norm > Double(limit) else { continue }
            let factor = Float(Double(limit) / norm)
            for i in 0..<n { row[i] *= factor }
        }
    }

    /// The L2 norm of row `row` of w1, in Double.
    public static func norm(_ w1: UnsafePointer<Float>, row: Int) -> Double {
        let n = ModelConfig.inputs
        var squares = 0.0
        for i in 0..<n { squares += Double(w1[row * n + i]) * Double(w1[row * n + i]) }
        return squares.squareRoot()
    }
}
