import Foundation

extension Benchmark {
    /// The CPU's fp32 multiply-add peak, in GFLOP/s: the ceiling of every product, which
    /// the products' and training's figures can be read against.
    public struct Peak: Sendable {
        /// The instructions measured: the best level this CPU runs, whatever
        /// `AUTOENC_KERNELS` chose, so that the figure is the hardware's.
        public var level: KernelLevel
        public var oneThread: Double
        public var allThreads: Double
        public var threads: Int

        public init(level: KernelLevel, oneThread: Double, allThreads: Double, threads: Int) {
            self.level = level
            self.oneThread = oneThread
            self.allThreads = allThreads
            self.threads = threads
        }

        /// Measures it on one thread and on `threads` at once (`Kernels.multiplyAddPeak`).
        public static func measure(threads: Int) -> Peak {
            let kernels = Kernels(.best)
            let one = kernels.multiplyAddPeak(threads: 1)
            return Peak(level: kernels.level, oneThread: one,
                        allThreads: threads > 1 ? kernels.multiplyAddPeak(threads: threads) : one, threads: threads)
        }

        /// The higher of this and `other` on one thread and on all, each on its own: the
        /// peak is the hardware's, and a measurement while another process shared the
        /// cores reads low, which would flatter every efficiency read against it.
        public func higher(_ other: Peak) -> Peak {
            Peak(level: level, oneThread: max(oneThread, other.oneThread),
                 allThreads: max(allThreads, other.allThreads), threads: threads)
        }

        /// "peak     39.8 GFLOP/s on 1 thread, 79.0 on 2 (fp32 multiply-adds, avx2
        /// instructions: no product can go faster)".
        var line: String {
            let all = threads > 1 ? String(format: ", %.1f on %d", allThreads, threads) : ""
            return "peak     " + String(format: "%.1f GFLOP/s on 1 thread", oneThread) + all
                + " (fp32 multiply-adds, \(level.rawValue) instructions: no product can go faster)"
        }
    }
}
