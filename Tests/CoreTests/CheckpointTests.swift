import Foundation
import Testing
@testable import Core

private func scratchFile(_ name: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

private func expectBitIdentical(_ a: StateDict, _ b: StateDict, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.keys == b.keys, sourceLocation: sourceLocation)
    for (key, tensor, _) in a.entries {
        guard let other = b[key] else { continue }
        #expect(tensor.scalars.map(\.bitPattern) == other.scalars.map(\.bitPattern), "\(what): \(key) differs",
                sourceLocation: sourceLocation)
    }
}

/// A small run: the narrow ResNet on 16 test images, shuffled into batches of 4 by its own generator.
private struct SmallRun {
    let data: MNISTDataset
    let batchSize = 4
    init() throws {
        let first16 = try Fixtures.load("mnist_test_first16")
        data = MNISTDataset(images: try first16.require("images"), labels: try first16.labels("labels"))
    }

    func freshModel(seed: UInt64) -> any Module {
        Random.manualSeed(seed)   // only the initial weights; the data order has its own generator
        return ResNet(channels: [4, 8], blocks: [1, 1], name: "SmallResNet")
    }

    /// Trains from (epoch, batch) up to `until` (epoch, batch), drawing each epoch's order at its start.
    /// Returns the state to save: the generator's state at the start of the epoch in progress.
    @discardableResult
    func train(_ model: any Module, _ adam: Adam, generator: Generator, from start: (epoch: Int, batch: Int),
               until end: (epoch: Int, batch: Int)) -> [UInt64] {
        let loss = CrossEntropyLoss()
        model.train()
        var epochState = generator.state
        var (epoch, skip) = start
        while epoch <= end.epoch {
            epochState = generator.state
            let order = generator.permutation(data.count)
            let last = epoch == end.epoch ? end.batch : data.count / batchSize
            for index in skip..<last {
                let (images, labels) = data.gather(Array(order[(index * batchSize)..<((index + 1) * batchSize)]))
                let value = loss(model(images), labels)
                adam.zeroGrad()
                value.backward()
                adam.step()
            }
            if epoch == end.epoch { break }
            (epoch, skip) = (epoch + 1, 0)
        }
        return epochState
    }
}

@Suite(.ownGenerator) struct CheckpointTests {
    /// Save in the middle of an epoch, load into a fresh model and optimiser, continue: bit-identical to an
    /// uninterrupted run (same thread count).
    @Test func resumingIsBitIdentical() throws {
        let run = try SmallRun()
        // Uninterrupted: 3 epochs of 4 batches.
        let straight = run.freshModel(seed: 11)
        let straightAdam = Adam(straight.parameters(), lr: 1e-3)
        run.train(straight, straightAdam, generator: Generator(seed: 5), from: (1, 0), until: (3, 4))

        // Interrupted after batch 2 of epoch 2.
        let first = run.freshModel(seed: 11)
        let firstAdam = Adam(first.parameters(), lr: 1e-3)
        let generator = Generator(seed: 5)
        let epochStart = run.train(first, firstAdam, generator: generator, from: (1, 0), until: (2, 2))
        let path = try scratchFile("run.safetensors")
        try TrainingCheckpoint.save(model: first, optimizer: firstAdam, epoch: 2, batch: 2, generatorState: epochStart,
                                    metadata: ["lesson": "test", "note": "mid-epoch"], to: path)

        // A fresh process, in effect: other initial weights, a fresh optimiser, a fresh generator.
        let resumed = run.freshModel(seed: 99)
        let resumedAdam = Adam(resumed.parameters(), lr: 1e-3)
        let saved = try TrainingCheckpoint.load(from: path, into: resumed, optimizer: resumedAdam)
        #expect(saved.epoch == 2 && saved.batch == 2 && saved.optimizerStep == 6)
        #expect(saved.generatorState == epochStart)
        #expect(saved.metadata == ["lesson": "test", "note": "mid-epoch"])
        #expect(saved.learningRate == 1e-3)
        #expect(resumedAdam.stepCount == 6)
        expectBitIdentical(resumed.stateDict(), first.stateDict(), "loaded weights")
        let resumedGenerator = Generator(state: try #require(saved.generatorState))
        run.train(resumed, resumedAdam, generator: resumedGenerator, from: (saved.epoch, saved.batch), until: (3, 4))

        #expect(resumedAdam.stepCount == straightAdam.stepCount)
        expectBitIdentical(resumed.stateDict(), straight.stateDict(), "weights after resuming")
        for i in straightAdam.expAvg.indices {
            #expect(resumedAdam.expAvg[i].scalars == straightAdam.expAvg[i].scalars)
            #expect(resumedAdam.expAvgSq[i].scalars == straightAdam.expAvgSq[i].scalars)
        }
    }

    @Test func fileLayout() throws {
        let model = ResNet(channels: [4], blocks: [1])
        let adam = Adam(model.parameters())
        let path = try scratchFile("layout.safetensors")
        try TrainingCheckpoint.save(model: model, optimizer: adam, epoch: 1, batch: 0,
                                    generatorState: [1, 2, 3, UInt64.max], to: path)
        let (dict, meta) = try Safetensors.read(path)
        for (name, _) in model.namedParameters() {
            #expect(dict["optimizer.exp_avg.\(name)"] != nil && dict["optimizer.exp_avg_sq.\(name)"] != nil)
        }
        #expect(dict["bn1.num_batches_tracked"] != nil && dict.dtype(of: "bn1.num_batches_tracked") == .int64)
        #expect(meta["generator_state"] == "1,2,3,18446744073709551615")
        #expect(meta["format"] == "training-checkpoint" && meta["optimizer.step"] == "0")
        // No temporary file is left beside it (written atomically).
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["layout.safetensors"])
    }

