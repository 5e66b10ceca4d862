import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches a data set's files from a mirror into a directory, each checked against its MD5
/// before it is written atomically (a temporary file renamed into place), so that a failure
/// at any moment leaves only complete, verified files.
///
/// Files already present with the right checksum are not fetched again.
public struct Downloader {
    /// Each file's name on the mirror and in the directory, with its expected MD5 (hex).
    public var files: [(name: String, md5: String)]
    /// The base URL; a file's URL is this, a slash, and its name.
    public var mirror: URL
    public var directory: String
    /// Seconds without any data before a request fails.
    public var idleTimeout: TimeInterval = 60

    public init(files: [(name: String, md5: String)], mirror: URL, directory: String) {
        self.files = files
        self.mirror = mirror
        self.directory = directory
    }

    /// Why `mirror` (--mirror as given) cannot be a mirror's base URL, as a usage message
    /// naming the flag, or nil: an http:// or https:// URL with a host is expected.
    public static func problem(mirror: String) -> String? {
        guard let url = URL(string: mirror), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false else {
            return "--mirror \(mirror): expected an http:// or https:// URL"
        }
        return nil
    }

    /// What happened to one file.
    public enum Outcome: Sendable, CustomStringConvertible {
        case present
        case fetched(bytes: Int)

        /// As `download` says it after the file's name: "already present, MD5 matches;
        /// skipped" or "9912422 bytes, MD5 matches".
        public var description: String {
            switch self {
            case .present: return "already present, MD5 matches; skipped"
            case .fetched(let bytes): return "\(bytes) bytes, MD5 matches"
            }
        }
    }

