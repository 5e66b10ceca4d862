import Dispatch
import Foundation
#if os(Linux)
import Synchronization
#endif

/// Threads kept for the parallel phases of training steps, which hand out work in a
/// microsecond or two.
///
/// A step at 100k images/s lasts about 1.3 ms and has three or four parallel phases.
/// `DispatchQueue.concurrentPerform` lets its worker sleep between them, and waking it
/// cost about 45 µs a phase on this project's 2-core machines (`Scripts/bench` shows the
/// difference): a tenth of the step. Here the workers spin on a counter between phases
/// and sleep only after 0.2 ms without work (between epochs, say), so a pool that
/// is not running costs nothing. Waiting threads yield the CPU while they spin, so more
/// threads than cores still make progress.
///
/// On other systems than Linux (where Swift's `Atomic` needs macOS 15) `run` is
/// `concurrentPerform`.
public final class WorkerPool: @unchecked Sendable {
    /// Threads that run parts, the caller's included.
    public let threads: Int
    #if os(Linux)
    private let state: State
    #endif

    /// Creates a pool whose `run` uses `threads` threads, the caller's and `threads - 1` workers.
    public init(threads: Int) {
        self.threads = max(1, threads)
        #if os(Linux)
        state = State(workers: self.threads - 1)
        for worker in 1..<self.threads {
            let state = state
            let thread = Thread { state.work(as: worker) }
            thread.name = "autoenc worker \(worker)"
            thread.start()
        }
        #endif
    }

    deinit {
        #if os(Linux)
        state.stop()
        #endif
    }

    /// Runs `body(part)` for part in 0..<parts and returns when all have returned.
    ///
    /// Part 0, and any parts beyond `threads`, run on the calling thread; part i <
    /// `threads` on worker i. Not reentrant: one `run` at a time.
    public func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 || threads == 1 {
            for part in 0..<parts { body(part) }
            return
        }
        #if os(Linux)
        state.run(parts, body)
        #else
        withoutActuallyEscaping(body) { body in
            let shared = DisjointlyShared(body)
            DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
        }
        #endif
    }

    #if os(Linux)
    /// What the workers share with the caller. A new job is published by storing `job`
    /// and `parts`, then incrementing `generation`; each worker that saw the new generation
    /// runs its part and decrements `pending`.
    final class State: @unchecked Sendable {
        let workers: Int
        let generation = Atomic<Int>(0)
        let pending = Atomic<Int>(0)
        let sleepers = Atomic<Int>(0)
        let condition = NSCondition()
        let exited = DispatchSemaphore(value: 0)
        var job: ((Int) -> Void)?
        var parts = 0
        var stopping = false

        /// Checks a waiting thread makes before it starts yielding the CPU between checks
        /// (a few microseconds), and how long a worker waits before it sleeps.
        static let spinsBeforeYielding = 4_000
        static let nanosecondsBeforeSleeping: UInt64 = 200_000

        init(workers: Int) { self.workers = workers }

        func run(_ parts: Int, _ body: (Int) -> Void) {
            withoutActuallyEscaping(body) { body in
                job = body
                self.parts = parts
                pending.store(workers, ordering: .relaxed)
                publish()
                body(0)
                for part in (workers + 1)..<max(workers + 1, parts) { body(part) }
                var spins = 0
                while pending.load(ordering: .acquiring) > 0 {
                    spins += 1
                    if spins > Self.spinsBeforeYielding { sched_yield() }
                }
                job = nil
            }
        }

        func stop() {
            stopping = true
            publish()
            for _ in 0..<workers { exited.wait() }
        }

        private func publish() {
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
        }

        func work(as worker: Int) {
            var seen = 0
            while true {
                var spins = 0, since: UInt64 = 0
                while generation.load(ordering: .acquiring) == seen {
                    spins += 1
                    if spins < Self.spinsBeforeYielding { continue }
                    let now = DispatchTime.now().uptimeNanoseconds
                    if since == 0 { since = now }
                    if now - since > Self.nanosecondsBeforeSleeping {
                        // the caller checks `sleepers` after publishing: either it sees this
                        // sleeper and wakes it, or this check sees the new generation
                        condition.lock()
                        sleepers.add(1, ordering: .sequentiallyConsistent)
                        while generation.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                        sleepers.subtract(1, ordering: .sequentiallyConsistent)
                        condition.unlock()
                    } else {
                        sched_yield()
                    }
                }
                seen = generation.load(ordering: .acquiring)
                if stopping {
                    exited.signal()
                    return
                }
                if worker < parts, let job { job(worker) }
                pending.subtract(1, ordering: .releasing)
            }
        }
    }
    #endif
}

/// A value shared with worker threads that only touch disjoint parts of what it points
/// to; the caller guarantees the disjointness.
public struct DisjointlyShared<T>: @unchecked Sendable {
    /// The shared value.
    public let value: T
    /// Wraps `value`, whose parts the caller promises to hand out disjointly.
    public init(_ value: T) { self.value = value }
}
