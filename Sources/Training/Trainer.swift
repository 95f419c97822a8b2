import Foundation
import Autograd
import Layers
import Data

/// The lessons' training loop, the same steps as the original PyTorch lesson:
/// for each batch, forward, loss, zero_grad, backward, step; running loss and accuracy;
/// then evaluation on the test set in eval mode without gradients.
///
/// A run can stop cleanly between two steps (`shouldStop`, set by a Ctrl-C handler) and report
/// where it stood (`TrainingPosition`), and a later run can continue from that position
/// (`run(... resumingFrom:)`) with bit-identical results, as long as the model and optimiser were
/// restored too (see `ResumeCheckpoint`).
public final class Trainer {
    public let model: any Module
    public let optimizer: any Optimizer
    public let lossFunction = CrossEntropyLoss()
    /// Shows the run as it goes (LessonKit draws a live bar); nil trains silently.
    public let progress: (any TrainingProgress)?
    /// Called once, after the first few batches, with the measured seconds per batch, so a
    /// lesson can say how long the whole run should take.
    public var onTimingEstimate: ((Double) -> Void)?
    /// Batches timed before `onTimingEstimate` (the first one, which warms caches, is not counted).
    public var batchesForEstimate = 5
    /// Asked after every step: when it returns true the run stops there (the step is complete) and
    /// `run` returns `.interrupted` with the position to resume from.
    public var shouldStop: (() -> Bool)?
    /// Called at the end of every epoch with its record (after it was added to the history).
    public var onEpochEnd: ((EpochRecord) -> Void)?
    /// Called after every training step with that batch's numbers, so a lesson can watch the
    /// loss live (the VGG lesson watches for the stall at ln 10).
    public var onBatch: ((BatchReport) -> Void)?
    /// Runs each training step (`body`), given the step's number (1-based over all epochs), so a lesson
    /// can look inside chosen steps: trace the forward pass with forward hooks, compare the weights
    /// before and after the update (Exercise 1's watch). It must call `body` exactly once and return its result.
    public var aroundStep: ((_ step: Int, _ body: () -> (loss: Double, correct: Int)) -> (loss: Double, correct: Int))?
    /// Records the resident memory of the process in each epoch's record (`residentMB`).
    public var recordsMemory = true

    public init(model: any Module, optimizer: any Optimizer, progress: (any TrainingProgress)? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.progress = progress
    }

    /// How a call to `run` ended.
    public enum Outcome {
        /// Every epoch ran and the test set (if any) was evaluated.
        case completed
        /// `shouldStop` asked to stop; everything needed to continue is in the position.
        case interrupted(TrainingPosition)
    }

    /// Trains `epochs` epochs (at most `maxBatches` batches each), then evaluates on `test`.
    /// Throws `TrainingInterrupted` if `shouldStop` stops it (use `run` to get the position instead).
    public func fit(train: DataLoader, test: DataLoader?, epochs: Int, maxBatches: Int? = nil,
                    history: inout TrainingHistory) throws {
        if case let .interrupted(position) = try run(train: train, test: test, epochs: epochs, maxBatches: maxBatches,
                                                    history: &history) {
            throw TrainingInterrupted(position: position)
        }
    }

