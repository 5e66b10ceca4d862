import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock (flock) on an output, held for a whole run, so that two runs never
/// write the same checkpoint pair: the second is refused, naming the holder's pid. The
/// lock is a hidden file beside the output, `.NAME.lock`, holding the holder's pid; the
/// holder removes it when it releases the lock (the system releases the lock itself if
/// the process dies first, and the next run reuses the file).
public final class OutputLock {
    public let path: String
    private var descriptor: Int32

    /// The lock file of `output`: beside the file its symbolic links lead to, so that a
    /// link to a locked output finds the same lock.
    public static func path(for output: String) -> String {
        let output = AtomicFile.resolved(output)
        let directory = FilePath.parent(of: output)
        let name = "." + (output as NSString).lastPathComponent + ".lock"
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }

    /// Takes the lock of `output`, named `what` in messages. Throws `.cannotCreate` (73)
    /// when another process holds it (naming its pid) or the lock file cannot be created.
    /// With `waiting`, a lock another process holds is waited for instead, after handing
    /// `waiting` the holder's pid.
    public init(for output: String, what: String, waiting: ((String) -> Void)? = nil) throws {
        path = Self.path(for: output)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AutoencError(.cannotCreate, "\(what) \(output): cannot create its lock file \(path) "
                + "(\(String(cString: strerror(errno))))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(descriptor, &buffer, buffer.count)
            let holder = count > 0 ? String(decoding: buffer[0..<count],
                                            as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
            if let waiting {
                waiting(holder)
                while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
            } else {
                close(descriptor)
                descriptor = -1 // deinit runs for a throwing init too: the holder's file must stay
                throw AutoencError(.cannotCreate, "\(what) \(output): another run is writing it (process \(holder)); "
                    + "wait for it to end or choose another --out")
            }
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    /// Removes the lock file and releases the lock. Called once; later calls do nothing.
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
