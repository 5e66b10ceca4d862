import Foundation

/// A sweep's knob at one value: `drop_p` 0.3, `limit` 500.
public struct KnobValue: Sendable, Equatable {
    /// The setting's name as metrics.json writes it: drop_p, limit, input_drop_p, max_norm.
    public var name: String
    public var value: Double
    /// The value as the user wrote it: "0.3", "500".
    public var label: String

    public init(name: String, value: Double, label: String) {
        self.name = name
        self.value = value
        self.label = label
    }
}

/// One training of an experiment: a model (one of `compare`'s three, or a sweep's series
/// at one value of its knob) trained from one seed, then measured.
public struct ExperimentRun: Sendable {
    /// The model's name: none, dropout or dropconnect.
    public var name: String
    /// A sweep's knob at this run's value; nil in `compare`.
    public var knob: KnobValue?
    public var config: ModelConfig
    /// The optimizer, batch size and seed (`options.seed`); threads are the experiment's.
    public var options: TrainingOptions
    public var epochs: Int
    /// Train (model and probe) on the first `limit` training images.
    public var limit: Int?

    public init(name: String, knob: KnobValue? = nil, config: ModelConfig, options: TrainingOptions, epochs: Int,
                limit: Int?) {
        self.name = name
        self.knob = knob
        self.config = config
        self.options = options
        self.epochs = epochs
        self.limit = limit
    }

    public var seed: UInt64 { options.seed }

    /// The `k`-th of an experiment's seeds for `options`: `options.seed + k`.
    public static func seeded(_ options: TrainingOptions, _ k: UInt64) -> TrainingOptions {
        var o = options
        o.seed = options.seed &+ k
        return o
    }

    /// The run's files in the experiment's `runs/` directory are STEM.safetensors (the
    /// model) and STEM.json (its record): "dropout-seed0", "dropout-drop_p0.3-seed0".
    public var stem: String {
        name + (knob.map { "-\($0.name)\($0.label)" } ?? "") + "-seed\(seed)"
    }

    /// What decides the run's result, as strings: a finished run is reused only when
    /// these are equal.
    public func settings(dataDigest: String) -> [(String, String)] {
        config.metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            + options.metadataFields.map { ($0.key, $0.value) } + [
            ("epochs", String(epochs)), ("limit", limit.map(String.init) ?? "all"), ("data_digest", dataDigest),
        ]
    }
}

/// A finished run: its metrics on the test set and its learning curve.
public struct ExperimentRecord: Sendable {
    public var run: ExperimentRun
    /// In `Diagnostics.metricOrder`.
    public var metrics: [(key: String, value: Double)]
    public var curve: [EpochFigures]
    /// Finished by an earlier invocation and reused.
    public var reused: Bool

    public func metric(_ key: String) -> Double? { metrics.first { $0.key == key }?.value }

    /// The record as metrics.json and the run's STEM.json hold it.
    public func json(settings: [(String, String)]) -> JSON {
        var fields: [(String, JSON)] = [("name", .string(run.name))]
        if let knob = run.knob {
            fields.append(("knob", .object([("name", .string(knob.name)), ("value", .number(knob.value))])))
        }
        fields += [
            ("seed", .number(Double(run.seed))),
            ("settings", .object(settings.map { ($0.0, .string($0.1)) })),
            ("metrics", .object(metrics.map { ($0.key, .number($0.value)) })),
            ("curve", .object([("train_loss", .array(curve.map { .number($0.trainLoss) })),
                               ("test_mse", .array(curve.map { .number($0.testMSE) }))])),
        ]
        return .object(fields)
    }

