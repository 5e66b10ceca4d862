import Dispatch

/// Wall-clock time a training step spends in each of its phases, summed over the steps it
/// timed: how `autoenc bench` breaks a step's time down.
///
/// Off unless the pass holds one (`Trainer.timePhases()`); a step without one tests an
/// optional once per phase and computes exactly what it computes with one.
///
/// Inside a parallel phase each thread times its own part into its own slot, so nothing
/// is shared while the threads run. A phase's time per step is the threads' mean, the
/// sum over the slots divided by `threads`. A stretch that one thread runs while the
/// others wait for it (the packed products' look at the whole minibatch) holds every
/// thread, so it counts `threads` times. The rest of the step's wall-clock time is
/// `other`: threads waiting for the slowest at the end of a phase, handing work out, the
/// trainer's own bookkeeping. Each thread's timed stretches lie inside the step and do not
/// overlap, so the phases add up to at most the step.
public final class StepTimer: @unchecked Sendable {
    /// The parts of a step that are timed, in the order the step runs them; the numbers
    /// are the phases of ARCHITECTURE.md's table ("One training step").
    public enum Phase: String, CaseIterable, Sendable {
        /// Phase 0: per-batch DropConnect's masked w1; per-example DropConnect's w1^T; the
        /// sparse products' w2^T.
        case weights
        /// Phase 1a: the minibatch's images copied into x.
        case gather
        /// Phase 1a: xd = x ⊙ m / (1 - p_in).
        case inputDropout = "input-dropout"
        /// Phase 1a: z1 = xd w1^T, by BLAS or per-example DropConnect's kernel.
        case encoder
        /// Phase 1a: hd = act(z1 + b1) ⊙ dropout, and the gate.
        case activation
        /// Between 1a and 1b, and after the gate: the packed products' active units,
        /// hd[:, A], w2[:, A] and dz1[:, A].
        case packing
        /// Phase 1b: z2 = hd w2^T.
        case decoder
        /// Phase 1b: y = sigmoid(z2 + b2), the loss, dz2.
        case outputLoss = "output-loss"
        /// Phase 1b: dhd = dz2 w2 and dz1 = dhd ⊙ gate.
        case backward
        /// Phase 2: dw1 = dz1^T xd and db1 (per-example DropConnect's own kernel).
        case encoderGradient = "encoder-gradient"
        /// Phase 2: dw2 = dz2^T hd and db2.
        case decoderGradient = "decoder-gradient"
        /// Phase 2: the optimizer's update of the rows the thread computed.
        case optimizer
        /// Phase 2: the max-norm constraint on w1's rows.
        case maxNorm = "max-norm"

        /// The phase as a table names it: the phase's number, then what it computes.
        public var label: String {
            switch self {
            case .weights: return "0  masked w1, w1^T, w2^T"
            case .gather: return "1a gather x"
            case .inputDropout: return "1a input dropout"
            case .encoder: return "1a encoder z1 = xd w1^T"
            case .activation: return "1a act(z1 + b1), dropout, gate"
            case .packing: return "   pack active units"
            case .decoder: return "1b decoder z2 = hd w2^T"
            case .outputLoss: return "1b output, loss, dz2"
            case .backward: return "1b dhd = dz2 w2, dz1"
            case .encoderGradient: return "2  dw1 = dz1^T xd, db1"
            case .decoderGradient: return "2  dw2 = dz2^T hd, db2"
            case .optimizer: return "2  optimizer update"
            case .maxNorm: return "2  max-norm"
            }
        }

        /// The phase's place in `allCases`, without building the array.
        var position: Int {
            switch self {
            case .weights: return 0
            case .gather: return 1
            case .inputDropout: return 2
            case .encoder: return 3
            case .activation: return 4
            case .packing: return 5
            case .decoder: return 6
            case .outputLoss: return 7
            case .backward: return 8
            case .encoderGradient: return 9
            case .decoderGradient: return 10
            case .optimizer: return 11
            case .maxNorm: return 12
            }
        }

        /// A few characters, for a list of the largest phases.
        public var short: String {
            switch self {
            case .weights: return "weights"
            case .gather: return "gather"
            case .inputDropout: return "input dropout"
            case .encoder: return "z1"
            case .activation: return "act"
            case .packing: return "packing"
            case .decoder: return "z2"
            case .outputLoss: return "loss"
            case .backward: return "dhd"
            case .encoderGradient: return "dw1"
            case .decoderGradient: return "dw2"
            case .optimizer: return "optimizer"
            case .maxNorm: return "max-norm"
            }
        }
    }

