import Dispatch

extension Autoencoder {
    /// The hidden codes of every image of `set`, in inference mode (the `encode` used by
    /// `reconstruct`): (set.count, hidden) floats, row-major. The images are split over
    /// `threads` threads, each encoding chunks of `chunk` images with one-thread BLAS.
    /// `progress` hears of the images done, after each chunk of each thread.
    public func codes(_ set: ImageSet, threads: Int = 1, chunk: Int = inferenceChunk,
                      progress: ProgressTask? = nil) -> FloatBuffer {
        let h = config.hidden, n = ModelConfig.inputs
        let out = FloatBuffer(count: set.count * h)
        let parts = Self.threadCount(threads, images: set.count)
        let shared = DisjointlyShared(out.pointer)
        let counter = progress?.start(total: set.count, unit: .images)
        let work: @Sendable (Int) -> Void = { [self] part in
            let range = set.count * part / parts..<set.count * (part + 1) / parts
            let x = FloatBuffer(count: max(1, min(chunk, range.count)) * n)
            var start = range.lowerBound
            while start < range.upperBound {
                let m = min(chunk, range.upperBound - start)
                let indices = (Int32(start)..<Int32(start + m)).map { $0 }
                set.gather(indices[...], into: x.pointer)
                // x: (m, 784) -> codes rows start..<start+m: (m, h)
                encode(x.pointer, count: m, into: shared.value + start * h)
                counter?.add(m)
                start += m
            }
        }
        if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
        return out
    }
}
