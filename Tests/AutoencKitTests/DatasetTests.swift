import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// Image sets as bytes, batches as floats.
@Suite struct DatasetTests {
    @Test func gatherScalesBytesToUnitFloats() {
        let bytes = (0..<3 * 784).map { UInt8($0 % 256) }
        let set = ImageSet(count: 3, bytes: bytes, source: "test")
        let order: [Int32] = [2, 0]
        var out = [Float](repeating: .nan, count: 2 * 784)
        out.withUnsafeMutableBufferPointer { set.gather(order[...], into: $0.baseAddress!) }
        var worst: Float = 0
        for (row, image) in order.enumerated() {
            for i in 0..<784 {
                let expected = Float(bytes[Int(image) * 784 + i]) / 255
                worst = worse(worst, abs(out[row * 784 + i] - expected))
            }
        }
        #expect(worst <= 1.2e-7, "largest difference from byte / 255: \(worst)")
        #expect(out.min()! == 0 && out.max()! == 1, "range \(out.min()!)...\(out.max()!)")
    }

    /// Each kernel level's gather against the plain loop, bit for bit (the same product of
    /// a byte and one float constant), for batches shorter and longer than its prefetch
    /// distance, with repeated and out-of-order rows and every byte value.
    @Test(arguments: KernelLevel.supported)
    func gatherKernelsEqualThePlainLoop(level: KernelLevel) {
        let count = 300
        var random = RandomStream(key: 7)
        let bytes = (0..<count * 784).map { i in i < 256 ? UInt8(i) : UInt8(truncatingIfNeeded: random.next()) }
        let set = ImageSet(count: count, bytes: bytes, source: "test")
        for rows in [0, 1, 2, 3, 129] {
            let order: [Int32] = (0..<rows).map { r in r == 1 ? 0 : Int32(truncatingIfNeeded: (r * 97) % count) }
            var fast = [Float](repeating: .nan, count: max(1, rows * 784))
            var plain = fast
            let kernels = Kernels(level)
            fast.withUnsafeMutableBufferPointer { set.gather(order[...], into: $0.baseAddress!, kernels: kernels) }
            plain.withUnsafeMutableBufferPointer { set.gatherReference(order[...], into: $0.baseAddress!) }
            let differing = zip(fast, plain).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            #expect(differing == 0, "\(level), \(rows) rows: \(differing) floats differ from the plain loop's")
        }
    }

    @Test func prefix() {
        let set = ImageSet(count: 4, bytes: (0..<4 * 784).map { UInt8($0 / 784) }, labels: [7, 8, 9, 0], source: "s")
        let two = set.prefix(2)
        #expect(two.count == 2 && two.bytes.count == 2 * 784 && two.labels == [7, 8])
        #expect(two.bytes.last == 1 && two.source == "s")
        #expect(set.prefix(nil).count == 4)
        #expect(set.prefix(10).count == 4)
    }
}