    @Test func strictChecksOnLoad() throws {
        let model = ResNet(channels: [4], blocks: [1])
        let adam = Adam(model.parameters())
        let path = try scratchFile("strict.safetensors")
        try TrainingCheckpoint.save(model: model, optimizer: adam, epoch: 1, batch: 3, to: path)

        // Another architecture: nothing is changed.
        let other = ResNet(channels: [8], blocks: [1])
        let otherAdam = Adam(other.parameters())
        let before = other.stateDict().entries.map { $0.tensor.scalars }
        expectFailure("optimizer.exp_avg.conv1.weight", "[4, 1, 3, 3]") {
            try TrainingCheckpoint.load(from: path, into: other, optimizer: otherAdam)
        }
        #expect(other.stateDict().entries.map { $0.tensor.scalars } == before)

        // A plain state_dict is not a training checkpoint.
        let plain = try scratchFile("plain.safetensors")
        try model.save(to: plain)
        expectFailure("no 'format' metadata") { try TrainingCheckpoint.load(from: plain, into: model, optimizer: adam) }

        // A missing moment.
        var (dict, meta) = try Safetensors.read(path)
        var pruned = StateDict()
        for (key, tensor, dtype) in dict.entries where key != "optimizer.exp_avg_sq.fc.bias" { pruned.set(key, tensor, dtype: dtype) }
        let prunedPath = try scratchFile("pruned.safetensors")
        try Safetensors.write(pruned, metadata: meta, to: prunedPath)
        expectFailure("missing optimizer.exp_avg_sq.fc.bias") {
            try TrainingCheckpoint.load(from: prunedPath, into: model, optimizer: adam)
        }

        // Damaged metadata.
        meta["generator_state"] = "1,2,3"
        let badPath = try scratchFile("bad.safetensors")
        try Safetensors.write(dict, metadata: meta, to: badPath)
        expectFailure("generator_state") { try TrainingCheckpoint.load(from: badPath, into: model, optimizer: adam) }
        meta["generator_state"] = nil
        meta["optimizer.step"] = "-1"
        dict.set("optimizer.momentum_buffer.fc.bias", Tensor([0]))
        try Safetensors.write(dict, metadata: meta, to: badPath)
        expectFailure("optimizer.step") { try TrainingCheckpoint.load(from: badPath, into: model, optimizer: adam) }

        // Other betas, missing file, reserved metadata.
        let otherBetas = Adam(model.parameters(), betas: (0.8, 0.999))
        expectFailure("betas") { try TrainingCheckpoint.load(from: path, into: model, optimizer: otherBetas) }
        expectFailure("does not exist") { try TrainingCheckpoint.load(from: path + ".missing", into: model, optimizer: adam) }
        expectFailure("reserved") {
            try TrainingCheckpoint.save(model: model, optimizer: adam, epoch: 1, batch: 0, metadata: ["epoch": "7"], to: path)
        }
        expectFailure("not built over this model") {
            try TrainingCheckpoint.save(model: model, optimizer: otherAdam, epoch: 1, batch: 0, to: path)
        }
    }
}
