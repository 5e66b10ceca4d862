import ArgumentParser
import AutoencKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure BLAS and training speed on this machine.")

    func run() throws {
        print("blas: \(BLASRuntime.report)")
    }
}
