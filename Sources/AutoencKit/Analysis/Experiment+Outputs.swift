import Foundation

/// What an experiment (`compare`, `sweep`) wrote, for the command to print: the metrics
/// table with its legend, and the files and directories written, in order.
public struct ExperimentOutputs: Sendable {
    /// The table, a row per model (per model and value in a sweep), then the legend.
    public var table: String
    /// "report.html", "metrics.json", ..., "runs/".
    public var files: [String]

    public init(table: String, files: [String]) {
        self.table = table
        self.files = files
    }
}

extension Experiment {
    /// Runs `body` with the experiment's output `directory` ready: created when missing
    /// (and removed again, when still empty, if `body` throws; `OutputDirectory.using`),
    /// locked against another experiment writing it (an `OutputLock` on its metrics.json),
    /// and with `log` and `plot` checked writable (`RunRecords.checkOutputs`). Throws
    /// `.cannotCreate` (73) naming --out or the flag whose file cannot be written, and
    /// whatever `body` throws.
    public static func using(_ directory: String, log: String?, plot: String?, _ body: () throws -> Void) throws {
        try OutputDirectory.using(directory, what: "--out") {
            let lock = try OutputLock(for: (directory as NSString).appendingPathComponent("metrics.json"),
                                      what: "--out")
            defer { lock.release() }
            try RunRecords.checkOutputs(log: log, plot: plot)
            try body()
        }
    }
}

extension TrainingOptions {
    /// An experiment's optimizer and seeds, as compare and sweep print them: "adam lr
    /// 0.001, batch 128, 2 seeds from 0".
    public func summary(seeds: Int) -> String {
        "\(optimizer.rawValue) lr \(learningRate), batch \(batchSize), \(counted(seeds, "seed")) from \(seed)"
    }
}
