import Foundation

extension Sweep {
    /// What `sweep`'s flags ask for, checked: the knob and its values, the settings held
    /// fixed, the models, and the settings every run shares (`request`: the model's shape,
    /// its regularizers' details, the optimizer and seed).
    public struct Plan: Sendable {
        public var knob: Knob
        public var values: [KnobValue]
        /// Dropout's and DropConnect's drop probability when the knob is another setting.
        public var dropP: Float
        /// The single values of the other knobs (a swept knob's first value; its runs
        /// override it).
        public var limit: Int?
        public var inputDropP: Float
        public var maxNorm: Float?
        public var models: [String]
        public var request: RunRequest

        /// Parses `lists`, each knob's flag as given (a number, or a comma-separated list
        /// of numbers, spaces allowed; a knob not given is missing), and `models` (a
        /// comma-separated list of `Sweep.models`; nil: dropout when the knob is the drop
        /// probability, else none,dropout), and checks them with `request`. Exactly one
        /// knob must list two values or more, or be the only knob given (a one-value sweep).
        ///
        /// Throws `.usage` (64) naming the flag, for the first of: a value that is not a
        /// number, outside `Limits` or listed twice; no knob swept, or more than one; an
        /// unknown or repeated model; a drop probability of 0 for dropout or DropConnect;
        /// `request`'s own problem (`RunRequest.problem`); none alone in a drop-probability
        /// sweep.
        public init(lists: [Knob: String], models: String?, request: RunRequest) throws {
            var parsed: [Knob: [KnobValue]] = [:]
            for knob in Knob.allCases {
                guard let text = lists[knob] else { continue }
                parsed[knob] = try Self.values(of: knob, text)
            }
            var swept = Knob.allCases.filter { (parsed[$0]?.count ?? 0) > 1 }
            // one knob given one value: a sweep of one point (a shard of a larger one, say)
            if swept.isEmpty && parsed.count == 1 { swept = Array(parsed.keys) }
            guard swept.count == 1, let knob = swept.first else {
                throw AutoencError(.usage, swept.isEmpty
                    ? "give one of --drop-p, --limit, --input-drop-p or --max-norm a comma-separated list of values "
                        + "to sweep (one value: only that setting given)"
                    : "only one setting is swept at a time; \(swept.map(\.flag).joined(separator: " and ")) "
                        + "both list several values")
            }
            let single = { (k: Knob) in parsed[k]?.first?.value }
            let names = try Comparison.models(models, defaults: knob == .dropP ? ["dropout"] : ["none", "dropout"])
            let fixedDropP = knob == .dropP ? Comparison.defaultDropP
                : single(.dropP).map(Float.init) ?? Comparison.defaultDropP
            if knob != .dropP, fixedDropP == 0, names.contains(where: { $0 != Comparison.baseline }) {
                throw AutoencError(.usage, "--drop-p 0 leaves dropout, DropConnect and Gaussian dropout without a "
                                   + "regularizer; give a drop probability above 0")
            }
            try AutoencError.refuse(request.problem(newRun: false))
            if names.contains("dropconnect") {
                let probabilities = knob == .dropP ? parsed[knob]!.map { Float($0.value) } : [fixedDropP]
                for p in probabilities {
                    try AutoencError.refuse(DropConnectMask.problem(dropP: p, given: "--drop-p \(p)"))
                }
            }
            if knob == .dropP && names == [Comparison.baseline] {
                throw AutoencError(.usage, "--models none with a --drop-p sweep: none has no drop probability; "
                    + "add dropout or dropconnect")
            }
            self.knob = knob
            values = parsed[knob]!
            dropP = fixedDropP
            // swept, each run takes its own size (`Grid.runs`)
            limit = knob == .limit ? nil : single(.limit).map { Int($0) }
            inputDropP = single(.inputDropP).map(Float.init) ?? 0
            maxNorm = single(.maxNorm).map(Float.init)
            self.models = names
            self.request = request
        }

        /// The values of `text`, `knob`'s flag as given: numbers separated by commas, each
        /// valid for the knob and given once. Throws `.usage` (64) naming the flag.
        static func values(of knob: Knob, _ text: String) throws -> [KnobValue] {
            let labels = text.split(separator: ",",
                                    omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var values: [KnobValue] = []
            for label in labels {
                guard let value = Double(label) else {
                    throw AutoencError(.usage, "\(knob.flag) must be a number or a comma-separated list "
                        + "of numbers, got \(text)")
                }
                try AutoencError.refuse(problem(knob, value: value, label: label))
                guard !values.contains(where: { $0.value == value }) else {
                    throw AutoencError(.usage, "\(knob.flag) lists \(label) twice")
                }
                values.append(KnobValue(name: knob.rawValue, value: value, label: label))
            }
            return values
        }

        /// Why `value` (written `label`) is not valid for `knob`, or nil.
        static func problem(_ knob: Knob, value: Double, label: String) -> String? {
            switch knob {
            case .dropP, .inputDropP: return Limits.dropP.problem(Float(value), name: knob.flag)
            case .maxNorm: return Limits.maxNorm.problem(Float(value), name: knob.flag)
            case .limit:
                // read as a number; below 1e9 (far above any data set) it is an Int
                guard value <= 1e9, let n = Int(exactly: value), Limits.limit.contains(n) else {
                    return "\(knob.flag) must be whole numbers of \(Limits.limit.expected), got \(label)"
                }
                return nil
            }
        }

        /// The runs of this plan: from `seeds` seeds, `epochs` epochs each, the model and
        /// optimizer `request` asks for (defaults for the rest) with the fixed input dropout
        /// and max-norm.
        public func grid(seeds: Int, epochs: Int) -> Grid {
            var (base, options) = request.newRun()
            base.inputDropP = inputDropP
            base.maxNorm = maxNorm
            return Grid(models: models, knob: knob, values: values, base: base, dropP: dropP,
                        options: options, seeds: seeds, epochs: epochs, limit: limit)
        }
    }
}
