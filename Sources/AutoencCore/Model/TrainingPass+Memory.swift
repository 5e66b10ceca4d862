extension TrainingPass {
    /// The bytes `init` allocates for `config` at batches of up to `maxBatch` with the
    /// products `choice` (`.automatic`: the layout at `kernels`' level), by the same
    /// rules, without allocating them: every buffer that grows with the batch or with
    /// hidden x 784. Per-unit scratch (a few bytes a unit) is left out.
    /// `allocatedBytes` reads the same off a pass's buffers; the tests hold the two equal.
    static func bytes(for config: ModelConfig, maxBatch b: Int, products choice: ProductChoice = .automatic,
                      kernels: Kernels) -> Int {
        let h = config.hidden, n = ModelConfig.inputs
        // the gradients; x, xd, z2 (B, 784); hd, gate, dhd (B, h); the mask keys
        var bytes = 4 * Parameters.count(hidden: h)
        bytes += 4 * (b * n * (config.inputDropP > 0 ? 3 : 2) + 3 * b * h + 16) + 8 * b
        if config.dropP > 0 && config.dropMode == .dropconnect {
            switch config.masks {
            case .batch: bytes += 4 * h * n // scale * mask ⊙ w1
            case .example: // w1^T and dw1^T, the pixel lists
                bytes += 4 * 2 * (n * h + 16) + NonzeroPixels.bytes(capacity: b) + PixelColumns.bytes(capacity: b)
            }
        }
        let chosen = choice == .automatic ? strategy(for: config, kernels: kernels) : choice
        let own = ownProducts(config, sparseLayout: chosen == .sparseHidden, kernels: kernels)
        if groupedEncoder(config, kernels: kernels) { // w1^T's panels, the images' groups
            bytes += ImageGroups.bytes(hidden: h, capacity: b)
        }
        if own.encoder { bytes += 4 * b * n } // xd^T
        if own.decoder { bytes += 4 * h * b } // hd^T
        if litEncoderGradient(config, packed: chosen == .packed, kernels: kernels) {
            bytes += PixelGroups.bytes(capacity: b)
        }
        switch chosen {
        case .automatic, .dense: break
        case .sparseHidden: bytes += 4 * 2 * h * n + 8 * b * (h + 16) // w2^T, its gradient; indices and values
        case .packed: // w2 and hd packed, their rows 16 floats' multiples apart; dz1 packed
            bytes += 4 * ((n + b) * PackedProducts.stride(h) + b * h + 3 * 16)
        }
        return bytes
    }

    /// What this pass allocated, read off its buffers as `bytes(for:)` counts them.
    var allocatedBytes: Int {
        let buffers = [gradients.storage, x, droppedX, hiddenLayer, gate, outputLayer, hiddenGradient, maskedW1,
                       pixelWalk?.transposedW1, pixelWalk?.transposedGradient,
                       transposedInput, transposedHidden]
        let lists = (pixelWalk.map { $0.pixels.allocatedBytes + $0.columns.allocatedBytes } ?? 0)
            + (pixelGroups?.allocatedBytes ?? 0) + (imageGroups?.allocatedBytes ?? 0)
        return 4 * buffers.reduce(0) { $0 + ($1?.count ?? 0) } + 8 * maxBatch + lists + layout.allocatedBytes
    }
}

extension Trainer {
    /// The bytes a trainer of `config` with `options` allocates.
    ///
    /// That is the model's parameters, the optimizer's moments, the inference copy under classic
    /// dropout scaling, and the step's buffers (`TrainingPass.bytes`). The images, and the
    /// evaluation's buffers of a few hundred images, are not counted.
    ///
    /// - Parameters:
    ///   - config: The model's shape and regularizer.
    ///   - options: The run's settings.
    ///   - largestBatch: The largest batch, as `init` takes it.
    /// - Returns: The bytes.
    public static func memoryNeed(_ config: ModelConfig, options: TrainingOptions, largestBatch: Int? = nil) -> Int {
        let batch = stepBatch(options, largestBatch: largestBatch)
        let moments = switch options.optimizer { case .adam: 2; case .momentum: 1; case .sgd: 0 }
        let copies = 1 + moments + (config.scalesForInference ? 1 : 0)
        return 4 * Parameters.count(hidden: config.hidden) * copies
            + TrainingPass.bytes(for: config, maxBatch: batch, kernels: Kernels(options.kernels))
    }

    /// What this trainer and its model allocated, read off their buffers as
    /// `memoryNeed` counts them.
    var allocatedBytes: Int {
        let copies = [model.parameters.storage, optimizer.first, optimizer.second, inferenceCopy?.parameters.storage]
        return 4 * copies.reduce(0) { $0 + ($1?.count ?? 0) } + pass.allocatedBytes
    }

    /// Checks that training `runs` models of `config` at once fits in the memory available.
    ///
    /// - Parameters:
    ///   - config: The model's shape and regularizer.
    ///   - options: The run's settings; the batch size matters.
    ///   - largestBatch: The largest batch the runs will take, when it differs from `options.batchSize`.
    ///   - runs: Trainers that will run at once.
    ///   - available: Bytes available; by default MemAvailable of /proc/meminfo (`Memory`), and nil
    ///     checks nothing.
    /// - Throws: `AutoencError` with `.unavailable` (69) when they need more memory than is available;
    ///   the message names the largest batch that fits (`largestFittingBatch`), when one does.
    public static func checkMemory(_ config: ModelConfig, options: TrainingOptions, largestBatch: Int? = nil,
                                   runs: Int = 1,
                                   available: Int? = Memory.available()) throws {
        let need = memoryNeed(config, options: options, largestBatch: largestBatch) * runs
        let batch = stepBatch(options, largestBatch: largestBatch)
        let runsAtOnce = runs > 1 ? ", \(runs) runs at once," : ""
        let what: AutoencError.Message = "training \(setting: .hidden) \(config.hidden) "
            + "at a batch of \(batch)\(runsAtOnce)"
        let fitting = available.flatMap { largestFittingBatch(config, options: options, available: $0 / runs) }
        let batchSize: AutoencError.Message = fitting.map { "\(setting: .batchSize) \($0) or less" }
            ?? "a smaller \(setting: .batchSize)"
        try Memory.check(need, available: available, what: what,
                         remedy: runs > 1 ? "use fewer \(setting: .jobs), \(batchSize), "
                             + "or a smaller \(setting: .hidden)"
                                          : "use \(batchSize), or a smaller \(setting: .hidden)")
    }

    /// The largest batch, up to `options.batchSize`, whose trainer of `config` with
    /// `options` needs at most `available` bytes; nil when not even a batch of 1 does.
    /// The need grows by the same bytes with each image of a batch, so the line through
    /// batches 1 and 2 gives it.
    static func largestFittingBatch(_ config: ModelConfig, options: TrainingOptions, available: Int) -> Int? {
        let one = memoryNeed(config, options: options, largestBatch: 1)
        let perImage = memoryNeed(config, options: options, largestBatch: 2) - one
        guard one <= available, perImage > 0 else { return nil }
        return min(options.batchSize, 1 + (available - one) / perImage)
    }
}
