import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// MD5 against RFC 1321's test suite (appendix A.5) and the longer standard vector of a
/// million "a"; the checksum-list parser `autoenc download` reads for test mirrors.
@Suite struct MD5Tests {
    static let rfcVectors: [(String, String)] = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"),
    ]

    @Test("RFC 1321 test suite", arguments: rfcVectors)
    func rfc(input: String, expected: String) {
        #expect(MD5.hex(Array(input.utf8)) == expected, "MD5(\(input.debugDescription))")
    }

    @Test("a million a's: 15625 blocks, then a padding block of its own")
    func million() {
        #expect(MD5.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == "7707d6ae4e027c70eea2a935c2296f21")
    }

    /// Lengths around the padding boundaries (55 bytes fit one block, 56 need two) give
    /// 16-byte digests that all differ.
    @Test func paddingBoundaries() {
        let lengths = [55, 56, 57, 63, 64, 65, 119, 120]
        let digests = lengths.map { MD5.hex([UInt8](repeating: 0x5a, count: $0)) }
        #expect(Set(digests).count == lengths.count, "\(digests)")
        #expect(digests.allSatisfy { $0.count == 32 })
    }

    @Test("checksum lists: NAME MD5 or md5sum's MD5  NAME, comments and blank lines")
    func checksumList() throws {
        let text = """
            # test mirror
            train-images-idx3-ubyte.gz F68B3C2DCBEAAA9FBDD348BBDEB94873

            d53e105ee54ea40749a09fcbcd1e9432  train-labels-idx1-ubyte.gz
            9fb629c4189551a2d022fa330f9573f3 *t10k-images-idx3-ubyte.gz
            """
        let sums = try Downloader.parseChecksums(text, source: "sums.txt")
        #expect(sums == ["train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                         "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                         "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3"])
        expectAutoencError(.dataError, naming: "sums.txt", containing: ["line 2"]) {
            _ = try Downloader.parseChecksums("# ok\ntrain-images-idx3-ubyte.gz 1234\n", source: "sums.txt")
        }
    }

    @Test("a mirror is an http or https URL with a host", arguments: [
        ("https://example.org/data/", true), ("HTTP://127.0.0.1:8000/", true),
        ("ftp://example.org/", false), ("example.org/data", false), ("https:///data", false), ("", false),
    ])
    func mirrors(mirror: String, valid: Bool) {
        let expected = valid ? nil : "--mirror \(mirror): expected an http:// or https:// URL"
        #expect(Downloader.problem(mirror: mirror) == expected)
    }

    @Test("every known data set has a sum for each of the four files")
    func catalog() {
        for set in KnownDataSet.allCases {
            #expect(Set(set.md5.keys) == Set(KnownDataSet.fileNames), "\(set)")
            #expect(set.md5.values.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) }, "\(set)")
            #expect(set.mirror.hasPrefix("https://") && set.mirror.hasSuffix("/"), "\(set)")
        }
        #expect(Set(KnownDataSet.allCases.flatMap { $0.md5.values }).count == 12)
    }

    @Test("--data NAME: a bare name that is no directory here means $AUTOENC_DATA/NAME; errors name every path tried")
    func bareDataName() throws {
        let store = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoenc-data-\(UUID().uuidString.prefix(8))").path
        let name = "downloaded-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: (store as NSString).appendingPathComponent(name),
                                                withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: store) }
        #expect(try DataLocation.resolve(name, environment: ["AUTOENC_DATA": store]).directory
                == (store as NSString).appendingPathComponent(name))
        let cwd = FileManager.default.currentDirectoryPath
        let tried = [(cwd as NSString).appendingPathComponent("other"),
                     (cwd as NSString).appendingPathComponent("Data/other"),
                     (store as NSString).appendingPathComponent("other")]
        expectAutoencError(.noInput, naming: "other", containing: tried) {
            _ = try DataLocation.resolve("other", environment: ["AUTOENC_DATA": store])
        }
    }

    @Test("the user's data folder: $AUTOENC_DATA, else XDG_DATA_HOME/autoenc, else ~/.local/share/autoenc")
    func userDataFolder() {
        #expect(DataLocation.userData(environment: ["AUTOENC_DATA": "/d", "XDG_DATA_HOME": "/x", "HOME": "/h"]) == "/d")
        #expect(DataLocation.userData(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]) == "/x/autoenc")
        #expect(DataLocation.userData(environment: ["HOME": "/h"]) == "/h/.local/share/autoenc")
    }

    @Test("download NAME: four files and sums, the set's mirror and $AUTOENC_DATA/NAME unless --mirror and --to say")
    func knownSetDownloader() throws {
        let defaults = try Downloader(.kmnist, directory: nil, mirror: nil, environment: ["AUTOENC_DATA": "/d"])
        #expect(defaults.files.map(\.name) == KnownDataSet.fileNames)
        #expect(defaults.files.map(\.md5) == KnownDataSet.fileNames.map { KnownDataSet.kmnist.md5[$0]! })
        #expect(defaults.mirror.absoluteString == KnownDataSet.kmnist.mirror && defaults.directory == "/d/kmnist")

        let dir = try TemporaryDirectory()
        let list = try dir.write("sums.txt",
                                 Array("\(String(repeating: "ab", count: 16))  \(KnownDataSet.fileNames[2])\n".utf8))
        let given = try Downloader(.mnist, directory: "here", mirror: "http://127.0.0.1:8000/m/",
                                   environment: [Downloader.checksumsVariable: list, "AUTOENC_DATA": "/d"])
        #expect(given.directory == "here" && given.mirror.absoluteString == "http://127.0.0.1:8000/m/")
        #expect(given.files[2].md5 == String(repeating: "ab", count: 16), "the list's sum replaces the published one")
        #expect(given.files[0].md5 == KnownDataSet.mnist.md5[KnownDataSet.fileNames[0]])
        expectAutoencError(.noInput, naming: dir.file("missing.txt")) {
            _ = try Downloader(.mnist, directory: nil, mirror: nil,
                               environment: [Downloader.checksumsVariable: dir.file("missing.txt")])
        }
    }

    @Test("what download says of each file")
    func outcomes() {
        #expect(Downloader.Outcome.present.description == "already present, MD5 matches; skipped")
        #expect(Downloader.Outcome.fetched(bytes: 9912422).description == "9912422 bytes, MD5 matches")
    }
}
