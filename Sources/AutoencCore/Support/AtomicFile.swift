import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing outputs so that a crash, a full disk or a power cut at any moment leaves
/// either the old file or the new one, never a mix: the bytes go to a temporary file in
/// the same directory (`.NAME.tmp-PID`), which is flushed to disk, renamed over the
/// target, and the directory itself is flushed.
public enum AtomicFile {
    /// The prefix of the temporary files for a file named `name`.
    static func temporaryPrefix(for name: String) -> String { ".\(name).tmp-" }

    // MARK: - Checks before any work

    /// Checks, before any work, that `path` can be created.
    ///
    /// Its directory must exist and be writable, and `path` must not be a directory, nor a device,
    /// FIFO or socket: a rename would replace the node itself, and `--out /dev/null` must not replace
    /// /dev/null. A symbolic link is followed: the file it leads to is checked, and written.
    ///
    /// - Parameters:
    ///   - path: The file to be written.
    ///   - what: The setting that names it, for the message (the command line's flag).
    /// - Throws: `AutoencError` with `.cannotCreate` (73) naming `what` and the path.
    public static func checkWritable(_ path: String, what: String) throws {
        var isDir: ObjCBool = false
        if path.isEmpty {
            throw AutoencError(.cannotCreate, "\(what): expected a file path, found an empty string")
        }
        let target = resolved(path)
        let shown = target == path ? path : "\(path) (-> \(target))"
        var info = stat()
        if stat(target, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw AutoencError(.cannotCreate, "\(what) \(shown): is a directory, expected a file path")
            default:
                throw AutoencError(.cannotCreate, "\(what) \(shown): is a device, FIFO or socket, "
                    + "expected a regular file (outputs are replaced atomically by renaming)")
            }
        }
        let dir = directory(of: target)
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw AutoencError(.cannotCreate, "\(what) \(path): directory \(dir) does not exist")
        }
        guard isDir.boolValue else {
            throw AutoencError(.cannotCreate, "\(what) \(path): \(dir) is not a directory")
        }
        guard access(dir, W_OK) == 0 else {
            throw AutoencError(.cannotCreate, "\(what) \(path): directory \(dir) is not writable")
        }
    }

    /// `path`, or the file its chain of symbolic links leads to (which need not exist).
    public static func resolved(_ path: String) -> String {
        var current = path
        for _ in 0..<32 {
            var info = stat()
            guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK,
                  let link = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return current }
            current = link.hasPrefix("/") ? link : (directory(of: current) as NSString).appendingPathComponent(link)
        }
        return current
    }

    static func directory(of path: String) -> String {
        let dir = FilePath.parent(of: path)
        return dir.isEmpty ? "." : dir
    }

    /// Prepares `path` to be written, before any work: `checkWritable`, then `removeStaleTemporaries`.
    ///
    /// - Parameters:
    ///   - path: The file to be written.
    ///   - what: The setting that names it, for the message.
    /// - Throws: As `checkWritable(_:what:)` does.
    public static func prepare(_ path: String, what: String) throws {
        try checkWritable(path, what: what)
        removeStaleTemporaries(for: path)
    }

    /// Removes the temporary files that killed earlier runs left behind for `path`:
    /// `.NAME.tmp-PID` where no process PID exists any more (a concurrent run's files
    /// are left alone).
    public static func removeStaleTemporaries(for path: String) {
        let path = resolved(path)
        let dir = directory(of: path)
        let prefix = temporaryPrefix(for: (path as NSString).lastPathComponent)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid > 0 else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                unlink((dir as NSString).appendingPathComponent(name))
            }
        }
    }

    // MARK: - Writing

    /// Writes `parts`, concatenated, to `path` atomically and durably.
    ///
    /// - Parameters:
    ///   - parts: The file's contents, in pieces.
    ///   - path: The file to create or replace.
    /// - Throws: `AutoencError` with `.cannotCreate` when the temporary file cannot be made, `.ioError`
    ///   when writing or renaming fails; either way `path` is untouched and nothing is left behind.
    public static func write(_ parts: [UnsafeRawBufferPointer], to path: String) throws {
        try write([(path, parts)])
    }

    /// Writes `bytes` to `path` atomically and durably.
    ///
    /// - Parameters:
    ///   - bytes: The file's whole contents.
    ///   - path: The file to create or replace.
    /// - Throws: `AutoencError` with `.cannotCreate` when the temporary file cannot be made, `.ioError`
    ///   when writing or renaming fails; either way `path` is untouched and nothing is left behind.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write([$0], to: path) }
    }

    /// Writes several files as one save.
    ///
    /// Every temporary file is written and flushed first, then they are renamed over their targets
    /// in the given order with SIGINT and SIGTERM held back, so an impatient second Ctrl-C cannot
    /// split the set. When anything fails before the renames, every target is untouched and every
    /// temporary file is removed.
    ///
    /// Only SIGKILL, a crash or a power cut can still split the set between two renames.
    /// With `keepingPrevious`, the first file's old version stays at its
    /// `previousVersion` (a hard link, made before the renames) until every file is
    /// renamed: the old set can then be put back together from it. Where hard links
    /// cannot be made nothing is kept.
    ///
    /// - Parameters:
    ///   - files: Each file's path and contents, in the order they are renamed.
    ///   - keepingPrevious: Whether to keep the first file's old version until the renames are done.
    /// - Throws: `AutoencError` with `.cannotCreate` or `.ioError` naming the file.
    public static func write(_ files: [(path: String, parts: [UnsafeRawBufferPointer])],
                             keepingPrevious: Bool = false) throws {
        var written: [(path: String, temporary: String)] = []
        do {
            for file in files {
                let target = resolved(file.path) // a symbolic link stays, its file is replaced
                written.append((target, try writeTemporary(file.parts, for: target)))
            }
        } catch {
            for file in written { unlink(file.temporary) }
            throw error
        }

        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGINT)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let kept = keepingPrevious ? written.first.flatMap { keepPreviousVersion(of: $0.path) } : nil
        for (index, file) in written.enumerated() where rename(file.temporary, file.path) != 0 {
            let reason = String(cString: strerror(errno))
            for rest in written[index...] { unlink(rest.temporary) }
            let done = written[..<index].map(\.path)
            throw AutoencError(.ioError, "\(file.path): rename failed: \(reason); the previous file is unchanged"
                + (done.isEmpty ? "" : " (already replaced: \(done.joined(separator: ", ")))"))
        }
        for dir in Set(written.map { directory(of: $0.path) }) {
            let dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dirFD >= 0 {
                fsync(dirFD)
                close(dirFD)
            }
        }
        if let kept { unlink(kept) }
    }

    /// Where `write(_:keepingPrevious:)` keeps a file's old version during a save:
    /// `.NAME.previous` beside the file `path` leads to.
    public static func previousVersion(of path: String) -> String {
        let target = resolved(path)
        let name = (target as NSString).lastPathComponent
        return (directory(of: target) as NSString).appendingPathComponent(".\(name).previous")
    }

    /// Links `path`'s current file (resolved) to its `previousVersion`, replacing an
    /// older one atomically; returns that path, or nil when there is no file yet or no
    /// link could be made.
    static func keepPreviousVersion(of path: String) -> String? {
        let previous = previousVersion(of: path)
        let temporary = (directory(of: previous) as NSString)
            .appendingPathComponent(temporaryPrefix(for: (previous as NSString).lastPathComponent) + "\(getpid())")
        unlink(temporary)
        guard link(path, temporary) == 0 else { return nil }
        guard rename(temporary, previous) == 0 else {
            unlink(temporary)
            return nil
        }
        return previous
    }

    /// Writes `parts` to a new temporary file beside `path`, flushed to disk; returns its
    /// path. On failure removes it and throws.
    static func writeTemporary(_ parts: [UnsafeRawBufferPointer], for path: String) throws -> String {
        let dir = directory(of: path)
        let name = (path as NSString).lastPathComponent
        let temporary = (dir as NSString).appendingPathComponent(temporaryPrefix(for: name) + "\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AutoencError(.cannotCreate, "\(path): cannot create \(temporary): "
                + "\(String(cString: strerror(errno)))")
        }
        var failure: String?
        outer: for part in parts {
            var offset = 0
            while offset < part.count {
                let n = systemWrite(fd, part.baseAddress! + offset, part.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed: \(String(cString: strerror(errno)))"
                    break outer
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = "fsync failed: \(String(cString: strerror(errno)))" }
        if close(fd) != 0 && failure == nil { failure = "close failed: \(String(cString: strerror(errno)))" }
        if let failure {
            unlink(temporary)
            throw AutoencError(.ioError, "\(path): \(failure); the previous file, if any, is unchanged")
        }
        return temporary
    }
}

/// The C library's `write(2)`, under a name that does not clash with Swift's.
///
/// - Returns: The bytes written, or -1 with `errno` set.
@inline(__always)
public func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
