import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes read in order, of a length known before the first read: a plain file, or one
/// member of a zip archive.
///
/// What the `.npy` reader reads from.
public protocol SizedByteStream: AnyObject {
    /// The name messages use: the file, or "archive.npz, member x_train.npy".
    var name: String { get }
    /// The bytes the stream holds (a member's uncompressed size).
    var length: Int64 { get }
    /// Fills `buffer` completely unless the stream ends first.
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The bytes written: `buffer.count`, or fewer only at the end of the stream.
    /// - Throws: `AutoencError` with `.ioError` when the file cannot be read, `.dataError` when a
    ///   deflated member's data is damaged.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Checks the stream's end, once everything promised has been read.
    ///
    /// Checks that nothing follows and, for a zip member, that the data ends where the directory
    /// says and matches its CRC-32.
    ///
    /// - Throws: `AutoencError.badData` naming the stream when it does not end as promised.
    func finish() throws
}

/// A plain file as a `SizedByteStream` (its length is its size on disk).
public final class FileByteStream: SizedByteStream {
    /// The file's path.
    public let name: String
    /// The file's size on disk in bytes.
    public let length: Int64
    private let file: UnsafeMutablePointer<FILE>

    /// Opens the plain file at `path`.
    ///
    /// - Throws: `AutoencError` with `.noInput` when it is missing or not a regular file.
    public init(path: String) throws {
        (file, length) = try openRegularFile(path)
        name = path
    }

    deinit { fclose(file) }

    /// Reads the next bytes of the file (see `SizedByteStream.read(into:)`).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var written = 0
        while written < buffer.count {
            let n = fread(base + written, 1, buffer.count - written, file)
            if n == 0 {
                if ferror(file) != 0 {
                    throw AutoencError(.ioError, "\(name): read error: \(String(cString: strerror(errno)))")
                }
                break
            }
            written += n
        }
        return written
    }

    /// Checks that the file holds no byte beyond `length`, that it did not grow while it was read.
    public func finish() throws {
        var byte: UInt8 = 0
        if fread(&byte, 1, 1, file) == 1 {
            throw AutoencError.badData(name, "the file grew while it was read")
        }
    }
}

/// A zip archive's directory (what NumPy's `np.savez` and `np.savez_compressed` write),
/// and its members' contents, stored or deflated.
///
/// Everything comes from the central directory at the end of the file, never from the
/// local headers' sizes (which `np.savez` writes as zip64 placeholders): each member's
/// name, method, CRC-32, sizes and offset, each checked against the file's size before
/// anything is read or allocated. Zip64 records are followed; encrypted members,
/// other methods than stored (0) and deflate (8), and archives spanning disks are refused.
public final class ZipArchive {
    /// One member as the central directory describes it.
    public struct Member: Sendable, Equatable {
        /// The member's name inside the archive (`x_train.npy`).
        public var name: String
        /// 0 stored, 8 deflated.
        public var method: UInt16
        /// The CRC-32 of the uncompressed data.
        public var crc32: UInt32
        /// The member's size in the archive, in bytes.
        public var compressedSize: Int64
        /// The member's size once inflated, in bytes.
        public var uncompressedSize: Int64
        /// Where the member's local header starts.
        public var headerOffset: Int64
    }

    let path: String
    /// The archive's size on disk in bytes.
    public let fileSize: Int64
    /// The members, in the central directory's order.
    public private(set) var members: [Member] = []
    private let file: UnsafeMutablePointer<FILE>

    /// The central directory's largest plausible size: 64 MiB is a million members.
    static let directoryLimit: Int64 = 1 << 26

    /// Opens the archive at `path` and reads its central directory.
    ///
    /// - Throws: `AutoencError` with `.noInput` when `path` is missing, `.dataError` naming it when it is
    ///   no zip archive or its directory is inconsistent.
    public init(path: String) throws {
        (file, fileSize) = try openRegularFile(path)
        self.path = path
        members = try readDirectory()
    }

    deinit { fclose(file) }

    func member(named name: String) -> Member? { members.first { $0.name == name } }

