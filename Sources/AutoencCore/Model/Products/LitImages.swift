import CKernels

/// The encoder z1 = xd w1^T over the lit pixels: each image's sum skips the pixels it
/// leaves dark, four images at a time.
///
/// The dense product's tile runs each term for 12 units and 32 images at once (AVX-512),
/// and hardly a pixel is dark in 32 images. Here a tile is 4 images by up to 96 units (a
/// panel; 16 at AVX2): per pixel that one of the 4 lights, 6 vectors of w1^T's row and the
/// 4 images' values feed 24 multiply-adds. The images are grouped so that a group's images light much the same
/// pixels: sorted by the width of the columns they light, then by how many pixels. On
/// Fashion-MNIST a group of 4 lights 64% of the pixels so sorted (72% sorted by the count
/// alone, 79% in the minibatch's order), where a single image lights 50%. Each entry is
/// the dense product's sum in the same order without its zero terms, so at the AVX-512
/// and AVX2 levels, where the dense product it replaced is the kernels' own, the two
/// agree bit for bit.
///
/// Per step the threads write w1^T (or per-batch DropConnect's masked w1^T) into the
/// panels, each its own units' columns (`transposeWeights`, phase 0), then each groups
/// its part's images and computes their rows of z1 (`forward`, phase 1a).
public final class ImageGroups: @unchecked Sendable {
    /// The units in one panel of the transposed weights, at the kernels' level.
    public let panelUnits: Int
    /// The images in one group.
    public static let groupSize = 4
    let hidden: Int
    let capacity: Int
    /// w1^T by panels of `panelUnits` units: panel p, units u0 = p panelUnits ..< u0 +
    /// width (the last panel's width what is left), is (784, width) from u0 x 784.
    let panels: FloatBuffer
    let order: UnsafeMutablePointer<Int32>
    let indices: UnsafeMutablePointer<Int32>
    let counts: UnsafeMutablePointer<Int32>

    /// Allocates room for `hidden` units' weights, in the panels of `kernels`' level, and
    /// the groups of up to `capacity` images.
    public init(hidden: Int, capacity: Int, kernels: Kernels = .current) {
        let n = ModelConfig.inputs, c = max(capacity, 1)
        panelUnits = kernels.table.encoder_panel
        self.hidden = hidden
        self.capacity = capacity
        panels = FloatBuffer(count: hidden * n)
        order = .allocate(capacity: c)
        order.initialize(repeating: 0, count: c)
        indices = .allocate(capacity: c * n)
        indices.initialize(repeating: 0, count: c * n)
        counts = .allocate(capacity: c)
        counts.initialize(repeating: 0, count: c)
    }

    deinit {
        order.deallocate()
        indices.deallocate()
        counts.deallocate()
    }

    /// The bytes of the buffers for `hidden` units and `capacity` images: the panels, and
    /// per image a slot of pixel indices (a group's in its first image's), its count and
    /// its place in the order.
    static func bytes(hidden: Int, capacity: Int) -> Int {
        4 * hidden * ModelConfig.inputs + 4 * max(capacity, 1) * (ModelConfig.inputs + 2)
    }
    /// The same, read off the buffers.
    var allocatedBytes: Int { Self.bytes(hidden: hidden, capacity: capacity) }

    /// Writes rows `units` of `w1` (hidden, 784) into their columns of the panels. Unit
    /// ranges are independent, so threads write disjoint ones at once.
    public func transposeWeights(_ w1: UnsafePointer<Float>, units: Range<Int>, kernels: Kernels = .current) {
        let n = ModelConfig.inputs, p = panelUnits
        precondition(units.lowerBound >= 0 && units.upperBound <= hidden && kernels.table.encoder_panel == p)
        var u = units.lowerBound
        while u < units.upperBound {
            let u0 = u / p * p, width = min(p, hidden - u0), end = min(units.upperBound, u0 + width)
            Matrix.transpose(w1 + u * n, rows: end - u, columns: n, into: panels.pointer + u0 * n + (u - u0),
                             ldb: width, rowsOfResult: 0..<n, kernels: kernels)
            u = end
        }
    }

    /// z1's rows `examples`: z1[b, u] = the sum over the pixels b lights of xd[b, i] w1[u, i]
    /// for every unit u, against the w1 last written by `transposeWeights`. xd (batch,
    /// 784) -> z1 (batch, hidden), those rows overwritten. Example ranges are independent.
    public func forward(xd: UnsafePointer<Float>, examples: Range<Int>, z1: UnsafeMutablePointer<Float>,
                        kernels: Kernels = .current) {
        guard !examples.isEmpty else { return }
        precondition(examples.lowerBound >= 0 && examples.upperBound <= capacity)
        precondition(kernels.table.encoder_panel == panelUnits)
        let first = examples.lowerBound, count = examples.count
        kernels.table.image_groups(xd, first, count, order, indices, counts)
        kernels.table.group_forward(panels.pointer, hidden, xd, order, indices, counts, first, count, z1)
    }

    /// The images in group order, as `forward` last grouped `examples`.
    public func groups(_ examples: Range<Int>) -> [[Int]] {
        stride(from: examples.lowerBound, to: examples.upperBound, by: Self.groupSize).map { s in
            (s..<min(s + Self.groupSize, examples.upperBound)).map { Int(order[$0]) }
        }
    }

    /// The pixels one of the images of the group at slot `s` lights, as last grouped.
    public func pixels(slot s: Int) -> [Int] {
        (0..<Int(counts[s])).map { Int(indices[s * ModelConfig.inputs + $0]) }
    }
}
