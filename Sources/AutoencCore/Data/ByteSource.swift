import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole-file reader that inflates gzip (one or more concatenated members) or passes
/// plain bytes through, with every failure zlib can report turned into an error that
/// names the file.
///
/// Unlike `gzread`, it refuses trailing bytes that are not another gzip member, reports
/// a truncated stream where it happens, and lets the caller decide how much output it
/// will accept, so a decompression bomb stops at the size the caller expects.
public final class ByteSource {
    /// The file's path, as given; messages name it.
    public let path: String
    /// Whether the file starts with the gzip magic bytes and is inflated as it is read.
    public let isGzip: Bool
    /// Size of the file on disk in bytes.
    public let fileSize: Int64

    private let file: UnsafeMutablePointer<FILE>
    private var stream = z_stream()
    private var input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 18
    private var streamEnded = false
    private var inflateReady = false

    /// Opens `path`, plain or gzip-compressed.
    ///
    /// - Parameter path: The file to read.
    /// - Throws: `AutoencError` with `.noInput` when the file does not exist, `.ioError` when it cannot
    ///   be read.
    public init(path: String) throws {
        self.path = path
        let (f, size) = try openRegularFile(path)
        file = f
        fileSize = size
        input = .allocate(capacity: inputCapacity)
        let first = fread(input, 1, 2, f)
        isGzip = first == 2 && input[0] == 0x1f && input[1] == 0x8b
        stream.next_in = input
        stream.avail_in = UInt32(first)
        if isGzip {
            guard czlib_inflate_init_gzip(&stream) == Z_OK else {
                fclose(f)
                input.deallocate()
                throw AutoencError(.ioError, "\(path): zlib could not start inflating")
            }
            inflateReady = true
        }
    }

    deinit {
        if inflateReady { inflateEnd(&stream) }
        fclose(file)
        input.deallocate()
    }

    /// The largest output a file of this size can produce: deflate's limit is 1032:1.
    public var maximumPlausibleOutput: Int64 {
        isGzip ? fileSize &* 1032 : fileSize
    }

    /// Fills `buffer` completely unless the data ends first.
    ///
    /// - Parameter buffer: Where the (inflated) bytes go.
    /// - Returns: The bytes written: `buffer.count`, or fewer only at the end of the data.
    /// - Throws: `AutoencError.badData` for a corrupt or truncated gzip stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let out = base.assumingMemoryBound(to: UInt8.self)
        return isGzip ? try inflate(into: out, count: buffer.count) : readPlain(into: out, count: buffer.count)
    }

    /// Reads the next 4 bytes as a big-endian integer, IDX's byte order.
    ///
    /// - Returns: The integer, or nil when fewer than 4 bytes are left.
    /// - Throws: `AutoencError.badData` for a corrupt or truncated gzip stream.
    public func readBigEndianUInt32() throws -> UInt32? {
        var word: UInt32 = 0
        let n = try withUnsafeMutableBytes(of: &word) { try read(into: $0) }
        return n == 4 ? UInt32(bigEndian: word) : nil
    }

    private func readPlain(into out: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        // The magic-byte probe may have left up to two bytes in `input`.
        var written = 0
        if stream.avail_in > 0 {
            let n = min(Int(stream.avail_in), count)
            out.update(from: stream.next_in, count: n)
            stream.next_in += n
            stream.avail_in -= UInt32(n)
            written = n
        }
        while written < count {
            let n = fread(out + written, 1, count - written, file)
            if n == 0 { break }
            written += n
        }
        return written
    }

    private func refill() throws -> Bool {
        let n = fread(input, 1, inputCapacity, file)
        if n == 0 {
            if ferror(file) != 0 {
                throw AutoencError(.ioError, "\(path): read error: \(String(cString: strerror(errno)))")
            }
            return false
        }
        stream.next_in = input
        stream.avail_in = UInt32(n)
        return true
    }

    private func inflate(into out: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var written = 0
        while written < count && !streamEnded {
            if stream.avail_in == 0, try !refill() {
                throw AutoencError.badData(path, "gzip stream is truncated (ends inside a member after "
                    + "\(stream.total_out) bytes of output)")
            }
            let want = min(count - written, Int(UInt32.max))
            stream.next_out = out + written
            stream.avail_out = UInt32(want)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            written += want - Int(stream.avail_out)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                try startNextMemberOrFinish()
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw AutoencError.badData(path, "corrupt gzip data: \(reason)")
            }
        }
        return written
    }

    /// After a member ends: another member may follow (concatenated gzip is valid);
    /// anything else after the last member is garbage and refused.
    private func startNextMemberOrFinish() throws {
        if stream.avail_in == 0, try !refill() {
            streamEnded = true
            return
        }
        if stream.avail_in < 2 {
            // Keep the pending byte and see whether a second one completes a magic.
            let pending = stream.next_in[0]
            input[0] = pending
            let n = fread(input + 1, 1, inputCapacity - 1, file)
            stream.next_in = input
            stream.avail_in = UInt32(1 + n)
        }
        guard stream.avail_in >= 2, stream.next_in[0] == 0x1f, stream.next_in[1] == 0x8b else {
            throw AutoencError.badData(path, "unexpected bytes after the end of the gzip stream")
        }
        guard inflateReset(&stream) == Z_OK else {
            throw AutoencError(.ioError, "\(path): zlib could not reset for the next gzip member")
        }
    }
}

/// Opens `path` for reading, with its size: the one check every reader of a data file
/// makes first. Throws `.noInput` when it is missing, not a regular file, or cannot be
/// opened. The caller closes the file.
func openRegularFile(_ path: String) throws -> (file: UnsafeMutablePointer<FILE>, size: Int64) {
    var info = stat()
    guard stat(path, &info) == 0 else { throw AutoencError.missing(path) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw AutoencError(.noInput, "\(path): expected a regular file")
    }
    guard let file = fopen(path, "rb") else {
        throw AutoencError(.noInput, "\(path): cannot open: \(String(cString: strerror(errno)))")
    }
    return (file, Int64(info.st_size))
}