    /// `count` bytes at `offset`, which the caller has checked lie inside the file.
    func bytes(at offset: Int64, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        guard fseeko(file, off_t(offset), SEEK_SET) == 0 else {
            throw AutoencError(.ioError, "\(path): cannot seek: \(String(cString: strerror(errno)))")
        }
        let n = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, file) }
        guard n == count else { throw AutoencError(.ioError, "\(path): short read at byte \(offset)") }
        return out
    }

    // MARK: - The directory

    private func readDirectory() throws -> [Member] {
        // The end-of-central-directory record: 22 bytes and a comment of up to 65535.
        let tailLength = Int(min(fileSize, 22 + 65535))
        guard tailLength >= 22 else { throw notZip("a file of \(fileSize) bytes") }
        let tail = try bytes(at: fileSize - Int64(tailLength), count: tailLength)
        var end = -1
        var at = tailLength - 22
        while at >= 0 {
            if tail[at] == 0x50, tail.le32(at) == 0x0605_4b50, at + 22 + Int(tail.le16(at + 20)) == tailLength {
                end = at
                break
            }
            at -= 1
        }
        guard end >= 0 else {
            let head = try bytes(at: 0, count: min(4, Int(fileSize)))
            throw notZip(head == [0x50, 0x4B, 0x03, 0x04] ? "a zip archive without its directory (truncated?)"
                         : "a file without a zip directory")
        }
        let endOffset = fileSize - Int64(tailLength - end)
        guard tail.le16(end + 4) == 0, tail.le16(end + 6) == 0 else {
            throw AutoencError.badData(path, "expected a zip archive on one disk, found one spanning disks")
        }
        var entries = Int64(tail.le16(end + 10))
        var directorySize = Int64(tail.le32(end + 12))
        var directoryOffset = Int64(tail.le32(end + 16))
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            (entries, directorySize, directoryOffset) = try readZip64End(before: endOffset)
        }
        guard directoryOffset >= 0, directorySize >= 0, directorySize <= Self.directoryLimit,
              directoryOffset <= endOffset, directorySize <= endOffset - directoryOffset else {
            throw AutoencError.badData(path, "zip directory of \(directorySize) bytes at byte \(directoryOffset) "
                                       + "lies outside the file's \(fileSize) bytes")
        }
        // Each entry takes at least 46 bytes: a count beyond that cannot be true.
        guard entries <= directorySize / 46 else {
            throw AutoencError.badData(path, "zip directory promises \(entries) members in \(directorySize) bytes")
        }
        let directory = try bytes(at: directoryOffset, count: Int(directorySize))
        var members: [Member] = []
        var p = 0
        for index in 0..<Int(entries) {
            guard p + 46 <= directory.count, directory.le32(p) == 0x0201_4b50 else {
                throw AutoencError.badData(path, "zip directory entry \(index + 1) of \(entries) is damaged")
            }
            let flags = directory.le16(p + 8)
            let nameLength = Int(directory.le16(p + 28)), extraLength = Int(directory.le16(p + 30))
            let commentLength = Int(directory.le16(p + 32))
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else {
                throw AutoencError.badData(path, "zip directory entry \(index + 1) of \(entries) "
                                           + "ends past the directory")
            }
            let name = String(decoding: directory[p + 46..<p + 46 + nameLength], as: UTF8.self)
            var member = Member(name: name, method: directory.le16(p + 10), crc32: directory.le32(p + 16),
                                compressedSize: Int64(directory.le32(p + 20)),
                                uncompressedSize: Int64(directory.le32(p + 24)),
                                headerOffset: Int64(directory.le32(p + 42)))
            try applyZip64(Array(directory[p + 46 + nameLength..<p + 46 + nameLength + extraLength]), to: &member)
            if flags & 1 != 0 { throw AutoencError.badData(path, "member \(name) is encrypted") }
            members.append(member)
            p = next
        }
        return members
    }

    private func readZip64End(before endOffset: Int64) throws -> (Int64, Int64, Int64) {
        guard endOffset >= 20 else { throw AutoencError.badData(path, "zip64 directory locator missing") }
        let locator = try bytes(at: endOffset - 20, count: 20)
        guard locator.le32(0) == 0x0706_4b50 else {
            throw AutoencError.badData(path, "zip64 directory locator missing")
        }
        let recordOffset = locator.le64(8)
        guard recordOffset >= 0, recordOffset <= endOffset - 20 - 56 else {
            throw AutoencError.badData(path, "zip64 directory record at byte \(recordOffset) lies outside the file")
        }
        let record = try bytes(at: recordOffset, count: 56)
        guard record.le32(0) == 0x0606_4b50 else { throw AutoencError.badData(path, "zip64 directory record damaged") }
        return (record.le64(32), record.le64(40), record.le64(48))
    }

    /// Zip64's extra field (tag 1) holds, in this order, whichever of the uncompressed
    /// size, compressed size and header offset the entry marks with 0xFFFFFFFF.
    private func applyZip64(_ extra: [UInt8], to member: inout Member) throws {
        var p = 0
        while p + 4 <= extra.count {
            let tag = extra.le16(p), size = Int(extra.le16(p + 2))
            guard p + 4 + size <= extra.count else { break }
            if tag == 1 {
                var q = p + 4
                func next() throws -> Int64 {
                    guard q + 8 <= p + 4 + size else {
                        throw AutoencError.badData(path, "member \(member.name): zip64 field too short")
                    }
                    defer { q += 8 }
                    return extra.le64(q)
                }
                if member.uncompressedSize == 0xFFFF_FFFF { member.uncompressedSize = try next() }
                if member.compressedSize == 0xFFFF_FFFF { member.compressedSize = try next() }
                if member.headerOffset == 0xFFFF_FFFF { member.headerOffset = try next() }
            }
            p += 4 + size
        }
        guard member.uncompressedSize >= 0, member.compressedSize >= 0, member.headerOffset >= 0 else {
            throw AutoencError.badData(path, "member \(member.name): sizes beyond 2^63 bytes")
        }
    }

    private func notZip(_ found: String) -> AutoencError {
        AutoencError.badData(path, "expected a .npz (a zip archive of .npy arrays, as np.savez writes), found \(found)")
    }

    // MARK: - Members

    /// Opens a stream of `member`'s contents.
    ///
    /// Checks first that its data lies inside the file and, for a deflated member, that its size is
    /// one its compressed size can produce.
    ///
    /// - Parameter member: One of `members`.
    /// - Returns: A stream of the member's uncompressed bytes.
    /// - Throws: `AutoencError.badData` naming the archive when the member's data cannot be what the
    ///   directory says, or it is compressed by another method than deflate.
    public func open(_ member: Member) throws -> ZipMemberStream {
        let name = "\(path), member \(member.name)"
        guard member.headerOffset <= fileSize - 30 else {
            throw AutoencError.badData(name, "local header at byte \(member.headerOffset) lies outside the file")
        }
        let header = try bytes(at: member.headerOffset, count: 30)
        guard header.le32(0) == 0x0403_4b50 else {
            throw AutoencError.badData(name, "no local header at byte \(member.headerOffset)")
        }
        let start = member.headerOffset + 30 + Int64(header.le16(26)) + Int64(header.le16(28))
        guard start <= fileSize, member.compressedSize <= fileSize - start else {
            throw AutoencError.badData(name, "\(member.compressedSize) bytes of data at byte \(start) "
                                       + "run past the end of the \(fileSize)-byte file")
        }
        switch member.method {
        case 0:
            guard member.compressedSize == member.uncompressedSize else {
                throw AutoencError.badData(name, "stored member of \(member.compressedSize) bytes "
                                           + "claims \(member.uncompressedSize) bytes uncompressed")
            }
        case 8:
            let (limit, overflow) = member.compressedSize.multipliedReportingOverflow(by: 1032)
            guard overflow || member.uncompressedSize <= limit + 1032 else {
                throw AutoencError.badData(name, "claims \(member.uncompressedSize) bytes uncompressed, more than "
                                           + "\(member.compressedSize) bytes of deflate data can hold")
            }
        default:
            throw AutoencError.badData(name, "compression method \(member.method) is not supported "
                                       + "(stored and deflate are: np.savez and np.savez_compressed)")
        }
        return try ZipMemberStream(file: file, name: name, member: member, dataOffset: start)
    }
}

