extension Benchmark {
    /// The benchmark modes: a regularizer each, as `autoenc bench --modes` names them.
    public enum Mode: String, CaseIterable, Sendable {
        case none, dropout
        case dropconnectExample = "dropconnect-example"
        case dropconnectBatch = "dropconnect-batch"

        /// The run this mode trains, as `train` would be asked for it: `hidden` units,
        /// `batchSize` images a step, drop probability `dropP` when it regularizes.
        public func request(dropP: Float, hidden: Int = 256, batchSize: Int = 128) -> RunRequest {
            var request = RunRequest()
            request.hidden = hidden
            request.batchSize = batchSize
            switch self {
            case .none: break
            case .dropout: (request.dropP, request.dropMode) = (dropP, .dropout)
            case .dropconnectExample: (request.dropP, request.dropMode, request.masks) = (dropP, .dropconnect, .example)
            case .dropconnectBatch: (request.dropP, request.dropMode, request.masks) = (dropP, .dropconnect, .batch)
            }
            return request
        }

        /// The modes `text` lists, comma-separated, in the order given (empty items
        /// skipped), as `bench --modes` takes them. Throws `.usage` naming --modes when
        /// none is given, one is unknown or one is listed twice.
        public static func list(_ text: String) throws -> [Mode] {
            let names = text.split(separator: ",").map(String.init)
            let all = allCases.map(\.rawValue)
            guard !names.isEmpty else {
                throw AutoencError(.usage, "--modes: expected at least one of "
                    + "\(all.joined(separator: ", ")), got '\(text)'")
            }
            var modes: [Mode] = []
            for name in names {
                guard let mode = Mode(rawValue: name) else {
                    throw AutoencError(.usage, "--modes: unknown mode '\(name)', "
                        + "expected \(all.dropLast().joined(separator: ", ")) or \(all.last!)")
                }
                guard !modes.contains(mode) else { throw AutoencError(.usage, "--modes lists \(name) twice") }
                modes.append(mode)
            }
            return modes
        }
    }

    /// What `bench`'s flags ask for, checked: the modes, the sizes and how long to time
    /// each.
    public struct Plan: Sendable {
        public var modes: [Mode]
        public var hidden: [Int]
        public var batchSizes: [Int]
        /// Training images timed per mode and repeat at up to 256 hidden units
        /// (`timedImages`).
        public var images: Int
        /// Untimed images before each timing; nil means 4 batches.
        public var warmup: Int?
        public var repeats: Int
        /// The regularized modes' drop probability.
        public var dropP: Float

        /// The plan from the flags as typed: `modes`, `hidden` and `batchSizes` as
        /// comma-separated lists (`Mode.list`, `Limit.list`). Throws `.usage` naming the
        /// first flag outside its `Limits`, and a drop probability a mode's run would
        /// refuse (`RunRequest.problem`: DropConnect's masks drop in steps of 1/256).
        public init(modes: String, hidden: String, batchSizes: String, images: Int, warmup: Int?, repeats: Int,
                    dropP: Float) throws {
            try AutoencError.refuse(Limits.benchImages.problem(images, name: "--images"),
                                    Limits.benchWarmup.problem(warmup, name: "--warmup"),
                                    Limits.benchRepeats.problem(repeats, name: "--repeats"))
            self.hidden = try Limits.hidden.list(hidden, flag: "--hidden")
            self.batchSizes = try Limits.batchSize.list(batchSizes, flag: "--batch-size")
            try AutoencError.refuse(Limits.regularizingDropP.problem(dropP, name: "--drop-p"))
            self.modes = try Mode.list(modes)
            for mode in self.modes { try AutoencError.refuse(mode.request(dropP: dropP).problem(newRun: true)) }
            (self.images, self.warmup, self.repeats, self.dropP) = (images, warmup, repeats, dropP)
        }
    }
}
