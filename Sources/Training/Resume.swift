import Foundation
import Autograd
import Layers
import Checkpoints

/// Where a training run stands inside its schedule: enough, with the model's and optimiser's
/// state, to continue it and reach bit for bit the weights an uninterrupted run reaches.
public struct TrainingPosition: Sendable, Equatable {
    /// The epoch in progress (1-based).
    public var epoch: Int
    /// Batches of `epoch` already taken (0: the epoch has not started).
    public var batch: Int
    /// The data loader's generator state *before* this epoch drew its permutation: drawing again
    /// from it gives the same order.
    public var epochStartGeneratorState: [UInt64]
    /// The process-wide generator's state (dropout masks and any other draws during training).
    public var globalGeneratorState: [UInt64]
    /// The epoch's running totals so far, so that its record comes out as if uninterrupted.
    public var runningLoss: Double
    public var correct: Int
    public var seen: Int
    /// Seconds spent in this epoch before the interruption.
    public var seconds: Double

    public init(epoch: Int, batch: Int, epochStartGeneratorState: [UInt64], globalGeneratorState: [UInt64],
                runningLoss: Double = 0, correct: Int = 0, seen: Int = 0, seconds: Double = 0) {
        (self.epoch, self.batch, self.epochStartGeneratorState, self.globalGeneratorState) =
            (epoch, batch, epochStartGeneratorState, globalGeneratorState)
        (self.runningLoss, self.correct, self.seen, self.seconds) = (runningLoss, correct, seen, seconds)
    }
}

/// Thrown by `Trainer.fit` when `shouldStop` stopped the run (callers that want to save and
/// resume use `Trainer.run`, which returns the position instead).
public struct TrainingInterrupted: Error, CustomStringConvertible {
    public let position: TrainingPosition
    public var description: String {
        "training was interrupted at epoch \(position.epoch), after batch \(position.batch)"
    }
}

/// Thrown when a batch's loss is not a finite number: the run stops at that batch, whose update
/// is not applied, so the model still holds the last good weights.
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let loss: Double
    public let epoch: Int
    public let batch: Int
    public let totalBatches: Int
    /// A learning rate ten times smaller than the one used, as text for a flag (`0.0001`).
    public let suggestedRate: String

    public var description: String {
        "the loss became \(loss) at epoch \(epoch), batch \(batch) of \(totalBatches): training diverged. "
            + "Try a smaller learning rate (for example --lr \(suggestedRate))."
    }
}

/// A training run saved mid-way so that it can be resumed: one safetensors file holding the
/// model's state_dict, Adam's moments and step (the `TrainingCheckpoint` format), the position in
/// the schedule (epoch, batch, generator states, the epoch's running totals) and the history so
/// far (as JSON in the metadata). One file, written atomically, so the parts always agree.
public enum ResumeCheckpoint {
    static let historyKey = "resume.history_json"
    static let globalStateKey = "resume.global_generator_state"
    static let totalsKey = "resume.epoch_totals"
    static let secondsKey = "resume.epoch_seconds"

    /// Saves everything needed to resume, atomically (a crash during the save leaves the
    /// previous file as it was).
    public static func save(model: any Module, optimizer: Adam, position: TrainingPosition,
                            history: TrainingHistory, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let historyJSON = String(decoding: try encoder.encode(history), as: UTF8.self)
        let metadata = [
            historyKey: historyJSON,
            globalStateKey: position.globalGeneratorState.map(String.init).joined(separator: ","),
            // Doubles as their bit patterns, so the running loss comes back exactly.
            totalsKey: "\(position.runningLoss.bitPattern),\(position.correct),\(position.seen)",
            secondsKey: "\(position.seconds)",
        ]
        try TrainingCheckpoint.save(model: model, optimizer: optimizer, epoch: position.epoch, batch: position.batch,
                                    generatorState: position.epochStartGeneratorState, metadata: metadata, to: path)
    }

    /// Loads a resume file into `model` and `optimizer` (strictly: every key and shape) and
    /// returns the position to continue from and the history so far.
    public static func load(from path: String, into model: any Module, optimizer: Adam) throws
        -> (position: TrainingPosition, history: TrainingHistory) {
        let checkpoint = try TrainingCheckpoint.load(from: path, into: model, optimizer: optimizer)
        func fail(_ why: String) -> CoreError {
            CoreError("\(path) cannot be resumed from: \(why). Delete it to train from the start.")
        }
        let meta = checkpoint.metadata
        guard let state = checkpoint.generatorState else { throw fail("it holds no data-order generator state") }
        let global = (meta[globalStateKey] ?? "").split(separator: ",").compactMap { UInt64($0) }
        guard global.count == 4, global.contains(where: { $0 != 0 }) else { throw fail("its global generator state is missing or damaged") }
        let totals = (meta[totalsKey] ?? "").split(separator: ",").compactMap { UInt64($0) }
        guard totals.count == 3, let correct = Int(exactly: totals[1]), let seen = Int(exactly: totals[2]) else {
            throw fail("its running totals are missing or damaged")
        }
        guard let json = meta[historyKey],
              let history = try? JSONDecoder().decode(TrainingHistory.self, from: Data(json.utf8)) else {
            throw fail("its training history is missing or damaged")
        }
        guard checkpoint.epoch >= 1 else { throw fail("its epoch \(checkpoint.epoch) is not a valid epoch") }
        let position = TrainingPosition(
            epoch: checkpoint.epoch, batch: checkpoint.batch, epochStartGeneratorState: state, globalGeneratorState: global,
            runningLoss: Double(bitPattern: totals[0]), correct: correct, seen: seen,
            seconds: meta[secondsKey].flatMap(Double.init) ?? 0)
        return (position, history)
    }
}
