import Foundation
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
        let ran = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { ran.deallocate() }
        ran.initialize(repeating: 0, count: 2)
        let shared = Shared(ran)
        for _ in 0..<5 {
            usleep(5_000)
            pool.run(2) { part in shared.value[part] += 1 }
        }
        #expect(ran[0] == 5 && ran[1] == 5, "parts ran \(ran[0]) and \(ran[1]) times")
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
