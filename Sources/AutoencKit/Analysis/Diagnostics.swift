import Foundation

/// Everything measured about one trained model: reconstruction error, what the hidden
/// units do on the test set, how localized their weights are, and how linearly
/// decodable the labels are from the codes.
public struct Diagnostics: Sendable {
    public var name: String
    public var activation: Activation
    /// Test-set MSE in inference mode (`Autoencoder.meanSquaredError`).
    public var testMSE: Double
    /// Further error measurements, in order, e.g. ("test_mse_sample64", value).
    public var extraMSE: [(key: String, value: Double)] = []
    /// On the test set's codes.
    public var statistics: ActivationStatistics
    /// Mean `Localization.score` over the live units (NaN when none is live).
    public var localization: Double
    /// Test accuracy of a `LinearProbe` trained on the training codes; nil without labels.
    public var probeAccuracy: Double?

    /// Measures `model`: codes of `test` for the activation statistics; when `train`
    /// and `test` both carry labels, a linear probe trained on `train`'s codes and
    /// scored on `test`'s. `codes` receives the test codes (test.count, hidden) for
    /// histograms. `progress` hears of each task in turn: "test codes", "training codes"
    /// and "probe training" (with labels), "test MSE".
    public static func measure(_ model: Autoencoder, name: String, test: ImageSet, train: ImageSet?,
                               probe: LinearProbe.Options = .init(), threads: Int = 1,
                               codes: ((FloatBuffer) -> Void)? = nil, progress: ProgressHandler? = nil) -> Diagnostics {
        func task(_ name: String) -> ProgressTask? { progress.map { ProgressTask(name, $0) } }
        let h = model.config.hidden
        let testCodes = model.codes(test, threads: threads, progress: task("test codes"))
        let testValues = UnsafeBufferPointer(start: testCodes.pointer, count: test.count * h)
        let statistics = ActivationStatistics(codes: testValues, examples: test.count, units: h,
                                              activation: model.config.activation)
        var accuracy: Double?
        if let train, let trainLabels = train.labels, let testLabels = test.labels, train.count > 0 {
            let trainCodes = model.codes(train, threads: threads, progress: task("training codes"))
            let probe = LinearProbe(codes: trainCodes.pointer, count: train.count, features: h, labels: trainLabels,
                                    options: probe,
                                    progress: task("probe training"))
            accuracy = probe.accuracy(testCodes.pointer, count: test.count, labels: testLabels)
        }
        codes?(testCodes)
        return Diagnostics(name: name, activation: model.config.activation,
                           testMSE: model.meanSquaredError(test, threads: threads, progress: task("test MSE")),
                           statistics: statistics,
                           localization: Localization.mean(model.parameters, include: { statistics.live[$0] }),
                           probeAccuracy: accuracy)
    }

    /// Draws per unit for a DropConnect model's extra test MSE under Wan et al.'s
    /// sampling inference (`test_mse_sample64`).
    public static let dropConnectSamples = 64

    /// `measure`, plus for a DropConnect model its test MSE under sampling inference, with
    /// the draws keyed by `seed`. Returns the diagnostics and the test codes
    /// (test.count, hidden), for histograms. `progress` hears of `measure`'s tasks, then
    /// of "test MSE, sampling inference (64 draws)" for a DropConnect model.
    public static func evaluate(_ model: Autoencoder, name: String, test: ImageSet, train: ImageSet?,
                                seed: UInt64, threads: Int,
                                progress: ProgressHandler? = nil) -> (diagnostics: Diagnostics, codes: FloatBuffer) {
        var codes: FloatBuffer?
        var diagnostics = measure(model, name: name, test: test, train: train, probe: .init(seed: seed),
                                  threads: threads, codes: { codes = $0 }, progress: progress)
        let sampling = InferenceRule.sample(dropConnectSamples)
        if MomentMatchedEncoder.draws(model, sampling) {
            let task = progress.map { ProgressTask("test MSE, \(sampling.phrase)", $0) }
            diagnostics.extraMSE.append(("test_mse_sample\(dropConnectSamples)",
                                         model.meanSquaredError(test, threads: threads, inference: sampling, seed: seed,
                                                                progress: task)))
        }
        return (diagnostics, codes!)
    }

