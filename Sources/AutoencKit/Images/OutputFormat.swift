/// A set of file formats named by their extensions (the raw values, lowercase).
public protocol FileFormat: RawRepresentable, Sendable, CaseIterable where RawValue == String {}

extension FileFormat {
    /// The format for `path`'s extension (any letter case), nil when there is none or it
    /// is not one of these.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        self.init(rawValue: path[path.index(after: dot)...].lowercased())
    }

    /// The extensions, e.g. ".pgm, .png or .npy", for messages.
    public static var accepted: String {
        let names = allCases.map { "." + $0.rawValue }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}

/// The file formats `reconstruct` and `weightmap` write, chosen by the output's extension:
/// `.pgm` and `.png` draw the image, `.npy` holds the float32 values behind it.
public enum OutputFormat: String, FileFormat {
    case pgm
    case png
    case npy

    /// Why `path`, given to `flag`, names no file of ours, as a usage message: empty,
    /// or without one of our extensions. Nil when it does.
    public static func problem(_ path: String, flag: String) -> String? {
        Limits.nameProblem(path, flag: flag, what: "a file")
            ?? (OutputFormat(path: path) == nil ? "\(flag) must end in \(accepted), got \(path)" : nil)
    }
}
