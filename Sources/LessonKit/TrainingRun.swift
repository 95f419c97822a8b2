import ArgumentParser
import Foundation
import Core

/// Trains one of the lesson's networks with Adam and the lesson's loop, narrating as it goes, and
/// saves its weights and history under `<output>/checkpoints/` so that later lessons can reuse them.
public struct TrainingRun {
    /// Checkpoint name, e.g. "resnet18" (files `resnet18.safetensors`, `resnet18.history.json`;
    /// see `fileStem` for other datasets and the quick preset).
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

    /// Called after every training step (see `Trainer.onBatch`): lessons that watch the loss live set it.
    public var onBatch: ((BatchReport) -> Void)?
    /// Passed to the trainer: runs around every training step (see `Trainer.aroundStep`).
    public var aroundStep: ((_ step: Int, _ body: () -> (loss: Double, correct: Int)) -> (loss: Double, correct: Int))?
    /// The optimiser over the model's parameters; nil means Adam at `--lr`. Only Adam's state is
    /// saved for `--resume` (the resume file's format holds Adam's moments).
    public var makeOptimizer: (([Tensor]) -> any Optimizer)?
    /// Settings beyond the shared ones that decide whether a saved run can stand in for this one
    /// (Exercise 1 adds the optimiser when it is not Adam).
    public var extraSettings: [String: String] = [:]
    /// Asked after every step, as Ctrl-C is: true stops training there, saves the state for
    /// `--resume` (Adam only), evaluates the model as it stands on the test set and returns that
    /// history, so the lesson can finish with what it has (Exercise 1's `--stop-on-stall`).
    public var stopEarly: (() -> Bool)?

    /// The files' name: the checkpoint name, plus the dataset when it is not MNIST and "quick" for
    /// the quick preset ("resnet18", "resnet18-fashion-mnist", "resnet18-quick"). Why: runs with
    /// other settings are retrained and replace a saved run of the same name, so a quick try or a
    /// Fashion-MNIST run would otherwise overwrite the hour-long MNIST run later lessons reuse.
    public static func fileStem(name: String, dataset: DatasetKind, quick: Bool) -> String {
        name + (dataset == .mnist ? "" : "-" + dataset.displayName.lowercased()) + (quick ? "-quick" : "")
    }

    public var fileStem: String { TrainingRun.fileStem(name: name, dataset: data.kind, quick: data.quick) }
    public var checkpointPath: String { output.appendingPathComponent("checkpoints/\(fileStem).safetensors").path }
    public var historyPath: String { output.appendingPathComponent("checkpoints/\(fileStem).history.json").path }
    /// Where an interrupted run saves everything needed to continue (`--resume`); removed when the run completes.
    public var resumePath: String { output.appendingPathComponent("checkpoints/\(fileStem).resume.safetensors").path }

    /// The settings that decide whether a saved run can stand in for this one.
    public var settings: [String: String] {
        ["model": name, "seed": String(seed), "epochs": String(epochs), "lr": String(data.options.lr),
         "batch_size": String(data.options.batchSize), "dataset": data.kind.rawValue,
         "quick": String(data.quick), "batches_per_epoch": String(data.batchesPerEpoch()),
         "test_images": String(data.test.count)].merging(extraSettings) { _, extra in extra }
    }

    /// Builds the model from this run's seed, then reuses a saved run with the same settings when
    /// `reuseSaved` allows and one can be read, else trains it, first saying why a saved run was not
    /// used (other settings, or a damaged file). Returns the model, its history, and whether it was reused.
    public func run<M: Module>(reuseSaved: Bool = true, _ make: () -> M,
                               narrate: @escaping (String) -> Void) throws -> (model: M, history: TrainingHistory, reused: Bool) {
        Random.manualSeed(seed)
        let model = make()
        if reuseSaved {
            let saved = loadSaved(into: model)
            if let history = saved.history { return (model, history, true) }
            if let reason = saved.reasonToTrain { narrate("  (\(reason))") }
        }
        Random.manualSeed(seed)
        let fresh = make()
        return (fresh, try train(fresh, narrate: narrate), false)
    }

