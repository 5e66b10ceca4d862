import Foundation

/// MD5 (RFC 1321), for checking downloaded files against the checksums their publishers
/// give.
///
/// Not for anything that needs collision resistance: it only tells a complete, intact
/// download from a truncated or corrupted one.
public enum MD5 {
    /// The 16-byte digest of `bytes`. Linear in the input, one pass.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
        let fullBlocks = bytes.count / 64
        bytes.withUnsafeBufferPointer { input in
            for block in 0..<fullBlocks {
                compress(&state, UnsafeBufferPointer(rebasing: input[block * 64..<block * 64 + 64]))
            }
        }
        // the tail: 0x80, zeros to 56 mod 64, the length in bits as a little-endian UInt64
        var tail = Array(bytes[(fullBlocks * 64)...])
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        let bits = UInt64(bytes.count) &* 8
        for i in 0..<8 { tail.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        tail.withUnsafeBufferPointer { input in
            for block in 0..<tail.count / 64 {
                compress(&state, UnsafeBufferPointer(rebasing: input[block * 64..<block * 64 + 64]))
            }
        }
        var out: [UInt8] = []
        for word in [state.0, state.1, state.2, state.3] {
            for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))) }
        }
        return out
    }

    /// The digest as 32 lowercase hex digits, as `md5sum` prints it.
    public static func hex(_ bytes: [UInt8]) -> String {
        digest(bytes).map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
    }

    /// Per-round left rotations.
    static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                   5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                   4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                   6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]

    /// K[i] = floor(2^32 * |sin(i + 1)|), as the RFC tabulates.
    static let constants: [UInt32] = (0..<64).map { i in
        UInt32(truncatingIfNeeded: Int64((abs(sin(Double(i + 1))) * 4_294_967_296).rounded(.down)))
    }

    /// One 64-byte block into the state.
    static func compress(_ state: inout (UInt32, UInt32, UInt32, UInt32), _ block: UnsafeBufferPointer<UInt8>) {
        let words = UnsafeRawPointer(block.baseAddress!)
        @inline(__always) func m(_ g: Int) -> UInt32 { // the block's words are little-endian
            UInt32(littleEndian: words.loadUnaligned(fromByteOffset: 4 * g, as: UInt32.self))
        }
        var (a, b, c, d) = state
        for i in 0..<64 {
            var f: UInt32, g: Int
            switch i {
            case 0..<16: f = (b & c) | (~b & d); g = i
            case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
            case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * i) % 16
            }
            f = f &+ a &+ constants[i] &+ m(g)
            a = d
            d = c
            c = b
            b = b &+ (f << shifts[i] | f >> (32 - shifts[i]))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
