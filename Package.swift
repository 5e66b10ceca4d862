// swift-tools-version: 6.0
import PackageDescription

#if os(Linux)
import Foundation
#endif

/// The CPU to compile the numerical kernels for. Explicit SIMD code compiled for plain
/// x86-64 runs on SSE2 and calls `fmaf` for every fused multiply-add, so on Linux/x86-64
/// we build for the machine doing the build (users build autoenc where they run it).
/// `AUTOENC_TARGET_CPU=x86-64` (or any LLVM CPU name) overrides the detection.
func kernelFlags() -> [SwiftSetting] {
    #if os(Linux) && arch(x86_64)
    let env = ProcessInfo.processInfo.environment
    if let cpu = env["AUTOENC_TARGET_CPU"], !cpu.isEmpty {
        // Only the plain CPU name: the vector square root then takes its portable path.
        return cpu == "x86-64" ? [] : [.unsafeFlags(["-target-cpu", cpu])]
    }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return [] }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) {
        return [.unsafeFlags(["-target-cpu", "skylake-avx512"]), .define("AUTOENC_AVX512")]
    }
    if ["avx2", "fma", "bmi2"].allSatisfy(flags.contains) {
        return [.unsafeFlags(["-target-cpu", "haswell"]), .define("AUTOENC_AVX2")]
    }
    #endif
    return []
}

/// The libFuzzer targets under Fuzz/, only when AUTOENC_FUZZ=1 (Scripts/fuzz sets it and
/// builds with --sanitize=fuzzer): they have no main of their own, so an ordinary build
/// without libFuzzer could not link them.
func fuzzTargets() -> [Target] {
    #if os(Linux)
    guard ProcessInfo.processInfo.environment["AUTOENC_FUZZ"] == "1" else { return [] }
    return ["FuzzIDX", "FuzzCheckpoint"].map { name in
        .executableTarget(
            name: name,
            dependencies: ["AutoencKit"],
            path: "Fuzz/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    }
    #else
    return []
    #endif
}

let package = Package(
    name: "autoenc",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "autoenc", targets: ["autoenc"]),
        .library(name: "AutoencKit", targets: ["AutoencKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "AutoencKit",
            dependencies: [
                "CZlib",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: kernelFlags() + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))],
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        .executableTarget(
            name: "autoenc",
            dependencies: [
                "AutoencKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "AutoencKitTests", dependencies: ["AutoencKit"]),
        .testTarget(name: "autoencTests", dependencies: ["autoenc", "AutoencKit"]),
    ] + fuzzTargets(),
    swiftLanguageModes: [.v6]
)
