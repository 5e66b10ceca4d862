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
}

/// Whether DropConnect draws a mask per example (Wan et al.) or one per minibatch.
public enum MaskSharing: String, Sendable, CaseIterable, Codable {
    case example
    case batch
}

/// Everything that defines the model's shape and regularizer.
public struct ModelConfig: Sendable, Equatable, Codable {
    public static let inputs = 784

    public var hidden: Int
    public var activation: Activation
    /// Probability of dropping (PyTorch's convention), 0 <= dropP < 1.
    public var dropP: Float
    public var dropMode: DropMode
    public var masks: MaskSharing

    public init(hidden: Int = 256, activation: Activation = .relu, dropP: Float = 0,
                dropMode: DropMode = .dropout, masks: MaskSharing = .example) {
        self.hidden = hidden
        self.activation = activation
        self.dropP = dropP
        self.dropMode = dropMode
        self.masks = masks
    }

    public var keepP: Float { 1 - dropP }
}