    /// Trains from the start, or from `position` (a run stopped earlier, whose model and optimiser
    /// state have been restored), to the end of `epochs`, then evaluates on `test`.
    ///
    /// The loader's generator is set to the state it had when the interrupted epoch drew its
    /// permutation, the same permutation is drawn again and the batches already taken are
    /// skipped, so the batches seen are exactly those of an uninterrupted run.
    public func run(train: DataLoader, test: DataLoader?, epochs: Int, maxBatches: Int? = nil,
                    history: inout TrainingHistory, resumingFrom position: TrainingPosition? = nil) throws -> Outcome {
        // A batch too large for this machine is refused here, before its first step allocates it.
        try MemoryPlan(model: model, batchSize: min(train.batchSize, train.dataset.count),
                       imageShape: train.dataset.sampleShape).check(network: model.typeName)
        let start = Date()
        let wallBefore = history.wallSeconds
        if let position {
            guard position.epoch >= 1, position.epoch <= epochs else {
                throw CoreError("cannot resume at epoch \(position.epoch): this run has \(epochs) epoch\(epochs == 1 ? "" : "s")")
            }
            Random.global.state = position.globalGeneratorState
        }
        for epoch in (position?.epoch ?? 1)...epochs {
            let resume = position?.epoch == epoch ? position : nil
            let result = try trainEpoch(train, epoch: epoch, epochs: epochs, maxBatches: maxBatches, history: &history,
                                        resumingFrom: resume)
            guard case let .finished(record) = result else {
                if case let .stopped(stopped) = result {
                    history.wallSeconds = wallBefore + Date().timeIntervalSince(start)
                    return .interrupted(stopped)
                }
                fatalError("unreachable")
            }
            history.epochs.append(record)
            progress?.epochEnded(record, epochs: epochs)
            onEpochEnd?(record)
            if epoch < epochs, shouldStop?() == true {
                // Between epochs: the next epoch has not drawn its permutation yet.
                history.wallSeconds = wallBefore + Date().timeIntervalSince(start)
                return .interrupted(TrainingPosition(epoch: epoch + 1, batch: 0, epochStartGeneratorState: train.generator.state,
                                                     globalGeneratorState: Random.global.state))
            }
        }
        if let test {
            let (predicted, labels) = Trainer.predictions(model, test)
            let correct = zip(predicted, labels).filter { $0 == $1 }.count
            history.testCorrect = correct
            history.testTotal = labels.count
            history.testAccuracy = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
            // Kept in file order (the test loader does not shuffle) for error analysis without re-evaluating.
            if !test.shuffle { history.testPredictions = predicted }
        }
        history.wallSeconds = wallBefore + Date().timeIntervalSince(start)
        return .completed
    }

    /// How one epoch ended.
    public enum EpochOutcome {
        case finished(EpochRecord)
        case stopped(TrainingPosition)
    }

    /// One pass over the training data. Throws when the loss stops being a finite number.
    public func trainEpoch(_ loader: DataLoader, epoch: Int, epochs: Int, maxBatches: Int? = nil,
                           history: inout TrainingHistory) throws -> EpochRecord {
        let saved = shouldStop
        shouldStop = nil
        defer { shouldStop = saved }
        guard case let .finished(record) = try trainEpoch(loader, epoch: epoch, epochs: epochs, maxBatches: maxBatches,
                                                          history: &history, resumingFrom: nil) else {
            fatalError("unreachable: an epoch without shouldStop always finishes")
        }
        return record
    }

