import Foundation

/// Labeled figures that put several models side by side: weight maps and reconstructions
/// (the activation histograms are a chart, `HistogramSheet`).
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
        let side = Grids.side * scale, textSize = 15.0
        let labeled = [(name: "original", images: originals)] + rows
        let labelWidth = (labeled.map { GrayImage.textWidth($0.name, size: textSize) }.max() ?? 0) + 12
        var out = GrayImage(width: labelWidth + count * (side + 2) + 4, height: labeled.count * (side + 4) + 4, fill: 0)
        for (r, row) in labeled.enumerated() {
            precondition(row.images.count >= count * ModelConfig.inputs,
                         "ComparisonSheets: \(row.name) has too few images")
            let y = 4 + r * (side + 4)
            out.drawText(row.name, at: 4, y + (side - GrayImage.lineHeight(size: textSize)) / 2, size: textSize)
            row.images.withUnsafeBufferPointer { images in
                for k in 0..<count {
                    out.draw(images.baseAddress! + k * ModelConfig.inputs, side: Grids.side,
                             at: labelWidth + k * (side + 2), y, scale: scale)
                }
            }
        }
        return out
    }
}
