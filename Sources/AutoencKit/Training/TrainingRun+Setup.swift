import Foundation

extension TrainingRun.Output {
    /// Claims the pair for a run before anything is read or trained: checks that the
    /// model, its training state, `log` and `plot` can be written, takes the pair's
    /// `OutputLock` and removes the temporaries a killed run left beside the pair. Throws
    /// `.cannotCreate` (73) naming the flag (--out, --log, --plot), or the process that
    /// holds the lock.
    public func claim(log: String?, plot: String?, replacing: Bool = true, resume: String? = nil) throws -> OutputLock {
        var isDirectory: ObjCBool = false
        if flag == "--resume", FileManager.default.fileExists(atPath: model,
                                                              isDirectory: &isDirectory), isDirectory.boolValue {
            throw AutoencError(.noInput, "--resume \(model): is a directory, expected a checkpoint file (.safetensors)")
        }
        try AtomicFile.checkWritable(model, what: flag)
        try AtomicFile.checkWritable(state, what: "\(flag) (training state)")
        try RunRecords.checkOutputs(log: log, plot: plot)
        let lock = try OutputLock(for: model, what: flag)
        if !replacing {
            do { try checkNothingToLose(resume: resume) } catch { lock.release(); throw error }
        }
        AtomicFile.removeStaleTemporaries(for: model)
        AtomicFile.removeStaleTemporaries(for: state)
        AtomicFile.removeStaleTemporaries(for: AtomicFile.previousVersion(of: state))
        return lock
    }

    /// Throws `.cannotCreate` (73) when a new run would replace a model or training state
    /// already at these paths, saying what is there (epochs, regularizer, when saved) and
    /// how to go on: --resume, --force or another --out. Continuing that very pair
    /// (`resume` names the model file) replaces nothing that is not carried on.
    public func checkNothingToLose(resume: String?) throws {
        let standard = { (path: String) in (path as NSString).standardizingPath }
        if let resume, standard(resume) == standard(model) { return }
        let manager = FileManager.default
        guard let existing = [model, state].first(where: { manager.fileExists(atPath: $0) }) else { return }
        var what: String
        if existing == model, let loaded = try? Checkpoint.load(model) {
            let epochs = loaded.metadata["epoch"].flatMap(Int.init) ?? 0
            what = "a model (\(counted(epochs, "epoch")), "
                + "784-\(loaded.config.hidden)-784 \(loaded.config.activation.rawValue), "
                + "\(loaded.config.summary)"
        } else if existing == state, let saved = try? TrainingState.load(state) {
            what = "a training state (\(counted(saved.epochsCompleted, "epoch")), 784-\(saved.config.hidden)-784 "
                + "\(saved.config.activation.rawValue), \(saved.config.summary)"
        } else {
            what = "a file that is no autoenc \(existing == model ? "model" : "training state") ("
        }
        if let date = (try? manager.attributesOfItem(atPath: existing))?[.modificationDate] as? Date {
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.dateFormat = "yyyy-MM-dd HH:mm"
            what += (what.hasSuffix("(") ? "" : ", ") + "saved \(format.string(from: date))"
        }
        let resumable = existing == model && manager.fileExists(atPath: state)
        let hint = (resumable ? "continue it with --resume \(model), " : "") + "replace it with --force, "
            + "or name another --out"
        let holder = existing == model ? "holds" : "its training state \(state) holds"
        throw AutoencError(.cannotCreate, "\(flag) \(model): \(holder) \(what)); \(hint)")
    }
}

extension TrainingRun {
    /// What `train`'s flags ask for: the settings, the epoch to train through, the pair
    /// to continue and where to save and record.
    public struct Plan: Sendable {
        public var request: RunRequest
        /// The total, counting a resumed run's epochs already done.
        public var epochs: Int
        /// The model file of the pair to continue (--resume), nil for a new run.
        public var resume: String?
        /// --out, --log, --plot as given.
        public var out: String?, log: String?, plot: String?
        /// --force: a new run may replace the model and training state at `output`.
        public var force: Bool

        public init(_ request: RunRequest, epochs: Int, resume: String?, out: String?, log: String?, plot: String?,
                    force: Bool = false) {
            (self.request, self.epochs, self.resume) = (request, epochs, resume)
            (self.out, self.log, self.plot) = (out, log, plot)
            self.force = force
        }

        public var output: Output { Output(out: out, resume: resume) }

