import Foundation

/// One model of an experiment (at one knob value) over its seeds: each metric's
/// `Summary`, and the learning curve's per epoch.
public struct VariantSummary: Sendable {
    public var name: String
    public var knob: KnobValue?
    public var seeds: [UInt64]
    /// In `Diagnostics.metricOrder`.
    public var metrics: [(key: String, summary: Summary)]
    /// Per epoch, over the seeds.
    public var trainLoss: [Summary]
    public var testMSE: [Summary]

    public func metric(_ key: String) -> Summary? { metrics.first { $0.key == key }?.summary }

    /// "dropout", or "dropout drop_p=0.3" in a sweep.
    public var label: String { name + (knob.map { " \($0.name)=\($0.label)" } ?? "") }

    /// The records grouped by model and knob value, in the order each first appears.
    public static func group(_ records: [ExperimentRecord]) -> [VariantSummary] {
        var keys: [String] = []
        var groups: [String: [ExperimentRecord]] = [:]
        for record in records {
            let key = record.run.name + "\u{0}" + (record.run.knob?.label ?? "")
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(record)
        }
        return keys.map { key in
            let group = groups[key]!
            return VariantSummary(name: group[0].run.name, knob: group[0].run.knob, records: group)
        }
    }

    /// `records` (one per seed, not empty) summarized as model `name` at `knob`.
    public init(name: String, knob: KnobValue?, records: [ExperimentRecord]) {
        let metricKeys = records[0].metrics.map(\.key)
        let epochs = records.map(\.curve.count).min() ?? 0
        self.name = name
        self.knob = knob
        seeds = records.map(\.run.seed)
        metrics = metricKeys.map { key in (key, Summary(records.compactMap { $0.metric(key) })) }
        trainLoss = (0..<epochs).map { e in Summary(records.map { $0.curve[e].trainLoss }) }
        testMSE = (0..<epochs).map { e in Summary(records.map { $0.curve[e].testMSE }) }
    }

    /// Each metric of this model against `baseline`'s: Welch's t test of the difference
    /// (nil below two seeds on either side).
    public func versus(_ baseline: VariantSummary) -> [(key: String, test: WelchTest?)] {
        metrics.compactMap { key, summary in baseline.metric(key).map { (key, WelchTest(summary, $0)) } }
    }

    /// The summary as metrics.json holds it: name, knob, seeds, and per metric its
    /// values, mean, sd and 95% interval; with `baseline`, per metric the test against it.
    public func json(baseline: VariantSummary?) -> JSON {
        var fields: [(String, JSON)] = [("name", .string(name))]
        if let knob { fields.append(("knob", .object([("name", .string(knob.name)), ("value", .number(knob.value))]))) }
        fields.append(("seeds", .array(seeds.map { .number(Double($0)) })))
        fields.append(("metrics", .object(metrics.map { key, s in
            let interval = s.interval95
            return (key, .object([("mean", .number(s.mean)), ("sd", .number(s.sd)),
                                  ("ci95", .array([.number(interval.low), .number(interval.high)])),
                                  ("values", .array(s.values.map { .number($0) }))]))
        })))
        if let baseline, baseline.label != label {
            fields.append(("versus_\(baseline.name)", .object(versus(baseline).map { key, test in
                guard let test else { return (key, .null) }
                return (key, .object([("difference", .number(test.difference)), ("t", .number(test.t)),
                                      ("df", .number(test.degreesOfFreedom)), ("p", .number(test.p)),
                                      ("within_noise", .bool(!test.differs))]))
            })))
        }
        return .object(fields)
    }

    /// The models as an aligned text table, a row per model and a column per metric:
    /// "mean ± sd" by `MeanSD`'s rule (the value alone from one seed), each cell of a model other than
    /// `baseline` followed by * when it differs from the baseline's beyond the seeds'
    /// noise (Welch's t, p < 0.05) and ~ when within it.
    public static func table(_ variants: [VariantSummary], baseline: VariantSummary?) -> String {
        table(variants) { _ in baseline }
    }

    /// The table with each model's own baseline (a sweep's none at the same value).
    public static func table(_ variants: [VariantSummary], baseline: (VariantSummary) -> VariantSummary?) -> String {
        Diagnostics.aligned(cells(variants, baseline: baseline))
    }

    /// The table's cells, the header first: what `table` aligns and the report shows.
    public static func cells(_ variants: [VariantSummary],
                             baseline: (VariantSummary) -> VariantSummary?) -> [[String]] {
        var seen: [(key: String, value: Double)] = []
        let all = variants.flatMap { $0.metrics.map { ($0.key, 0.0) } }
        for metric in all where !seen.contains(where: { $0.key == metric.0 }) {
            seen.append(metric)
        }
        let keys = Diagnostics.ordered(seen).map(\.key)
        let header = ["model"] + keys.map(Self.column)
        var rows = [header]
        for v in variants {
            let tests = baseline(v).map { $0.label == v.label ? [] : v.versus($0) } ?? []
            rows.append([v.label] + keys.map { key in
                guard let s = v.metric(key), !s.values.isEmpty else { return "-" }
                var cell = MeanSD.format(mean: s.mean, sd: s.sd, count: s.count)
                if let found = tests.first(where: { $0.key == key }), let test = found.test {
                    cell += test.differs ? " *" : " ~"
                }
                return cell
            })
        }
        return rows
    }

    /// The table's legend: the seeds, and what * and ~ mean.
    public static func legend(seeds: Int, baseline: String) -> String {
        seeds > 1
            ? "mean ± sd over \(seeds) seeds; * differs from \(baseline) beyond the seeds' noise, "
                + "~ within it (Welch's t test, two-sided, p < \(WelchTest.level))"
            : "one seed: no spread, so no difference can be told from noise (--seeds N trains each model from N seeds)"
    }

    /// A metric's column title, as the one-seed table had them.
    static func column(_ key: String) -> String {
        ["mean_activation": "mean_act", "dead_units": "dead", "probe_accuracy": "probe_acc"][key] ?? key
    }
}
