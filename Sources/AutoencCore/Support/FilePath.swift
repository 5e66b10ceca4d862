/// Path arithmetic that does not crash.
///
/// This toolchain's Foundation traps (SIGILL) in `NSString.deletingLastPathComponent` on a
/// relative path of one character, such as `--out c` or `.`, so the library takes a path's
/// directory here instead.
public enum FilePath {
    /// The directory part of `path`, as `NSString.deletingLastPathComponent` defines it:
    /// "a/b" -> "a", "a/b/" -> "a", "/a" -> "/", "/" -> "/", and "" for a bare name ("c",
    /// "c/", "."), which callers read as the current directory.
    public static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        var parent = trimmed[..<slash]
        while parent.count > 1, parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }
}