    /// Fetches what is missing, calling `report` once per file with its name and outcome.
    /// Stops at the first failure; files verified before it stay. When the directory was
    /// created by this call and nothing was written, it is removed again.
    /// Throws `.cannotCreate` (73) when the directory cannot be made, `.ioError` (74) when
    /// a file cannot be fetched (network error, HTTP status other than 200) or written,
    /// `.dataError` (65) when a fetched file's MD5 differs from the expected one.
    public func run(report: (String, Outcome) -> Void) throws {
        var isDir: ObjCBool = false
        var created = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw AutoencError(.cannotCreate, "\(directory): cannot create the directory: "
                    + "\(error.localizedDescription)")
            }
            created = true
        } else if !isDir.boolValue {
            throw AutoencError(.cannotCreate, "\(directory): expected a directory to download into, found a file")
        }
        var written: [String] = []
        do {
            for file in files {
                let path = (directory as NSString).appendingPathComponent(file.name)
                try AtomicFile.prepare(path, what: "download")
                if let existing = FileManager.default.contents(atPath: path),
                   MD5.hex([UInt8](existing)) == file.md5.lowercased() {
                    report(file.name, .present)
                    continue
                }
                let url = mirror.appendingPathComponent(file.name)
                let bytes = try fetch(url)
                let found = MD5.hex(bytes)
                guard found == file.md5.lowercased() else {
                    throw AutoencError(.dataError, "\(file.name) from \(url.absoluteString): "
                        + "MD5 expected \(file.md5.lowercased()), found \(found) (\(bytes.count) bytes); not written")
                }
                try AtomicFile.write(bytes, to: path)
                written.append(file.name)
                report(file.name, .fetched(bytes: bytes.count))
            }
        } catch let error as AutoencError {
            if created, (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true {
                try? FileManager.default.removeItem(atPath: directory)
            }
            let kept = written.isEmpty ? "" : " (verified and kept: \(written.joined(separator: ", ")))"
            throw AutoencError(error.status, error.userMessage + kept)
        }
    }

    // MARK: - A known data set

    /// The downloader of `dataSet`'s four files (`KnownDataSet.fileNames`) with their
    /// published sums, or those `checksumsVariable` in `environment` puts in their place
    /// (`checksums(for:)`), from `mirror` (--mirror as given, checked by
    /// `problem(mirror:)`; default the set's own mirror) into `directory` (--to as given;
    /// default `DataLocation.userData()`/NAME). Throws `checksums(for:)`'s errors.
    public init(_ dataSet: KnownDataSet, directory: String?, mirror: String?,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let sums = try Self.checksums(for: dataSet, environment: environment)
        let directory = directory
            ?? (DataLocation.userData(environment: environment) as NSString).appendingPathComponent(dataSet.rawValue)
        self.init(files: KnownDataSet.fileNames.map { ($0, sums[$0]!) }, mirror: URL(string: mirror ?? dataSet.mirror)!,
                  directory: directory)
    }

    /// Downloads `dataSet` as `autoenc download` does (`init(_:directory:mirror:)`, then
    /// `run`), saying on `console` where from and where to, each file's `Outcome`, and the
    /// `--data` that finds the set: `directory` as given, else the set's name. Throws what
    /// they throw.
    public static func download(_ dataSet: KnownDataSet, to directory: String?, mirror: String?,
                                console: Console) throws {
        let downloader = try Downloader(dataSet, directory: directory, mirror: mirror)
        console.say("\(dataSet.rawValue): from \(mirror ?? dataSet.mirror) into \(downloader.directory)")
        try downloader.run { name, outcome in console.say("  \(name): \(outcome)") }
        console.say("done; train on it with: autoenc train --data \(directory ?? dataSet.rawValue)")
    }

    // MARK: - Fetching

    /// The body of a GET of `url`. Throws `.ioError` naming the URL on a network error or
    /// an HTTP status other than 200.
    func fetch(_ url: URL) throws -> [UInt8] {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.timeoutIntervalForResource = 3600
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let result = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: url) { data, response, error in
            if let error {
                result.value = .failure(AutoencError(.ioError, "\(url.absoluteString): cannot download: "
                    + "\(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                let reason = HTTPURLResponse.localizedString(forStatusCode: http.statusCode)
                result.value = .failure(AutoencError(.ioError, "\(url.absoluteString): the server answered HTTP "
                    + "\(http.statusCode) (\(reason)), expected 200"))
            } else {
                result.value = .success([UInt8](data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try result.value!.get()
    }

    /// The completion handler's result, handed to the waiting thread (the semaphore orders
    /// the write before the read).
    private final class ResultBox: @unchecked Sendable {
        var value: Result<[UInt8], AutoencError>?
    }

    // MARK: - Checksum lists

    /// The environment variable that may name a file of `NAME MD5` lines (or `md5sum`
    /// output) whose sums replace the built-in ones, for testing mirrors.
    public static let checksumsVariable = "AUTOENC_DOWNLOAD_CHECKSUMS"

    /// `dataSet`'s published MD5 sums, with those of the file `checksumsVariable` names
    /// in `environment` in their place. Throws `.noInput` when that file cannot be read.
    public static func checksums(for dataSet: KnownDataSet,
                                 environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> [String: String] {
        var sums = dataSet.md5
        if let listPath = environment[checksumsVariable], !listPath.isEmpty {
            guard let text = try? String(contentsOfFile: listPath, encoding: .utf8) else {
                throw AutoencError.missing(listPath, "cannot read the checksum list named by \(checksumsVariable)")
            }
            sums.merge(try parseChecksums(text, source: listPath)) { _, given in given }
        }
        return sums
    }

    /// Parses a checksum list: one file per line, its name and its MD5 (32 hex digits) in
    /// either order, so `md5sum *.gz` output works; blank lines and `#` comments are skipped.
    /// Throws `.dataError` naming `source` and the line when a line has no MD5 and name.
    public static func parseChecksums(_ text: String, source: String) throws -> [String: String] {
        var sums: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            let isMD5 = { (s: String) in s.count == 32 && s.allSatisfy(\.isHexDigit) }
            guard fields.count == 2, let sum = fields.first(where: isMD5),
                  let name = fields.first(where: { !isMD5($0) }) else {
                throw AutoencError.badData(source, "line \(number + 1): expected a file name and its MD5 (32 hex "
                    + "digits), found \(line.debugDescription)")
            }
            sums[name.hasPrefix("*") ? String(name.dropFirst()) : name] = sum.lowercased()
        }
        return sums
    }
}
