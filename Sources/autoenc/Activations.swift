import ArgumentParser
import AutoencKit
import Foundation

struct Activations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure what a model's hidden units do on the test set (Srivastava et al. 2014, Fig. 8).",
        discussion: """
            Writes histograms.png (each unit's mean activation, and all activations, over \
            the test set; .svg or .pdf with --charts) and metrics.json into --out, and prints the metrics: test_mse, \
            mean_activation, sparsity, dead_units, localization, and probe_accuracy when the \
            data set has label files (see `autoenc compare --help` for the definitions). For \
            a DropConnect model also test_mse_sample\(Diagnostics.dropConnectSamples), under Wan et al.'s \
            sampling inference.

            While it measures, a status line on standard error, when that is a terminal, \
            names the task under way (test codes, training codes, probe training, test MSE, \
            sampling inference) and how far it got, once the work has run for a second. -q \
            prints only errors.
            """)

    @OptionGroup var modelInput: ModelInput
    @OptionGroup var dataOptions: DataOptions

    @Option(name: .long, help: ArgumentHelp(
        "Directory for histograms.png and metrics.json (created if missing).", valueName: "dir"),
            completion: .directory)
    var out: String = "activations"

    @OptionGroup var threads: ThreadsOption

    @Option(parsing: .unconditional, help: ArgumentHelp("Train the probe on the first N training images only.",
                                                        valueName: "n"))
    var limit: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed for the probe and the sampling inference.",
                                                        valueName: "n"))
    var seed: UInt64 = 0

    @OptionGroup var charts: ChartsOption

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try refuse(Limits.limit.problem(limit, name: "--limit"),
                   Limits.nameProblem(out, flag: "--out", what: "a directory"))
    }

    func run() throws {
        try reportingErrors { try OutputDirectory.using(out, what: "--out") {
            try Diagnostics.measureCheckpoint(modelInput.model, data: dataOptions.data, limit: limit, seed: seed,
                                              threads: threads.count, charts: charts.format, directory: out,
                                              console: quiet.console)
        } }
    }
}
