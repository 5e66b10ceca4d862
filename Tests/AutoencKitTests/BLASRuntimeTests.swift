import Testing
@testable import AutoencCore
@testable import AutoencKit

/// `BLASRuntime.betterCoreType`, the kernel choice for OpenBLAS, follows the CPU's flags
/// (as /proc/cpuinfo lists them) without overriding the user.
@Suite struct BLASRuntimeTests {
    static let avx512: Set<Substring> = ["fma", "avx", "avx2", "avx512f", "avx512bw", "avx512vl",
                                         "avx512dq", "avx512cd"]
    static let avx2: Set<Substring> = ["fma", "avx", "avx2"]

    @Test func fallbackKernelsAreReplacedByWhatTheCPUSupports() {
        #if !canImport(Accelerate)
        #expect(BLASRuntime.betterCoreType(environment: [:], current: "Prescott", flags: Self.avx512) == "SkylakeX")
        #expect(BLASRuntime.betterCoreType(environment: [:], current: "Prescott", flags: Self.avx2) == "Haswell")
        #expect(BLASRuntime.betterCoreType(environment: [:], current: "Core2", flags: ["avx"]) == "SandyBridge")
        #endif
    }

    @Test func kernelsAsGoodAsTheCPUAreKept() {
        #expect(BLASRuntime.betterCoreType(environment: [:], current: "SkylakeX", flags: Self.avx512) == nil)
        #expect(BLASRuntime.betterCoreType(environment: [:], current: "Cooperlake", flags: Self.avx512) == nil)
        #expect(BLASRuntime.betterCoreType(environment: [:], current: "Haswell", flags: Self.avx2) == nil)
        #expect(BLASRuntime.betterCoreType(environment: [:], current: "Prescott", flags: ["sse2"]) == nil)
    }

    @Test func aValueTheUserSetIsNeverOverridden() {
        #expect(BLASRuntime.betterCoreType(environment: ["OPENBLAS_CORETYPE": "Prescott"], current: "Prescott",
                                           flags: Self.avx512) == nil)
        // after autoenc re-executed itself it does not try again
        #expect(BLASRuntime.betterCoreType(environment: [BLASRuntime.chosenMarker: "Prescott"], current: "Prescott",
                                           flags: Self.avx512) == nil)
    }
}
