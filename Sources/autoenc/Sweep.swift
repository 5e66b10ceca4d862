import ArgumentParser
import AutoencKit
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Train models at each value of one setting, from one or more seeds, and draw every metric against it.",
        discussion: """
            The knob is the one flag given a comma-separated list: --drop-p (Srivastava et \
            al. 2014, Fig. 9: 0,0.1,...,0.9), --limit (Fig. 10: the training set's size), \
            --input-drop-p or --max-norm. --models picks the models trained at each value \
            (none, dropout, dropconnect; default: dropout when the knob is --drop-p, else \
            none,dropout). none does not depend on --drop-p: it is trained once per seed \
            and drawn flat; a drop probability of 0 is none.

            Into --out the command writes report.html (one self-contained page: the \
            settings, the table, every chart, what each metric means), metrics.json (the settings; each model's points, \
            each with every metric's values, mean, sd and 95% interval and, when none was \
            trained, Welch's t test against none at the same value; every run), and one chart \
            per metric (test_mse, mean_activation, sparsity, dead_units, probe_accuracy, \
            localization; see `autoenc compare --help`) against the knob, with mean ± sd \
            error bars, as METRIC.png or .svg, and weightmaps.png (a row per model, the \
            first seed's map at each value). Runs go to runs/ as they finish; after Ctrl-C \
            (exit 130) the same command trains only what is missing.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(name: .customLong("drop-p"), help: ArgumentHelp(
        "Probability of dropping, or a list of them to sweep (e.g. 0,0.1,0.2). (default: 0.5)", valueName: "p[,p...]"))
    var dropP: String?

    @Option(help: ArgumentHelp("Train on the first N training images, or a list of sizes to sweep (e.g. 500,1000,2000). Default: all.", valueName: "n[,n...]"))
    var limit: String?

    @Option(name: .customLong("input-drop-p"), help: ArgumentHelp("Input pixel dropout, or a list to sweep. (default: 0)", valueName: "p[,p...]"))
    var inputDropP: String?

    @Option(name: .customLong("max-norm"), help: ArgumentHelp("Max-norm constraint, or a list to sweep. Default: none.", valueName: "C[,C...]"))
    var maxNorm: String?

    @Option(help: ArgumentHelp("Models trained at each value, comma-separated: none, dropout, dropconnect.", valueName: "names"))
    var models: String?

    @OptionGroup var model: ModelFlags
    @OptionGroup var optimization: OptimizerFlags
    @OptionGroup var seedFlags: SeedFlags
    @OptionGroup var threads: ThreadsOption

    @Option(parsing: .unconditional, help: ArgumentHelp("Passes over the training set for each run.", valueName: "n"))
    var epochs: Int = 10

    @Option(name: .long, help: ArgumentHelp("Directory for the charts, metrics and runs (created if missing).", valueName: "dir"))
    var out: String = "sweep"

    @OptionGroup(title: "Weight maps (weightmaps.png: a row per model, a map per value; 64 units each unless --units says)")
    var weightMaps: WeightMapOptions

    @Option(help: ArgumentHelp("Format of the charts: png or svg.", valueName: "format"))
    var charts: LineChart.Format = .png

    @Option(help: ArgumentHelp("Append each run's JSON lines (its settings, then one per epoch) to this file; - writes them to standard output.", valueName: "file"))
    var log: String?

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try check(epochs, Limits.epochs, "--epochs")
        guard !out.isEmpty else { throw ValidationError("--out must name a directory, got an empty string") }
        try checkRecords(log: log, plot: nil)
        let plan = try plan()
        var request = RunRequest()
        model.fill(&request)
        optimization.fill(&request)
        if let problem = request.problem(newRun: false) { throw ValidationError(problem) }
        if plan.knob == .dropP && plan.models == [Comparison.baseline] {
            throw ValidationError("--models none with a --drop-p sweep: none has no drop probability; add dropout or dropconnect")
        }
    }

    /// What the flags ask for: the knob and its values, the fixed settings, the models.
    struct Plan {
        var knob: Sweep.Knob
        var values: [KnobValue]
        var dropP: Float
        var limit: Int?
        var inputDropP: Float
        var maxNorm: Float?
        var models: [String]
    }

    func plan() throws -> Plan {
        let lists: [(Sweep.Knob, String?)] = [(.dropP, dropP), (.limit, limit), (.inputDropP, inputDropP), (.maxNorm, maxNorm)]
        var parsed: [Sweep.Knob: [KnobValue]] = [:]
        for (knob, text) in lists {
            guard let text else { continue }
            let labels = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var values: [KnobValue] = []
            for label in labels {
                guard let value = Double(label) else {
                    throw ValidationError("\(knob.flag) must be a number or a comma-separated list of numbers, got \(text)")
                }
                if let problem = problem(knob, value: value, label: label) { throw ValidationError(problem) }
                guard !values.contains(where: { $0.value == value }) else { throw ValidationError("\(knob.flag) lists \(label) twice") }
                values.append(KnobValue(name: knob.rawValue, value: value, label: label))
            }
            parsed[knob] = values
        }
        let swept = lists.map(\.0).filter { (parsed[$0]?.count ?? 0) > 1 }
        guard swept.count == 1, let knob = swept.first else {
            throw ValidationError(swept.isEmpty
                ? "give one of --drop-p, --limit, --input-drop-p or --max-norm a comma-separated list of at least two values to sweep"
                : "only one setting is swept at a time; \(swept.map(\.flag).joined(separator: " and ")) both list several values")
        }
        let single = { (k: Sweep.Knob) in parsed[k]?.first?.value }
        let names = (models ?? (knob == .dropP ? "dropout" : "none,dropout")).split(separator: ",").map(String.init)
        for name in names where !Sweep.models.contains(name) {
            throw ValidationError("--models: unknown model \(name); expected a comma-separated list of \(Sweep.models.joined(separator: ", "))")
        }
        guard !names.isEmpty, Set(names).count == names.count else {
            throw ValidationError("--models must name each of \(Sweep.models.joined(separator: ", ")) at most once, got \(models ?? "")")
        }
        let fixedDropP = knob == .dropP ? Compare.defaultDropP : single(.dropP).map(Float.init) ?? Compare.defaultDropP
        if knob != .dropP, fixedDropP == 0, names.contains(where: { $0 != Comparison.baseline }) {
            throw ValidationError("--drop-p 0 leaves dropout and DropConnect without a regularizer; give a drop probability above 0")
        }
        return Plan(knob: knob, values: parsed[knob]!, dropP: fixedDropP, limit: single(.limit).map { Int($0) },
                    inputDropP: single(.inputDropP).map(Float.init) ?? 0, maxNorm: single(.maxNorm).map(Float.init), models: names)
    }

    /// Why `value` is not valid for `knob`, or nil.
    func problem(_ knob: Sweep.Knob, value: Double, label: String) -> String? {
        switch knob {
        case .dropP, .inputDropP: return Limits.dropP.problem(Float(value), name: knob.flag)
        case .maxNorm: return Limits.maxNorm.problem(Float(value), name: knob.flag)
        case .limit:
            guard value == value.rounded(), value >= 1, value <= 1e9 else { return "\(knob.flag) must be whole numbers of at least 1, got \(label)" }
            return nil
        }
    }

    func run() throws {
        try reportingErrors { try OutputDirectory.using(out, what: "--out") {
            let lock = try OutputLock(for: (out as NSString).appendingPathComponent("metrics.json"), what: "--out")
            defer { lock.release() }
            try RunRecords.checkOutputs(log: log, plot: nil)
            let plan = try plan()
            let location = try dataOptions.location()
            let (loaded, test, labeled) = try location.loadForAnalysis(limit: nil, always: true)
            let train = loaded!
            if plan.knob == .limit, let beyond = plan.values.first(where: { Int($0.value) > train.count }) {
                // every size beyond the data would train on the same images
                throw AutoencError(.usage, "--limit \(beyond.label): \(location.directory) has only \(train.count) training images; sweep sizes up to \(train.count)")
            }
            let trainImages = train.prefix(plan.limit).count
            var request = RunRequest()
            model.fill(&request)
            optimization.fill(&request)
            var (base, options) = request.newRun()
            base.inputDropP = plan.inputDropP
            base.maxNorm = plan.maxNorm
            let runs = Sweep.runs(models: plan.models, knob: plan.knob, values: plan.values, base: base, dropP: plan.dropP,
                                  options: options, seeds: seedFlags.seeds, epochs: epochs, limit: plan.limit)
            let lines = { (line: String) in say(line, quiet: quiet.quiet, log: log) }
            lines("data: \(location.directory) (\(trainImages) training, \(test.count) test images\(labeled ? ", labels" : ", no labels: no probe"))")
            lines("sweep: \(plan.knob.rawValue) over \(plan.values.map(\.label).joined(separator: ", ")); models \(plan.models.joined(separator: ", ")); 784-\(base.hidden)-784 \(base.activation.rawValue); \(options.optimizer.rawValue) lr \(options.learningRate), batch \(options.batchSize), \(counted(seedFlags.seeds, "seed")) from \(options.seed)")
            if let note = request.note { lines(note) }

            let records = try trainRuns(runs, train: train, test: test, location: location, out: out, seeds: seedFlags,
                                        threads: threads, quiet: quiet.quiet, log: log, again: Self.commandLine)
            let series = Sweep.series(models: plan.models, knob: plan.knob, values: plan.values, base: base, dropP: plan.dropP,
                                      options: options, seeds: seedFlags.seeds, epochs: epochs, limit: plan.limit, records: records)
            var settings: [(String, JSON)] = [
                ("data", .string(location.directory)), ("train_images", .number(Double(trainImages))),
                ("test_images", .number(Double(test.count))), ("epochs", .number(Double(epochs))),
                ("models", .array(plan.models.map { .string($0) })),
                ("seeds", .array((0..<UInt64(seedFlags.seeds)).map { .number(Double(options.seed &+ $0)) })),
                ("hidden", .number(Double(base.hidden))), ("activation", .string(base.activation.rawValue)),
                ("optimizer", .string(options.optimizer.rawValue)), ("lr", .float(options.learningRate)),
                ("batch_size", .number(Double(options.batchSize))),
            ]
            if plan.knob != .dropP { settings.append(("drop_p", .float(plan.dropP))) }
            let charts = try Sweep.writeOutputs(series, records: records, knob: plan.knob, values: plan.values, seeds: seedFlags.seeds,
                                                settings: settings, chartFormat: charts, directory: out)
            var selection = weightMaps.selection
            selection.units = selection.units ?? 64
            try Sweep.writeWeightMaps(series, test: test, selection: selection, threads: threads.count, directory: out)
            let report = try ExperimentReport.sweep(series, knob: plan.knob, values: plan.values, settings: settings,
                                                    seeds: seedFlags.seeds, charts: charts, directory: out)
            try AtomicFile.write(Array(report.utf8), to: (out as NSString).appendingPathComponent("report.html"))
            let none = series.first { $0.name == Comparison.baseline }
            let points = series.flatMap(\.points)
            lines("")
            lines(VariantSummary.table(points) { point in
                guard let none, point.name != Comparison.baseline else { return nil }
                return none.points.first { $0.knob == point.knob }
            })
            lines(VariantSummary.legend(seeds: seedFlags.seeds, baseline: none != nil ? "none at the same value" : "none (not trained)"))
            lines("")
            lines("wrote \(out)/: report.html, metrics.json, \(charts.joined(separator: ", ")), weightmaps.png, runs/")
        } }
    }
}

extension LineChart.Format: ExpressibleByArgument {}
