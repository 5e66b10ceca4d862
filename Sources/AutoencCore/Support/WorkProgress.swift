import Foundation

/// How far one task of a long computation got: `done` of `total` images or epochs.
///
/// Long evaluations (codes, test MSE, sampling inference, the linear probe) report it to a
/// `ProgressHandler`; the library never draws it, the command line decides whether to.
public struct WorkProgress: Sendable, Equatable, CustomStringConvertible {
    /// What the counts count.
    public enum Unit: String, Sendable {
        case images, epochs
    }

    /// What the work is, e.g. "sampling inference (1000 draws)", "probe training".
    public var task: String
    /// How many units are done, from 0 to `total`.
    public var done: Int
    /// How many units the task has in all.
    public var total: Int
    /// What `done` and `total` count: images or epochs.
    public var unit: Unit

    /// Creates a report that `done` of `total` units of `task` are done.
    public init(task: String, done: Int, total: Int, unit: Unit) {
        self.task = task
        self.done = done
        self.total = total
        self.unit = unit
    }

    /// `sampling inference (1000 draws) 3200/10000 images`, `probe training 12/50 epochs`.
    public var description: String { "\(task) \(done)/\(total) \(unit.rawValue)" }
}

/// Receives each new `WorkProgress` of a computation.
///
/// Calls come one at a time, in order, possibly from a worker thread; within a task `done`
/// only grows, from 0 (sent when the task starts) to `total` (sent when it ends). Keep it
/// quick: the work waits.
public typealias ProgressHandler = @Sendable (WorkProgress) -> Void

/// A task's name and where its progress goes: what a caller hands to one computation
/// (`Autoencoder.codes`, `meanSquaredError`, `LinearProbe`), which fills in the counts.
public struct ProgressTask: Sendable {
    /// The task's name, as `WorkProgress.task` carries it.
    public var name: String
    /// Where the task's progress goes.
    public var handler: ProgressHandler

    /// Creates a task named `name` whose progress goes to `handler`.
    public init(_ name: String, _ handler: @escaping ProgressHandler) {
        self.name = name
        self.handler = handler
    }

    /// Starts counting `total` units of this task: reports 0 done now.
    public func start(total: Int, unit: WorkProgress.Unit) -> ProgressCounter {
        ProgressCounter(self, total: total, unit: unit)
    }
}

/// Adds up the work several threads finish and reports each new total, in order, to a
/// task's handler (under a lock, so reports never overtake each other).
public final class ProgressCounter: @unchecked Sendable {
    private let task: ProgressTask
    private let total: Int
    private let unit: WorkProgress.Unit
    private let lock = NSLock()
    private var done = 0

    init(_ task: ProgressTask, total: Int, unit: WorkProgress.Unit) {
        self.task = task
        self.total = total
        self.unit = unit
        task.handler(WorkProgress(task: task.name, done: 0, total: total, unit: unit))
    }

    /// Records `count` more units done (never past `total`) and reports the new total.
    public func add(_ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        done = min(total, done + count)
        task.handler(WorkProgress(task: task.name, done: done, total: total, unit: unit))
    }
}
