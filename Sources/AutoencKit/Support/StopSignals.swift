import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first SIGINT or SIGTERM received, 0 while none has been. Written only by
/// `handleStopSignal`; read by the training loop between steps.
nonisolated(unsafe) private var pendingStopSignal: sig_atomic_t = 0

/// The files a second signal removes before ending the process (`StopSignals.removeOnExit`):
/// a run's claim and its temporary files. Slots of C strings, nil when free; a string
/// once stored is never freed, so that the handler never reads freed memory.
private let removalSlots = 64
nonisolated(unsafe) private let removals: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: removalSlots)
    slots.initialize(repeating: nil, count: removalSlots)
    return slots
}()
private let removalsLock = NSLock()

/// Async-signal-safe: the first signal is recorded for the training loop to finish its
/// step and save; a second one removes the registered files (unlink) and ends the
/// process at once with 128 + its number.
private func handleStopSignal(_ signal: Int32) {
    if pendingStopSignal != 0 {
        for slot in 0..<removalSlots {
            if let path = removals[slot] { unlink(path) }
        }
        _exit(128 + signal)
    }
    pendingStopSignal = signal
}

/// Ctrl-C and `kill` during training: stop after the current step, save, exit 130 / 143.
public enum StopSignals {
    /// Installs the handlers for SIGINT and SIGTERM.
    public static func install() {
        pendingStopSignal = 0 // initializes the globals before a handler can touch them
        _ = removals
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handleStopSignal
        #else
        action.__sigaction_u.__sa_handler = handleStopSignal
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may start us with these signals blocked (test harnesses and some
        // process launchers do): unblock them, or they would stay pending forever.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// Has a second signal, which ends the process at once, remove `paths` first (a run's
    /// claim and its temporary files: nothing half-written is left); returns the slots
    /// to hand to `forget` once the files need no removing. Paths beyond the slots free
    /// are not registered.
    public static func removeOnExit(_ paths: [String]) -> [Int] {
        removalsLock.lock()
        defer { removalsLock.unlock() }
        var taken: [Int] = []
        for path in paths {
            guard let slot = (0..<removalSlots).first(where: { removals[$0] == nil }) else { break }
            removals[slot] = strdup(path)
            taken.append(slot)
        }
        return taken
    }

    /// Frees the `slots` `removeOnExit` returned (their strings are not freed: a handler
    /// may be reading one).
    public static func forget(_ slots: [Int]) {
        removalsLock.lock()
        defer { removalsLock.unlock() }
        for slot in slots { removals[slot] = nil }
    }

    /// The signal that asked training to stop, if any.
    public static var pending: Int32? {
        let signal = pendingStopSignal
        return signal == 0 ? nil : Int32(signal)
    }

    /// The exit status of a command that `signal` stopped: 128 + its number, 130 for
    /// SIGINT and 143 for SIGTERM (the only two installed).
    public static func status(_ signal: Int32) -> ExitStatus {
        signal == SIGTERM ? .terminated : .interrupted
    }

    /// "SIGINT", "SIGTERM", or "signal N", as messages name it.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}