/// One member's contents: a stored member read as it is, a deflated one inflated (raw
/// deflate through zlib), both checked against the directory's size and CRC-32 in `finish`.
public final class ZipMemberStream: SizedByteStream {
    /// The name messages use: "archive.npz, member x_train.npy".
    public let name: String
    /// The member's uncompressed size in bytes.
    public let length: Int64
    private let file: UnsafeMutablePointer<FILE>
    private let member: ZipArchive.Member
    private var nextInput: Int64
    private var inputLeft: Int64
    private var produced: Int64 = 0
    private var crc: UInt = 0
    private var ended = false
    private var stream = z_stream()
    private var inflating = false
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 16

    fileprivate init(file: UnsafeMutablePointer<FILE>, name: String, member: ZipArchive.Member,
                     dataOffset: Int64) throws {
        self.file = file
        self.name = name
        self.member = member
        length = member.uncompressedSize
        nextInput = dataOffset
        inputLeft = member.compressedSize
        input = .allocate(capacity: inputCapacity)
        if member.method == 8 {
            guard czlib_inflate_init_raw(&stream) == Z_OK else {
                input.deallocate()
                throw AutoencError(.ioError, "\(name): zlib could not start inflating")
            }
            inflating = true
        }
    }

    deinit {
        if inflating { inflateEnd(&stream) }
        input.deallocate()
    }

