import AutoencCore

extension Benchmark {
    /// Adam's pass over one model's parameters, timed on its own.
    public struct OptimizerTiming: Sendable {
        public var hidden: Int
        /// The model's parameters (`Parameters.count(hidden:)`).
        public var parameters: Int
        /// The median time of the pass, per parameter.
        public var nanosecondsPerParameter: Double

        public init(hidden: Int, parameters: Int, nanosecondsPerParameter: Double) {
            self.hidden = hidden
            self.parameters = parameters
            self.nanosecondsPerParameter = nanosecondsPerParameter
        }
    }

    /// Times Adam's update (`Optimizer.update`, at `kernels`' level) over the parameters of
    /// a model with `hidden` units on one thread: the same parameters, gradients and
    /// moments pass after pass, so that they stay as near as the caches can hold them.
    /// That is the pass's own cost; the training step's optimizer phase also waits for
    /// its data to come from the caches the products filled with theirs. The median over
    /// samples for `seconds`, at least 3, of 4 passes each.
    public static func optimizerPass(hidden: Int, seconds: Double = 0.2,
                                     kernels: Kernels = .current) -> OptimizerTiming {
        let count = Parameters.count(hidden: hidden)
        let p = FloatBuffer(count: count), g = FloatBuffer(count: count)
        var rng = RandomStream(seed: 2, .evaluation)
        for i in 0..<count {
            p.pointer[i] = rng.uniform(-0.1, 0.1)
            g.pointer[i] = rng.uniform(-1e-3, 1e-3)
        }
        let optimizer = Optimizer(kind: .adam, learningRate: 1e-3, count: count, kernels: kernels)
        optimizer.update(p.pointer, gradient: g.pointer, count: count)
        var samples: [Double] = []
        let deadline = now() + UInt64(seconds * 1e9)
        repeat {
            let start = now()
            for _ in 0..<4 { optimizer.update(p.pointer, gradient: g.pointer, count: count) }
            samples.append(Double(now() - start) / 4 / Double(count))
        } while now() < deadline || samples.count < 3
        samples.sort()
        return OptimizerTiming(hidden: hidden, parameters: count, nanosecondsPerParameter: samples[samples.count / 2])
    }
}
