import Foundation

/// Labeled figures that put several models side by side: weight maps, reconstructions
/// and activation histograms.
public enum ComparisonSheets {
    /// Each model's weight map (`Grids.weightMap`) under its name, left to right: the
    /// units `selection` picks (every unit's encoder weights by default). The selection
    /// must not need statistics (`WeightMapSelection.needsStatistics`); the overload
    /// below takes each model's.
    public static func weightMaps(_ models: [(name: String, parameters: Parameters)],
                                  selection: WeightMapSelection = WeightMapSelection()) -> GrayImage {
        weightMaps(models.map { (name: $0.name, parameters: $0.parameters, statistics: nil) }, selection: selection)
    }

    /// Each model's weight map under its name, left to right, with the units `selection`
    /// picks from each; a model's `statistics` (on the test set) order its units by
    /// activation, leave out or cross out its dead ones. A model without statistics
    /// under a selection that needs them is a caller's error.
    public static func weightMaps(_ models: [(name: String, parameters: Parameters, statistics: ActivationStatistics?)],
                                  selection: WeightMapSelection = WeightMapSelection()) -> GrayImage {
        Layout.row(models.map { model in
            Grids.weightMap(selection.tiles(model.parameters, statistics: model.statistics)).captioned(model.name)
        }, gap: 12)
    }

    /// A row of `count` test images labeled "original", then one row per model with its
    /// reconstructions of them, labeled with its name; tiles magnified `scale` times.
    /// originals and each row's images: (count, 784) floats in [0, 1].
    public static func reconstructions(originals: [Float], rows: [(name: String, images: [Float])], count: Int,
                                       scale: Int = 2) -> GrayImage {
        let side = Grids.side * scale, textScale = 2
        let labeled = [(name: "original", images: originals)] + rows
        let labelWidth = (labeled.map { BitmapFont.width($0.name, scale: textScale) }.max() ?? 0) + 12
        var out = GrayImage(width: labelWidth + count * (side + 2) + 4, height: labeled.count * (side + 4) + 4, fill: 0)
        for (r, row) in labeled.enumerated() {
            precondition(row.images.count >= count * ModelConfig.inputs,
                         "ComparisonSheets: \(row.name) has too few images")
            let y = 4 + r * (side + 4)
            out.drawText(row.name, at: 4, y + (side - BitmapFont.height(scale: textScale)) / 2, scale: textScale)
            row.images.withUnsafeBufferPointer { images in
                for k in 0..<count {
                    out.draw(images.baseAddress! + k * ModelConfig.inputs, side: Grids.side,
                             at: labelWidth + k * (side + 2), y, scale: scale)
                }
            }
        }
        return out
    }

    /// One row per model under its name: the histogram of its units' mean activations
    /// beside that of all its activations (log scale), on white. The activations' x label
    /// says how many values beyond the axis the last bin holds.
    public static func histograms(_ models: [(name: String, histograms: ActivationHistograms,
                                              statistics: ActivationStatistics)]) -> GrayImage {
        let rows = models.map { model -> GrayImage in
            let percent = String(format: "%.0f%%", 100 * model.statistics.sparsity)
            let means = BarChart(title: "mean activation per unit",
                                 xLabel: String(format: "mean activation (overall %.3f)",
                                                model.statistics.meanActivation),
                                 yLabel: "units")
            let above = model.histograms.activations.clampedAbove
            let all = BarChart(title: "all activations, \(percent) silent",
                               xLabel: above > 0 ? "activation (last bin: also the \(above) larger)" : "activation",
                               yLabel: "count", logScale: true)
            return Layout.row([means.render(model.histograms.unitMeans), all.render(model.histograms.activations)],
                              gap: 8, background: 255)
                .captioned(model.name, scale: 3, margin: 6, background: 255, ink: 0)
        }
        return Layout.column(rows, gap: 4, background: 255)
    }
}
