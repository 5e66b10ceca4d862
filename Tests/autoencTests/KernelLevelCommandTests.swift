import AutoencKit
import Foundation
import Testing

/// AUTOENC_KERNELS on the command line: a bad value is refused before anything runs, and
/// `train` and `bench` name the level in use.
@Suite struct KernelLevelCommandTests {
    @Test(arguments: ["sse9", "AVX-512"])
    func anUnknownLevelIsAOneLineUsageError(value: String) throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try CLI.run(tinyTraining(epochs: 1), in: scratch.url, environment: ["AUTOENC_KERNELS": value])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr == """
            autoenc: AUTOENC_KERNELS=\(value): expected one of generic, avx2, avx512, \
            or unset for the best this CPU runs (\(KernelLevel.best.rawValue))

            """, "\(result)")
        #expect(scratch.listing() == ["data"], "the refused run wrote \(scratch.listing())")
    }

    @Test func aLevelThisCPULacksIsRefused() throws {
        let scratch = try Scratch()
        for level in KernelLevel.allCases where !level.isSupported {
            let result = try CLI.run(["info", "x"], in: scratch.url, environment: ["AUTOENC_KERNELS": level.rawValue])
            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains("this CPU does not run the \(level.rawValue) kernels"), "\(result)")
        }
    }

    /// Each level this CPU runs trains, and the model line says which one ran.
    @Test(arguments: KernelLevel.supported)
    func trainNamesTheLevel(level: KernelLevel) throws {
        let scratch = try Scratch()
        try Fixtures.write(into: scratch)
        let result = try CLI.run(tinyTraining(epochs: 1), in: scratch.url,
                                 environment: ["AUTOENC_KERNELS": level.rawValue])
        #expect(result.status == 0, "\(result)")
        let model = result.stdout.split(separator: "\n").first { $0.hasPrefix("model: ") } ?? ""
        #expect(model.hasSuffix(", vectors \(level.rawValue)"), "\(result)")
    }
}
