import AutoencKit
import Foundation
import Testing
@testable import autoenc

/// `--charts pdf` and `--charts svg` end to end: compare's, sweep's and activations' charts
/// in the format asked for, the PDFs' labels text that pdftotext (poppler-utils, which
/// Scripts/setup installs) reads back.
@Suite struct ChartFormatCommandTests {
    /// pdftotext's path, nil when it is not installed.
    static let pdftotext: String? = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext", "/opt/homebrew/bin/pdftotext"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The text pdftotext reads from the PDF at `path`.
    static func text(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(pdftotext))
        process.arguments = [path, "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "pdftotext \(path) exited \(process.terminationStatus)")
        return String(decoding: out, as: UTF8.self)
    }

    @Test("compare --charts pdf: curves.pdf and histograms.pdf, labels as text; activations --charts svg",
          .enabled(if: pdftotext != nil, "pdftotext not installed (poppler-utils; Scripts/setup installs it)"))
    func comparePDF() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let result = try scratch.run(["compare"] + CompareCommandTests.tiny
                                     + ["--models", "none,dropout", "--charts", "pdf", "--out", "c"])
        try #require(result.status == 0, "\(result)")
        #expect(scratch.listing("c") == ["curves.pdf", "histograms.pdf", "metrics.json", "reconstructions.png",
                                         "report.html", "runs", "runs.json", "weightmaps.png"])
        #expect(result.stdout.contains("curves.pdf") && result.stdout.contains("histograms.pdf"), "\(result.stdout)")
        let curves = try Self.text(scratch.path("c/curves.pdf"))
        for expected in ["Test MSE per epoch", "epoch", "test MSE", "none", "dropout", "1 epoch", "seed 0"] {
            #expect(curves.contains(expected), "\(expected) not in curves.pdf: \(curves)")
        }
        let histograms = try Self.text(scratch.path("c/histograms.pdf"))
        for expected in ["mean activation per unit", "count (log scale)", "dropout"] {
            #expect(histograms.contains(expected), "\(expected) not in histograms.pdf: \(histograms)")
        }
        // the report draws its charts inline whatever --charts says
        try CompareCommandTests.expectReport(scratch, "c/report.html", images: 3, charts: 2, rows: 2)

        let activations = try scratch.run(["activations", "--model", "c/runs/dropout-seed0.safetensors",
                                           "--data", "data", "--threads", "1", "--charts", "svg", "--out", "act"])
        try #require(activations.status == 0, "\(activations)")
        #expect(scratch.listing("act") == ["histograms.svg", "metrics.json"])
        #expect(String(decoding: try scratch.bytes("act/histograms.svg"), as: UTF8.self).contains("<svg"))
    }

    @Test("sweep --charts pdf: a PDF per metric whose text names the knob",
          .enabled(if: pdftotext != nil, "pdftotext not installed (poppler-utils; Scripts/setup installs it)"))
    func sweepPDF() throws {
        let scratch = try Scratch()
        try CompareCommandTests.labeledData(scratch)
        let result = try scratch.run(["sweep"] + CompareCommandTests.tiny
                                     + ["--drop-p", "0.2,0.5", "--models", "dropout", "--charts", "pdf", "--out", "s"])
        try #require(result.status == 0, "\(result)")
        #expect(scratch.listing("s").contains("test_mse.pdf") && !scratch.listing("s").contains("test_mse.png"))
        let text = try Self.text(scratch.path("s/test_mse.pdf"))
        for expected in ["test_mse against drop_p", "drop_p", "0.2", "0.5", "dropout"] {
            #expect(text.contains(expected), "\(expected) not in test_mse.pdf: \(text)")
        }
    }
}