    /// One pass over the training data, possibly starting part-way (`resumingFrom`) and possibly
    /// stopping part-way (`shouldStop`). Throws when the loss stops being a finite number; the
    /// model then keeps the weights of the last good step (the bad step is not applied).
    public func trainEpoch(_ loader: DataLoader, epoch: Int, epochs: Int, maxBatches: Int? = nil,
                           history: inout TrainingHistory, resumingFrom position: TrainingPosition?) throws -> EpochOutcome {
        model.train()
        let totalBatches = min(loader.count, maxBatches ?? loader.count)
        if let position {
            guard position.epochStartGeneratorState.count == 4, position.epochStartGeneratorState.contains(where: { $0 != 0 }) else {
                throw CoreError("cannot resume: the saved data-order generator state is damaged")
            }
            loader.generator.state = position.epochStartGeneratorState
        }
        // The state the permutation is drawn from: saved so that an interrupted epoch can be redrawn.
        let epochStartState = loader.generator.state
        var iterator = loader.makeIterator()
        var runningLoss = position?.runningLoss ?? 0, correct = position?.correct ?? 0, seen = position?.seen ?? 0
        var batch = position?.batch ?? 0
        guard batch <= totalBatches else {
            throw CoreError("cannot resume at batch \(batch) of epoch \(epoch): the epoch has \(totalBatches) batches")
        }
        iterator.skip(batches: batch)
        let resumedBatches = batch
        let previousSeconds = position?.seconds ?? 0
        let start = Date()
        var timingStart: Date?
        while batch < totalBatches, let (images, labels) = iterator.next() {
            batch += 1
            if batch == resumedBatches + 2 { timingStart = Date() }
            let stepNumber = history.batchLosses.count + 1
            let (loss, hits) = aroundStep.map { $0(stepNumber) { self.step(images, labels) } } ?? step(images, labels)
            guard loss.isFinite else {
                progress?.finish()
                throw TrainingDiverged(loss: loss, epoch: epoch, batch: batch, totalBatches: totalBatches,
                                       suggestedRate: smallerRate())
            }
            runningLoss += loss
            correct += hits
            seen += labels.count
            history.batchLosses.append(loss)
            onBatch?(BatchReport(epoch: epoch, batch: batch, step: history.batchLosses.count, loss: loss,
                                 accuracy: Double(hits) / Double(max(labels.count, 1))))

            let elapsed = Date().timeIntervalSince(start)
            if epoch == 1, batch == batchesForEstimate + 1, resumedBatches == 0, let timingStart, let onTimingEstimate {
                progress?.finish()
                onTimingEstimate(Date().timeIntervalSince(timingStart) / Double(batchesForEstimate))
            }
            let done = batch - resumedBatches
            let rate = Double(seen) / max(elapsed + previousSeconds, 1e-9)
            progress?.batchDone(BatchState(
                epoch: epoch, epochs: epochs, batch: batch, totalBatches: totalBatches,
                meanLoss: runningLoss / Double(batch), accuracy: Double(correct) / Double(max(seen, 1)),
                imagesPerSecond: rate,
                secondsLeft: Double(totalBatches - batch) * elapsed / Double(max(done, 1))))
            if batch < totalBatches, shouldStop?() == true {
                progress?.finish()
                return .stopped(TrainingPosition(
                    epoch: epoch, batch: batch, epochStartGeneratorState: epochStartState,
                    globalGeneratorState: Random.global.state, runningLoss: runningLoss, correct: correct, seen: seen,
                    seconds: previousSeconds + Date().timeIntervalSince(start)))
            }
        }
        progress?.finish()
        let seconds = previousSeconds + Date().timeIntervalSince(start)
        var record = EpochRecord(epoch: epoch, loss: runningLoss / Double(max(batch, 1)),
                                 accuracy: Double(correct) / Double(max(seen, 1)), batches: batch, images: seen,
                                 seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9))
        if recordsMemory { record.residentMB = ResidentMemory.megabytes() }
        return .finished(record)
    }

    /// One optimisation step; returns the batch loss and how many predictions were right.
    /// When the loss is not a finite number the step is not applied (the weights and BatchNorm
    /// statistics stay those of the last good step) and the loss is returned for the caller to report.
    public func step(_ images: Tensor, _ labels: [Int]) -> (loss: Double, correct: Int) {
        // The forward pass updates BatchNorm's running statistics: keep a copy (a few thousand
        // numbers) so that a bad batch leaves no trace in them either.
        let buffersBefore = model.namedBuffers().map { $0.tensor.clone() }
        let outputs = model(images)
        let loss = lossFunction(outputs, labels)
        let value = Double(loss.item())
        guard value.isFinite else {
            for (buffer, saved) in zip(model.namedBuffers(), buffersBefore) { buffer.tensor.copy(from: saved) }
            return (value, 0)
        }
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        let predicted = outputs.argmax(dim: 1)
        return (value, zip(predicted, labels).filter { $0 == $1 }.count)
    }

    /// Accuracy on a dataset in evaluation mode, without recording gradients.
    public func evaluate(_ loader: DataLoader) -> (correct: Int, total: Int) {
        Trainer.evaluate(model, loader)
    }

    public static func evaluate(_ model: any Module, _ loader: DataLoader) -> (correct: Int, total: Int) {
        let (predicted, labels) = predictions(model, loader)
        return (zip(predicted, labels).filter { $0 == $1 }.count, labels.count)
    }

    /// The predicted class of every image and its label, in the loader's order, in evaluation
    /// mode without gradients.
    public static func predictions(_ model: any Module, _ loader: DataLoader) -> (predicted: [Int], labels: [Int]) {
        model.eval()
        var predicted: [Int] = [], labels: [Int] = []
        predicted.reserveCapacity(loader.dataset.count)
        labels.reserveCapacity(loader.dataset.count)
        noGrad {
            for (images, batchLabels) in loader {
                predicted += model(images).argmax(dim: 1)
                labels += batchLabels
            }
        }
        return (predicted, labels)
    }

    private func smallerRate() -> String {
        if let adam = optimizer as? Adam { return String(format: "%g", adam.lr / 10) }
        if let sgd = optimizer as? SGD { return String(format: "%g", Double(sgd.lr) / 10) }
        return "0.0001"
    }
}

/// One training step's numbers, for `Trainer.onBatch`.
public struct BatchReport: Sendable {
    public let epoch: Int
    /// Batch number within the epoch (1-based).
    public let batch: Int
    /// Steps taken so far over all epochs (1-based): the index into `TrainingHistory.batchLosses`.
    public let step: Int
    public let loss: Double
    /// Fraction of this batch predicted correctly.
    public let accuracy: Double
}

extension DataLoader.Iterator {
    /// Moves past `batches` batches without assembling them (resuming mid-epoch).
    mutating func skip(batches: Int) {
        position = Swift.min(order.count, position + batches * batchSize)
    }
}
