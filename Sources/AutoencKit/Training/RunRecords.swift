import Foundation

/// A run's records for later: `--log`'s JSON lines (the run's own record, written before
/// its first epoch's, then one per epoch) and `--plot`'s chart of every completed epoch,
/// redrawn after each.
///
/// A run that completes no epoch writes nothing.
public final class RunRecords {
    /// The value of `--log` that means standard output.
    public static let standardOutput = "-"

    let logFile: AppendFile?
    /// Whether the JSON lines go to standard output (`--log -`).
    public let logToStandardOutput: Bool
    let plot: (path: String, format: ChartFormat)?
    let run: TrainingRun
    private var startRecord: String?

    /// Records `run` (on `threads` threads) into `log` and `plot`, either of them nil.
    public init(_ run: TrainingRun, threads: Int, log: String?, plot: String?) {
        self.run = run
        logToStandardOutput = log == Self.standardOutput
        logFile = log.flatMap { $0 == Self.standardOutput ? nil : AppendFile($0, what: "--log") }
        self.plot = plot.flatMap { path in ChartFormat(path: path).map { (path, $0) } }
        startRecord = run.startRecord(threads: threads)
    }

    /// Why `log` and `plot` (--log and --plot as given) cannot be a run's records, as a
    /// usage message naming the flag, or nil: an empty name, a chart that is not .png,
    /// .svg or .pdf, or both naming one file.
    public static func problem(log: String?, plot: String?) -> String? {
        for (flag, path) in [("--log", log), ("--plot", plot)] where path?.isEmpty == true {
            return "\(flag) must name a file, got an empty string"
        }
        if let plot, ChartFormat(path: plot) == nil {
            return "--plot \(plot): expected a file name ending in \(ChartFormat.accepted)"
        }
        if let log, let plot, log == plot { return "--log and --plot both name \(log); name two files" }
        return nil
    }

    /// `path` (--log or --plot as given) as a training state records it, for a resumed
    /// run started from any directory: absolute, or `standardOutput` as it is.
    public static func recorded(_ path: String?) -> String? {
        guard let path, path != standardOutput else { return path }
        let full = path.hasPrefix("/") ? path
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (full as NSString).standardizingPath
    }

    /// Checks before any work that the log and the chart can be written (73 when not).
    public static func checkOutputs(log: String?, plot: String?) throws {
        if let log, log != standardOutput { try AppendFile.checkAppendable(log, what: "--log") }
        if let plot { try AtomicFile.prepare(plot, what: "--plot") }
    }

    /// Records a completed epoch (already in the run's history): its JSON line, after
    /// the run's own the first time, and the redrawn chart.
    public func completed(_ report: EpochReport) throws {
        for record in [startRecord, report.json(run: run.id)].compactMap({ $0 }) {
            if logToStandardOutput { print(record) }
            try logFile?.append(record)
        }
        startRecord = nil
        let history = run.history
        guard let plot, !history.isEmpty else { return }
        let chart = LineChart.trainingCurves(trainLoss: history.map(\.trainLoss), testMSE: history.map(\.testMSE),
                                             firstEpoch: report.epoch - history.count + 1, subtitle: subtitle)
        try AtomicFile.write(chart.encoded(as: plot.format), to: plot.path)
    }

    /// What was trained, under the chart's title: the model, the data set and its
    /// training images, the seed.
    var subtitle: String {
        let config = run.config
        let regularizer = config.dropP > 0 ? "\(config.regularizerName) p=\(config.dropP)" : config.regularizerName
        return "784-\(config.hidden)-784 \(config.activation.rawValue), \(regularizer) · "
            + "\((run.dataset as NSString).lastPathComponent), \(run.train.count) training images · "
            + "seed \(run.options.seed)"
    }
}

extension EpochReport {
    /// The epoch's human line, as train, compare and sweep print it, its fields two
    /// spaces apart: "epoch 3/10  train_loss 0.01234  test_mse 0.01111  6.50 s  9231 images/s".
    public func line(of epochs: Int) -> String {
        String(format: "epoch %ld/%ld  train_loss %.5f  test_mse %.5f  %.2f s  %.0f images/s",
               epoch, epochs, trainLoss, testMSE, seconds, imagesPerSecond)
    }
}