    /// Trains `model` from scratch (or, with `--resume`, from the state an interrupted run saved);
    /// saves checkpoint and history. `narrate` receives the time estimate.
    ///
    /// Ctrl-C or SIGTERM during training stops after the current step, saves the resume state
    /// atomically, prints the command that resumes, and exits with status 130. A loss that becomes
    /// NaN or infinite stops the run at that batch with a message; the checkpoints saved before
    /// are left as they were.
    public func train(_ model: any Module, narrate: @escaping (String) -> Void) throws -> TrainingHistory {
        var history = TrainingHistory(model: name, settings: settings)
        let optimizer = makeOptimizer?(model.parameters()) ?? Adam(model.parameters(), lr: data.options.lr)
        let trainer = Trainer(model: model, optimizer: optimizer, progress: ProgressReporter())
        let batches = data.batchesPerEpoch()
        var position: TrainingPosition?
        if data.options.resume, FileManager.default.fileExists(atPath: resumePath) {
            guard let adam = optimizer as? Adam else {
                throw CoreError("--resume: only runs trained with Adam can be resumed (the resume file holds Adam's state). Drop --resume to train \(displayName) from the start.")
            }
            let (saved, savedHistory) = try ResumeCheckpoint.load(from: resumePath, into: model, optimizer: adam)
            try ResumeState.checkSameSettings(saved: savedHistory.settings, current: settings,
                                              file: displayPath(resumePath), displayName: displayName)
            (position, history) = (saved, savedHistory)
            narrate("  (resuming \(displayName) at epoch \(saved.epoch) of \(epochs), after batch \(saved.batch) of \(Format.thousands(batches)), "
                    + "from \(displayPath(resumePath)))")
        }
        if position == nil {
            trainer.onTimingEstimate = { secondsPerBatch in
                let total = secondsPerBatch * Double(batches * epochs)
                var text = "  (measured \(Format.fixed(secondsPerBatch, 3)) s per batch: \(epochs) epoch\(epochs == 1 ? "" : "s") of "
                    + "\(Format.thousands(batches)) batches should take about \(Format.duration(total)) on this machine"
                if !data.quick && total > 300 { text += "; --quick runs a short version in a few minutes" }
                narrate(text + ")")
            }
        }
        let loader = DataLoader(data.train, batchSize: data.options.batchSize, shuffle: true,
                                generator: Generator(seed: seed &+ 0x5eed))
        let testLoader = DataLoader(data.test, batchSize: 256, shuffle: false)

        Interrupt.beginTraining()
        defer { Interrupt.endTraining() }
        let stopEarly = self.stopEarly
        trainer.shouldStop = { Interrupt.requested || stopEarly?() == true }
        trainer.onBatch = onBatch
        trainer.aroundStep = aroundStep
        let outcome: Trainer.Outcome
        do {
            outcome = try trainer.run(train: loader, test: testLoader, epochs: epochs, maxBatches: data.maxBatches,
                                      history: &history, resumingFrom: position)
        } catch let diverged as TrainingDiverged {
            var kept = "Nothing was saved for this run"
            if FileManager.default.fileExists(atPath: resumePath) {
                kept += "; \(displayPath(resumePath)) (the state before the interruption) is unchanged"
            }
            throw CoreError("\(displayName): the loss became \(diverged.loss) at epoch \(diverged.epoch), batch \(diverged.batch) "
                            + "of \(diverged.totalBatches) (learning rate \(data.options.lr)): training diverged.\n"
                            + "Try a smaller learning rate, for example --lr \(diverged.suggestedRate).\n"
                            + kept + ", and earlier checkpoints in \(displayPath(output.appendingPathComponent("checkpoints").path)) are unchanged.")
        }
        switch outcome {
        case let .interrupted(stopped):
            guard let adam = optimizer as? Adam else {
                if !Interrupt.requested { return evaluated(model, history, testLoader) }
                FileHandle.standardError.write(Data("\(Interrupt.signalDescription ?? "A stop request"): \(displayName) stopped at epoch \(stopped.epoch) of \(epochs), after batch \(stopped.batch). Only runs trained with Adam can be saved for --resume, so nothing was saved.\n".utf8))
                throw ExitCode(130)
            }
            Interrupt.beginSaving()
            try ResumeCheckpoint.save(model: model, optimizer: adam, position: stopped, history: history, to: resumePath)
            if !Interrupt.requested { return evaluated(model, history, testLoader) }
            let why = Interrupt.signalDescription ?? "A stop request"
            FileHandle.standardError.write(Data("""
            \(why): \(displayName) stopped at epoch \(stopped.epoch) of \(epochs), after batch \(stopped.batch) of \(Format.thousands(batches)).
            Saved model, optimiser, random state and history to \(displayPath(resumePath)).
            To continue where it stopped, run:
              \(Interrupt.resumeCommand())

            """.utf8))
            throw ExitCode(130)
        case .completed:
            try model.save(to: checkpointPath, metadata: settings)
            try history.save(to: historyPath)
            if FileManager.default.fileExists(atPath: resumePath) { try? FileManager.default.removeItem(atPath: resumePath) }
            if Interrupt.requested {
                // The signal came during the final evaluation: the run is complete and saved.
                FileHandle.standardError.write(Data("""
                \(Interrupt.signalDescription ?? "A stop request"): \(displayName) had finished training; its weights are saved in \(displayPath(checkpointPath)).
                Run the same command again to continue the lesson: it reuses the saved run.

                """.utf8))
                throw ExitCode(130)
            }
        }
        return history
    }

