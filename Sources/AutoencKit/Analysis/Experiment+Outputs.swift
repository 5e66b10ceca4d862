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
    /// Runs `body`, which writes the experiment's outputs into `directory`, under a lock
    /// on the directory (an `OutputLock` on its metrics.json): processes that finish the
    /// same runs write them one after another, whole. Another holder is waited for, with
    /// a line on `console`. Throws `.cannotCreate` (73) naming --out when the lock file
    /// cannot be made, and whatever `body` throws.
    public static func writingOutputs<T>(_ directory: String, console: Console, _ body: () throws -> T) throws -> T {
        let lock = try OutputLock(for: (directory as NSString).appendingPathComponent("metrics.json"), what: "--out",
                                  waiting: { console.say("waiting for process \($0), which is writing the outputs") })
        defer { lock.release() }
        return try body()
    }
}

extension TrainingOptions {
    /// An experiment's optimizer and seeds, as compare and sweep print them: "adam lr
    /// 0.001, batch 128, 2 seeds from 0".
    public func summary(seeds: Int) -> String {
        "\(optimizer.rawValue) lr \(learningRate), batch \(batchSize), \(counted(seeds, "seed")) from \(seed)"
    }
}
