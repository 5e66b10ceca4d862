import AutoencKit
import Foundation
import Testing

@Suite struct FilePathTests {
    @Test("parent(of:) agrees with NSString where NSString does not trap", arguments: [
        "a/b", "a/b/", "ab/cd/ef", "/ab", "/", "a//b", "/a/b/", "./ab", "../ab", "..", "ab", "ab/", "", "~/ab",
    ])
    func agreesWithFoundation(path: String) {
        #expect(FilePath.parent(of: path) == (path as NSString).deletingLastPathComponent, "path '\(path)'")
    }

    /// And "//", whose parent Foundation gives as "" though it is the root.
    @Test("parent(of:) of the one-character names Foundation traps on", arguments: [
        ("//", "/"), ("c", ""), ("c/", ""), ("c//", ""), (".", ""), ("x/y", "x"), ("/c", "/"), ("./c", "."),
    ])
    func oneCharacterNames(path: String, parent: String) {
        #expect(FilePath.parent(of: path) == parent, "path '\(path)'")
    }
}
