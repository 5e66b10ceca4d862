import Foundation
import Synchronization
import Testing
@testable import AutoencKit

/// The pool that runs the training steps' parallel phases runs every part exactly once,
/// whether its workers were spinning or asleep, and lets its threads go when released.
@Suite struct WorkerPoolTests {
    @Test(arguments: [1, 2, 3])
    func everyPartRunsOnce(threads: Int) {
        let pool = WorkerPool(threads: threads)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        defer { counts.deallocate() }
        let shared = Shared(counts)
        for round in 0..<3000 {
            let parts = 1 + round % 5
            counts.initialize(repeating: 0, count: 8)
            pool.run(parts) { part in shared.value[part] += 1 }
            let seen = (0..<8).map { counts[$0] }
            #expect(seen == (0..<8).map { $0 < parts ? 1 : 0 }, "round \(round), \(parts) parts: \(seen)")
            if seen != (0..<8).map({ $0 < parts ? 1 : 0 }) { return }
        }
    }

    /// After a pause long enough for the workers to fall asleep, the next run wakes them.
    @Test func sleepingWorkersWake() {
        let pool = WorkerPool(threads: 2)
        let ran = Atomic<Int>(0)
        for _ in 0..<5 {
            usleep(5_000)
            pool.run(2) { _ in ran.add(1, ordering: .relaxed) }
        }
        #expect(ran.load(ordering: .relaxed) == 10)
    }

    /// Releasing a pool returns once its workers have left (a worker that missed the
    /// stop would hang this test), spinning or asleep.
    @Test func releasedPoolsStopTheirThreads() {
        for k in 0..<40 {
            let pool = WorkerPool(threads: 3)
            pool.run(3) { _ in }
            if k % 10 == 0 { usleep(2_000) }
        }
    }
}