    /// `history` of a run stopped early (`stopEarly`), with the test predictions of the model as it stands.
    func evaluated(_ model: any Module, _ history: TrainingHistory, _ test: DataLoader) -> TrainingHistory {
        var history = history
        let (predicted, labels) = Trainer.predictions(model, test)
        let correct = zip(predicted, labels).filter { $0 == $1 }.count
        (history.testCorrect, history.testTotal, history.testPredictions) = (correct, labels.count, predicted)
        history.testAccuracy = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
        return history
    }

    /// A path relative to the working directory when it lies below it.
    func displayPath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// A saved run with exactly these settings, loaded into `model`, or nil when there is none.
    public func reuse(into model: any Module) -> TrainingHistory? {
        loadSaved(into: model).history
    }

    /// What is saved under this run's name: nothing, a run with these settings, one with other
    /// settings, or files that cannot be read. Reads the history only (cheap: no weights).
    public func savedState() -> SavedRunState {
        let files = FileManager.default
        guard files.fileExists(atPath: checkpointPath) else { return .none }
        guard files.fileExists(atPath: historyPath) else {
            return .damaged(file: historyPath, problem: "is missing (the weights beside it have no history)")
        }
        let history: TrainingHistory
        do {
            history = try JSONDecoder().decode(TrainingHistory.self, from: try Data(contentsOf: URL(fileURLWithPath: historyPath)))
        } catch {
            return .damaged(file: historyPath, problem: "is not a readable training history (\(SavedRunState.describe(error)))")
        }
        let differences = ResumeState.differences(saved: history.settings, current: settings)
        return differences.isEmpty ? .matching(history) : .otherSettings(differences)
    }

    /// The saved run loaded into `model` when it has these settings and its weights can be read;
    /// otherwise, when something was saved, the sentence saying why it is trained again.
    public func loadSaved(into model: any Module) -> (history: TrainingHistory?, reasonToTrain: String?) {
        let state = savedState()
        guard case let .matching(history) = state else {
            return (nil, state.reasonToTrain(displayName: displayName, checkpoint: displayPath(checkpointPath), display: displayPath))
        }
        do {
            try model.load(from: checkpointPath)
            return (history, nil)
        } catch {
            let damaged = SavedRunState.damaged(file: checkpointPath, problem: "cannot be loaded (\(SavedRunState.describe(error)))")
            return (nil, damaged.reasonToTrain(displayName: displayName, checkpoint: displayPath(checkpointPath), display: displayPath))
        }
    }
}

/// What a lesson finds under a network's checkpoint name before it trains.
public enum SavedRunState {
    case none
    case matching(TrainingHistory)
    /// Saved with other settings, listed as "lr 0.01 (now 0.001)".
    case otherSettings([String])
    /// A file that cannot be used, and what is wrong with it.
    case damaged(file: String, problem: String)

    public var isMatching: Bool { if case .matching = self { return true } else { return false } }

    /// Why the network is trained again, naming the file (nil when nothing was saved or it is reused).
    public func reasonToTrain(displayName: String, checkpoint: String, display: (String) -> String) -> String? {
        switch self {
        case .none, .matching: return nil
        case let .otherSettings(differences):
            return "the saved run \(checkpoint) has other settings (\(differences.joined(separator: ", "))), "
                + "so \(displayName) is trained again and replaces it"
        case let .damaged(file, problem):
            return "the saved file \(display(file)) \(problem); so \(displayName) is trained again and the saved run replaced"
        }
    }

    /// An error in a few words: a decoding error as its reason, a project error as its message.
    static func describe(_ error: Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case let .keyNotFound(key, _): return "the key '\(key.stringValue)' is missing"
            case let .dataCorrupted(context): return context.debugDescription
            case let .typeMismatch(_, context), let .valueNotFound(_, context): return context.debugDescription
            @unknown default: return "\(decoding)"
            }
        }
        return "\(error)"
    }
}
