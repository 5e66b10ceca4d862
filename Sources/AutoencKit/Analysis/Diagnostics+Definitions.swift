extension Diagnostics {
    /// Each metric `json` writes, as metrics.json and the printed tables name it, with
    /// its meaning in a sentence: the note under the tables of `compare`'s and `sweep`'s
    /// reports (`HTMLReport.definitions`). In the order of the JSON object, the
    /// DropConnect-only sampled error after `test_mse`.
    public static let definitions: [(term: String, meaning: String)] = [
        ("test_mse",
         "Mean squared error over every pixel of every test image, in inference mode."),
        ("test_mse_sample\(dropConnectSamples)",
         "For DropConnect only: the test MSE under Wan et al.'s sampling inference, "
            + "\(dropConnectSamples) draws per hidden unit."),
        ("mean_activation",
         "Mean hidden activation over the test images and units."),
        ("sparsity",
         "Fraction of activations that are silent: 0 for ReLU, "
             + "below \(ActivationStatistics.sigmoidThreshold) for sigmoid."),
        ("dead_units",
         "Hidden units never active on any test image."),
        ("probe_accuracy",
         "Test accuracy of a softmax regression trained on the training images' codes, "
            + "when the data set has label files."),
        ("localization",
         "1 - spatial spread of a unit's weight energy over that of a uniform spread, "
            + "averaged over live units: 1 for a single pixel, about 0 for noise."),
    ]
}
