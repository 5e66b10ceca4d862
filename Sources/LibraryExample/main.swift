import AutoencCore

// Trains a 784-64-784 autoencoder with dropout for two epochs on the data set named on
// the command line (default: Debian's Fashion-MNIST), then prints its test MSE.
let data = try DataLocation.resolve(CommandLine.arguments.dropFirst().first)
let (train, test) = try data.loadBoth()
let config = ModelConfig(hidden: 64, dropP: 0.5)
let trainer = Trainer(model: Autoencoder(config: config, seed: 0), options: TrainingOptions())
for epoch in 1...2 {
    let report = try trainer.trainEpoch(train, test: test, epoch: epoch)
    print("epoch \(epoch): train loss \(report.trainLoss), test MSE \(report.testMSE)")
}
print("test MSE \(trainer.inferenceModel().meanSquaredError(test))")
