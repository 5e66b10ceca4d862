import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing an output so that a crash, a full disk or a power cut at any moment leaves
/// either the old file or the new one, never a mix: the bytes go to a temporary file in
/// the same directory, which is flushed to disk, renamed over the target, and the
/// directory itself is flushed.
public enum AtomicFile {
    /// The prefix of this process's temporary files for `path`'s file name.
    static func temporaryPrefix(for name: String) -> String { ".\(name).tmp-" }

    /// Checks, before any work, that `path` can be created: its directory exists and is
    /// writable, and `path` itself is not a directory. Throws `.cannotCreate` (73).
    public static func checkWritable(_ path: String, what: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw AutoencError(.cannotCreate, "\(what) \(path): is a directory, expected a file path")
        }
        let dir = directory(of: path)
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

    static func directory(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    /// Removes temporary files a killed earlier run left behind for `path`.
    public static func removeStaleTemporaries(for path: String) {
        let dir = directory(of: path)
        let prefix = temporaryPrefix(for: (path as NSString).lastPathComponent)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(prefix) {
            unlink((dir as NSString).appendingPathComponent(name))
        }
    }

    /// Writes `parts` (concatenated) to `path` atomically and durably.
    /// Throws `.cannotCreate` when the temporary file cannot be made, `.ioError` when
    /// writing or renaming fails; either way `path` is untouched and nothing is left behind.
    public static func write(_ parts: [UnsafeRawBufferPointer], to path: String) throws {
        let dir = directory(of: path)
        let name = (path as NSString).lastPathComponent
        let temporary = (dir as NSString).appendingPathComponent(temporaryPrefix(for: name) + "\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AutoencError(.cannotCreate, "\(path): cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var failure: String?
        outer: for part in parts {
            var offset = 0
            while offset < part.count {
                let n = Glibc_write(fd, part.baseAddress! + offset, part.count - offset)
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
        if failure == nil && rename(temporary, path) != 0 {
            failure = "rename failed: \(String(cString: strerror(errno)))"
        }
        if let failure {
            unlink(temporary)
            throw AutoencError(.ioError, "\(path): \(failure); the previous file, if any, is unchanged")
        }
        let dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write([$0], to: path) }
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
