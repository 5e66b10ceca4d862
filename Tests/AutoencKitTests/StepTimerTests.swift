import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The phase timer `autoenc bench` breaks a step down with: its phases add up to the
/// step, and a timed step computes exactly what an untimed one does. No test here
/// asserts a speed.
@Suite struct StepTimerTests {
    /// Every regularizer, input dropout and max-norm, both activations, and ReLU units a
    /// third of which are dead (bias -100), so that the packed products pack.
    static let cases: [(name: String, config: ModelConfig, deadThird: Bool)] = [
        ("none", ModelConfig(hidden: 24), false),
        ("none, packed", ModelConfig(hidden: 48), true),
        ("dropout", ModelConfig(hidden: 24, dropP: 0.5, dropMode: .dropout), false),
        ("dropout, sigmoid", ModelConfig(hidden: 24, activation: .sigmoid, dropP: 0.5, dropMode: .dropout), false),
        ("dropconnect per example", ModelConfig(hidden: 24, dropP: 0.5, dropMode: .dropconnect,
                                                masks: .example), false),
        ("dropconnect per batch", ModelConfig(hidden: 24, dropP: 0.3, dropMode: .dropconnect, masks: .batch), false),
        ("input dropout, max-norm", ModelConfig(hidden: 24, dropP: 0.5, inputDropP: 0.2, maxNorm: 0.5), false),
    ]

    static func trainer(_ index: Int, threads: Int) -> Trainer {
        let (_, config, deadThird) = cases[index]
        let model = Autoencoder(config: config, seed: 3)
        if deadThird { for j in stride(from: 1, to: config.hidden, by: 3) { model.parameters.b1[j] = -100 } }
        return Trainer(model: model, options: TrainingTests.options(seed: 3, batch: 10, threads: threads))
    }

    /// Batches of 10, 7 and 1 images: uneven shards, and one step with fewer examples
    /// than threads.
    static let batches: [ArraySlice<Int32>] = {
        let order = (0..<Int32(18)).map { $0 }
        return [order[0..<10], order[10..<17], order[17..<18]]
    }()

    /// Each phase's time is non-negative, the phases and "other" add up to the step, and
    /// the phases alone do not exceed it: each thread's timed stretches lie inside the
    /// step without overlapping, so only clocks read on different cores could push their
    /// mean past it; 0.1% of the step is allowed for that. The phases the configuration
    /// runs are all there, and those it does not run are not.
    @Test(arguments: cases.indices, [1, 2])
    func phasesAddUpToTheStep(_ index: Int, threads: Int) throws {
        let trainer = Self.trainer(index, threads: threads)
        let data = TrainingTests.shapes(count: 18)
        _ = try trainer.trainStep(data, Self.batches[0], epoch: 1) // untimed
        let timer = trainer.timePhases()
        for _ in 0..<2 { for batch in Self.batches { _ = try trainer.trainStep(data, batch, epoch: 1) } }
        let b = timer.breakdown
        let name = Self.cases[index].name
        #expect(b.steps == 6, "\(name): \(b.steps) steps timed")
        #expect(b.stepMicroseconds > 0, "\(name)")
        for (phase, microseconds) in b.phases {
            #expect(microseconds >= 0 && microseconds.isFinite,
                    "\(name), \(threads) threads: \(phase) took \(microseconds) µs")
        }
        let phases = b.phases.reduce(0) { $0 + $1.microseconds }
        #expect(b.otherMicroseconds >= -1e-3 * b.stepMicroseconds,
                "\(name), \(threads) threads: phases \(phases) µs in a step of \(b.stepMicroseconds) µs: \(b.phases)")
        #expect(abs(phases + b.otherMicroseconds - b.stepMicroseconds) <= 1e-9 * b.stepMicroseconds)
        #expect(abs(b.percent(phases) + b.percent(b.otherMicroseconds) - 100) <= 1e-9)

        let config = trainer.model.config
        var expected: [StepTimer.Phase] = [.gather, .encoder, .activation, .decoder, .outputLoss, .backward,
                                           .encoderGradient, .decoderGradient, .optimizer]
        // phase 0: per-batch DropConnect's masked w1, per-example DropConnect's w1^T, the
        // sparse products' w2^T, the panels of w1^T where the encoder groups the images
        if config.dropMode == .dropconnect && config.dropP > 0 || trainer.pass.sparseHidden
            || trainer.pass.imageGroups != nil {
            expected.append(.weights)
        }
        if config.inputDropP > 0 { expected.append(.inputDropout) }
        if config.maxNorm != nil { expected.append(.maxNorm) }
        if trainer.pass.packsActiveUnits { expected.append(.packing) }
        #expect(Set(b.phases.map(\.phase)) == Set(expected), "\(name)")
        #expect(b.phases.map(\.phase) == StepTimer.Phase.allCases.filter(Set(expected).contains),
                "\(name): in the step's order")
    }

    /// Timing changes no arithmetic: three steps with the timer and three without end
    /// with the same weights and gradients, bit for bit, on one thread and on two.
    @Test(arguments: cases.indices, [1, 2])
    func timingChangesNoResult(_ index: Int, threads: Int) throws {
        let data = TrainingTests.shapes(count: 18)
        var results: [(weights: [UInt32], gradients: [UInt32], losses: [UInt32])] = []
        for timed in [false, true] {
            let trainer = Self.trainer(index, threads: threads)
            if timed { _ = trainer.timePhases() }
            var losses: [UInt32] = []
            for batch in Self.batches { losses.append(try trainer.trainStep(data, batch, epoch: 1).bitPattern) }
            results.append((trainer.model.parameters.values.map(\.bitPattern),
                            trainer.pass.gradients.values.map(\.bitPattern), losses))
        }
        let name = Self.cases[index].name
        #expect(results[0].losses == results[1].losses, "\(name): losses differ")
        #expect(results[0].gradients == results[1].gradients, "\(name): gradients differ")
        let differing = zip(results[0].weights, results[1].weights).filter { $0 != $1 }.count
        #expect(differing == 0,
                "\(name), \(threads) threads: \(differing) of \(results[0].weights.count) weights differ")
    }

    /// `stopTimingPhases` stops the counting, `reset` forgets what was counted.
    @Test func stopAndReset() throws {
        let trainer = Self.trainer(0, threads: 2)
        let data = TrainingTests.shapes(count: 18)
        let timer = trainer.timePhases()
        _ = try trainer.trainStep(data, Self.batches[0], epoch: 1)
        trainer.stopTimingPhases()
        _ = try trainer.trainStep(data, Self.batches[1], epoch: 1)
        #expect(timer.steps == 1)
        #expect(!timer.breakdown.phases.isEmpty)
        timer.reset()
        #expect(timer.steps == 0 && timer.stepNanoseconds == 0 && timer.breakdown.phases.isEmpty)
    }

    /// A phase's slot is its place in `allCases`, which is also the order of the step.
    @Test func positionsFollowTheCases() {
        #expect(StepTimer.Phase.allCases.enumerated().allSatisfy { $0.offset == $0.element.position })
        #expect(Set(StepTimer.Phase.allCases.map(\.label)).count == StepTimer.Phase.allCases.count)
        #expect(Set(StepTimer.Phase.allCases.map(\.short)).count == StepTimer.Phase.allCases.count)
    }
}
