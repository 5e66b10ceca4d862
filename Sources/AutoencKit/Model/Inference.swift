/// How a trained model's hidden layer is evaluated at test time.
///
/// For dropout, and for DropConnect under `.mean`, every unit and connection is kept and
/// the weights are used as they are (checkpoints hold inference-ready weights).
/// `.sample(k)` is Wan et al.'s (2013) inference for DropConnect: each hidden unit's
/// pre-activation is approximated by a Gaussian with the mean and variance it has over
/// the random masks, `k` values are drawn from it, the activation is applied to each, and
/// the `k` activations are averaged. For a dropout model, or with p = 0, the variance is
/// zero and `.sample(k)` gives the same codes as `.mean`.
///
/// The text form, as `--inference` takes it, is `mean` or `sample:K` with K >= 1.
public enum InferenceRule: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Keep every connection: the deterministic mean network.
    case mean
    /// Average the activation over this many draws from the Gaussian moment match.
    case sample(Int)

    /// Parses `mean` or `sample:K` (K a positive integer); nil for anything else.
    public init?(_ text: String) {
        if text == "mean" {
            self = .mean
            return
        }
        let prefix = "sample:"
        guard text.hasPrefix(prefix), let k = Int(text.dropFirst(prefix.count)), k >= 1 else { return nil }
        self = .sample(k)
    }

    public var description: String {
        switch self {
        case .mean: "mean"
        case .sample(let k): "sample:\(k)"
        }
    }
}
