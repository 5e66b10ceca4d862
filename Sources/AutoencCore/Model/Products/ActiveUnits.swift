import CKernels

/// The hidden units that are not zero for some example of a batch, and the moves that
/// pack a matrix's columns down to them and spread packed columns back.
///
/// A ReLU unit that is inactive (or dropped) for every example of a batch contributes
/// exact zeros to four of a step's five products: the decoder z2 = hd w2^T, the backward
/// dhd = dz2 w2 (needed only where the gate is open, and the gate is closed wherever a
/// ReLU's hd is zero), dw2 = dz2^T hd and dw1 = dz1^T x. Without a regularizer about a
/// quarter of Fashion-MNIST's 256 units are such all-zero columns in a batch of 128 (the
/// units that died while training, and others that no image of the batch turns on).
/// Running those products over the packed active columns computes the same sums minus
/// their zero terms, at the dense BLAS's speed.
///
/// Columns are found by their bits, so -0 counts as zero and NaN as active. Packing and
/// spreading run the `kernels`' level: AVX-512 compress and expand, AVX2 permutes from a
/// table of the 256 byte masks, or the plain loops; `packReference` and
/// `spreadReference`, plain loops over `list`, are what they are tested against.
final class ActiveUnits {
    /// Units (columns) in all.
    let units: Int
    let kernels: Kernels
    /// The active units, increasing: `list[0 ..< count]`.
    let list: UnsafeMutablePointer<Int32>
    private(set) var count = 0
    /// Bit i of `masks[g]`: unit 16 g + i is active; `offsets[g]`: active units below 16 g.
    let masks: UnsafeMutablePointer<UInt16>
    let offsets: UnsafeMutablePointer<Int32>
    let bits: UnsafeMutablePointer<UInt32>
    var groups: Int { (units + 15) / 16 }

    init(units: Int, kernels: Kernels = .current) {
        self.units = units
        self.kernels = kernels
        list = .allocate(capacity: units)
        bits = .allocate(capacity: units)
        let groups = (units + 15) / 16
        masks = .allocate(capacity: groups)
        offsets = .allocate(capacity: groups)
    }

    deinit {
        list.deallocate()
        bits.deallocate()
        masks.deallocate()
        offsets.deallocate()
    }

    /// Whether packing pays: the products' savings outweigh the moves once at least an
    /// eighth of the units are all zero. Measured with `autoenc bench` (2 threads, batch
    /// 128, 256 ReLU units, no regularizer, about 186 units active): the four packed
    /// products took 2.64 ms a step, about 14 µs per active unit, and the packing 0.15 ms,
    /// the cost of about 10 units. An eighth of 256 units (32, about 0.45 ms) pays for it
    /// three times over: margin for noise, and for a BLAS that runs faster and saves less
    /// per unit.
    var worthPacking: Bool { count <= units - max(1, units / 8) }

