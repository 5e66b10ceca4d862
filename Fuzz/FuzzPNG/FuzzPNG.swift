import AutoencKit
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target for the PNG decoder (libpng through the CPNG shim, whose errors
// longjmp back into the shim's C function only): each input is decoded from memory and,
// as a file, by `autoenc info`. Any outcome other than success or an AutoencError (a
// trap, a crash, a hang, a huge allocation, an escaped longjmp) is a finding.

/// One file per process, rewritten for every input (tmpfs when there is one).
private let path: String = {
    var info = stat()
    let directory = stat("/dev/shm", &info) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/autoenc-fuzz-png-\(getpid()).png"
}()

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
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var pixels = [UInt8](repeating: 0, count: ImageSet.pixels)
    expectAutoencErrorOnly {
        try pixels.withUnsafeMutableBufferPointer {
            try PNGDecoder.decode(bytes[...], name: "input", into: $0.baseAddress!)
        }
    }
    guard let file = fopen(path, "wb") else { fatalError("cannot create \(path)") }
    if size > 0 { precondition(fwrite(bytes, 1, size, file) == size, "short write to \(path)") }
    fclose(file)
    expectAutoencErrorOnly { _ = try Inspection.describe(path) }
    return 0
}
