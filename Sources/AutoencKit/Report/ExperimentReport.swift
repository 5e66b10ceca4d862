import Foundation

/// The report.html of `compare` and `sweep`: the settings, the metrics table with its
/// spread and noise marks, the figures already written into the output directory (read
/// back and embedded), and what each metric means.
public enum ExperimentReport {
    /// compare's page from its `figures` (the charts drawn again, as inline SVG; the
    /// weight maps of `selection`) and the reconstructions in `directory`.
    public static func compare(_ figures: Comparison.Figures, settings: [(String, JSON)], seeds: Int,
                               selection: WeightMapSelection, directory: String) throws -> String {
        let summaries = figures.summaries
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
        try page.chart(figures.curves, alt: "test MSE per epoch of each model",
                       caption: seeds > 1 ? "Test MSE after each epoch: the mean over the seeds, error bars ± one sd."
                                          : "Test MSE after each epoch.")
        page.heading("Weight maps")
        page.weightMaps(figures.weightMaps, caption: weightMapCaption(selection, defaultUnits: nil,
                                                                       whose: "each model (first seed)"))
        page.heading("Reconstructions")
        try figure(&page, directory, "reconstructions.png", "test images and each model's reconstructions",
                   "The first test images (top row) and each model's reconstructions of them (first seed).")
        page.heading("Activations (Srivastava et al. 2014, Fig. 8)")
        try page.chart(figures.histograms, alt: "histograms of mean and all activations per model",
                       caption: "Left: each unit's mean activation over the test set; right: "
                           + "all activations (log scale). First seed.")
        definitions(&page)
        return page.html
    }

    /// sweep's page from its `series` and `charts` (drawn again, as inline SVG), with the
    /// weight maps of `selection` (`weightMaps`: one per model and value).
    public static func sweep(_ series: [Sweep.Series], knob: Sweep.Knob, values: [KnobValue],
                             settings: [(String, JSON)], seeds: Int, charts: [(file: String, chart: LineChart)],
                             weightMaps: [(name: String, image: GrayImage)],
                             selection: WeightMapSelection) -> String {
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
        for (file, chart) in charts {
            let metric = (file as NSString).deletingPathExtension
            // a chart that cairo cannot draw (out of memory) is left out of the page, not the run
            try? page.chart(chart, alt: "\(metric) against \(knob.rawValue)",
                            caption: "\(metric) against \(knob.rawValue)"
                                + (seeds > 1 ? ": the mean over the seeds, error bars ± one sd." : "."))
        }
        page.heading("Weight maps")
        page.weightMaps(weightMaps, caption: weightMapCaption(selection, defaultUnits: Sweep.weightMapUnits,
                                                               whose: "each model at each \(knob.rawValue) "
                                                                   + "(first seed)"))
        definitions(&page)
        return page.html
    }

    /// What the weight maps of `whose` ("each model (first seed)") show, and which choice
    /// of `--units` and `--sort` made them: the defaults (`defaultUnits`, the command's
    /// default, nil for every unit; unit order) or the flags given.
    static func weightMapCaption(_ selection: WeightMapSelection, defaultUnits: Int?, whose: String) -> String {
        let units = selection.units.map { "the first \($0) units" } ?? "every unit"
        let order: String
        switch selection.sort {
        case .index: order = "in unit order"
        case .activation: order = "the most active on the test set first"
        case .localization: order = "the most localized first"
        case .norm: order = "the largest weight norm first"
        }
        let layer = selection.layer == .encoder ? "input (encoder)" : "output (decoder)"
        let dead = selection.liveOnly ? "left out" : "crossed out"
        let defaults = "--units \(defaultUnits.map(String.init) ?? "all") --sort index"
        let chosen = selection.units == defaultUnits && selection.sort == .index
            ? "Chosen by the defaults, \(defaults); --units, --sort, --live-only and --layer choose others."
            : "Chosen by --units \(selection.units.map(String.init) ?? "all") --sort \(selection.sort.rawValue) "
                + "(the defaults: \(defaults))."
        return "The \(layer) weights of \(units) of \(whose), \(order): each unit a 28x28 tile scaled on its own, "
            + "drawn at twice its size; units never active on the test set \(dead). " + chosen
    }

    /// What was run, for a chart's subtitle, from the `settings` metrics.json states: the
    /// data set (its directory's name), the training images, the epochs and the seeds, or
    /// with `firstSeed` the first seed alone, of how many ("seed 0, the first of 5").
    public static func runDescription(_ settings: [(String, JSON)], firstSeed: Bool = false) -> String {
        func value(_ key: String) -> JSON? { settings.first { $0.0 == key }?.1 }
        func number(_ key: String) -> Int? { if case .number(let n)? = value(key) { return Int(n) }; return nil }
        var parts: [String] = []
        if let data = value("data")?.string { parts.append((data as NSString).lastPathComponent) }
        if let train = number("train_images") { parts.append("\(train) training images") }
        if let epochs = number("epochs") { parts.append(counted(epochs, "epoch")) }
        if case .array(let seeds)? = value("seeds") {
            let list = seeds.compactMap { seed -> String? in
                if case .number(let n) = seed { return String(Int(n)) }
                return nil
            }
            if list.count == 1 {
                parts.append("seed \(list[0])")
            } else if let first = list.first {
                parts.append(firstSeed ? "seed \(first), the first of \(list.count)"
                                       : "\(list.count) seeds (\(list.joined(separator: ", ")))")
            }
        }
        return parts.joined(separator: " · ")
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
