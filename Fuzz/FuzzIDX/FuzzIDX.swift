import AutoencKit
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target for the IDX reader and the gzip inflate loop under it.
// Each input is written to a file and read the ways a user's file is read: as training
// images, as labels, and by `autoenc info`. Any outcome other than success or an
// AutoencError (a trap, a crash, a hang, a huge allocation) is a finding.

/// One file per process, rewritten for every input (tmpfs when there is one).
private let path: String = {
    var info = stat()
    let directory = stat("/dev/shm", &info) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/autoenc-fuzz-idx-\(getpid())"
}()

private func write(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    guard let file = fopen(path, "wb") else { fatalError("cannot create \(path)") }
    if let data, size > 0 { precondition(fwrite(data, 1, size, file) == size, "short write to \(path)") }
    fclose(file)
}

private func expectAutoencErrorOnly(_ body: () throws -> Void) {
    do { try body() } catch is AutoencError {} catch { fatalError("not an AutoencError: \(error)") }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    atexit { unlink(path) }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    write(data, size)
    expectAutoencErrorOnly {
        let file = try IDX.read(path, kind: .images)
        precondition(file.bytes.count == file.header.count * IDX.imageSide * IDX.imageSide)
    }
    expectAutoencErrorOnly {
        let file = try IDX.read(path, kind: .labels)
        precondition(file.bytes.count == file.header.count)
    }
    expectAutoencErrorOnly { _ = try IDX.inspect(path) }
    return 0
}
