import ArgumentParser
import AutoencKit
import Foundation

extension KnownDataSet: ExpressibleByArgument {}

struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch a data set's four gzipped IDX files and check them against their published MD5 sums.",
        discussion: """
            Each file is checked before it is written, then written atomically (a temporary \
            file renamed into place): an interrupted or failed download leaves only complete, \
            verified files, and files already present with the right sum are skipped. \
            Afterwards `--data NAME` finds the set there.

            Exit status: 65 when a file's MD5 differs from the published one (nothing is \
            written for it), 74 when the mirror cannot be reached or answers with an error, \
            73 when the directory cannot be written.

            For testing mirrors: the environment variable \(Downloader.checksumsVariable) may name a \
            file of `NAME MD5` lines (or `md5sum` output) whose sums replace the built-in ones.
            """)

    @Argument(help: ArgumentHelp("The data set.", valueName: "name"))
    var dataSet: KnownDataSet

    @Option(help: ArgumentHelp("Directory to write the files into, created when missing. Default: $AUTOENC_DATA/NAME, "
        + "where $AUTOENC_DATA defaults to ${XDG_DATA_HOME:-~/.local/share}/autoenc.",
                               valueName: "dir"), completion: .directory)
    var to: String?

    @Option(help: ArgumentHelp("Base URL to fetch the files from (FILE is appended). Default: "
        + "the data set's canonical HTTPS mirror.",
                               valueName: "url"))
    var mirror: String?

    func validate() throws {
        try refuse(Limits.nameProblem(to, flag: "--to", what: "a directory"),
                   mirror.flatMap { Downloader.problem(mirror: $0) })
    }

    func run() throws {
        try reportingErrors { try Downloader.download(dataSet, to: to, mirror: mirror, console: Console(quiet: false)) }
    }
}