    /// Threads of the steps timed: the parts a phase may have, and the divisor of the sums.
    public let threads: Int
    /// Per part: nanoseconds then times recorded, for each phase; parts a cache line apart.
    private let slots: UnsafeMutablePointer<UInt64>
    private static let stride = (2 * Phase.allCases.count + 7) / 8 * 8
    /// Steps timed.
    public private(set) var steps = 0
    /// The steps' wall-clock nanoseconds in all.
    public private(set) var stepNanoseconds: UInt64 = 0

    /// Creates a timer whose steps run on `threads` threads, each timing its own part.
    public init(threads: Int) {
        self.threads = max(1, threads)
        let count = self.threads * Self.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<UInt64>.stride, alignment: 64)
        slots = raw.bindMemory(to: UInt64.self, capacity: count)
        slots.initialize(repeating: 0, count: count)
    }

    deinit { UnsafeMutableRawPointer(slots).deallocate() }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Adds `nanoseconds` to `phase` in part `part`'s slot. Only the thread running part
    /// `part` calls this during a phase.
    func add(_ phase: Phase, part: Int, nanoseconds: UInt64) {
        precondition(part >= 0 && part < threads, "part \(part) of a timer for \(threads) threads")
        let slot = slots + part * Self.stride + 2 * phase.position
        slot[0] &+= nanoseconds
        slot[1] &+= 1
    }

    /// A clock for part `part`: each `record(phase)` adds the time since the previous one
    /// (or since the clock started) to the phase.
    func lap(part: Int) -> Lap { Lap(timer: self, part: part, last: Self.now()) }

    struct Lap {
        let timer: StepTimer
        let part: Int
        var last: UInt64

        mutating func record(_ phase: Phase) {
            let now = StepTimer.now()
            timer.add(phase, part: part, nanoseconds: now - last)
            last = now
        }
    }

    /// Adds the time since `start` to `phase` for every thread: one thread ran it while
    /// the others waited. Called between parallel phases.
    func recordAlone(_ phase: Phase, since start: UInt64) {
        add(phase, part: 0, nanoseconds: (Self.now() - start) * UInt64(threads))
    }

    /// Counts one step that started at `start` (a `now()`), ending now.
    func endStep(since start: UInt64) {
        steps += 1
        stepNanoseconds += Self.now() - start
    }

    /// Forgets every time recorded.
    public func reset() {
        slots.update(repeating: 0, count: threads * Self.stride)
        steps = 0
        stepNanoseconds = 0
    }

    /// The mean step and each phase's share of it, over the steps timed so far.
    public var breakdown: StepBreakdown {
        let perStep = 1 / (1000 * Double(max(steps, 1)))
        var phases: [(phase: Phase, microseconds: Double)] = []
        for (i, phase) in Phase.allCases.enumerated() {
            var nanoseconds: UInt64 = 0, times: UInt64 = 0
            for part in 0..<threads {
                nanoseconds += slots[part * Self.stride + 2 * i]
                times += slots[part * Self.stride + 2 * i + 1]
            }
            if times > 0 { phases.append((phase, Double(nanoseconds) / Double(threads) * perStep)) }
        }
        return StepBreakdown(steps: steps, stepMicroseconds: Double(stepNanoseconds) * perStep, phases: phases)
    }
}

/// Where a training step's time went: the mean step and each phase that ran, in
/// microseconds per step (see `StepTimer` for how threads count).
public struct StepBreakdown: Sendable {
    /// Steps measured.
    public var steps: Int
    /// Mean wall-clock time of a step, µs.
    public var stepMicroseconds: Double
    /// Each phase that ran, in the order the step runs them: µs per step, the threads' mean.
    public var phases: [(phase: StepTimer.Phase, microseconds: Double)]

    /// Creates a breakdown from its figures, as `StepTimer.breakdown` or a test builds it.
    public init(steps: Int, stepMicroseconds: Double, phases: [(phase: StepTimer.Phase, microseconds: Double)]) {
        self.steps = steps
        self.stepMicroseconds = stepMicroseconds
        self.phases = phases
    }

    /// The step's time no phase accounts for: waits at the phases' ends, work handed out,
    /// the trainer's bookkeeping.
    ///
    /// Never below zero by more than the clock's rounding.
    public var otherMicroseconds: Double { stepMicroseconds - phases.reduce(0) { $0 + $1.microseconds } }

    /// `microseconds` as a percentage of the step.
    public func percent(_ microseconds: Double) -> Double {
        stepMicroseconds > 0 ? 100 * microseconds / stepMicroseconds : 0
    }

    /// µs per step of `phase`, nil when it did not run.
    public func microseconds(_ phase: StepTimer.Phase) -> Double? {
        phases.first { $0.phase == phase }?.microseconds
    }
}