        /// The first value outside its `Limits` or meaningless combination of settings
        /// (`RunRequest.problem`), or name that would clobber another output
        /// (`Output.problem`), as a usage message naming the flag; nil when all is well.
        public var problem: String? {
            Limits.epochs.problem(epochs, name: "--epochs")
                ?? Limits.nameProblem(resume, flag: "--resume", what: "a file")
                ?? Limits.nameProblem(out, flag: "--out", what: "a file")
                ?? RunRecords.problem(log: log, plot: plot) ?? request.problem(newRun: resume == nil)
                ?? output.problem(named: out != nil, log: log, plot: plot)
        }

        /// `train`: claims the outputs first (nothing is read, trained or created when one
        /// cannot be written; a new run refuses to replace a model unless `force`), then
        /// reads the data and the pair (`Setup`; a resumed run keeps the --log and --plot
        /// its state recorded when they are not given) and trains on
        /// `threads` threads through `epochs`, saying so on `console` (`Setup.train`).
        /// `data` is --data as given. Throws what those throw.
        public func run(data: String?, threads: Int, console: Console) throws {
            let lock = try output.claim(log: log, plot: plot, replacing: force, resume: resume)
            defer { lock.release() }
            var setup = try Setup(request, resume: resume, data: data, epochs: epochs)
            setup.options.threads = threads
            // a resumed run goes on writing the log and chart it recorded, unless told otherwise
            let log = self.log ?? setup.saved?.state.log, plot = self.plot ?? setup.saved?.state.plot
            if log != self.log || plot != self.plot {
                try AutoencError.refuse(RunRecords.problem(log: log, plot: plot),
                                        output.problem(named: false, log: log, plot: plot))
                try RunRecords.checkOutputs(log: log, plot: plot)
            }
            try setup.train(through: epochs, output: output, console: Console(quiet: console.quiet, log: log),
                            log: log, plot: plot)
        }
    }

    /// What `train` starts from: the data, and the settings of a new run or of the saved
    /// pair it continues.
    ///
    /// The caller sets `options.threads`, then makes the `run`.
    public struct Setup {
        public var location: DataLocation
        /// The training images, cut to `limit`, and the test images.
        public var train: ImageSet
        public var test: ImageSet
        public var limit: Int?
        public var config: ModelConfig
        public var options: TrainingOptions
        /// The pair `resume` named, checked to belong together.
        public var saved: SavedRun?
        /// The model file `--resume` named, nil for a new run.
        public var resume: String?
        /// `--data` as given; nil when the run reads the default or its recorded data set.
        public var data: String?
        /// A new run's note on settings that will barely learn (`RunRequest.note`); nil
        /// for a resumed run, which keeps its checkpoint's settings.
        public var note: String?

        /// A new run of `request`, or with `resume` (a model file) that saved pair
        /// continued with its own settings (`RunRequest.resumed`, which allows a new
        /// learning rate and refuses flags that disagree). The data: `data` (--data as
        /// given, `DataLocation.resolve`) when given, else the data set a resumed run
        /// recorded, else the default; the training images cut to `request.limit`, else
        /// to the resumed run's limit. `epochs` is the total to train to.
        ///
        /// Throws the checkpoint's errors (64 the state file named, 65, 66), the data
        /// set's (65, 66), `.usage` (64) when the resumed run cannot go on as asked, and
        /// `.unavailable` (69) when its trainer needs more memory than is `available`
        /// (`Trainer.checkMemory`).
        public init(_ request: RunRequest, resume: String?, data: String?, epochs: Int,
                    available: Int? = Memory.available()) throws {
            let saved = try resume.map(SavedRun.load)
            // a resumed run trains on the data it was trained on, unless --data says otherwise
            let recorded = data == nil ? saved?.state.dataset : nil
            let location = try recorded.map { try DataLocation.recorded($0) } ?? DataLocation.resolve(data)
            let limit = request.limit ?? saved?.state.limit
            // the test set inflates on a second core while the training set inflates here
            let (fullTrain, test) = try location.loadBoth()
            let train = fullTrain.prefix(limit)
            (config, options) = try saved.map {
                try request.resumed($0.state, train: train, data: location.directory, dataGiven: data != nil,
                                    checkpoint: resume!, epochs: epochs)
            } ?? request.newRun()
            try Trainer.checkMemory(config, options: options, largestBatch: train.count, available: available)
            self.location = location
            self.train = train
            self.test = test
            self.limit = limit
            self.saved = saved
            self.resume = resume
            self.data = data
            note = saved == nil ? request.note : nil
        }

        /// The run, saving to `output`.
        public func run(output: Output) -> TrainingRun {
            TrainingRun(config: config, options: options, train: train, test: test, dataset: location.absoluteDirectory,
                        limit: limit, output: output, resuming: saved)
        }
    }
}
