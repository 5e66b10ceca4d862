import ArgumentParser
import AutoencKit
import Foundation

struct SweepCommand: ParsableCommand, ExperimentCommand, DrawsWeightMaps {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Train models at each value of one setting, from one or more seeds, "
            + "and draw every metric against it.",
        discussion: """
            The knob is the one flag given a comma-separated list: --drop-p (Srivastava et \
            al. 2014, Fig. 9: 0,0.1,...,0.9), --limit (Fig. 10: the training set's size), \
            --input-drop-p or --max-norm. --models picks the models trained at each value \
            (\(Sweep.models.joined(separator: ", ")); default: dropout when the knob is --drop-p, else \
            none,dropout). none does not depend on --drop-p: it is trained once per seed \
            and drawn flat; a drop probability of 0 is none.

            Into --out the command writes report.html (one self-contained page: the \
            settings, the table, every chart, what each metric means), metrics.json (the settings; \
            each model's points, \
            each with every metric's values, mean, sd and 95% interval and, when none was \
            trained, Welch's t test against none at the same value; every run), and one chart \
            per metric (test_mse, mean_activation, sparsity, dead_units, probe_accuracy, \
            localization; see `autoenc compare --help`) against the knob, with mean +- sd \
            error bars, as METRIC.png, .svg or .pdf (--charts), and weightmaps.png (a row per model, the \
            first seed's map at each value). Runs go to runs/ as they finish; after Ctrl-C \
            (exit 130) the same command trains only what is missing. --shard, --collect-only \
            and --emit-sbatch split the runs over processes and machines as in compare.
            """)
    static let defaultDirectory = "sweep"
    static let figures = "a chart per metric"
    static let defaultUnits: Int? = Sweep.weightMapUnits

    @Option(name: .customLong("drop-p"), help: ArgumentHelp(
        "Probability of dropping, or a list of them to sweep (e.g. 0,0.1,0.2). (default: 0.5)", valueName: "p[,p...]"))
    var dropP: String?

    @Option(help: ArgumentHelp("Train on the first N training images, or a list of sizes to sweep (e.g. "
        + "500,1000,2000). Default: all.", valueName: "n[,n...]"))
    var limit: String?

    @Option(name: .customLong("input-drop-p"), help: ArgumentHelp("Input pixel dropout, or a list "
        + "to sweep. (default: 0)", valueName: "p[,p...]"))
    var inputDropP: String?

    @Option(name: .customLong("max-norm"),
            help: ArgumentHelp("Max-norm constraint, or a list to sweep. Default: none.", valueName: "C[,C...]"))
    var maxNorm: String?

    @Option(help: ArgumentHelp(
        "Models trained at each value, comma-separated: \(Sweep.models.joined(separator: ", ")).", valueName: "names"))
    var models: String?

    @OptionGroup var model: ModelFlags
    @OptionGroup var optimization: OptimizerFlags
    @OptionGroup var experiment: ExperimentFlags<SweepCommand>

    @OptionGroup(title: "Weight maps (weightmaps.png: a row per model, a map per value, "
                 + "\(Sweep.weightMapUnits) units each unless --units says)")
    var weightMaps: WeightMapOptions<SweepCommand>

    @OptionGroup var charts: ChartsOption

    func validate() throws { _ = try usageErrors(plan) }

    /// What the flags ask for, checked (`Sweep.Plan`: the knob and its values, the fixed
    /// settings, the models).
    func plan() throws -> Sweep.Plan {
        var request = RunRequest()
        model.fill(&request)
        optimization.fill(&request)
        request.seed = experiment.seed
        let lists: [Sweep.Knob: String?] = [.dropP: dropP, .limit: limit, .inputDropP: inputDropP, .maxNorm: maxNorm]
        return try Sweep.Plan(lists: lists.compactMapValues { $0 }, models: models, request: request)
    }

    func run() throws {
        try experiment.run {
            Sweep.Design(try plan(), seeds: experiment.seeds, epochs: experiment.epochs, chartFormat: charts.format,
                         selection: weightMaps.selection)
        }
    }
}

