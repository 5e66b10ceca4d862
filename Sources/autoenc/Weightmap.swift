import ArgumentParser
import AutoencKit
import Foundation

struct Weightmap: ParsableCommand, WritesOutputFile, DrawsWeightMaps {
    static let configuration = CommandConfiguration(
        abstract: "Draw each hidden unit's weights as a 28x28 tile.",
        discussion: """
            Each tile is scaled on its own, its minimum black and its maximum white. Units \
            never active on the test set (dead) are drawn as a flat dark tile crossed out. \
            To find them, a .pgm or .png output reads the test set of --data (or of the \
            default data set, see --data); when no --data is given and no data set is \
            found, the tiles are drawn unmarked, with a note. --sort activation and \
            --live-only need the test set and fail naming themselves without one; \
            otherwise a .npy output reads no data.
            """)
    static let defaultOutput = "weightmap.pgm"
    static let outputContents = ".pgm or .png (the tiles), .npy (the raw weights of the units drawn, in order, "
        + "float32, shape (units, 28, 28); every unit's encoder weights by default, shape (hidden, 28, 28))"

    @OptionGroup var files: ImageFileFlags<Weightmap>
    @OptionGroup var weightMapOptions: WeightMapOptions<Weightmap>

    func validate() throws { try files.check() }

    func run() throws {
        try reportingErrors {
            try OutputFiles.drawWeightMap(files.modelInput.model, data: files.dataOptions.data,
                                          selection: weightMapOptions.selection,
                                          scale: files.scale, to: files.out, console: files.quiet.console)
        }
    }
}
