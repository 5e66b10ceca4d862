@testable import AutoencKit
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target for the NumPy readers: the .npy header parser and array reader (as
// images, as labels, and as `autoenc info` scans it) and the .npz archive reader under
// them (zip directory, zip64 records, stored and deflated members, CRC-32). Each input
// is written once as a .npy and once as a .npz and read every way a user's file is. Any
// outcome other than success or an AutoencError (a trap, a crash, a hang, a huge
// allocation) is a finding. Scripts/fuzz builds in debug, where `@testable` reaches the
// readers' internal entry points.

/// Two files per process, rewritten for every input (tmpfs when there is one).
private let base: String = {
    var info = stat()
    let directory = stat("/dev/shm", &info) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/autoenc-fuzz-npy-\(getpid())"
}()
private let npyPath = base + ".npy"
private let npzPath = base + ".npz"

private func write(_ data: UnsafePointer<UInt8>?, _ size: Int, to path: String) {
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
    atexit {
        unlink(npyPath)
        unlink(npzPath)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    write(data, size, to: npyPath)
    expectAutoencErrorOnly {
        let (count, bytes) = try NPY.readImages(try FileByteStream(path: npyPath))
        precondition(bytes.count == count * ImageSet.pixels)
    }
    expectAutoencErrorOnly {
        let header = try NPY.readHeader(try FileByteStream(path: npyPath))
        guard header.shape.count == 1 else { return }
        let labels = try NPY.readLabels(try FileByteStream(path: npyPath), count: header.shape[0])
        precondition(labels.count == header.shape[0] && labels.allSatisfy { $0 <= 9 })
    }
    expectAutoencErrorOnly { _ = try Inspection.describe(npyPath) }
    write(data, size, to: npzPath)
    let location = DataLocation(directory: npzPath)
    for train in [true, false] {
        expectAutoencErrorOnly {
            let set = try location.load(train: train, labels: true)
            precondition(set.bytes.count == set.count * ImageSet.pixels && set.labels?.count == set.count)
        }
    }
    expectAutoencErrorOnly { _ = try Inspection.describe(npzPath) }
    return 0
}
