/// Vectorized elementwise helpers for the Swift code outside the hot training step
/// (inference's activations and errors). Vectors are 16 floats wide; Swift compiles them
/// for the baseline CPU (SSE2 on x86-64), since a binary must run on every CPU. The
/// training step's kernels are the C target's, compiled per level (`Kernels`).
public typealias Vec = SIMD16<Float>

@inline(__always)
func vload(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always)
func vstore(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// exp(x) for 16 floats: Cephes' range reduction and degree-5 polynomial, relative error
/// below 2e-7 on [-87, 88]; inputs outside are clamped (exp(-87.3) ~ 1e-38, exp(88.3) ~ 2e38).
///
/// Written with comparisons, selects and bit casts only: the standard library's SIMD
/// conversions and `clamped` compile to scalar loops.
@inline(__always)
func vexp(_ input: Vec) -> Vec {
    var x = input.replacing(with: -87.3, where: input .< -87.3)
    x.replace(with: 88.3, where: x .> 88.3)
    // n = round(x / ln 2): adding 1.5 * 2^23 leaves n in the low mantissa bits
    let magic = Vec(repeating: 12_582_912)
    let t = x * 1.442_695_04 + magic
    let n = t - magic
    // r = x - n ln 2, with ln 2 in two parts for accuracy
    var r = x - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p = Vec(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * (r * r) + r + 1
    // 2^n through the exponent bits
    let bits = (unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: Vec.self)
}

/// 1 / (1 + exp(-x)) for 16 floats.
@inline(__always)
func vsigmoid(_ x: Vec) -> Vec {
    1 / (1 + vexp(-x))
}

/// The sum of a vector's 16 lanes, through `scratch` (16 floats).
///
/// Summing through memory keeps the accumulators whole: with `lowHalf`/`highHalf`, or a
/// `sum()` the optimizer does not inline, LLVM splits every vector of the calling loop
/// into 128-bit pieces.
@inline(__always)
func laneSum(_ v: Vec, scratch: UnsafeMutablePointer<Float>) -> Float {
    vstore(v, scratch)
    var s: Float = 0
    for i in 0..<16 { s += scratch[i] }
    return s
}

/// The scalar sigmoid used by reference code and tests.
public func sigmoid(_ x: Float) -> Float {
    1 / (1 + (-x).exponential)
}

extension Float {
    var exponential: Float {
        #if canImport(Glibc)
        return Glibc.expf(self)
        #else
        return Darwin.expf(self)
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A float buffer allocated once, aligned for vector loads, released with its owner.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int, value: Float = 0) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
