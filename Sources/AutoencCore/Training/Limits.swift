import Foundation

/// The valid values of every setting, in one place: the command line checks its flags
/// against these, and checkpoints and training states their metadata.
public enum Limits {
    /// The drop probability of a model: 0 (none) up to, not including, 1.
    public static let dropP = Limit<Float>(expected: "in [0, 1)") { $0.isFinite && $0 >= 0 && $0 < 1 }
    /// `compare` and `bench` compare a regularizer with none: p = 0 is not one.
    public static let regularizingDropP = Limit<Float>(expected: "in (0, 1)") { $0.isFinite && $0 > 0 && $0 < 1 }
    /// `compare`'s and `sweep`'s --keep-p: 1 would be no regularizer.
    public static let regularizingKeepP = Limit<Float>(expected: "in (0, 1)" + keepFloor) { keeps($0) && $0 < 1 }
    /// A keep probability k is 1 - drop-p, and the drop probability 1 - k must stay
    /// below 1: in 32-bit floats it rounds to 1 for k <= 2^-25 (--keep-p 1e-40 trained
    /// with every unit dropped).
    public static let keepP = Limit<Float>(expected: "in (0, 1]" + keepFloor) { keeps($0) && $0 <= 1 }
    static let keepFloor = " and above 3e-8 (below, 1 - keep-p rounds to 1 in 32-bit floats)"
    static func keeps(_ k: Float) -> Bool { k.isFinite && k > 0 && 1 - k < 1 }
    /// The input pixels' drop probability, valid as `dropP` is.
    public static let inputDropP = dropP
    /// The learning rate: any positive number.
    public static let learningRate = Limit<Float>(expected: "a positive number") { $0.isFinite && $0 > 0 }
    /// The max-norm bound on a unit's incoming weights: any positive number.
    public static let maxNorm = Limit<Float>(expected: "a positive number") { $0.isFinite && $0 > 0 }
    /// The number of hidden units.
    public static let hidden = Limit<Int>(1...16384)
    /// Also what keeps a step count per epoch far from overflowing.
    public static let batchSize = Limit<Int>(1...65536)
    /// The threads of a run.
    public static let threads = Limit<Int>(1...1024)
    /// The epochs of a run: at least 1.
    public static let epochs = Limit<Int>(expected: "at least 1") { $0 >= 1 }
    /// The training images a run uses: at least 1.
    public static let limit = Limit<Int>(expected: "at least 1") { $0 >= 1 }
    /// Draws per unit of `--inference sample:K`: each costs a pass over the test set's
    /// hidden layer, and 1000 already takes seconds.
    public static let samples = Limit<Int>(1...1000)
    /// Seeds per model of `compare` and `sweep`: each is a whole training.
    public static let seeds = Limit<Int>(1...100)
    /// The magnification of `weightmap` and `reconstruct` images.
    public static let scale = Limit<Int>(1...16)
    /// How many units a weight map draws; more than a model has draws all of them.
    public static let units = Limit<Int>(expected: "at least 1") { $0 >= 1 }
    /// Test images `reconstruct` draws beside their reconstructions (its MSE covers all).
    public static let drawnReconstructions = Limit<Int>(1...10000)
    /// Test images in `compare`'s reconstructions.png, a column per image.
    public static let comparedReconstructions = Limit<Int>(1...100)
    /// `bench`'s training images timed per mode: at least 1.
    public static let benchImages = Limit<Int>(expected: "at least 1") { $0 >= 1 }
    /// `bench`'s untimed warm-up images: any number from 0.
    public static let benchWarmup = Limit<Int>(expected: "at least 0") { $0 >= 0 }
    /// `bench`'s timed repeats: at least 1.
    public static let benchRepeats = Limit<Int>(expected: "at least 1") { $0 >= 1 }

    /// "FLAG must name WHAT, got an empty string" when a flag that names a file or a
    /// directory (`what`) is given empty; nil otherwise.
    public static func nameProblem(_ value: String?, flag: String, what: String) -> String? {
        value?.isEmpty == true ? "\(flag) must name \(what), got an empty string" : nil
    }
}

/// One setting's valid values and how to say them.
public struct Limit<Value: Sendable>: Sendable {
    /// What a valid value is, as a message says it: "in [0, 1)".
    public let expected: String
    let accepts: @Sendable (Value) -> Bool

    /// Creates a limit whose valid values `accepts` tells.
    ///
    /// - Parameters:
    ///   - expected: What a valid value is, as a message says it: "in [0, 1)".
    ///   - accepts: Whether a value is valid.
    public init(expected: String, _ accepts: @escaping @Sendable (Value) -> Bool) {
        self.expected = expected
        self.accepts = accepts
    }

    /// Whether `value` is valid.
    public func contains(_ value: Value) -> Bool { accepts(value) }

    /// "NAME must be EXPECTED, got VALUE", or nil when `value` is valid or nil.
    public func problem(_ value: Value?, name: String) -> String? {
        guard let value, !accepts(value) else { return nil }
        return "\(name) must be \(expected), got \(value)"
    }
}

extension Limit where Value == Int {
    /// Creates the limit of the whole numbers in `range`, "in 1...1024".
    public init(_ range: ClosedRange<Int>) {
        self.init(expected: "in \(range.lowerBound)...\(range.upperBound)") { range.contains($0) }
    }

    /// The sizes in `text`, in the order given, as `bench`'s `--hidden` and `--batch-size` take them.
    ///
    /// Items are comma-separated; spaces around them are allowed.
    ///
    /// - Parameters:
    ///   - text: The flag's value.
    ///   - flag: The flag, for messages.
    /// - Returns: The sizes.
    /// - Throws: `AutoencError` with `.usage` naming `flag` when an item is not a number ("FLAG must be
    ///   a number or a comma-separated list of numbers, got 'TEXT'"), is outside this limit
    ///   (`problem`), or comes twice ("FLAG lists 16 twice").
    public func list(_ text: String, flag: String) throws -> [Int] {
        let items = text.split(separator: ",",
                               omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var sizes: [Int] = []
        for item in items {
            guard let size = Int(item) else {
                throw AutoencError(.usage, "\(flag) must be a number or a comma-separated list of "
                    + "numbers, got '\(text)'")
            }
            if let problem = problem(size, name: flag) { throw AutoencError(.usage, problem) }
            guard !sizes.contains(size) else { throw AutoencError(.usage, "\(flag) lists \(size) twice") }
            sizes.append(size)
        }
        return sizes
    }
}
