import Foundation
import Core

/// One network of a comparison, trained (or reused) once per seed.
public struct ComparedRun<M: Module> {
    public let name: String
    public let displayName: String
    /// One model and history per seed, the lesson's `--seed` first.
    public var models: [M] = []
    public var histories: [TrainingHistory] = []
    public var reused: [Bool] = []

    public var parameterCount: Int { models.first?.parameterCount ?? 0 }
    /// The first seed's run: the one the charts show.
    public var history: TrainingHistory { histories[0] }
    public var model: M { models[0] }
    public var testAccuracies: SeedSpread { SeedSpread(histories.map { $0.testAccuracy ?? 0 }) }

    /// The first seed's predicted class for every image of `test` (see `Inspection.testPredictions`).
    public func testPredictions(on test: MNISTDataset) -> [Int] {
        Inspection.testPredictions(of: model, history: history, test: test)
    }
}

/// Trains the networks of a comparison with the lesson's schedule, reusing saved runs with the same
/// settings (for instance ResNet-18 saved by Exercise 3) and saying which it did.
public struct ComparisonTrainer {
    public let data: LessonData
    public let output: URL
    public let narrator: Narrator
    public let baseSeed: UInt64
    public let seeds: Int

    public init(data: LessonData, output: URL, narrator: Narrator, baseSeed: UInt64, seeds: Int) {
        (self.data, self.output, self.narrator, self.baseSeed, self.seeds) = (data, output, narrator, baseSeed, seeds)
    }

    /// Checkpoint name for one seed: the plain name for the lesson's `--seed` (the file other lessons
    /// share), `<name>-seed<k>` for the extra seeds of `--seeds`, so they never overwrite it.
    public func checkpointName(_ name: String, seed: UInt64) -> String {
        seed == baseSeed ? name : "\(name)-seed\(seed)"
    }

    /// Trains or reuses `displayName` for every seed. `savedBy` names the lesson that saves this
    /// network, for the narration ("saved by Exercise 3").
    public func run<M: Module>(name: String, displayName: String, epochs: Int, savedBy: String? = nil,
                               reuseSaved: Bool = true, _ make: () -> M) throws -> ComparedRun<M> {
        var result = ComparedRun<M>(name: name, displayName: displayName)
        for offset in 0..<seeds {
            let seed = baseSeed &+ UInt64(offset)
            let run = TrainingRun(name: checkpointName(name, seed: seed), displayName: displayName, seed: seed,
                                  epochs: epochs, data: data, output: output)
            let seedText = seeds > 1 ? " (seed \(seed))" : ""
            Random.manualSeed(seed)
            let candidate = make()
            let saved = reuseSaved ? run.loadSaved(into: candidate) : (history: nil, reasonToTrain: nil)
            let (model, history, reused): (M, TrainingHistory, Bool)
            if let savedHistory = saved.history {
                (model, history, reused) = (candidate, savedHistory, true)
            } else {
                var header = "\nTraining \(displayName)\(seedText) for \(epochs) epoch\(epochs == 1 ? "" : "s")"
                if let reason = saved.reasonToTrain { header += " (\(reason))" }
                narrator.say(header + "...")
                (model, history, reused) = try run.run(reuseSaved: false, make) { [narrator] sentence in narrator.say(sentence) }
            }
            if reused {
                let origin = savedBy.map { " saved by \($0)" } ?? " saved by an earlier run"
                narrator.say("\nReusing \(displayName)\(seedText)\(origin): \(narrator.displayPath(URL(fileURLWithPath: run.checkpointPath))) "
                             + "was trained with exactly these settings (seed, epochs, batch size, learning rate, dataset, subset).")
                narrator.output(history.epochs.map {
                    "Epoch \($0.epoch)/\(history.epochs.count): Loss = \(Format.fixed($0.loss, 4)), Accuracy = \(Format.fixed($0.accuracy, 4))"
                }.joined(separator: "\n"))
            }
            if let accuracy = history.testAccuracy {
                narrator.say("🎯 \(displayName)\(seedText) Test Accuracy: \(Format.fixed(accuracy, 4))"
                             + (reused ? "" : "  (trained in \(Format.duration(history.wallSeconds)))"))
            }
            result.models.append(model)
            result.histories.append(history)
            result.reused.append(reused)
        }
        return result
    }
}

extension ComparisonTrainer {
    /// The saved history of `name` trained on `dataset` with every other setting of this run (base
    /// seed), if there is one: e.g. the MNIST run beside a Fashion-MNIST one.
    public func savedHistory(name: String, epochs: Int, on dataset: DatasetKind) -> TrainingHistory? {
        let run = TrainingRun(name: name, displayName: name, seed: baseSeed, epochs: epochs, data: data, output: output)
        var expected = run.settings
        expected["dataset"] = dataset.rawValue
        let stem = TrainingRun.fileStem(name: name, dataset: dataset, quick: data.quick)
        let path = output.appendingPathComponent("checkpoints/\(stem).history.json").path
        guard let history = try? TrainingHistory.load(from: path), history.settings == expected else { return nil }
        return history
    }

    /// Whether a saved run of `name` with exactly this lesson's settings (base seed) exists.
    public func hasSaved(name: String, epochs: Int) -> Bool {
        let run = TrainingRun(name: name, displayName: name, seed: baseSeed, epochs: epochs, data: data, output: output)
        guard FileManager.default.fileExists(atPath: run.checkpointPath),
              let history = try? TrainingHistory.load(from: run.historyPath) else { return false }
        return history.settings == run.settings
    }
}
