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
        let bytes = max(count, 1) * 4
        let huge = bytes >= Self.hugePage
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: huge ? Self.hugePage : 64)
        #if os(Linux)
        // before the first touch below, so that the kernel backs it with huge pages where it can
        if huge { _ = madvise(raw, bytes / Self.hugePage * Self.hugePage, MADV_HUGEPAGE) }
        #endif
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    /// The size from which a buffer starts on a 2 MB boundary and, on Linux, asks for
    /// transparent huge pages (`madvise`: where the kernel's setting is `madvise`, as on
    /// this project's machines, only memory that asks gets them). At 4096 hidden units the
    /// step's buffers hold 120 MB, read along rows 16 KB apart (w2's columns, dw2's rows),
    /// each on its own 4 KB page. `autoenc bench --hidden 4096 --modes none` (5 alternated
    /// rounds, Zen 5): the step 12.6-18.0 -> 11.3-15.2 ms, shorter in every round; with
    /// dropout, 3 rounds, 12.2-14.0 -> 11.1-13.0.
    public static let hugePage = 2 << 20

    /// Sets every float to 0.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// A copy of the floats as an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