    /// The record of `run` saved at `path`, when it is there, readable, and was made
    /// with `settings`; nil otherwise (the run is then trained again).
    static func load(_ path: String, run: ExperimentRun, settings: [(String, String)]) -> ExperimentRecord? {
        guard let bytes = FileManager.default.contents(atPath: path), let json = JSON.parse(Array(bytes)),
              let saved = json["settings"]?.fields,
              saved.count == settings.count,
              settings.allSatisfy({ key, value in saved.contains { $0.0 == key && $0.1.string == value } }),
              let metrics = json["metrics"]?.fields,
              let losses = json["curve"]?["train_loss"]?.array, let errors = json["curve"]?["test_mse"]?.array,
              losses.count == errors.count
        else { return nil }
        let values = metrics.map { (key: $0.0, value: $0.1.double ?? .nan) }
        return ExperimentRecord(run: run, metrics: Diagnostics.ordered(values),
                                curve: zip(losses, errors).map {
                                    EpochFigures(trainLoss: $0.double ?? .nan, testMSE: $1.double ?? .nan)
                                },
                                reused: true)
    }
}

/// Runs an experiment's trainings, each run's model and record kept in `DIR/runs/` as
/// soon as it finishes, so that the same command run again (after Ctrl-C, say) reuses
/// every finished run and trains only the others.
public enum Experiment {
    public static func runsDirectory(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent("runs")
    }

    public static func modelPath(_ run: ExperimentRun, in directory: String) -> String {
        (runsDirectory(directory) as NSString).appendingPathComponent(run.stem + ".safetensors")
    }

    static func recordPath(_ run: ExperimentRun, in directory: String) -> String {
        (runsDirectory(directory) as NSString).appendingPathComponent(run.stem + ".json")
    }

    /// Runs a finished run's measurement, `measure`, handing it where its progress goes
    /// (nil: nowhere); the command line shows it as a status line.
    public typealias Evaluating = @Sendable (ExperimentRun, (ProgressHandler?) -> Void) -> Void

    /// How the runs share the cores: `jobs` runs at a time, each on `threadsPerRun`
    /// threads.
    public struct Schedule: Sendable, Equatable {
        public var jobs: Int
        public var threadsPerRun: Int

        public init(jobs: Int, threadsPerRun: Int) {
            self.jobs = jobs
            self.threadsPerRun = threadsPerRun
        }

        /// One run after another on every core, unless `jobs` asks for several at once
        /// (`threads` each, else the cores shared out). Measured on 2 cores (AVX2, Zen
        /// kernels), `autoenc compare --seeds 2 --epochs 3` on Fashion-MNIST took 66.8 and
        /// 71.1 s as one two-thread run after another, against 73.8 and 76.9 s as two
        /// single-thread runs side by side: the threaded step scales well enough that two
        /// runs at once only share the caches.
        public static func choose(runs: Int, cores: Int, jobs: Int?, threads: Int?) -> Schedule {
            guard let jobs else { return Schedule(jobs: 1, threadsPerRun: threads ?? cores) }
            let j = max(1, min(jobs, runs))
            return Schedule(jobs: j, threadsPerRun: threads ?? max(1, cores / j))
        }

        /// What compare and sweep say of it: "runs: 6 trainings, 2 at a time on 1 thread
        /// each; finished runs are kept in cmp/runs/", saying when the runs' threads
        /// outnumber the `cores` (--jobs is not capped, as --threads is).
        public func line(trainings: Int, cores: Int, kept: String) -> String {
            let busy = jobs * threadsPerRun
            let shared = busy > cores ? " (\(busy) threads on \(counted(cores, "core")): they take turns)" : ""
            return "runs: \(counted(trainings, "training")), \(jobs) at a time on \(counted(threadsPerRun, "thread")) "
                + "each\(shared); finished runs are kept in \(kept)/"
        }
    }

