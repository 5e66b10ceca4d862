import Foundation
#if !canImport(Accelerate)
import CBLAS
#endif

/// Choosing OpenBLAS's kernels for the user's CPU.
///
/// Debian 12's OpenBLAS 0.3.21 does not recognize recent CPUs (AMD Zen 4, for one) and
/// falls back to its slowest kernels (Prescott), about 5x slower on this model's
/// products. OpenBLAS picks its kernels once, when the library loads, from
/// `OPENBLAS_CORETYPE`, so the command line calls `ensureBestKernels` first thing: when
/// OpenBLAS chose kernels below what the CPU supports and the user did not set
/// `OPENBLAS_CORETYPE`, it sets it and re-executes the same command.
public enum BLASRuntime {
    /// The environment variable through which OpenBLAS takes a core type.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set by autoenc when it chose the core type, so that it can say so.
    public static let chosenMarker = "AUTOENC_CHOSE_OPENBLAS_CORETYPE"

    /// The kernel family OpenBLAS is running, e.g. "SkylakeX", or "Accelerate" on macOS.
    public static var coreName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #endif
    }

    /// The BLAS library in use: "Accelerate", or OpenBLAS's configuration string.
    public static var library: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let config = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: config).trimmingCharacters(in: .whitespaces)
        #endif
    }

    /// How the kernel was chosen, for `bench` and `--verbose` reports.
    public static var report: String {
        let env = ProcessInfo.processInfo.environment
        let detected = env[chosenMarker]
        if let detected {
            return "\(coreName) (OpenBLAS detected \(detected); "
                + "autoenc set \(coreTypeVariable)=\(env[coreTypeVariable] ?? "?"))"
        }
        if let user = env[coreTypeVariable] {
            return "\(coreName) (\(coreTypeVariable)=\(user) set by the user)"
        }
        return "\(coreName) (detected by OpenBLAS)"
    }

    /// Kernel families ranked by the instruction set they need.
    static func rank(ofCore name: String) -> Int {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "excavator", "steamroller": return 2
        case "sandybridge", "bulldozer", "piledriver": return 1
        default: return 0
        }
    }

    /// The best OpenBLAS core type for the CPU flags in /proc/cpuinfo, with its rank.
    static func bestCore(cpuFlags: Set<Substring>) -> (name: String, rank: Int)? {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(cpuFlags.contains) {
            return ("SkylakeX", 3)
        }
        if ["avx2", "fma"].allSatisfy(cpuFlags.contains) { return ("Haswell", 2) }
        if cpuFlags.contains("avx") { return ("SandyBridge", 1) }
        return nil
    }

    /// The CPU's feature flags from `/proc/cpuinfo`.
    ///
    /// - Returns: The flags (`avx2`, `avx512f`, ...), or an empty set where the file cannot be read.
    public static func cpuFlags() -> Set<Substring> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return [] }
        return Set(line.split(separator: " "))
    }

    /// The core type to set, or nil when OpenBLAS's own choice is already the best or
    /// the user has set one.
    public static func betterCoreType(environment: [String: String] = ProcessInfo.processInfo.environment,
                                      current: String = coreName,
                                      flags: Set<Substring> = cpuFlags()) -> String? {
        #if canImport(Accelerate)
        return nil
        #else
        guard environment[coreTypeVariable] == nil, environment[chosenMarker] == nil else { return nil }
        guard let best = bestCore(cpuFlags: flags), best.rank > rank(ofCore: current) else { return nil }
        return best.name
        #endif
    }

    /// Re-executes this process with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to
    /// slower kernels than the CPU supports.
    ///
    /// Returns normally when nothing needs doing or when re-executing fails (the command
    /// then runs on the slower kernels).
    public static func ensureBestKernels() {
        #if os(Linux)
        guard let core = betterCoreType() else { return }
        setenv(coreTypeVariable, core, 1)
        setenv(chosenMarker, coreName, 1)
        let args = CommandLine.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        // execv returned: it failed. Carry on with the kernels we have.
        unsetenv(coreTypeVariable)
        unsetenv(chosenMarker)
        #endif
    }
}
