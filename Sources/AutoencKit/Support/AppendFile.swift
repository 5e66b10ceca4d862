import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that lines are appended to (a training log), opened on the first line so that
/// a run that fails before producing anything creates nothing.
public final class AppendFile {
    public let path: String
    /// The flag that named the file, for messages.
    public let what: String
    private var fd: Int32 = -1

    public init(_ path: String, what: String) {
        self.path = path
        self.what = what
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Checks, before any work, that lines could be appended to `path`: an existing
    /// file must be a writable regular file, FIFO or character device (`/dev/stdout`),
    /// a new one needs a writable directory. A regular file with content must be a log
    /// already, its first byte `{`: appending to a checkpoint, an image or a script
    /// would spoil it. Throws `.cannotCreate` (73).
    public static func checkAppendable(_ path: String, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            try AtomicFile.checkWritable(path, what: what)
            return
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFIFO || type == S_IFCHR else {
            let kind = type == S_IFDIR ? "a directory" : "a socket or other special file"
            throw AutoencError(.cannotCreate, "\(what) \(path): is \(kind), expected a file to append to")
        }
        guard access(path, W_OK) == 0 else {
            throw AutoencError(.cannotCreate, "\(what) \(path): exists but is not writable")
        }
        guard type == S_IFREG, info.st_size > 0 else { return }
        let handle = FileHandle(forReadingAtPath: path)
        let first = (try? handle?.read(upToCount: 1))??.first
        try? handle?.close()
        guard first == UInt8(ascii: "{") else {
            throw AutoencError(.cannotCreate, "\(what) \(path): exists and is not a JSON-lines log (its first byte is "
                + "not '{'); lines are appended only to a log, so name a new file or an earlier log")
        }
    }

    /// Appends `line` and a newline with one write. Throws `.cannotCreate` when the
    /// file cannot be opened, `.ioError` when the write fails.
    public func append(_ line: String) throws {
        if fd < 0 {
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw AutoencError(.cannotCreate, "\(what) \(path): cannot open for appending: "
                    + "\(String(cString: strerror(errno)))")
            }
        }
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AutoencError(.ioError, "\(what) \(path): write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
