/// Which hidden units a weight map draws, in which order, and from which layer: what
/// `weightmap --units --sort --live-only --layer` ask for, in a form `compare` and other
/// commands can share. The default selection draws every unit's encoder weights in unit
/// order, as `Grids.weightMap(_: Parameters)` always has.
///
/// The units are ordered by `sort` (largest key first; ties, and units without a key,
/// by unit index), then the dead ones are left out when `liveOnly`, then the first
/// `units` are kept (all of them when fewer are left).
public struct WeightMapSelection: Sendable, Equatable {
    /// The weights a tile shows.
    public enum Layer: String, CaseIterable, Sendable {
        /// The unit's 784 input weights: row `unit` of w1 (hidden, 784).
        case encoder
        /// The unit's 784 output weights: column `unit` of w2 (784, hidden).
        case decoder
    }

    /// The order of the tiles, largest key first.
    public enum Sort: String, CaseIterable, Sendable {
        /// Unit order, 0 first.
        case index
        /// Mean activation over the test set (`ActivationStatistics.unitMeans`): the most
        /// active unit first. Needs the statistics.
        case activation
        /// `Localization.score` of the drawn weights: the most localized first; units
        /// without a score (all-zero or non-finite weights) last.
        case localization
        /// L2 norm of the drawn weights: the largest first; a non-finite norm last.
        case norm
    }

    /// At most this many units (all when nil); at least 1.
    public var units: Int?
    public var sort: Sort
    /// Leave out the units dead on the test set (`ActivationStatistics.live`). Needs the
    /// statistics.
    public var liveOnly: Bool
    public var layer: Layer

    public init(units: Int? = nil, sort: Sort = .index, liveOnly: Bool = false, layer: Layer = .encoder) {
        self.units = units
        self.sort = sort
        self.liveOnly = liveOnly
        self.layer = layer
    }

    /// Whether `tiles` needs the units' activation statistics on the test set: to order
    /// by activation or to leave out the dead units. Statistics given to any selection
    /// mark its dead tiles.
    public var needsStatistics: Bool { flagNeedingData != nil }

    /// The flag that needs the statistics, as a user writes it and as messages name it
    /// (`testStatistics(of:needed:...)`): "--sort activation" or "--live-only"; nil when
    /// none does.
    public var flagNeedingData: String? {
        if sort == .activation { return "--sort activation" }
        return liveOnly ? "--live-only" : nil
    }

    /// The line that lists `units` (the units drawn, in order, as `OutputFiles.weightMap`
    /// returns them): "units drawn, in order: 12, 3, 40"; nil when they are simply the
    /// first units in unit order, which the description already says.
    public static func orderLine(_ units: [Int]) -> String? {
        guard units != Array(0..<units.count) else { return nil }
        return "units drawn, in order: " + units.map(String.init).joined(separator: ", ")
    }

    /// Every unit, encoder weights, unit order: the weight map as it always was.
    public var isDefault: Bool { self == WeightMapSelection() }

    // MARK: - Choosing the tiles

    /// The units to draw, in order, each with its weights and whether it is live.
    /// `statistics` (measured on the test set, `units == parameters.hidden`) gives the
    /// activation order, the dead units to leave out, and each tile's `live`; it must be
    /// given when `needsStatistics`. O(hidden * 784) plus the sort.
    public func tiles(_ parameters: Parameters, statistics: ActivationStatistics? = nil) -> [WeightMapTile] {
        let hidden = parameters.hidden
        precondition(statistics != nil || !needsStatistics, "WeightMapSelection: sort \(sort), liveOnly \(liveOnly) "
            + "need activation statistics")
        precondition(statistics.map { $0.units == hidden } ?? true, "WeightMapSelection: statistics of "
            + "\(statistics?.units ?? 0) units for \(hidden)")
        let weights = (0..<hidden).map { layer.weights(of: $0, in: parameters) }
        var order = Self.order(keys: sort.keys(weights, statistics: statistics))
        if liveOnly, let statistics { order.removeAll { !statistics.live[$0] } }
        if let units { order = Array(order.prefix(max(0, units))) }
        return order.map { WeightMapTile(unit: $0, weights: weights[$0], live: statistics?.live[$0]) }
    }

    /// Unit indices by `keys`, largest first; nil and non-finite keys after every other,
    /// ties by index.
    static func order(keys: [Double?]) -> [Int] {
        let keys = keys.map { $0.flatMap { $0.isFinite ? $0 : nil } }
        return keys.indices.sorted { a, b in
            switch (keys[a], keys[b]) {
            case let (x?, y?) where x != y: return x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a < b
            }
        }
    }
}

extension WeightMapSelection.Layer {
    /// Unit `unit`'s 784 weights in this layer, as a 28x28 image row-major: row `unit` of
    /// w1 (hidden, 784), or column `unit` of w2 (784, hidden), w2[i * hidden + unit].
    public func weights(of unit: Int, in parameters: Parameters) -> [Float] {
        let hidden = parameters.hidden, n = ModelConfig.inputs
        precondition((0..<hidden).contains(unit), "WeightMapSelection.Layer: unit \(unit) of \(hidden)")
        switch self {
        case .encoder: return Array(UnsafeBufferPointer(start: parameters.w1 + unit * n, count: n))
        case .decoder: return (0..<n).map { parameters.w2[$0 * hidden + unit] }
        }
    }
}

extension WeightMapSelection.Sort {
    /// The order as a report says it, e.g. "most active first"; nil for unit order.
    public var phrase: String? {
        switch self {
        case .index: return nil
        case .activation: return "most active first"
        case .localization: return "most localized first"
        case .norm: return "largest norm first"
        }
    }

    /// Each unit's key (larger first), nil for none: nil for every unit under `.index`,
    /// and for `.activation` without statistics.
    func keys(_ weights: [[Float]], statistics: ActivationStatistics?) -> [Double?] {
        switch self {
        case .index: return weights.map { _ in nil }
        case .activation: return weights.indices.map { unit in statistics.map { Double($0.unitMeans[unit]) } }
        case .localization: return weights.map { Localization.score($0) }
        case .norm: return weights.map { w in w.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
        }
    }
}

/// One tile of a weight map: the unit, its 784 weights in the chosen layer (28x28,
/// row-major, as stored), and whether it is active on the test set (nil: not measured).
public struct WeightMapTile: Sendable {
    public var unit: Int
    public var weights: [Float]
    public var live: Bool?

    public init(unit: Int, weights: [Float], live: Bool? = nil) {
        precondition(weights.count == ModelConfig.inputs, "WeightMapTile: \(weights.count) weights, "
            + "expected \(ModelConfig.inputs)")
        self.unit = unit
        self.weights = weights
        self.live = live
    }

    /// Measured and never active: drawn flat and crossed out.
    public var isDead: Bool { live == false }
}
