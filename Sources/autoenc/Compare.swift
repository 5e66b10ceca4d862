import ArgumentParser
import AutoencKit
import Foundation

struct Compare: ParsableCommand, ExperimentCommand, DrawsWeightMaps {
    static let configuration = CommandConfiguration(
        abstract: """
            Train the same autoencoder without a regularizer, with dropout and with DropConnect (or --models), \
            from one or more seeds; measure and draw them side by side.
            """,
        discussion: """
            The models (none, dropout, DropConnect by default; --models picks them among \
            \(Comparison.models.joined(separator: ", "))) start from the same weights and see \
            the same batches with the same optimizer and seed; only the hidden regularizer \
            differs (--input-drop-p and --max-norm apply to all). With --seeds N each \
            is trained from N seeds, and the table gives each metric's mean +- sd, marking \
            each difference from none as beyond the seeds' noise (*) or within it (~) by \
            Welch's t test (two-sided, p < 0.05).

            Into --out the command writes report.html (one self-contained page: the \
            settings, the table, every figure, what each metric means), metrics.json (the settings; per model each \
            metric's values, mean, sd and 95% interval, and the test against none; every \
            run), curves.png (test MSE per epoch, mean +- sd), and from each model's first \
            seed weightmaps.png, reconstructions.png and histograms.png (Srivastava et al. \
            2014, Fig. 8); the charts as .svg or .pdf with --charts. Each run's model and record go to \
            runs/ as soon as it finishes: \
            after Ctrl-C (exit 130) the same command reuses the finished runs and trains \
            only the rest. The first invocation fixes the runs and settings in runs.json; \
            other settings on the same --out are refused. --shard I/N trains every Nth run only \
            (shards may run at once, on several machines sharing --out; each run is claimed \
            while it trains, runs/NAME.claim); --collect-only then writes the outputs. \
            --emit-sbatch FILE writes a Slurm job array of such shards instead of training.

            Metrics, on the test set in inference mode: \(Compare.metricDefinitions)
            """)
    static let defaultDirectory = "compare"
    /// What each metric means, one sentence each, for the help.
    static let metricDefinitions = Diagnostics.definitions.map { "\($0.term): \($0.meaning)" }.joined(separator: " ")
    static let figures = "the figures"

    @Option(parsing: .unconditional,
            help: ArgumentHelp("Train (models and probe) on the first N training images only.", valueName: "n"))
    var limit: Int?

    @Option(name: .customLong("drop-p"), parsing: .unconditional, help: ArgumentHelp(
        "Probability of dropping a unit (dropout) or a connection (DropConnect), as in PyTorch. (default: 0.5)",
        valueName: "p"))
    var dropP: Float?

    @Option(name: .customLong("keep-p"), parsing: .unconditional, help: ArgumentHelp(
        "The papers' spelling: probability of keeping, \(Limits.regularizingKeepP.expected); "
            + "sets --drop-p to 1 - this. Not with --drop-p.", valueName: "p"))
    var keepP: Float?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        """
        The models to train, a comma-separated list of \(Comparison.models.joined(separator: ", ")); none among \
        them, each once. (default: \(Comparison.defaultModels.joined(separator: ",")))
        """,
        valueName: "list"))
    var models: String?

    @OptionGroup var model: ModelFlags
    @OptionGroup var constraints: ConstraintFlags
    @OptionGroup var optimization: OptimizerFlags
    @OptionGroup var experiment: ExperimentFlags<Compare>

    @Option(parsing: .unconditional, help: ArgumentHelp("Test images drawn in reconstructions.png.", valueName: "n"))
    var count: Int = 10

    @OptionGroup(title: "Weight maps (weightmaps.png)") var weightMaps: WeightMapOptions<Compare>

    @OptionGroup var charts: ChartsOption

    @Option(help: ArgumentHelp(
        "Also draw curves.png's chart (test MSE per epoch, mean +- sd over the seeds) to this .png, .svg or .pdf "
            + "file.",
        valueName: "file"), completion: .chart)
    var plot: String?

    func validate() throws {
        try refuse(Limits.comparedReconstructions.problem(count, name: "--count"),
                   RunRecords.problem(log: experiment.log, plot: plot))
        _ = try usageErrors(plan)
    }

    /// The models' settings as `train` would take them, checked (`Comparison.Plan`).
    func plan() throws -> Comparison.Plan {
        var base = RunRequest()
        model.fill(&base)
        constraints.fill(&base)
        optimization.fill(&base)
        base.seed = experiment.seed
        base.limit = limit
        return try Comparison.Plan(base, dropP: dropP, keepP: keepP, seeds: experiment.seeds, epochs: experiment.epochs,
                                   models: models)
    }

    func run() throws {
        try experiment.run(plot: plot) {
            Comparison.Design(try plan(), count: count, selection: weightMaps.selection, charts: charts.format,
                              plot: plot)
        }
    }
}