    /// The metrics in `metricOrder`: test_mse and the extra errors, mean_activation,
    /// sparsity, dead_units, probe_accuracy (when measured), localization.
    public var metrics: [(key: String, value: Double)] {
        var out: [(key: String, value: Double)] = [("test_mse", testMSE)] + extraMSE
        out += [("mean_activation", statistics.meanActivation), ("sparsity", statistics.sparsity),
                ("dead_units", Double(statistics.deadUnits))]
        if let probeAccuracy { out.append(("probe_accuracy", probeAccuracy)) }
        out.append(("localization", localization))
        return out
    }

    /// The order in which tables, files and figures list the metrics.
    public static let metricOrder = ["test_mse", "test_mse_sample\(dropConnectSamples)", "mean_activation", "sparsity",
                                     "dead_units", "probe_accuracy", "localization"]

    /// `metrics` sorted into `metricOrder` (unknown keys last, in their order).
    public static func ordered(_ metrics: [(key: String, value: Double)]) -> [(key: String, value: Double)] {
        metrics.enumerated().sorted { a, b in
            let i = metricOrder.firstIndex(of: a.element.key) ?? metricOrder.count + a.offset
            let j = metricOrder.firstIndex(of: b.element.key) ?? metricOrder.count + b.offset
            return i < j
        }.map(\.element)
    }

    /// One JSON object: name, test_mse (and the extra errors), mean_activation,
    /// sparsity, dead_units, units, probe_accuracy (null without labels), localization.
    public var json: JSON {
        func number(_ x: Double) -> JSON { .rounded(x, digits: 6) }
        var fields: [(String, JSON)] = [("name", .string(name)), ("activation", .string(activation.rawValue)),
                                        ("test_mse", number(testMSE))]
        fields += extraMSE.map { ($0.key, number($0.value)) }
        fields += [("mean_activation", number(statistics.meanActivation)), ("sparsity", number(statistics.sparsity)),
                   ("dead_units", .number(Double(statistics.deadUnits))), ("units", .number(Double(statistics.units))),
                   ("probe_accuracy", probeAccuracy.map(number) ?? .null), ("localization", number(localization))]
        return .object(fields)
    }

    /// `{"variants": [...]}` with one object per model, then any `settings` as a
    /// second key, ending in a newline.
    public static func json(_ variants: [Diagnostics], settings: [(String, JSON)] = []) -> String {
        var fields: [(String, JSON)] = [("variants", .array(variants.map(\.json)))]
        if !settings.isEmpty { fields.append(("settings", .object(settings))) }
        return JSON.object(fields).rendered() + "\n"
    }

    /// The variants as an aligned text table, one row per model.
    public static func table(_ variants: [Diagnostics]) -> String {
        let extraKeys = variants.flatMap { $0.extraMSE.map(\.key) }
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let header = ["model", "test_mse"] + extraKeys + ["mean_act", "sparsity", "dead", "probe_acc", "localization"]
        var rows = [header]
        for v in variants {
            var row = [v.name, String(format: "%.5f", v.testMSE)]
            for key in extraKeys {
                row.append(v.extraMSE.first { $0.key == key }.map { String(format: "%.5f", $0.value) } ?? "-")
            }
            row += [String(format: "%.3f", v.statistics.meanActivation),
                    String(format: "%.3f", v.statistics.sparsity),
                    "\(v.statistics.deadUnits)/\(v.statistics.units)",
                    v.probeAccuracy.map { String(format: "%.3f", $0) } ?? "-",
                    String(format: "%.3f", v.localization)]
            rows.append(row)
        }
        return aligned(rows)
    }

    /// Rows of cells as text columns two spaces apart: the first left-aligned, the
    /// others right-aligned. Every table autoenc prints.
    public static func aligned(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func number(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "null" }
}
