#if AUTOENC_AVX512
import _Builtin_intrinsics.intel
#endif

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
/// Rows are 784 floats: 7 blocks of 7 vectors, each block accumulated in registers.
public enum SparseProducts {
    static let n = ModelConfig.inputs
    static let blockVectors = 7

    /// out = sum over k of c[k * stride] * rows[k], over the k < count with c != 0.
    /// c: count coefficients `stride` apart; rows: (count, 784) -> out: (784).
    /// `indices` and `values` are scratch for `count` entries.
    @inline(__always)
    public static func combineRows(_ c: UnsafePointer<Float>, stride: Int, count: Int,
                                   rows: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                   indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>) {
        var active = 0
        for k in 0..<count {
            let v = c[k * stride]
            if v != 0 {
                indices[active] = Int32(k)
                values[active] = v
                active += 1
            }
        }
        var block = 0
        while block < n {
            var a0 = Vec(), a1 = Vec(), a2 = Vec(), a3 = Vec(), a4 = Vec(), a5 = Vec(), a6 = Vec()
            for e in 0..<active {
                let v = Vec(repeating: values[e])
                let r = rows + Int(indices[e]) * n + block
                a0 += v * vload(r)
                a1 += v * vload(r + 16)
                a2 += v * vload(r + 32)
                a3 += v * vload(r + 48)
                a4 += v * vload(r + 64)
                a5 += v * vload(r + 80)
                a6 += v * vload(r + 96)
            }
            let o = out + block
            vstore(a0, o); vstore(a1, o + 16); vstore(a2, o + 32); vstore(a3, o + 48)
            vstore(a4, o + 64); vstore(a5, o + 80); vstore(a6, o + 96)
            block += 16 * blockVectors
        }
    }

    /// out[j] = dot(v, rows[j]) where select[j] != 0, and 0 elsewhere, for j < count.
    /// v: (784), rows: (count, 784), select: (count) -> out: (count).
    /// `indices` (count entries) and `scratch` (16 floats) are scratch.
    @inline(__always)
    public static func selectedDots(_ v: UnsafePointer<Float>, rows: UnsafePointer<Float>,
                                    select: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                                    indices: UnsafeMutablePointer<Int32>, scratch: UnsafeMutablePointer<Float>) {
        var active = 0
        for j in 0..<count {
            out[j] = 0
            if select[j] != 0 {
                indices[active] = Int32(j)
                active += 1
            }
        }
        var e = 0
        // four rows at a time share the loads of v
        while e + 4 <= active {
            let r0 = rows + Int(indices[e]) * n, r1 = rows + Int(indices[e + 1]) * n
            let r2 = rows + Int(indices[e + 2]) * n, r3 = rows + Int(indices[e + 3]) * n
            var s0 = Vec(), s1 = Vec(), s2 = Vec(), s3 = Vec()
            var i = 0
            while i < n {
                let x = vload(v + i)
                s0 += x * vload(r0 + i)
                s1 += x * vload(r1 + i)
                s2 += x * vload(r2 + i)
                s3 += x * vload(r3 + i)
                i += 16
            }
            out[Int(indices[e])] = laneSum(s0, scratch: scratch)
            out[Int(indices[e + 1])] = laneSum(s1, scratch: scratch)
            out[Int(indices[e + 2])] = laneSum(s2, scratch: scratch)
            out[Int(indices[e + 3])] = laneSum(s3, scratch: scratch)
            e += 4
        }
        while e < active {
            let r = rows + Int(indices[e]) * n
            var s = Vec()
            var i = 0
            while i < n {
                s += vload(v + i) * vload(r + i)
                i += 16
            }
            out[Int(indices[e])] = laneSum(s, scratch: scratch)
            e += 1
        }
    }

    /// Rows `rowsOfResult` of b = a^T. a: (rows, columns) -> b: (columns, rows).
    public static func transpose(_ a: UnsafePointer<Float>, rows: Int, columns: Int,
                                 into b: UnsafeMutablePointer<Float>, rowsOfResult: Range<Int>) {
        var q = rowsOfResult.lowerBound
        #if AUTOENC_AVX512
        // whole 16 x 16 tiles through vector permutes
        let fullRows = rows / 16 * 16
        let permutes = TilePermutes()
        withUnsafeTemporaryAllocation(of: Vec.self, capacity: 16) { tile in
            while q + 16 <= rowsOfResult.upperBound {
                var p = 0
                while p < fullRows {
                    transposeTile(a + p * columns + q, lda: columns, into: b + q * rows + p, ldb: rows, tile.baseAddress!, permutes)
                    p += 16
                }
                for k in 0..<16 where fullRows < rows {
                    for p in fullRows..<rows { b[(q + k) * rows + p] = a[p * columns + q + k] }
                }
                q += 16
            }
        }
        #else
        // sixteen rows of b at a time: one vector load of a row of a feeds all of them
        while q + 16 <= rowsOfResult.upperBound {
            for p in 0..<rows {
                let v = vload(a + p * columns + q)
                for k in 0..<16 { b[(q + k) * rows + p] = v[k] }
            }
            q += 16
        }
        #endif
        while q < rowsOfResult.upperBound {
            for p in 0..<rows { b[q * rows + p] = a[p * columns + q] }
            q += 1
        }
    }

    #if AUTOENC_AVX512
    /// Where the two rows of a pair take their elements from when a transpose round swaps
    /// the off-diagonal blocks of `size` elements.
    static func tilePermute(size: Int) -> (low: __m512i, high: __m512i) {
        var low = SIMD16<Int32>(), high = SIMD16<Int32>()
        for j in 0..<16 {
            low[j] = Int32(j & size == 0 ? j : 16 + j - size)
            high[j] = Int32(j & size == 0 ? j + size : 16 + j)
        }
        return (unsafeBitCast(low, to: __m512i.self), unsafeBitCast(high, to: __m512i.self))
    }

    /// The four rounds' permutes, computed once per transpose call.
    struct TilePermutes {
        let p8 = tilePermute(size: 8), p4 = tilePermute(size: 4)
        let p2 = tilePermute(size: 2), p1 = tilePermute(size: 1)
    }

    @inline(__always)
    static func tileRound(_ r: UnsafeMutablePointer<Vec>, _ size: Int, _ p: (low: __m512i, high: __m512i)) {
        var i = 0
        while i < 16 {
            for k in i..<(i + size) {
                let x = r[k], y = r[k + size]
                r[k] = _mm512_permutex2var_ps(x, p.low, y)
                r[k + size] = _mm512_permutex2var_ps(x, p.high, y)
            }
            i += 2 * size
        }
    }

    /// b[0..<16, 0..<16] = a[0..<16, 0..<16]^T (row strides lda, ldb), in four rounds that
    /// swap the off-diagonal blocks of 8, 4, 2 and 1 elements between pairs of rows.
    @inline(__always)
    static func transposeTile(_ a: UnsafePointer<Float>, lda: Int, into b: UnsafeMutablePointer<Float>, ldb: Int,
                              _ r: UnsafeMutablePointer<Vec>, _ permutes: TilePermutes) {
        for i in 0..<16 { r[i] = vload(a + i * lda) }
        tileRound(r, 8, permutes.p8)
        tileRound(r, 4, permutes.p4)
        tileRound(r, 2, permutes.p2)
        tileRound(r, 1, permutes.p1)
        for i in 0..<16 { vstore(r[i], b + i * ldb) }
    }
    #endif
}
