import ArgumentParser
import AutoencKit

extension WeightMapSelection.Sort: ExpressibleByArgument {}
extension WeightMapSelection.Layer: ExpressibleByArgument {}

/// A command that draws weight maps: how many units a map draws when `--units` does not say.
protocol DrawsWeightMaps {
    /// The units drawn without `--units`; nil, the default, is every unit.
    static var defaultUnits: Int? { get }
}

extension DrawsWeightMaps {
    static var defaultUnits: Int? { nil }
}

/// Which units a weight map draws, in which order, from which layer: `--units`,
/// `--sort`, `--live-only` and `--layer`, shared by the commands that draw weight maps.
struct WeightMapOptions<Command: DrawsWeightMaps>: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Draw only the first N units in --sort's order (all of them when the model has fewer). Default: "
            + (Command.defaultUnits.map(String.init) ?? "every unit") + ".",
        valueName: "n"))
    var units: Int?

    @Option(help: ArgumentHelp(
        "Order of the tiles: index (unit order), activation (largest mean activation on the test set first; "
            + "reads it), localization (most localized drawn weights first, "
            + "the localization score of `autoenc compare --help`), "
            + "norm (largest L2 norm of the drawn weights first). Ties in unit order.",
        valueName: "key"))
    var sort: WeightMapSelection.Sort = .index

    @Flag(help: "Leave out the units never active on the test set (reads it) instead of drawing them crossed out.")
    var liveOnly = false

    @Option(help: ArgumentHelp(
        "Weights to draw: encoder (each unit's 784 input weights, its row of encoder.weight) "
            + "or decoder (its 784 output weights, its column of decoder.weight).",
        valueName: "layer"))
    var layer: WeightMapSelection.Layer = .encoder

    func validate() throws {
        try refuse(Limits.units.problem(units, name: "--units"))
    }

    /// The units these flags choose.
    var selection: WeightMapSelection {
        WeightMapSelection(units: units, sort: sort, liveOnly: liveOnly, layer: layer)
    }
}