    /// Finds the columns of m with a non-zero entry among `rows` rows; returns their count.
    /// m: (rows, stride), columns 0 ..< units.
    @discardableResult
    func find(_ m: UnsafePointer<Float>, rows: Int, stride: Int) -> Int {
        // 64 columns at a time down all the rows, their bits kept in four vectors
        let magnitude = SIMD16<UInt32>(repeating: 0x7FFF_FFFF)
        var j = 0
        while j + 64 <= units {
            var seen = (SIMD16<UInt32>(), SIMD16<UInt32>(), SIMD16<UInt32>(), SIMD16<UInt32>())
            for r in 0..<rows {
                let row = UnsafeRawPointer(m + r * stride + j)
                seen.0 |= row.loadUnaligned(fromByteOffset: 0, as: SIMD16<UInt32>.self)
                seen.1 |= row.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt32>.self)
                seen.2 |= row.loadUnaligned(fromByteOffset: 128, as: SIMD16<UInt32>.self)
                seen.3 |= row.loadUnaligned(fromByteOffset: 192, as: SIMD16<UInt32>.self)
            }
            let target = UnsafeMutableRawPointer(bits + j)
            target.storeBytes(of: seen.0 & magnitude, toByteOffset: 0, as: SIMD16<UInt32>.self)
            target.storeBytes(of: seen.1 & magnitude, toByteOffset: 64, as: SIMD16<UInt32>.self)
            target.storeBytes(of: seen.2 & magnitude, toByteOffset: 128, as: SIMD16<UInt32>.self)
            target.storeBytes(of: seen.3 & magnitude, toByteOffset: 192, as: SIMD16<UInt32>.self)
            j += 64
        }
        for column in j..<units {
            var seen: UInt32 = 0
            for r in 0..<rows { seen |= UnsafeRawPointer(m + r * stride + column).load(as: UInt32.self) }
            bits[column] = seen & 0x7FFF_FFFF
        }
        count = 0
        for g in 0..<groups {
            offsets[g] = Int32(count)
            var mask: UInt16 = 0
            for i in 0..<min(16, units - 16 * g) where bits[16 * g + i] != 0 {
                mask |= 1 << UInt16(i)
                list[count] = Int32(16 * g + i)
                count += 1
            }
            masks[g] = mask
        }
        return count
    }

    /// The active units among `range`: the positions `lo ..< hi` of `list` that hold them.
    func positions(in range: Range<Int>) -> Range<Int> {
        var lo = 0
        while lo < count && Int(list[lo]) < range.lowerBound { lo += 1 }
        var hi = lo
        while hi < count && Int(list[hi]) < range.upperBound { hi += 1 }
        return lo..<hi
    }

    /// out[r, k] = m[r, list[k]] for k < count: the active columns, packed.
    /// m: (rows, ldm) -> out: (rows, ldo), ldo >= count. Each row but the last may write up
    /// to 16 floats past its packed values (into the next row's place, which that row then
    /// fills); nothing is written past the last row's values, so threads can pack
    /// neighbouring row ranges at once.
    func pack(_ m: UnsafePointer<Float>, rows: Int, ldm: Int, into out: UnsafeMutablePointer<Float>, ldo: Int) {
        withSet { kernels.table.pack(m, rows, ldm, out, ldo, $0) }
    }

    /// The C view of the set, valid inside `body`.
    private func withSet(_ body: (UnsafePointer<AEActiveSet>) -> Void) {
        var set = AEActiveSet(units: units, count: count, list: list, masks: masks, offsets: offsets)
        withUnsafePointer(to: &set, body)
    }

    func packReference(_ m: UnsafePointer<Float>, rows: Int, ldm: Int,
                       into out: UnsafeMutablePointer<Float>, ldo: Int) {
        for r in 0..<rows { packRow(m + r * ldm, into: out + r * ldo, from: 0) }
    }

    /// target[k] = row[list[k]] for k in first ..< count.
    @inline(__always)
    func packRow(_ row: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, from first: Int) {
        for k in first..<count { target[k] = row[Int(list[k])] }
    }

    /// In place: row r of m holds `count` packed values in its first entries; moves each to
    /// its unit's column and writes zeros in the inactive columns. m: (rows, ld), ld >= units.
    func spread(_ m: UnsafeMutablePointer<Float>, rows: Int, ld: Int) {
        withSet { kernels.table.spread(m, rows, ld, $0) }
    }

    func spreadReference(_ m: UnsafeMutablePointer<Float>, rows: Int, ld: Int) {
        for r in 0..<rows { spreadRow(m + r * ld, downTo: 0) }
    }

    /// In place, columns `lowest ..< units` of a row holding the packed values first: from
    /// the top down, each active unit's column takes its packed value (which sits at or
    /// below it, so it has not been overwritten yet) and the others take zero.
    @inline(__always)
    func spreadRow(_ row: UnsafeMutablePointer<Float>, downTo lowest: Int) {
        var k = count - 1
        for j in stride(from: units - 1, through: lowest, by: -1) {
            if k >= 0 && Int(list[k]) == j { row[j] = row[k]; k -= 1 } else { row[j] = 0 }
        }
    }
}
