import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The pool that runs the training steps' parallel phases runs every part exactly once,
/// whether its workers were spinning or asleep, and lets its threads go when released.
@Suite struct WorkerPoolTests {
    @Test(arguments: [1, 2, 3])
    func everyPartRunsOnce(threads: Int) {
        let pool = WorkerPool(threads: threads)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        defer { counts.deallocate() }
        let shared = DisjointlyShared(counts)
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
        let shared = DisjointlyShared(ran)
        for _ in 0..<5 {
            usleep(5_000)
            pool.run(2) { part in shared.value[part] += 1 }
        }
        #expect(ran[0] == 5 && ran[1] == 5, "parts ran \(ran[0]) and \(ran[1]) times")
    }

    /// Releasing a pool returns once its workers have left (a worker that missed the
    /// stop would hang this test), spinning or asleep, and the workers' threads end: the
    /// thread id each worker reads while it runs its part is gone from /proc/self/task
    /// within a few seconds of its pool's release. Thread ids rather than a count of the
    /// process's threads, since other suites start and stop threads at the same time.
    @Test func releasedPoolsStopTheirThreads() throws {
        #if os(Linux)
        let threadsBefore = try Self.threadIDs().count
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: 3)
        defer { ids.deallocate() }
        let shared = DisjointlyShared(ids)
        var workers = Set<Int32>()
        #endif
        for k in 0..<40 {
            let pool = WorkerPool(threads: 3)
            #if os(Linux)
            ids.initialize(repeating: 0, count: 3)
            pool.run(3) { part in shared.value[part] = Self.currentThreadID() }
            let caller = Self.currentThreadID()
            try #require(ids[0] == caller && ids[1] > 0 && ids[2] > 0
                         && ids[1] != caller && ids[2] != caller && ids[1] != ids[2],
                         "pool \(k): parts ran on threads \((0..<3).map { ids[$0] }), the caller is \(caller)")
            workers.formUnion([ids[1], ids[2]])
            #else
            pool.run(3) { _ in }
            #endif
            if k % 10 == 0 { usleep(2_000) }
        }
        #if os(Linux)
        // The pools are released; their threads return right after signalling it.
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        var running = try workers.intersection(Self.threadIDs())
        while !running.isEmpty && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(1_000)
            running = try workers.intersection(Self.threadIDs())
        }
        let threadsAfter = try Self.threadIDs().count
        #expect(running.count == 0, """
            \(running.count) of the \(workers.count) workers' threads still run 5 s after their pools were \
            released; the process had \(threadsBefore) threads before the pools and has \(threadsAfter)
            """)
        #endif
    }

    #if os(Linux)
    /// The ids of the process's threads, from /proc/self/task.
    static func threadIDs() throws -> Set<Int32> {
        Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { Int32($0) })
    }

    /// The calling thread's id (what gettid returns, which Glibc's module does not
    /// export), from the /proc/thread-self link to /proc/PID/task/TID; 0 when unreadable.
    static func currentThreadID() -> Int32 {
        let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
        return link.flatMap { $0.split(separator: "/").last }.flatMap { Int32($0) } ?? 0
    }
    #endif
}
