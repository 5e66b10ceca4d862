import AutoencKit
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target for the safetensors readers: a model checkpoint (from memory and from
// a file), a training state, and the generic header `autoenc info` prints. Any outcome
// other than success or an AutoencError (a trap, a crash, a hang, a huge allocation) is
// a finding.

/// One file per process, rewritten for every input (tmpfs when there is one).
private let path: String = {
    var info = stat()
    let directory = stat("/dev/shm", &info) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/autoenc-fuzz-checkpoint-\(getpid()).safetensors"
}()

private func write(_ bytes: [UInt8]) {
    guard let file = fopen(path, "wb") else { fatalError("cannot create \(path)") }
    precondition(fwrite(bytes, 1, bytes.count, file) == bytes.count, "short write to \(path)")
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
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    expectAutoencErrorOnly {
        let loaded = try Checkpoint.decode(bytes, path: "fuzz.safetensors")
        _ = loaded.model
    }
    expectAutoencErrorOnly {
        let state = try TrainingState.decode(bytes, path: "fuzz.state.safetensors")
        _ = state.stepsIntoEpoch
    }
    write(bytes)
    expectAutoencErrorOnly { _ = try Checkpoint.load(path) }
    expectAutoencErrorOnly { _ = try SafetensorsHeader.read(path) }
    return 0
}