    /// Trains and measures every run of `runs` (each stem once) not already finished in
    /// `directory` with the same settings, `schedule.jobs` at a time, and returns each
    /// run's record in order; nil for the runs the observers stopped (nothing of them is
    /// kept). Each run is claimed before it trains (`RunClaim`, `runs/STEM.claim`), so that
    /// processes sharing `directory` (shards, reruns, on one machine or many) train each
    /// run once. A run another process holds is waited for, its record then reused (or
    /// the run trained, when its claim goes without one); with `wait` false it is left
    /// out. `observer(run)` shows a run's epochs and says when to stop; `announce` gets a
    /// line when a finished run is reused, a stale claim taken over or a held run waited
    /// for. The first error stops the other runs and is thrown; with `keepGoing` (a shard)
    /// every run is tried. Failed runs (with `keepGoing`) and runs left out (without
    /// `wait`) are thrown together as an `IncompleteExperiment` naming each.
    public static func execute(_ runs: [ExperimentRun], train: ImageSet, test: ImageSet, dataset: String,
                               directory: String,
                               schedule: Schedule, keepGoing: Bool = false, wait: Bool = true,
                               observer: @escaping @Sendable (ExperimentRun) -> TrainingObserver,
                               announce: @escaping @Sendable (String) -> Void,
                               evaluating: @escaping Evaluating = { _, measure in measure(nil) })
        throws -> [ExperimentRecord?] {
        try OutputDirectory.prepare(runsDirectory(directory), what: "--out")
        var distinct: [ExperimentRun] = []
        for run in runs where !distinct.contains(where: { $0.stem == run.stem }) { distinct.append(run) }
        let unique = distinct
        let queue = RunQueue(count: unique.count, keepGoing: keepGoing, stopping: { StopSignals.pending != nil })
        let work: @Sendable (Int) -> Void = { _ in
            while let index = queue.next() {
                do {
                    let observing = StoppingObserver(observer(unique[index]), queue)
                    switch try measure(unique[index], train: train, test: test, dataset: dataset,
                                       directory: directory, threads: schedule.threadsPerRun,
                                       observer: observing, announce: announce, evaluating: evaluating) {
                    case .finished(let record): queue.finish(index, record)
                    case .stopped: queue.finish(index, nil)
                    case .held(let holder):
                        let who = holder.map(\.description) ?? "another process"
                        let claim = "\(unique[index].stem): claimed by \(who) "
                            + "(\(claimPath(unique[index], in: directory)))"
                        if !wait {
                            queue.leaveOut(index, holder)
                        } else if queue.retryLater(index) {
                            announce(claim + "; waiting for it to finish (--no-wait leaves it out)")
                        }
                    }
                } catch {
                    queue.fail(index, error)
                }
            }
        }
        if schedule.jobs <= 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: schedule.jobs, execute: work)
        }
        if let error = queue.error { throw error }
        if !queue.failures.isEmpty || !queue.leftOut.isEmpty {
            let failed = queue.failures.sorted { $0.index < $1.index }.map { index, error in
                "\(unique[index].stem) (\(AutoencError(reporting: error).userMessage))"
            }
            let held = queue.leftOut.sorted { $0.index < $1.index }.map { index, holder in
                "\(unique[index].stem) (claimed by \(holder.map(\.description) ?? "another process"))"
            }
            let finished = unique.indices.filter { queue.records[$0] != nil }.map { unique[$0].stem }
            var parts: [String] = []
            if !failed.isEmpty { parts.append("\(counted(failed.count, "run")) of \(unique.count) failed: "
                                             + failed.joined(separator: "; ")) }
            if !held.isEmpty { parts.append("\(counted(held.count, "run")) of \(unique.count) left to other "
                                           + "processes (--no-wait): " + held.joined(separator: "; ")) }
            throw IncompleteExperiment(message: parts.joined(separator: "; ")
                                       + (finished.isEmpty ? "" : "; finished: " + finished.joined(separator: ", ")))
        }
        let records = queue.records
        return runs.map { run in records[unique.firstIndex { $0.stem == run.stem }!] }
    }

    /// What became of one run in `measure`.
    enum Outcome {
        /// Trained and measured, or reused: its record.
        case finished(ExperimentRecord)
        /// Stopped by its observer: nothing of it kept.
        case stopped
        /// Another process holds its live claim (nil: one whose holder could not be read).
        case held(RunClaim.Holder?)
    }

    /// The run's claim in `directory`: `runs/STEM.claim`.
    public static func claimPath(_ run: ExperimentRun, in directory: String) -> String {
        (runsDirectory(directory) as NSString).appendingPathComponent(run.stem + ".claim")
    }

    /// `run`'s record in `directory`, when it is there beside its model and was made with `settings`.
    static func finished(_ run: ExperimentRun, in directory: String,
                         settings: [(String, String)]) -> ExperimentRecord? {
        guard FileManager.default.fileExists(atPath: modelPath(run, in: directory)) else { return nil }
        return ExperimentRecord.load(recordPath(run, in: directory), run: run, settings: settings)
    }

    /// One run: reused from its record, or claimed (`RunClaim`), trained, saved and
    /// measured; `.held` when another process's live claim holds it. A stale claim is
    /// taken over, and the temporary files its process left are removed. The model, then
    /// the record, are each written to a temporary file and renamed into place; the
    /// record marks the run finished; the claim goes last. A second SIGINT or SIGTERM,
    /// which ends the process at once, removes the claim and the temporary files first
    /// (`StopSignals.removeOnExit`).
    static func measure(_ run: ExperimentRun, train full: ImageSet, test: ImageSet, dataset: String, directory: String,
                        threads: Int, observer: TrainingObserver, announce: (String) -> Void,
                        evaluating: Evaluating) throws -> Outcome {
        let train = full.prefix(run.limit)
        let settings = run.settings(dataDigest: train.digest) // one pass over the bytes: ~10 ms for 60,000 images
        let recordPath = recordPath(run, in: directory), modelPath = modelPath(run, in: directory)
        func reused(_ record: ExperimentRecord) -> Outcome {
            announce("\(run.stem): finished earlier, reusing \(recordPath)")
            return .finished(record)
        }
        if let record = finished(run, in: directory, settings: settings) { return reused(record) }
        let claimPath = claimPath(run, in: directory)
        let claim: RunClaim
        switch try RunClaim.claim(claimPath, what: "--out") {
        case .held(let holder): return .held(holder)
        case .claimed(let taken, let previous):
            claim = taken
            if let previous {
                announce("\(run.stem): took over the stale claim of \(previous)")
            }
        }
        defer { claim.release() }
        // another process may have finished it between the look above and the claim
        if let record = finished(run, in: directory, settings: settings) { return reused(record) }
        // the run's temporary files, .NAME.tmp-PID as AtomicFile names them: under the claim,
        // any there are what an ended holder left half-written
        let prefixes = [modelPath, recordPath].map { ".\(($0 as NSString).lastPathComponent).tmp-" }
        let runs = runsDirectory(directory)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []
        where prefixes.contains(where: entry.hasPrefix) {
            unlink((runs as NSString).appendingPathComponent(entry))
        }
        let temporaries = prefixes.map { (runs as NSString).appendingPathComponent($0 + "\(getpid())") }
        let slots = StopSignals.removeOnExit(temporaries) // the claim's own removal is the claim's
        defer { StopSignals.forget(slots) }
        var options = run.options
        options.threads = threads
        let training = TrainingRun(config: run.config, options: options, train: train, test: test, dataset: dataset,
                                   limit: run.limit, output: nil)
        guard try training.run(through: run.epochs, observer: observer) == .finished else { return .stopped }
        let model = training.trainer.inferenceModel()
        try Checkpoint.save(model.parameters, metadata: training.checkpointMetadata(), to: modelPath)
        var measured: Diagnostics?
        evaluating(run) { progress in
            measured = Diagnostics.evaluate(model, name: run.name, test: test, train: train.labels != nil ? train : nil,
                                            seed: run.seed, threads: threads, progress: progress).diagnostics
        }
        let diagnostics = measured!
        let record = ExperimentRecord(run: run, metrics: diagnostics.metrics, curve: training.history, reused: false)
        // the record last: it marks the run finished
        try AtomicFile.write(Array((record.json(settings: settings).rendered() + "\n").utf8), to: recordPath)
        // as written (9 digits), so that a rerun that reuses it reports the same figures
        guard var written = ExperimentRecord.load(recordPath, run: run, settings: settings) else {
            throw AutoencError(.ioError, "\(recordPath): cannot read back the record just written")
        }
        written.reused = false
        return .finished(written)
    }

    /// The runs still to train, handed out one at a time to the jobs, and their results:
    /// each run's record, or the first error, after which no run is handed out. A run
    /// another process holds comes back to a job every `retry` seconds once the others
    /// are handed out, until `stopping` says to stop.
    final class RunQueue: @unchecked Sendable {
        private let lock = NSLock()
        private var nextIndex = 0
        /// The held runs waited for, and when each is next looked at.
        private var waiting: [(index: Int, at: Date)] = []
        private var announced = Set<Int>()
        private(set) var records: [ExperimentRecord?]
        private(set) var error: Error?
        /// With `keepGoing`, each failed run's index and error; the other runs go on.
        private(set) var failures: [(index: Int, error: Error)] = []
        /// The held runs left to their holders (--no-wait).
        private(set) var leftOut: [(index: Int, holder: RunClaim.Holder?)] = []
        let keepGoing: Bool
        let retry: TimeInterval
        let stopping: @Sendable () -> Bool

        init(count: Int, keepGoing: Bool = false, retry: TimeInterval = 2,
             stopping: @escaping @Sendable () -> Bool = { false }) {
            records = Array(repeating: nil, count: count)
            self.keepGoing = keepGoing
            self.retry = retry
            self.stopping = stopping
        }

        /// The next run to try: a new one, else the held run due first (after waiting for
        /// it); nil when none is left, a run failed or `stopping` says so (a stop signal:
        /// no run is started after it).
        func next() -> Int? {
            while true {
                if stopping() { return nil }
                lock.lock()
                if error != nil { lock.unlock(); return nil }
                if nextIndex < records.count {
                    defer { nextIndex += 1; lock.unlock() }
                    return nextIndex
                }
                guard let due = waiting.indices.min(by: { waiting[$0].at < waiting[$1].at }) else {
                    lock.unlock()
                    return nil
                }
                if waiting[due].at <= Date() {
                    defer { lock.unlock() }
                    return waiting.remove(at: due).index
                }
                lock.unlock()
                usleep(100_000)
            }
        }

        /// Looks at held run `index` again in `retry` seconds; true the first time.
        func retryLater(_ index: Int) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            waiting.append((index, Date().addingTimeInterval(retry)))
            return announced.insert(index).inserted
        }

        func leaveOut(_ index: Int, _ holder: RunClaim.Holder?) {
            lock.lock()
            leftOut.append((index, holder))
            lock.unlock()
        }

        func finish(_ index: Int, _ record: ExperimentRecord?) {
            lock.lock()
            records[index] = record
            lock.unlock()
        }

        func fail(_ index: Int, _ error: Error) {
            lock.lock()
            if keepGoing {
                failures.append((index, error))
            } else if self.error == nil {
                self.error = error
            }
            lock.unlock()
        }

        var failed: Bool {
            lock.lock()
            defer { lock.unlock() }
            return error != nil
        }
    }

    /// A run's observer that also stops when another run failed.
    final class StoppingObserver: TrainingObserver {
        let inner: TrainingObserver
        let queue: RunQueue

        init(_ inner: TrainingObserver, _ queue: RunQueue) {
            self.inner = inner
            self.queue = queue
        }

        var shouldStop: Bool { queue.failed || inner.shouldStop }

        func epoch(_ epoch: Int, of epochs: Int, images: Int, alreadyDone: Int,
                   train: (_ progress: (Int, Int, Double) -> Void) throws -> EpochReport) throws -> EpochReport {
            try inner.epoch(epoch, of: epochs, images: images, alreadyDone: alreadyDone, train: train)
        }

        func completed(_ report: EpochReport, of epochs: Int) throws { try inner.completed(report, of: epochs) }
        func started(_ run: TrainingRun) { inner.started(run) }
    }
}
