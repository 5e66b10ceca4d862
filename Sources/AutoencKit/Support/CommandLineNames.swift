import Foundation

extension Limits {
    /// The threads to use: `requested` when given, at most one per core (more only ran
    /// slower: `--threads 1000` on 2 cores trained 10x slower), else one per core; with
    /// a note when the request was capped.
    public static func threadCount(_ requested: Int?, cores: Int) -> (count: Int, note: String?) {
        guard let requested else { return (cores, nil) }
        guard requested > cores else { return (requested, nil) }
        return (cores, "--threads \(requested): this machine has \(counted(cores, "core")); using \(cores)")
    }

    /// `threadCount` for this machine's cores, with its note, when the request was
    /// capped, on standard error.
    public static func threadsToUse(_ requested: Int?,
                                    cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        let (count, note) = threadCount(requested, cores: cores)
        if let note { Console.error("autoenc: " + note) }
        return count
    }
}

extension InferenceRule {
    /// `sample:K` with more draws than `Limits.samples` allows, as a usage message naming
    /// --inference; nil otherwise.
    public var problem: String? {
        guard case .sample(let k) = self else { return nil }
        return Limits.samples.problem(k, name: "--inference sample:K")
    }
}

extension Setting {
    /// How the command line spells the setting: its flag.
    public var flag: String {
        switch self {
        case .data: "--data"
        case .hidden: "--hidden"
        case .batchSize: "--batch-size"
        case .learningRate: "--lr"
        case .jobs: "--jobs"
        case .threads: "--threads"
        case .resume: "--resume"
        case .inference: "--inference"
        }
    }
}

extension AutoencError {
    /// The message as the command line says it: each setting named by its flag.
    public var userMessage: String { message(naming: \.flag) }
}
