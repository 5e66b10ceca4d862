import Foundation

/// The output directory of `compare` and `activations`, created when missing.
public enum OutputDirectory {
    /// Creates `path` (and its parents) when missing. Throws `.cannotCreate` (73) naming
    /// `what` when it cannot be created, is a file, or is not writable.
    public static func prepare(_ path: String, what: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw AutoencError(.cannotCreate, "\(what) \(path): is a file, expected a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw AutoencError(.cannotCreate, "\(what) \(path): cannot create the directory (\(error.localizedDescription))")
            }
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw AutoencError(.cannotCreate, "\(what) \(path): directory is not writable")
        }
    }
}
