import Foundation
import Testing
@testable import AutoencCore
@testable import AutoencKit

/// The memory a training run needs, counted before it allocates (`TrainingPass.bytes`,
/// `Trainer.memoryNeed`) and checked against MemAvailable (`Memory`), so that sizes too
/// large for the machine are refused in one line instead of ending in swap or the
/// out-of-memory killer.
@Suite struct MemoryTests {
    static let configs: [ModelConfig] = [
        ModelConfig(hidden: 20, activation: .relu),
        ModelConfig(hidden: 20, activation: .sigmoid, dropP: 0.5, dropMode: .dropout, scaling: .classic),
        ModelConfig(hidden: 20, activation: .relu, dropP: 0.5, dropMode: .dropconnect, masks: .example),
        ModelConfig(hidden: 20, activation: .relu, dropP: 0.3, dropMode: .dropconnect, masks: .batch, inputDropP: 0.2),
    ]

    @Test("a buffer is 64-byte aligned and holds its value; from 2 MB on it starts on a huge page's boundary")
    func bufferAlignment() {
        let huge = FloatBuffer.hugePage / 4 // floats
        for count in [1, 1000, huge - 1, huge, 3 * huge + 5] {
            let buffer = FloatBuffer(count: count, value: 2.5)
            let address = Int(bitPattern: buffer.pointer)
            let boundary = 4 * count >= FloatBuffer.hugePage ? FloatBuffer.hugePage : 64
            let wrong = (0..<count).filter { buffer.pointer[$0] != 2.5 }.count
            #expect(address % boundary == 0 && wrong == 0,
                    "\(count) floats: \(address % boundary) bytes past a \(boundary)-byte boundary, \(wrong) not set")
        }
    }

    @Test("the count before allocating is what a pass allocates, for every strategy and batch",
          arguments: configs, [TrainingPass.ProductChoice.automatic, .dense, .sparseHidden, .packed])
    func passCountIsItsBuffers(config: ModelConfig, choice: TrainingPass.ProductChoice) {
        for batch in [1, 7] {
            let pass = TrainingPass(model: Autoencoder(config: config, seed: 1), maxBatch: batch, seed: 1,
                                    products: choice)
            #expect(TrainingPass.bytes(for: config, maxBatch: batch, products: choice,
                                       kernels: .current) == pass.allocatedBytes,
                    "batch \(batch)")
        }
    }

    @Test("the count before allocating is what a trainer and its model allocate, for every optimizer",
          arguments: configs, [OptimizerKind.adam, .sgd, .momentum])
    func trainerCountIsItsBuffers(config: ModelConfig, optimizer: OptimizerKind) {
        var options = TrainingOptions()
        options.batchSize = 8
        options.optimizer = optimizer
        options.threads = 1
        for largest in [nil, 3] {
            let trainer = Trainer(model: Autoencoder(config: config, seed: 1), options: options, largestBatch: largest)
            #expect(Trainer.memoryNeed(config, options: options, largestBatch: largest) == trainer.allocatedBytes,
                    "largest batch \(String(describing: largest))")
        }
    }

    @Test("the largest run train allows, counted by hand: about 22.3 GB, 22.8 at AVX-512")
    func largestRun() {
        var options = TrainingOptions()
        options.batchSize = 65536
        let need = Trainer.memoryNeed(ModelConfig(hidden: 16384), options: options)
        // hd, gate, dhd and the packed hd and dz1: 5 x 65536 x 16384 floats = 21.47 GB;
        // x and z2: 2 x 65536 x 784 floats = 0.41 GB; the parameters, their gradients and
        // Adam's two moments: 4 x 25.7M floats = 0.41 GB; packed w2: 0.05 GB. Left out of
        // the hand count: about 30 bytes an image and 16 floats a buffer (under 0.01 GB).
        // At the AVX-512 level, xd^T for the own products: 65536 x 784 floats = 0.21 GB;
        // and for the encoder gradient over the lit pixels, each group of 4 pixels'
        // examples, 196 lists of 65536 int32 (and their counts): 0.05 GB, and each listed
        // example's 4 pixels beside it: 196 x 65536 x 4 floats, 0.21 GB.
        let own = Matrix.hasOwnProduct(Kernels(options.kernels))
            ? 4 * 65536 * 784 + 4 * 65537 * 196 + 4 * 65536 * 784 : 0
        #expect(need - own > 22_330_000_000 && need - own < 22_350_000_000,
                "\(need) with \(own) for xd^T and the pixel groups")
        #expect(Memory.describe(need) == (own > 0 ? "22.8 GB" : "22.3 GB"))
    }

    @Test("the largest batch that fits: its need is within what is available, one more image's is not",
          arguments: configs)
    func largestFittingBatch(config: ModelConfig) {
        var options = TrainingOptions()
        options.batchSize = 65536
        for available in [3_000_000, 50_000_000, 2_000_000_000] {
            guard let batch = Trainer.largestFittingBatch(config, options: options, available: available) else {
                Issue.record("nothing fits in \(available) bytes")
                continue
            }
            #expect(Trainer.memoryNeed(config, options: options, largestBatch: batch) <= available,
                    "\(batch) at \(available)")
            if batch < options.batchSize {
                #expect(Trainer.memoryNeed(config, options: options, largestBatch: batch + 1) > available,
                        "\(batch) at \(available)")
            }
        }
        #expect(Trainer.largestFittingBatch(config, options: options, available: 2_000_000_000) == 65536,
                "the whole batch fits")
        #expect(Trainer.largestFittingBatch(config, options: options, available: 1000) == nil)
    }

    @Test("MemAvailable is read from a meminfo file, in bytes; nothing when there is none")
    func available() throws {
        let dir = try TemporaryDirectory()
        let none = dir.file("no-cgroup")
        let meminfo = "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   12345678 kB\n"
        try dir.write("meminfo", Array(meminfo.utf8))
        #expect(Memory.available(meminfo: dir.file("meminfo"), cgroup: none) == 12_345_678 * 1024)
        try dir.write("old", Array("MemTotal:       24576000 kB\nMemFree:         1000 kB\n".utf8))
        #expect(Memory.available(meminfo: dir.file("old"), cgroup: none) == nil)
        try dir.write("odd", Array("MemAvailable:   lots\n".utf8))
        #expect(Memory.available(meminfo: dir.file("odd"), cgroup: none) == nil)
        #expect(Memory.available(meminfo: dir.file("missing"), cgroup: none) == nil)
        #if os(Linux)
        let here = try #require(Memory.available(), "/proc/meminfo has no MemAvailable")
        #expect(here > 0)
        #endif
    }

    @Test("a cgroup's memory limit (a container's), less its use but not its file cache, caps what is available")
    func cgroupLimit() throws {
        let dir = try TemporaryDirectory()
        let gib = 1 << 30
        try dir.write("meminfo", Array("MemAvailable:   12345678 kB\n".utf8))
        let meminfo = dir.file("meminfo")
        // cgroup v2: limit 4 GiB, using 1 GiB of which 0.5 GiB is file cache (active or not)
        try FileManager.default.createDirectory(atPath: dir.file("v2"), withIntermediateDirectories: true)
        try dir.write("v2/memory.max", Array("\(4 * gib)\n".utf8))
        try dir.write("v2/memory.current", Array("\(gib)\n".utf8))
        try dir.write("v2/memory.stat",
                      Array("anon 1000\nfile \(gib / 2)\ninactive_file 1000\nactive_file \(gib / 2 - 1000)\n".utf8))
        #expect(Memory.available(meminfo: meminfo, cgroup: dir.file("v2")) == 4 * gib - gib / 2)
        // a limit above what the machine has free: MemAvailable
        try dir.write("v2/memory.max", Array("\(64 * gib)\n".utf8))
        #expect(Memory.available(meminfo: meminfo, cgroup: dir.file("v2")) == 12_345_678 * 1024)
        try dir.write("v2/memory.max", Array("max\n".utf8))
        #expect(Memory.available(meminfo: meminfo, cgroup: dir.file("v2")) == 12_345_678 * 1024)
        // cgroup v1's memory controller: limit 2 GiB, using 1 GiB; unlimited is a page-rounded 2^63
        try FileManager.default.createDirectory(atPath: dir.file("v1/memory"), withIntermediateDirectories: true)
        try dir.write("v1/memory/memory.limit_in_bytes", Array("\(2 * gib)\n".utf8))
        try dir.write("v1/memory/memory.usage_in_bytes", Array("\(gib)\n".utf8))
        #expect(Memory.available(meminfo: meminfo, cgroup: dir.file("v1")) == gib)
        // v1 counts the cache as total_cache; a usage that is mostly cache leaves room
        try dir.write("v1/memory/memory.stat", Array("cache 5\nrss 7\ntotal_cache \(gib / 4)\ntotal_rss 100\n".utf8))
        #expect(Memory.available(meminfo: meminfo, cgroup: dir.file("v1")) == gib + gib / 4)
        #expect(Memory.available(meminfo: dir.file("missing"), cgroup: dir.file("v1")) == gib + gib / 4)
        try dir.write("v1/memory/memory.limit_in_bytes", Array("9223372036854771712\n".utf8))
        #expect(Memory.available(meminfo: meminfo, cgroup: dir.file("v1")) == 12_345_678 * 1024)
    }

    @Test("more than is available is refused in one line that says how much and what to change")
    func check() throws {
        try Memory.check(1_000_000_000, available: 1_000_000_000, what: "x", remedy: "y")
        try Memory.check(5_000_000_000, available: nil, what: "x", remedy: "y")
        let needs = "training --hidden 4096 needs about 2.1 GB of memory, but 512.0 MB is available"
        expectAutoencError(.unavailable,
                           containing: [needs, "MemAvailable in /proc/meminfo", "; use a smaller --batch-size"]) {
            try Memory.check(2_147_483_648, available: 512_000_000, what: "training --hidden 4096",
                             remedy: "use a smaller --batch-size")
        }
        #expect(ExitStatus.unavailable.rawValue == 69)
    }

    @Test("train, compare, sweep and bench refuse a run that does not fit before training it")
    func refusedBeforeTraining() throws {
        let dir = try TemporaryDirectory()
        let data = try TrainingSetupTests.data(dir)
        let request = TrainingSetupTests.request(limit: 5)
        _ = try TrainingRun.Setup(request, resume: nil, data: data, epochs: 1, available: nil)
        let (config, options) = request.newRun()
        let need = Trainer.memoryNeed(config, options: options, largestBatch: 5)
        _ = try TrainingRun.Setup(request, resume: nil, data: data, epochs: 1, available: need)
        expectAutoencError(.unavailable, containing: ["training --hidden 4 at a batch of 2 needs",
                                                      "use --batch-size 1 or less, or a smaller --hidden"]) {
            _ = try TrainingRun.Setup(request, resume: nil, data: data, epochs: 1, available: need - 1)
        }

        let train = ImageSet(count: 8, bytes: Fixtures.pixels(count: 8), source: "train")
        let test = ImageSet(count: 4, bytes: Fixtures.pixels(count: 4, salt: 1), source: "test")
        let runs = [ExperimentRun(name: "none", config: config, options: options, epochs: 1, limit: nil),
                    ExperimentRun(name: "wide", config: ModelConfig(hidden: 40), options: options,
                                  epochs: 1, limit: nil)]
        let wide = Trainer.memoryNeed(ModelConfig(hidden: 40), options: options, largestBatch: 8)
        expectAutoencError(.unavailable,
                           containing: ["training --hidden 40 at a batch of 2, 2 runs at once, needs",
                                        "use fewer --jobs, --batch-size 1 or less, or a smaller --hidden"]) {
            _ = try Experiment.train(runs, train: train, test: test, location: DataLocation(directory: data),
                                     directory: dir.file("out"), jobs: 2, threads: 1, cores: 2,
                                     console: Console(quiet: true), log: nil, again: "autoenc compare",
                                     available: 2 * wide - 1)
        }
        #expect(!FileManager.default.fileExists(atPath: Experiment.runsDirectory(dir.file("out"))),
                "a refused experiment trained")

        expectAutoencError(.unavailable, containing: ["training --hidden 64 at a batch of 4 needs"]) {
            let plan = try Benchmark.Plan(modes: "none", hidden: "16,64", batchSizes: "4", images: 8, warmup: 0,
                                          repeats: 1, dropP: 0.5)
            _ = try Benchmark.run(train, plan, threads: 1, dataName: "data", available: 800_000)
        }
    }
}

