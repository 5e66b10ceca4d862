import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// What sweep's and compare's flags turn into, without the command line: a sweep's knob
/// lists parsed and checked (`Sweep.Plan`), its runs (`Sweep.Grid`), compare's three
/// models (`Comparison.Plan`), and the messages of each refusal.
@Suite struct ExperimentPlanTests {
    /// The usage message `body` throws, or nil when it does not throw one.
    static func usageMessage<T>(_ body: () throws -> T) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as AutoencError {
            return error.status == .usage ? error.message : "status \(error.status): \(error.message)"
        } catch {
            return "\(error)"
        }
    }

    @Test("a drop-p list: its values as written, dropout by default, the other knobs' single values kept")
    func dropPList() throws {
        let plan = try Sweep.Plan(lists: [.dropP: "0, 0.25,0.5", .limit: "100", .maxNorm: "3"], models: nil,
                                  request: RunRequest())
        #expect(plan.knob == .dropP)
        #expect(plan.values.map(\.label) == ["0", "0.25", "0.5"] && plan.values.map(\.value) == [0, 0.25, 0.5])
        #expect(plan.values.allSatisfy { $0.name == "drop_p" })
        #expect(plan.models == ["dropout"])
        #expect(plan.dropP == Comparison.defaultDropP)
        #expect(plan.limit == 100 && plan.maxNorm == 3 && plan.inputDropP == 0)
    }

    @Test("another knob: none and dropout by default, at --drop-p when given, else 0.5")
    func otherKnob() throws {
        let sizes = try Sweep.Plan(lists: [.limit: "500,1000"], models: nil, request: RunRequest())
        #expect(sizes.knob == .limit && sizes.models == ["none", "dropout"] && sizes.dropP == 0.5)
        // no fixed size when the size is swept: each run takes its own (it was the first
        // listed, which metrics.json then gave as every point's train_images)
        #expect(sizes.limit == nil)
        #expect(sizes.grid(seeds: 1, epochs: 1).runs.compactMap(\.limit).sorted() == [500, 500, 1000, 1000])
        let norms = try Sweep.Plan(lists: [.maxNorm: "1,2", .dropP: "0.2"], models: "dropconnect,none",
                                   request: RunRequest())
        #expect(norms.knob == .maxNorm && norms.models == ["dropconnect", "none"] && norms.dropP == 0.2)
        // none alone needs no drop probability
        let none = try Sweep.Plan(lists: [.limit: "10,20", .dropP: "0"], models: "none", request: RunRequest())
        #expect(none.dropP == 0)
    }

    static let noList = """
        give one of --drop-p, --limit, --input-drop-p or --max-norm a comma-separated list of values to sweep \
        (one value: only that setting given)
        """
    static let modelNames = "none, dropout, dropconnect, gaussian"

    static let refusals: [(lists: [Sweep.Knob: String], models: String?, message: String)] = [
        ([:], nil, noList),
        // one value of one knob is a sweep of one point; of two knobs, neither is the one swept
        ([.dropP: "0.5", .limit: "10"], nil, noList),
        ([.dropP: "0.1,0.1"], nil, "--drop-p lists 0.1 twice"),
        ([.limit: "10, 10.0"], nil, "--limit lists 10.0 twice"),
        ([.dropP: "0.1,0.5", .limit: "10,20"], nil,
         "only one setting is swept at a time; --drop-p and --limit both list several values"),
        ([.dropP: "0.1,0.5"], "dropout,relu",
         "--models: unknown model relu; expected a comma-separated list of \(modelNames)"),
        ([.dropP: "0.1,0.5"], "dropout,dropout",
         "--models must name each of \(modelNames) at most once, got dropout,dropout"),
        ([.dropP: "0.1,0.5"], "", "--models must name each of \(modelNames) at most once, got "),
        ([.dropP: "0.1,0.5"], "none",
         "--models none with a --drop-p sweep: none has no drop probability; add dropout or dropconnect"),
        ([.dropP: "0.1,x"], nil, "--drop-p must be a number or a comma-separated list of numbers, got 0.1,x"),
        ([.dropP: "0.1,"], nil, "--drop-p must be a number or a comma-separated list of numbers, got 0.1,"),
        ([.dropP: "0.1,1"], nil, "--drop-p must be in [0, 1), got 1.0"),
        ([.inputDropP: "0,-0.1"], nil, "--input-drop-p must be in [0, 1), got -0.1"),
        ([.maxNorm: "1,-1"], nil, "--max-norm must be a positive number, got -1.0"),
        ([.limit: "10,2.5"], nil, "--limit must be whole numbers of at least 1, got 2.5"),
        ([.limit: "10,0"], nil, "--limit must be whole numbers of at least 1, got 0"),
        ([.limit: "1e10,2"], nil, "--limit must be whole numbers of at least 1, got 1e10"),
        ([.limit: "10,20", .dropP: "0"], nil, """
            --drop-p 0 leaves dropout, DropConnect and Gaussian dropout without a regularizer; \
            give a drop probability above 0
            """),
    ]

    @Test("each refusal is a usage error with the command's message", arguments: refusals)
    func refusal(lists: [Sweep.Knob: String], models: String?, message: String) {
        #expect(Self.usageMessage { try Sweep.Plan(lists: lists, models: models, request: RunRequest()) } == message)
    }

    @Test("the shared settings are checked after the lists, before none alone in a drop-p sweep")
    func requestChecked() {
        var request = RunRequest()
        request.hidden = 0
        #expect(Self.usageMessage { try Sweep.Plan(lists: [.dropP: "0.1,0.5"], models: nil, request: request) }
                == "--hidden must be in 1...16384, got 0")
        #expect(Self.usageMessage { try Sweep.Plan(lists: [.dropP: "0.1,0.5"], models: "none", request: request) }
                == "--hidden must be in 1...16384, got 0")
        #expect(Self.usageMessage { try Sweep.Plan(lists: [.dropP: "0.1,1"], models: nil, request: request) }
                == "--drop-p must be in [0, 1), got 1.0")
    }

    @Test("the grid takes the request's model and optimizer, with the fixed input dropout and max-norm")
    func grid() throws {
        var request = RunRequest()
        request.hidden = 16
        request.seed = 7
        request.learningRate = 0.01
        let plan = try Sweep.Plan(lists: [.limit: "32,64", .inputDropP: "0.2", .maxNorm: "3"], models: "dropout",
                                  request: request)
        let grid = plan.grid(seeds: 2, epochs: 3)
        #expect(grid.base.hidden == 16 && grid.base.inputDropP == 0.2 && grid.base.maxNorm == 3)
        #expect(grid.options.seed == 7 && grid.options.learningRate == 0.01 && grid.seeds == 2 && grid.epochs == 3)
        #expect(grid.runs.map(\.stem) == ["dropout-limit32-seed7", "dropout-limit64-seed7",
                                          "dropout-limit32-seed8", "dropout-limit64-seed8"])
        #expect(grid.runs.allSatisfy { $0.config.dropP == 0.5 && $0.config.inputDropP == 0.2 && $0.epochs == 3 })
        #expect(grid.summary
                == "limit over 32, 64; models dropout; 784-16-784 relu; adam lr 0.01, batch 128, 2 seeds from 7")
        let settings = grid.settings(data: "data", trainImages: 64, testImages: 10)
        #expect(settings.map(\.0) == ["data", "train_images", "test_images", "epochs", "models", "seeds", "hidden",
                                      "activation", "optimizer", "lr", "batch_size", "drop_p"])
        #expect(settings.first { $0.0 == "seeds" }?.1.rendered() == "[7, 8]")
    }

    @Test("a size sweep refuses sizes beyond the training set, naming the first")
    func sizes() throws {
        let grid = try Sweep.Plan(lists: [.limit: "32,100,200"], models: nil, request: RunRequest())
            .grid(seeds: 1, epochs: 1)
        #expect(Self.usageMessage { try grid.checkSizes(trainImages: 200, data: "data") } == nil)
        #expect(Self.usageMessage { try grid.checkSizes(trainImages: 64, data: "data") }
                == "--limit 100: data has only 64 training images; sweep sizes up to 64")
        let drops = try Sweep.Plan(lists: [.dropP: "0.1,0.5"], models: nil, request: RunRequest())
            .grid(seeds: 1, epochs: 1)
        #expect(Self.usageMessage { try drops.checkSizes(trainImages: 1, data: "data") } == nil)
    }

    @Test("compare's plan: the three models from the shared settings at --drop-p, --keep-p or 0.5")
    func comparePlan() throws {
        var base = RunRequest()
        base.hidden = 16
        base.masks = .batch
        base.scaling = .classic
        base.limit = 64
        let plan = try Comparison.Plan(base, dropP: nil, keepP: 0.8, seeds: 2, epochs: 1)
        #expect(plan.requests.map(\.name) == ["none", "dropout", "dropconnect"])
        let configs = plan.variants.map(\.config)
        #expect(zip(configs.map(\.dropP), [0, 0.2, 0.2]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(configs.map(\.dropP))")
        #expect(configs[1].scaling == .classic && configs[2].masks == .batch && configs[0].scaling == .inverted)
        #expect(plan.limit == 64 && plan.runs.count == 6)
        #expect(plan.runs.map(\.stem).prefix(3) == ["none-seed0", "dropout-seed0", "dropconnect-seed0"])
        let defaulted = try Comparison.Plan(RunRequest(), dropP: nil, keepP: nil, seeds: 1, epochs: 1)
        #expect(defaulted.variants.map(\.config.dropP) == [0, 0.5, 0.5])
        #expect(defaulted.summary == """
            784-256-784 relu; none / dropout p_drop 0.5 / DropConnect p_drop 0.5, masks per example; \
            adam lr 0.001, batch 128, 1 seed from 0
            """)
    }

    @Test("compare --models: none first, Gaussian dropout at the same p, inverted, its record's settings")
    func comparePlanWithModels() throws {
        var base = RunRequest()
        base.hidden = 16
        base.scaling = .classic
        let plan = try Comparison.Plan(base, dropP: 0.3, keepP: nil, seeds: 1, epochs: 1,
                                       models: "gaussian, dropout,none")
        #expect(plan.requests.map(\.name) == ["none", "gaussian", "dropout"])
        let configs = plan.variants.map(\.config)
        #expect(configs[1].dropMode == .gaussian && configs[1].dropP == 0.3 && configs[1].scaling == .inverted)
        #expect(configs[2].dropMode == .dropout && configs[2].scaling == .classic)
        #expect(plan.summary.contains("none / Gaussian dropout p_drop 0.3 (sigma"), "\(plan.summary)")
        // the same keys as every other run's record, drop_mode naming the model
        let gaussian = plan.runs[1].settings(dataDigest: "d"), dropout = plan.runs[2].settings(dataDigest: "d")
        #expect(gaussian.map(\.0) == dropout.map(\.0))
        #expect(gaussian.first { $0.0 == "drop_mode" }?.1 == "gaussian")
        #expect(Self.usageMessage { try Comparison.Plan(base, dropP: nil, keepP: nil, seeds: 1, epochs: 1,
                                                       models: "none,gaussian,dropconnect,gaussian") }?
                    .hasPrefix("--models must name each of none, dropout, dropconnect, gaussian at most once") == true)
    }

    @Test("compare's plan refuses what train would refuse of any of its models")
    func compareRefusals() {
        #expect(Self.usageMessage { try Comparison.Plan(RunRequest(), dropP: 0.5, keepP: 0.5, seeds: 1, epochs: 1) }
                == "--keep-p and --drop-p say the same thing (keep = 1 - drop); give one of them")
        var base = RunRequest()
        base.batchSize = 0
        #expect(Self.usageMessage { try Comparison.Plan(base, dropP: nil, keepP: nil, seeds: 1, epochs: 1) }
                == "--batch-size must be in 1...65536, got 0")
    }
}
