import Foundation
import Core

/// Trains one of the lesson's networks with Adam and the lesson's loop, narrating as it goes, and
/// saves its weights and history under `<output>/checkpoints/` so that later lessons can reuse them.
public struct TrainingRun {
    /// Checkpoint name, e.g. "resnet18" (files `resnet18.safetensors`, `resnet18.history.json`).
    public let name: String
    /// Name printed in narration, e.g. "ResNet-18".
    public let displayName: String
    public let seed: UInt64
    public let epochs: Int
    public let data: LessonData
    public let output: URL

    public init(name: String, displayName: String, seed: UInt64, epochs: Int, data: LessonData, output: URL) {
        (self.name, self.displayName, self.seed, self.epochs, self.data, self.output) =
            (name, displayName, seed, epochs, data, output)
    }

    public var checkpointPath: String { output.appendingPathComponent("checkpoints/\(name).safetensors").path }
    public var historyPath: String { output.appendingPathComponent("checkpoints/\(name).history.json").path }

    /// The settings that decide whether a saved run can stand in for this one.
    public var settings: [String: String] {
        ["model": name, "seed": String(seed), "epochs": String(epochs), "lr": String(data.options.lr),
         "batch_size": String(data.options.batchSize), "dataset": data.kind.rawValue,
         "quick": String(data.quick), "batches_per_epoch": String(data.batchesPerEpoch()),
         "test_images": String(data.test.count)]
    }

    /// Builds the model from this run's seed, then reuses a saved run with the same settings when
    /// `reuseSaved` allows and one exists, else trains it. Returns the model, its history, and whether
    /// it was reused.
    public func run<M: Module>(reuseSaved: Bool = true, _ make: () -> M,
                               narrate: @escaping (String) -> Void) throws -> (model: M, history: TrainingHistory, reused: Bool) {
        Random.manualSeed(seed)
        let model = make()
        if reuseSaved, let history = reuse(into: model) { return (model, history, true) }
        Random.manualSeed(seed)
        let fresh = make()
        return (fresh, try train(fresh, narrate: narrate), false)
    }

    /// Trains `model` from scratch; saves checkpoint and history. `narrate` receives the time estimate.
    public func train(_ model: any Module, narrate: @escaping (String) -> Void) throws -> TrainingHistory {
        var history = TrainingHistory(model: name, settings: settings)
        let optimizer = Adam(model.parameters(), lr: data.options.lr)
        let trainer = Trainer(model: model, optimizer: optimizer)
        let batches = data.batchesPerEpoch()
        trainer.onTimingEstimate = { secondsPerBatch in
            let total = secondsPerBatch * Double(batches * epochs)
            var text = "  (measured \(Format.fixed(secondsPerBatch, 3)) s per batch: \(epochs) epoch\(epochs == 1 ? "" : "s") of "
                + "\(Format.thousands(batches)) batches should take about \(Format.duration(total)) on this machine"
            if !data.quick && total > 300 { text += "; --quick runs a short version in a few minutes" }
            narrate(text + ")")
        }
        let loader = DataLoader(data.train, batchSize: data.options.batchSize, shuffle: true,
                                generator: Generator(seed: seed &+ 0x5eed))
        let testLoader = DataLoader(data.test, batchSize: 256, shuffle: false)
        try trainer.fit(train: loader, test: testLoader, epochs: epochs, maxBatches: data.maxBatches,
                        history: &history)
        try model.save(to: checkpointPath, metadata: settings)
        try history.save(to: historyPath)
        return history
    }

    /// A saved run with exactly these settings, loaded into `model`, or nil when there is none.
    public func reuse(into model: any Module) -> TrainingHistory? {
        guard FileManager.default.fileExists(atPath: checkpointPath),
              let history = try? TrainingHistory.load(from: historyPath),
              history.settings == settings,
              (try? model.load(from: checkpointPath)) != nil else { return nil }
        return history
    }
}