extension MemoryTests {
    @Test("activations refuses, before measuring and writing, codes that do not fit")
    func activationsRefused() throws {
        let dir = try TemporaryDirectory()
        let data = try TrainingSetupTests.data(dir)
        var setup = try TrainingRun.Setup(TrainingSetupTests.request(), resume: nil, data: data, epochs: 1)
        setup.options.threads = 1
        let output = TrainingRun.Output(model: dir.file("m.safetensors"))
        #expect(try setup.run(output: output).run(through: 1, observer: TrainingSetupTests.Silent()) == .finished)
        // labels, so that the probe trains on the training images' codes too
        try dir.write("data/" + DataLocation.trainLabels, Fixtures.labels([0, 1, 2, 0, 1, 2, 0, 1]))
        try dir.write("data/" + DataLocation.testLabels, Fixtures.labels([0, 1, 2, 0]))

        // the codes of 4 test and 8 training images, 4 floats each
        let need = Diagnostics.memoryNeed(hidden: 4, testImages: 4, probeImages: 8)
        #expect(need == 4 * 4 * 12)
        let out = dir.file("activations")
        let needs = "measuring \(output.model) (4 hidden units) on 4 test and 8 training images needs"
        expectAutoencError(.unavailable, containing: [needs, "use --limit"]) {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try Diagnostics.measureCheckpoint(output.model, data: data, limit: nil, seed: 0, threads: 1, directory: out,
                                              console: Console(quiet: true), available: need - 1)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty, "a refused measurement wrote files")
        try Diagnostics.measureCheckpoint(output.model, data: data, limit: nil, seed: 0, threads: 1, directory: out,
                                          console: Console(quiet: true), available: need)
        #expect(FileManager.default.fileExists(atPath: out + "/metrics.json"))
    }
}
