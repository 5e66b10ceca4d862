/// The hidden layer's activation function.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case relu
    case sigmoid
}

/// How the hidden layer is regularized when `dropP > 0`.
public enum DropMode: String, Sendable, CaseIterable, Codable {
    /// Drop hidden units after the activation (Srivastava et al. 2014).
    case dropout
    /// Drop individual encoder connections (Wan et al. 2013).
    case dropconnect
    /// Multiply each hidden activation by 1 + σ ε, ε ~ N(0, 1), σ² = p / (1 - p)
    /// (Srivastava et al. 2014, section 10); no scaling at test time.
    case gaussian
}

/// Whether DropConnect draws a mask per example (Wan et al.) or one per minibatch.
public enum MaskSharing: String, Sendable, CaseIterable, Codable {
    case example
    case batch
}

/// Where hidden-unit dropout puts its 1 / (1 - p) correction.
public enum DropoutScaling: String, Sendable, CaseIterable, Codable {
    /// Kept units are divided by 1 - p while training; inference uses the weights as
    /// they are (PyTorch's `nn.Dropout`).
    case inverted
    /// Srivastava et al.'s rule: kept units pass unchanged while training, and at test
    /// time the dropped layer's outgoing weights (the decoder's) are multiplied by 1 - p.
    /// Checkpoints hold those scaled, inference-ready weights. Dropout mode only
    /// (DropConnect and Gaussian dropout train with a factor of mean 1).
    case classic
}

/// Everything that defines the model's shape and regularizer.
public struct ModelConfig: Sendable, Equatable, Codable {
    /// Input and output size: 28 x 28 pixels.
    public static let inputs = 784

    /// The number of hidden units.
    public var hidden: Int
    /// The hidden units' activation.
    public var activation: Activation
    /// Probability of dropping (PyTorch's convention), 0 <= dropP < 1.
    public var dropP: Float
    /// The regularizer that `dropP` applies to: dropout, DropConnect or Gaussian dropout.
    public var dropMode: DropMode
    /// Whether DropConnect draws a mask per example or one per batch.
    public var masks: MaskSharing
    /// How hidden-unit dropout is scaled; only `.inverted` with DropConnect or Gaussian dropout.
    public var scaling: DropoutScaling
    /// Probability of dropping each input pixel on the way into the encoder (inverted
    /// scaling; the reconstruction target stays the clean image), 0 <= inputDropP < 1.
    public var inputDropP: Float
    /// After every update, rows of w1 (a hidden unit's incoming weights) with an L2 norm
    /// above this are scaled back to it; nil for no constraint.
    public var maxNorm: Float?

    /// Creates a configuration; the defaults are an unregularized 784-256-784 relu model.
    public init(hidden: Int = 256, activation: Activation = .relu, dropP: Float = 0,
                dropMode: DropMode = .dropout, masks: MaskSharing = .example,
                scaling: DropoutScaling = .inverted, inputDropP: Float = 0, maxNorm: Float? = nil) {
        self.hidden = hidden
        self.activation = activation
        self.dropP = dropP
        self.dropMode = dropMode
        self.masks = masks
        self.scaling = scaling
        self.inputDropP = inputDropP
        self.maxNorm = maxNorm
    }

    /// The probability of keeping a unit or connection, 1 - `dropP`.
    public var keepP: Float { 1 - dropP }

    /// Whether DropConnect draws a mask per example (Wan et al.), which the training step
    /// computes by its own kernels over each image's nonzero pixels.
    public var dropsConnectionsPerExample: Bool {
        dropP > 0 && dropMode == .dropconnect && masks == .example
    }

    /// Whether training runs on other weights than inference: classic-scaled dropout,
    /// whose decoder weights are multiplied by `keepP` for inference.
    public var scalesForInference: Bool {
        scaling == .classic && dropMode == .dropout && dropP > 0
    }
}
