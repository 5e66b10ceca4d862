/// Which code computes the four products that read the hidden layer or its gradient:
/// the decoder z2 = hd w2^T, dhd = dz2 w2, and the weight gradients dw2 = dz2^T hd and
/// dw1 = dz1^T xd. The fifth product, the encoder's z1 = xd w1^T, reads only the input.
///
/// An enum, with a `switch` at each product site in `TrainingPass`, rather than a
/// protocol of hooks: the three ways differ in one or two lines at each of four sites,
/// and the switch puts those lines side by side where the product is computed, so a
/// reader sees for a given layout which code runs without following a conformance to
/// another file. The cases carry only the buffers and kernels that are theirs alone; the
/// dense products, one call each (BLAS, or at the AVX-512 level the kernels' own,
/// `Matrix.multiply`), are written out at the sites and are the reference the other two
/// are tested against (`SparseProductTests`, `ActiveUnitsTests`).
enum HiddenLayout {
    /// Every hidden unit, by BLAS or the kernels' own product.
    case dense
    /// The units active somewhere in the minibatch, packed, by the same products (ReLU); a minibatch
    /// where packing would not pay runs the dense products (`PackedProducts.isPacked`).
    case packed(PackedProducts)
    /// Row by row over the non-zero entries of hd and dz1 (dropout with the AVX-512
    /// kernels), against a transposed copy of w2.
    case sparse(SparseHiddenProducts)

    /// The layout `choice` names (`.automatic`: the best for `config` at `kernels`' level,
    /// `TrainingPass.strategy(for:kernels:)`), with its buffers for batches up to `maxBatch`.
    init(_ choice: TrainingPass.ProductChoice, config: ModelConfig, maxBatch: Int, kernels: Kernels) {
        let h = config.hidden
        switch choice == .automatic ? TrainingPass.strategy(for: config, kernels: kernels) : choice {
        case .automatic, .dense: self = .dense
        case .sparseHidden: self = .sparse(SparseHiddenProducts(hidden: h, maxBatch: maxBatch))
        case .packed: self = .packed(PackedProducts(hidden: h, maxBatch: maxBatch, kernels: kernels))
        }
    }

    /// The bytes of the layout's own buffers (`TrainingPass.bytes(for:)` counts them).
    var allocatedBytes: Int {
        switch self {
        case .dense: return 0
        case .packed(let packed): return packed.allocatedBytes
        case .sparse(let sparse): return sparse.allocatedBytes
        }
    }
}

extension TrainingPass {
    /// The most hidden units the sparse layout is chosen for (`strategy`).
    static let sparseHiddenUnits = 2048

    /// The layout for `config`, the kernels' level and the CPU, and why:
    /// - dropout at p >= 0.25 with the AVX-512 kernels on a CPU that halves 512-bit
    ///   vectors (`Kernels.halvesWideVectors`, AMD's Zen 4), up to `sparseHiddenUnits`:
    ///   `.sparse`. Of hd, a fraction p is dropped and of the rest about 70% are inactive
    ///   ReLUs (Fashion-MNIST), so at p = 0.25 about 77% is zero; on the Zen 4 the
    ///   row-by-row products, one vector of w2^T loaded for each multiply-add, measured
    ///   faster than the dense ones from there on (dropout at p = 0.5 trained at 103k
    ///   images/s where no regularizer, packed, trained at 84k). On a Zen 5, whose
    ///   multiply-adds run twice as fast while its caches do not, they are slower: `autoenc
    ///   bench --modes dropout` ran at 0.74-0.81 of the peak against 0.91-0.94 packed at
    ///   256 units, 0.43-0.50 against 0.79-0.87 at 1024 (rounds of alternated runs,
    ///   2026-12-07). With the AVX2 kernels they are slower at every p: on an AMD EPYC
    ///   with AVX2 alone, `autoenc bench --modes dropout` trained at 17.6k-21.9k images/s
    ///   for p = 0.1-0.3 and 25.3k at 0.5 against 25.6k-31.2k and 30.7k for the dense
    ///   products, run in turn. Nor above 2048 units: the decoder's rows of w2^T, 12.8 MB
    ///   at 4096 units, no longer stay in the caches, and at 4096 `autoenc bench --hidden
    ///   4096 --modes dropout` ran at 0.55 of the peak against 0.61 packed (medians of 4
    ///   alternated runs; about even at 1024 and 2048, sparse ahead at 512: 0.83 against
    ///   0.70). So other CPUs, levels and sizes use:
    /// - ReLU units: `.packed`, which falls back to dense per minibatch when fewer than an
    ///   eighth of the units are zero for every example (`ActiveUnits.worthPacking`);
    /// - sigmoid units are never exactly zero: `.dense`.
    static func strategy(for config: ModelConfig, kernels: Kernels) -> ProductChoice {
        if config.dropMode == .dropout && config.dropP >= 0.25 && kernels.level == .avx512 && kernels.halvesWideVectors
            && config.hidden <= sparseHiddenUnits { return .sparseHidden }
        return config.activation == .relu ? .packed : .dense
    }
}
