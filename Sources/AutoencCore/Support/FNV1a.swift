/// 64-bit FNV-1a, a 64-bit word at a time rather than a byte at a time: the digests that
/// tell a run's weights and data set from others (`TrainingState.digest`,
/// `ImageSet.digest`). Fast and well spread, not a defence against an adversary.
struct FNV1a {
    private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Starts from the offset basis mixed with `start` (the data digest's image count).
    init(start: UInt64 = 0) { hash ^= start }

    mutating func add(_ word: UInt64) { hash = (hash ^ word) &* 0x0000_0100_0000_01B3 }
}
