import Foundation

/// The report.html of `compare` and `sweep`: the settings, the metrics table with its
/// spread and noise marks, the figures already written into the output directory (read
/// back and embedded), and what each metric means.
public enum ExperimentReport {
    /// compare's page from its `summaries` and the figures in `directory`.
    public static func compare(_ summaries: [VariantSummary], settings: [(String, JSON)], seeds: Int,
                               directory: String) throws -> String {
        let names = summaries.map(\.name)
        let listed = names.dropLast().joined(separator: ", ") + (names.count > 1 ? " and " : "") + (names.last ?? "")
        var page = HTMLReport(title: "autoenc compare: \(listed)")
        let from = seeds > 1 ? "from each of \(seeds) seeds" : "from one seed"
        page.paragraph("The same autoencoder trained with each hidden regularizer (\(listed)), from the same initial "
                       + "weights, on the same batches, \(from); measured on the test set in inference mode.")
        settingsTable(&page, settings)
        let baseline = summaries.first { $0.name == Comparison.baseline }
        metricsTable(&page, VariantSummary.cells(summaries) { _ in baseline }, seeds: seeds,
                     baseline: Comparison.baseline)
        page.heading("Learning curves")
        try figure(&page, directory, "curves.png", "test MSE per epoch of each model",
                   seeds > 1 ? "Test MSE after each epoch: the mean over the seeds, error bars ± one sd."
                             : "Test MSE after each epoch.")
        page.heading("Weight maps")
        try figure(&page, directory, "weightmaps.png", "each hidden unit's weights as a 28x28 tile, per model",
                   "Each hidden unit's weights as a 28x28 tile, scaled on its own (first seed); "
                       + "units never active on the test set crossed out.")
        page.heading("Reconstructions")
        try figure(&page, directory, "reconstructions.png", "test images and each model's reconstructions",
                   "The first test images (top row) and each model's reconstructions of them (first seed).")
        page.heading("Activations (Srivastava et al. 2014, Fig. 8)")
        try figure(&page, directory, "histograms.png", "histograms of mean and all activations per model",
                   "Left: each unit's mean activation over the test set; right: "
                       + "all activations (log scale). First seed.")
        definitions(&page)
        return page.html
    }

    /// sweep's page from its `series` and the charts (`charts`, file names) in `directory`.
    public static func sweep(_ series: [Sweep.Series], knob: Sweep.Knob, values: [KnobValue],
                             settings: [(String, JSON)],
                             seeds: Int, charts: [String], directory: String) throws -> String {
        var page = HTMLReport(title: "autoenc sweep: \(knob.rawValue)")
        page.paragraph("\(series.map(\.name).joined(separator: ", ")) trained at each \(knob.rawValue) "
            + "in \(values.map(\.label).joined(separator: ", ")), "
            + "\(seeds > 1 ? "from each of \(seeds) seeds" : "from one seed"); "
            + "measured on the test set in inference mode.")
        settingsTable(&page, settings)
        let noneTrained = series.contains { $0.name == Comparison.baseline }
        let cells = VariantSummary.cells(Sweep.tableRows(series), baseline: Sweep.baseline(in: series))
        metricsTable(&page, cells, seeds: seeds,
                     baseline: noneTrained ? "none at the same \(knob.rawValue)" : "none (not trained)")
        page.heading("Each metric against \(knob.rawValue)")
        for chart in charts {
            let metric = (chart as NSString).deletingPathExtension
            try figure(&page, directory, chart, "\(metric) against \(knob.rawValue)",
                       "\(metric) against \(knob.rawValue)"
                           + (seeds > 1 ? ": the mean over the seeds, error bars ± one sd." : "."))
        }
        page.heading("Weight maps")
        try figure(&page, directory, "weightmaps.png", "weight maps of each model at each value",
                   "A row per model, a map per \(knob.rawValue) (first seed): each unit's weights as a 28x28 tile; "
                       + "units never active on the test set crossed out.")
        definitions(&page)
        return page.html
    }

    static func settingsTable(_ page: inout HTMLReport, _ settings: [(String, JSON)]) {
        page.heading("Settings and data")
        page.table(header: ["setting", "value"], rows: settings.map { key, value in
            [key, value.string ?? value.rendered()]
        })
    }

    static func metricsTable(_ page: inout HTMLReport, _ cells: [[String]], seeds: Int, baseline: String) {
        page.heading("Metrics")
        page.table(header: cells[0], rows: Array(cells.dropFirst()),
                   caption: VariantSummary.legend(seeds: seeds, baseline: baseline))
        if seeds > 1 {
            page.paragraph("What the marks show: whether each difference from \(baseline) "
                + "is larger than the spread between seeds explains, by one test per cell at the 5% level; "
                + "with many cells a few marks are expected by chance alone. What they do not show: "
                + "how large a difference matters, or whether it holds on other data, sizes or training lengths.")
        }
    }

    static func figure(_ page: inout HTMLReport, _ directory: String, _ name: String, _ alt: String,
                       _ caption: String) throws {
        let path = (directory as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AutoencError(.ioError, "\(path): cannot read the figure back for report.html")
        }
        if name.hasSuffix(".svg") {
            page.image(svg: String(decoding: data, as: UTF8.self), alt: alt, caption: caption)
        } else {
            page.image(png: Array(data), alt: alt, caption: caption)
        }
    }

    static func definitions(_ page: inout HTMLReport) {
        page.heading("What the metrics mean")
        page.definitions(Diagnostics.definitions)
    }
}
