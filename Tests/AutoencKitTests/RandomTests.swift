import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The counter-based generator: reproducible from its key, independent across keys,
/// uniform.
@Suite struct RandomTests {
    func words(_ stream: RandomStream, _ count: Int = 8) -> [UInt64] {
        var s = stream
        return (0..<count).map { _ in s.next() }
    }

    @Test func sameKeySameValues() {
        let a = RandomStream(seed: 42, .dropout, 7, 3)
        let b = RandomStream(seed: 42, .dropout, 7, 3)
        #expect(a.key == b.key)
        #expect(words(a) == words(b))
    }

    @Test(arguments: [
        (UInt64(43), RandomStream.Purpose.dropout, UInt64(7), UInt64(3)), // seed
        (42, .dropConnect, 7, 3), // purpose
        (42, .dropout, 8, 3), // first index
        (42, .dropout, 7, 4), // second index
        (42, .dropout, 3, 7), // indices swapped
    ])
    func differentInputsDifferentValues(seed: UInt64, purpose: RandomStream.Purpose, a: UInt64, b: UInt64) {
        let reference = words(RandomStream(seed: 42, .dropout, 7, 3))
        let other = words(RandomStream(seed: seed, purpose, a, b))
        #expect(RandomStream.key(seed: seed, purpose, a, b) != RandomStream.key(seed: 42, .dropout, 7, 3))
        // No word in common at all (a chance collision has probability ~ 64 / 2^64).
        #expect(Set(reference).isDisjoint(with: other), "\(reference) vs \(other)")
    }

    /// `word(key:counter:)` is random access into the stream `next()` walks.
    @Test func randomAccessMatchesSequence() {
        var s = RandomStream(seed: 9, .shuffle, 1)
        for counter in 0..<100 {
            #expect(s.next() == RandomStream.word(key: s.key, counter: UInt64(counter)))
        }
        // Starting at a counter continues the same sequence.
        var late = RandomStream(key: s.key, counter: 50)
        #expect(late.next() == RandomStream.word(key: s.key, counter: 50))
    }

    /// SplitMix64 from state 0 (the values of the reference C implementation): `word`
    /// at key k, counter c is SplitMix64 started at k + c * golden.
    @Test func splitMix64ReferenceValues() {
        var s = RandomStream(key: 0)
        let expected: [UInt64] = [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]
        #expect((0..<3).map { _ in s.next() } == expected)
    }

    /// Mean and variance of nextUnit (1/2 and 1/12), and counts in 16 equal bins, each
    /// within 5 standard deviations; every value in [0, 1).
    @Test(arguments: [UInt64(0), 1, 0xDEAD_BEEF])
    func uniformStatistics(seed: UInt64) {
        let n = 100_000
        var s = RandomStream(seed: seed, .evaluation, 2, 5)
        var sum = 0.0, sumSquares = 0.0
        var bins = [Int](repeating: 0, count: 16)
        var outside = 0
        for _ in 0..<n {
            let u = s.nextUnit()
            if !(u >= 0 && u < 1) { outside += 1; continue }
            sum += Double(u)
            sumSquares += Double(u) * Double(u)
            bins[Int(u * 16)] += 1
        }
        #expect(outside == 0)
        let mean = sum / Double(n), variance = sumSquares / Double(n) - mean * mean
        // sd of the mean: sqrt(1/12 / n); of the sample variance: sqrt(1/180 / n)
        #expect(abs(mean - 0.5) < 5 * (1.0 / 12 / Double(n)).squareRoot(), "mean \(mean)")
        #expect(abs(variance - 1.0 / 12) < 5 * (1.0 / 180 / Double(n)).squareRoot(), "variance \(variance)")
        let expected = Double(n) / 16, sd = (Double(n) * (1.0 / 16) * (15.0 / 16)).squareRoot()
        let worst = bins.map { abs(Double($0) - expected) }.max()!
        #expect(worst < 5 * sd, "bins \(bins), expected \(expected) ± \(sd)")
    }

    /// Each bit of the words is set half the time.
    @Test func bitsAreBalanced() {
        let n = 20_000
        var counts = [Int](repeating: 0, count: 64)
        var s = RandomStream(seed: 3, .probe)
        for _ in 0..<n {
            let w = s.next()
            for bit in 0..<64 where (w >> UInt64(bit)) & 1 == 1 { counts[bit] += 1 }
        }
        let sd = (Double(n) / 4).squareRoot()
        let worst = counts.map { abs(Double($0) - Double(n) / 2) }.max()!
        #expect(worst < 5 * sd, "bit counts \(counts)")
    }

    /// Neighbouring keys (consecutive steps, consecutive examples) give uncorrelated
    /// first values: the mean of their products is 1/4 for independent uniforms.
    @Test func neighbouringStreamsUncorrelated() {
        let n = 20_000
        var sum = 0.0
        for e in 0..<n {
            var a = RandomStream(seed: 1, .dropout, 5, UInt64(e))
            var b = RandomStream(seed: 1, .dropout, 5, UInt64(e + 1))
            sum += Double(a.nextUnit()) * Double(b.nextUnit())
        }
        // Var(UV) = 1/9 - 1/16 = 7/144
        let mean = sum / Double(n)
        #expect(abs(mean - 0.25) < 5 * (7.0 / 144 / Double(n)).squareRoot(), "mean product \(mean)")
    }

    @Test func uniformRange() {
        var s = RandomStream(seed: 5, .initialization)
        for _ in 0..<10_000 {
            let u = s.uniform(-0.25, 0.75)
            #expect(u >= -0.25 && u < 0.75)
        }
    }
}
