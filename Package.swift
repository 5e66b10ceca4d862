// swift-tools-version: 6.0
import PackageDescription

#if os(Linux)
import Foundation
#endif

/// The libFuzzer targets under Fuzz/, only when AUTOENC_FUZZ=1 (Scripts/fuzz sets it and
/// builds with --sanitize=fuzzer): they have no main of their own, so an ordinary build
/// without libFuzzer could not link them.
func fuzzTargets() -> [Target] {
    #if os(Linux)
    guard ProcessInfo.processInfo.environment["AUTOENC_FUZZ"] == "1" else { return [] }
    return ["FuzzIDX", "FuzzCheckpoint", "FuzzNPY", "FuzzPNG"].map { name in
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
        .library(name: "AutoencCore", targets: ["AutoencCore"]),
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
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]
        ),
        // Charts: lines, text and fills drawn once, written as PNG, SVG or PDF.
        .systemLibrary(
            name: "CCairo",
            pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev"]), .brew(["cairo"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The vector kernels, compiled for every instruction-set level in one binary and
        // chosen at run time: no flag depends on the machine that builds.
        .target(name: "CKernels"),
        // What trains and runs a model: data, the model, masks, the reference and fast
        // steps, optimizers, inference, checkpoints. No command line, printing or terminal.
        .target(
            name: "AutoencCore",
            dependencies: [
                "CZlib",
                "CPNG",
                "CKernels",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
            ],
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        // The app above the core: runs, experiments, reports, charts, bench, console.
        .target(name: "AutoencKit", dependencies: ["AutoencCore", "CZlib", "CCairo"]),
        .executableTarget(
            name: "autoenc",
            dependencies: [
                "AutoencKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The README's Swift program: the core library alone trains a model and scores it.
        .executableTarget(name: "LibraryExample", dependencies: ["AutoencCore"]),
        .testTarget(name: "AutoencKitTests", dependencies: ["AutoencCore", "AutoencKit"]),
        .testTarget(name: "autoencTests", dependencies: ["autoenc", "LibraryExample", "AutoencCore", "AutoencKit"]),
    ] + fuzzTargets(),
    swiftLanguageModes: [.v6]
)
