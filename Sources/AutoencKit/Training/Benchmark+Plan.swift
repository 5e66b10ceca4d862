extension Benchmark {
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