    /// Up to `count` of the member's compressed bytes, from where the last read stopped.
    private func readInput(into out: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        let want = Int(min(Int64(count), inputLeft))
        guard want > 0 else { return 0 }
        guard fseeko(file, off_t(nextInput), SEEK_SET) == 0 else {
            throw AutoencError(.ioError, "\(name): cannot seek: \(String(cString: strerror(errno)))")
        }
        let n = fread(out, 1, want, file)
        guard n == want else { throw AutoencError(.ioError, "\(name): short read at byte \(nextInput)") }
        nextInput += Int64(n)
        inputLeft -= Int64(n)
        return n
    }

    /// Reads (a stored member) or inflates (a deflated one) the member's next bytes.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return 0 }
        let written = inflating ? try inflate(into: base, count: buffer.count)
                                : try readInput(into: base, count: buffer.count)
        crc = CZlib.crc32(crc, base, uInt(written))
        produced += Int64(written)
        return written
    }

    private func inflate(into out: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var written = 0
        while written < count && !ended {
            if stream.avail_in == 0 {
                let n = try readInput(into: input, count: inputCapacity)
                guard n > 0 else {
                    let done = produced + Int64(written)
                    throw AutoencError.badData(name, "deflate data is truncated (ends after \(done) "
                                               + "of \(length) bytes)")
                }
                stream.next_in = input
                stream.avail_in = UInt32(n)
            }
            let want = min(count - written, Int(UInt32.max))
            stream.next_out = out + written
            stream.avail_out = UInt32(want)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            written += want - Int(stream.avail_out)
            switch status {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END: ended = true
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw AutoencError.badData(name, "corrupt deflate data: \(reason)")
            }
        }
        return written
    }

    /// Checks that the member ends after exactly `length` bytes and that its CRC-32 matches the directory's.
    public func finish() throws {
        var byte: UInt8 = 0
        let more = try withUnsafeMutableBytes(of: &byte) { try read(into: $0) }
        if more > 0 || produced != length {
            throw AutoencError.badData(name, "holds more than the \(length) bytes its directory entry gives")
        }
        if inflating && !ended {
            throw AutoencError.badData(name, "deflate data goes on after the \(length) bytes its directory entry gives")
        }
        if inputLeft > 0 || (inflating && stream.avail_in > 0) {
            throw AutoencError.badData(name, "bytes follow the end of the deflate data inside the member")
        }
        guard UInt32(truncatingIfNeeded: crc) == member.crc32 else {
            throw AutoencError.badData(name, "CRC-32 mismatch (the directory gives \(hex(member.crc32)), "
                                       + "the data has \(hex(UInt32(truncatingIfNeeded: crc))))")
        }
    }

    private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16).leftPadded(to: 8) }
}

// MARK: - Little-endian fields

extension Array where Element == UInt8 {
    func le16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func le32(_ at: Int) -> UInt32 {
        UInt32(self[at]) | UInt32(self[at + 1]) << 8 | UInt32(self[at + 2]) << 16 | UInt32(self[at + 3]) << 24
    }
    /// As a signed 64-bit value: offsets and sizes beyond 2^63 come out negative and are refused.
    func le64(_ at: Int) -> Int64 {
        Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[at + $1]) << (8 * UInt64($1)) })
    }
}
