import Foundation

extension TrainingRun.Setup {
    /// Trains to `epochs` (the total, counting those already done) as `train` does,
    /// saving to `output` after every epoch: says the `header`, when the first batch
    /// started, each epoch's line (`TrainingConsole`, which also records into `log` and
    /// `plot`), and "saved MODEL" at the end, all on `console`. The caller has claimed
    /// `output` and set `options.threads`.
    ///
    /// Installs `StopSignals`: Ctrl-C or SIGTERM finishes the step, saves the pair and
    /// throws `.interrupted` (130) or `.terminated` (143) saying how to continue
    /// (`TrainingRun.stopped`). Throws `.diverged` (1, the last save kept) and the
    /// saves' and records' errors.
    public func train(through epochs: Int, output: TrainingRun.Output, console: Console,
                      log: String?, plot: String?) throws {
        let run = run(output: output)
        (run.log, run.plot) = (RunRecords.recorded(log), RunRecords.recorded(plot))
        header(for: run).forEach(console.say)
        StopSignals.install()
        if let started = ProcessClock.secondsSinceStart() {
            console.say(String(format: "first batch after %.2f s (start-up and reading the data)", started))
        }
        let outcome = try run.run(through: epochs, observer: TrainingConsole(console, log: log, plot: plot))
        if case .stopped(let epoch, let done) = outcome, let signal = StopSignals.pending {
            throw run.stopped(by: signal, epoch: epoch, stepsIntoEpoch: done, epochs: epochs, data: data,
                              log: log, plot: plot)
        }
        console.say("saved \(output.model)")
    }

    /// What `train` says before its first epoch, for `run` (made by `run(output:)`): the
    /// data and how many images it holds; the model, its regularizers and how it trains
    /// (optimizer, rate, batch, seed, threads, the BLAS core and vector kernels in use);
    /// a new run's `note`; where a resumed run takes up.
    public func header(for run: TrainingRun) -> [String] {
        let config = run.config, options = run.options
        var lines = [
            "data: \(location.directory) (\(run.train.count) training, \(run.test.count) test images)",
            "model: 784-\(config.hidden)-784, \(config.activation.rawValue), \(config.summary); "
                + "\(options.optimizer.rawValue) lr \(options.learningRate), batch \(options.batchSize), "
                + "seed \(options.seed), \(counted(options.threads, "thread")), BLAS \(BLASRuntime.coreName), "
                + "vectors \(options.kernels.rawValue)",
        ]
        if let note { lines.append(note) }
        if let resume, let saved {
            lines.append("resuming \(resume) at epoch \(run.epochsCompleted + 1), step \(saved.state.step) "
                + "(\(run.stepsIntoEpoch) of \(run.stepsPerEpoch) steps of this epoch done)")
        }
        return lines
    }
}

extension TrainingRun {
    /// The error that ends `train` when `signal` stopped this run in epoch `epoch` after
    /// `stepsIntoEpoch` of its steps, the pair saved: status 128 + the signal
    /// (`StopSignals.status`), and a message naming the signal, the step, the files and
    /// the command that continues to `epochs` (with `data`, --data as given, and the run's
    /// `log` and `plot`, when given; a path holding a space in single quotes). For a run
    /// with an `output` (`train`'s).
    public func stopped(by signal: Int32, epoch: Int, stepsIntoEpoch: Int, epochs: Int, data: String?,
                        log: String? = nil, plot: String? = nil) -> AutoencError {
        guard let output else { preconditionFailure("stopped(by:) is for a run that saves") }
        var arguments = ["train", "--resume", output.model, "--epochs", String(epochs)]
        for (flag, value) in [("--data", data), ("--log", log), ("--plot", plot)] {
            if let value { arguments += [flag, value] }
        }
        let again = Console.commandLine(["autoenc"] + arguments)
        return AutoencError(StopSignals.status(signal), "stopped by \(StopSignals.name(signal)) in epoch \(epoch) "
            + "after step \(trainer.step) (\(stepsIntoEpoch) of \(stepsPerEpoch) steps of the epoch); "
            + "saved \(output.model) and \(output.state); continue with: \(again)")
    }
}
