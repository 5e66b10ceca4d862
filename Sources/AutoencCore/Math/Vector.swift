/// Vectorized elementwise helpers for the Swift code outside the hot training step
/// (inference's squared errors, sums of rows).
///
/// Vectors are 16 floats wide; Swift compiles them for the baseline CPU (SSE2 on x86-64),
/// since a binary must run on every CPU. Every activation, exp and sigmoid, in training and
/// inference alike, is the C kernels', compiled per level (`Kernels`).
public typealias Vec = SIMD16<Float>

@inline(__always)
func vload(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always)
func vstore(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A float buffer allocated once, aligned for vector loads, released with its owner.
public final class FloatBuffer: @unchecked Sendable {
    /// The number of floats.
    public let count: Int
    /// The first float, 64-byte aligned.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` floats, each set to `value`.
    public init(count: Int, value: Float = 0) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    /// Sets every float to 0.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// A copy of the floats as an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
