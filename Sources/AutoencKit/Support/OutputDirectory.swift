import Foundation

/// The output directory of `compare` and `activations`, created when missing.
public enum OutputDirectory {
    /// Creates `path` (and its parents) when missing. Throws `.cannotCreate` (73) naming
    /// `what` when it cannot be created, is a file, or is not writable.
    static func prepare(_ path: String, what: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw AutoencError(.cannotCreate, "\(what) \(path): is a file, expected a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw AutoencError(.cannotCreate, "\(what) \(path): cannot create the directory "
                    + "(\(error.localizedDescription))")
            }
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw AutoencError(.cannotCreate, "\(what) \(path): directory is not writable")
        }
    }

    /// Checks, before any work, that each of `names` can be written in `directory`
    /// (`AtomicFile.checkWritable`: 73 for a directory in a file's place), naming --out.
    public static func checkFiles(_ names: [String], in directory: String) throws {
        for name in names {
            try AtomicFile.checkWritable((directory as NSString).appendingPathComponent(name), what: "--out")
        }
    }

    /// Runs `body` with `path` prepared; when `body` throws, removes the directories
    /// `prepare` created for it (the directory and any missing parents) if they are still
    /// empty, so a failed command leaves no empty folder behind.
    public static func using(_ path: String, what: String, _ body: () throws -> Void) throws {
        var created: [String] = []
        var level = (path as NSString).standardizingPath
        while !level.isEmpty, level != "/", level != ".", !FileManager.default.fileExists(atPath: level) {
            created.append(level)
            level = FilePath.parent(of: level)
        }
        do {
            try prepare(path, what: what)
            try body()
        } catch {
            for directory in created { // innermost first
                guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory),
                      entries.isEmpty else {
                    break
                }
                try? FileManager.default.removeItem(atPath: directory)
            }
            throw error
        }
    }
}
