import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// How compare and sweep lay out their runs: the schedule, the runs a sweep trains and
/// shares, and the grouping of finished runs into summaries.
@Suite struct ExperimentTests {
    @Test("one run after another on every core unless --jobs asks; --threads sets each run's threads")
    func schedule() {
        #expect(Experiment.Schedule.choose(runs: 6, cores: 2, jobs: nil, threads: nil)
                == .init(jobs: 1, threadsPerRun: 2))
        #expect(Experiment.Schedule.choose(runs: 6, cores: 2, jobs: nil, threads: 1)
                == .init(jobs: 1, threadsPerRun: 1))
        #expect(Experiment.Schedule.choose(runs: 6, cores: 2, jobs: 2, threads: nil)
                == .init(jobs: 2, threadsPerRun: 1))
        #expect(Experiment.Schedule.choose(runs: 6, cores: 8, jobs: 2, threads: nil)
                == .init(jobs: 2, threadsPerRun: 4))
        #expect(Experiment.Schedule.choose(runs: 1, cores: 2, jobs: 4, threads: nil)
                == .init(jobs: 1, threadsPerRun: 2))
        #expect(Experiment.Schedule(jobs: 2, threadsPerRun: 1).line(trainings: 6, cores: 2, kept: "cmp/runs")
                == "runs: 6 trainings, 2 at a time on 1 thread each; finished runs are kept in cmp/runs/")
        #expect(Experiment.Schedule(jobs: 3, threadsPerRun: 1).line(trainings: 6, cores: 2, kept: "r")
                == """
                runs: 6 trainings, 3 at a time on 1 thread each (3 threads on 2 cores: they take turns); \
                finished runs are kept in r/
                """)
    }

    static func value(_ knob: Sweep.Knob, _ v: Double) -> KnobValue {
        KnobValue(name: knob.rawValue, value: v, label: "\(v)")
    }

    @Test("a sweep's runs: p = 0 is none, none is shared across p, other knobs set their setting")
    func sweepRuns() {
        let base = ModelConfig(hidden: 16), options = TrainingOptions()
        let runs = Sweep.Grid(models: ["none", "dropout", "dropconnect"], knob: .dropP,
                              values: [Self.value(.dropP, 0), Self.value(.dropP, 0.5)], base: base, dropP: 0.5,
                              options: options, seeds: 2, epochs: 1, limit: nil).runs
        #expect(runs.count == 12)
        // none at each p, dropout and dropconnect at p = 0: one run per seed
        #expect(Set(runs.map(\.stem)) == ["none-seed0", "none-seed1",
                                          "dropout-drop_p0.5-seed0", "dropout-drop_p0.5-seed1",
                                          "dropconnect-drop_p0.5-seed0", "dropconnect-drop_p0.5-seed1"])
        let dropconnect = runs.first { $0.stem == "dropconnect-drop_p0.5-seed1" }!
        #expect(dropconnect.config.dropMode == .dropconnect && dropconnect.config.dropP == 0.5 && dropconnect.seed == 1)

        let sizes = Sweep.Grid(models: ["none"], knob: .limit, values: [Self.value(.limit, 32), Self.value(.limit, 64)],
                               base: base, dropP: 0.5, options: options, seeds: 1, epochs: 1, limit: nil).runs
        #expect(sizes.map(\.limit) == [32, 64] && sizes.map(\.config.dropP) == [0, 0])
        let norms = Sweep.Grid(models: ["dropout"], knob: .maxNorm, values: [Self.value(.maxNorm, 2)],
                               base: base, dropP: 0.3, options: options, seeds: 1, epochs: 1, limit: 100).runs
        #expect(norms[0].config.maxNorm == 2 && norms[0].config.dropP == 0.3 && norms[0].limit == 100)
    }

    @Test("compare's variants keep the base's settings and change only the hidden regularizer")
    func variants() {
        let base = ModelConfig(hidden: 32, activation: .sigmoid, dropP: 0.2, dropMode: .dropconnect, masks: .batch,
                               scaling: .classic, inputDropP: 0.2, maxNorm: 3)
        let v = Comparison.variants(base: base, dropP: 0.4)
        #expect(v.map(\.name) == ["none", "dropout", "dropconnect"])
        #expect(v.allSatisfy {
            $0.config.hidden == 32 && $0.config.activation == .sigmoid
                && $0.config.inputDropP == 0.2 && $0.config.maxNorm == 3
        })
        #expect(v[0].config.dropP == 0)
        #expect(v[1].config.dropMode == .dropout && v[1].config.dropP == 0.4 && v[1].config.scaling == .classic)
        #expect(v[2].config.dropMode == .dropconnect && v[2].config.masks == .batch && v[2].config.scaling == .inverted)
    }

    /// A finished run is reused when these strings are equal, so they are pinned: a
    /// change here would retrain every run of an existing experiment directory.
    @Test("a run's settings, as its record stores them, key for key")
    func runSettingsArePinned() {
        var options = TrainingOptions()
        (options.optimizer, options.learningRate, options.batchSize, options.seed) = (.momentum, 0.01, 64, 7)
        let run = ExperimentRun(name: "dropout", config: ModelConfig(hidden: 32, dropP: 0.5, dropMode: .dropout),
                                options: options, epochs: 3, limit: 500)
        let settings = run.settings(dataDigest: "abc")
        #expect(settings.map(\.0) == ["activation", "drop_mode", "drop_p", "dropconnect_masks", "dropout_scaling",
                                      "hidden", "input_drop_p", "max_norm", "optimizer", "lr", "batch_size", "seed",
                                      "epochs", "limit", "data_digest"])
        #expect(settings.map(\.1) == ["relu", "dropout", "0.5", "example", "inverted", "32", "0.0", "none",
                                      "momentum", "0.01", "64", "7", "3", "500", "abc"])
    }

    @Test("finished runs group into one summary per model, over its seeds")
    func grouping() {
        func record(_ name: String, seed: UInt64, mse: Double) -> ExperimentRecord {
            var options = TrainingOptions()
            options.seed = seed
            let run = ExperimentRun(name: name, config: ModelConfig(), options: options, epochs: 2, limit: nil)
            let curve = [EpochFigures(trainLoss: 1, testMSE: mse + 1), EpochFigures(trainLoss: 0.5, testMSE: mse)]
            return ExperimentRecord(run: run, metrics: [("test_mse", mse)], curve: curve, reused: false)
        }
        let records = [record("none", seed: 0, mse: 1), record("dropout", seed: 0, mse: 3),
                       record("none", seed: 1, mse: 2), record("dropout", seed: 1, mse: 5)]
        let summaries = VariantSummary.group(records)
        #expect(summaries.map(\.name) == ["none", "dropout"])
        #expect(summaries[1].metric("test_mse")?.values == [3, 5] && summaries[1].seeds == [0, 1])
        #expect(summaries[0].testMSE.map(\.mean) == [2.5, 1.5])
        let test = summaries[1].versus(summaries[0]).first!.test!
        #expect(test.difference == 2.5)
    }
}
