import Foundation
import Testing
@testable import AutoencKit

/// The tables compare and sweep print and report.html shows: one rounding rule, and a
/// sweep's none once.
struct TableTests {
    static func record(_ run: ExperimentRun, mse: Double, dead: Double) -> ExperimentRecord {
        ExperimentRecord(run: run, metrics: [("test_mse", mse), ("dead_units", dead)],
                         curve: [EpochFigures(trainLoss: mse, testMSE: mse)], reused: false)
    }

    static func value(_ v: Double) -> KnobValue { KnobValue(name: "drop_p", value: v, label: "\(v)") }

    /// A drop-probability sweep of none and dropout, 2 seeds: none's row once, unlabelled.
    @Test func sweepShowsNoneOnce() {
        let grid = Sweep.Grid(models: ["none", "dropout"], knob: .dropP, values: [Self.value(0.25), Self.value(0.5)],
                              base: ModelConfig(hidden: 16), dropP: 0.5, options: TrainingOptions(), seeds: 2,
                              epochs: 1, limit: nil)
        var seen = Set<String>()
        let records = grid.runs.filter { seen.insert($0.stem).inserted }.enumerated().map { i, run in
            Self.record(run, mse: 0.0963 + 0.001 * Double(i % 2), dead: 7)
        }
        let series = grid.series(records: records)
        let rows = Sweep.tableRows(series)
        #expect(rows.map(\.label) == ["none", "dropout drop_p=0.25", "dropout drop_p=0.5"])
        let table = VariantSummary.table(rows, baseline: Sweep.baseline(in: series)).split(separator: "\n")
        #expect(table.count == 4)
        #expect(table.filter { $0.hasPrefix("none") }.count == 1)
        // none's two seeds: 0.0963 and 0.0973, sd 0.000707: two significant digits; dead units agree: "7 ± 0"
        #expect(table[1].contains("0.09680 ± 0.00071") && table[1].contains("7 ± 0"), "\(table[1])")
        // the regularized rows keep their marks against none at the same value
        #expect(table[2].contains(" ~") || table[2].contains(" *"), "\(table[2])")
    }

    /// A sweep over the training set's size: none differs at each size, so it keeps a row per value.
    @Test func noneKeepsItsRowsWhenTheKnobChangesIt() {
        let grid = Sweep.Grid(models: ["none"], knob: .limit,
                              values: [KnobValue(name: "limit", value: 32, label: "32"),
                                       KnobValue(name: "limit", value: 64, label: "64")],
                              base: ModelConfig(hidden: 16), dropP: 0.5, options: TrainingOptions(), seeds: 1,
                              epochs: 1, limit: nil)
        let records = grid.runs.map { Self.record($0, mse: 0.05, dead: 3) }
        #expect(Sweep.tableRows(grid.series(records: records)).map(\.label) == ["none limit=32", "none limit=64"])
    }

    /// compare's table of one seed: each value alone, to three significant digits.
    @Test func oneSeedCells() {
        var options = TrainingOptions()
        options.seed = 0
        let run = ExperimentRun(name: "none", config: ModelConfig(), options: options, epochs: 1, limit: nil)
        let cells = VariantSummary.cells(VariantSummary.group([Self.record(run, mse: 0.0048213, dead: 7)])) { _ in nil }
        #expect(cells == [["model", "test_mse", "dead"], ["none", "0.00482", "7"]])
    }
}
