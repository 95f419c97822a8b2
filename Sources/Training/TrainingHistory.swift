import Foundation
import Autograd
import Layers
import Checkpoints

/// One epoch's summary.
public struct EpochRecord: Codable, Sendable {
    public var epoch: Int
    /// Mean training loss over the epoch's batches (the lesson's `running_loss / len(train_loader)`).
    public var loss: Double
    /// Fraction of training images classified correctly during the epoch.
    public var accuracy: Double
    public var batches: Int
    public var images: Int
    public var seconds: Double
    public var imagesPerSecond: Double
    /// Resident memory of the process at the end of the epoch, in MiB (nil when unknown or in
    /// histories written before it was recorded): it should stay flat from epoch to epoch.
    public var residentMB: Double? = nil
}

/// Everything a training run measured, saved as JSON beside the checkpoint so that charts and
/// later lessons can use it without training again.
public struct TrainingHistory: Codable, Sendable {
    public var model: String
    /// The settings the run used (seed, lr, batch size, dataset, ...): a later lesson reuses the
    /// run only when these match what it was asked for.
    public var settings: [String: String]
    public var batchLosses: [Double] = []
    public var epochs: [EpochRecord] = []
    public var testAccuracy: Double?
    public var testCorrect: Int?
    public var testTotal: Int?
    /// The predicted class of each test image, in file order (absent in older histories).
    public var testPredictions: [Int]?
    public var wallSeconds: Double = 0

    public init(model: String, settings: [String: String]) {
        self.model = model
        self.settings = settings
    }

    public var epochLosses: [Double] { epochs.map(\.loss) }
    public var epochAccuracies: [Double] { epochs.map(\.accuracy) }

    /// Writes the history as pretty-printed JSON, atomically.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func load(from path: String) throws -> TrainingHistory {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoreError("cannot read the training history \(path): no such file")
        }
        do {
            return try JSONDecoder().decode(TrainingHistory.self, from: data)
        } catch {
            throw CoreError("\(path) is not a training history this project wrote (\(error)); delete it to train again")
        }
    }
}
