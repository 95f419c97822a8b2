import Foundation

/// The lessons' training loop, the same steps as the original PyTorch lesson:
/// for each batch, forward, loss, zero_grad, backward, step; running loss and accuracy;
/// then evaluation on the test set in eval mode without gradients.
public final class Trainer {
    public let model: any Module
    public let optimizer: any Optimizer
    public let lossFunction = CrossEntropyLoss()
    public let progress: ProgressReporter
    /// Called once, after the first few batches, with the measured seconds per batch, so a
    /// lesson can say how long the whole run should take.
    public var onTimingEstimate: ((Double) -> Void)?
    /// Batches timed before `onTimingEstimate` (the first one, which warms caches, is not counted).
    public var batchesForEstimate = 5

    public init(model: any Module, optimizer: any Optimizer, progress: ProgressReporter = ProgressReporter()) {
        self.model = model
        self.optimizer = optimizer
        self.progress = progress
    }

    /// Trains `epochs` epochs (at most `maxBatches` batches each), then evaluates on `test`.
    public func fit(train: DataLoader, test: DataLoader?, epochs: Int, maxBatches: Int? = nil,
                    history: inout TrainingHistory) throws {
        let start = Date()
        for epoch in 1...epochs {
            let record = try trainEpoch(train, epoch: epoch, epochs: epochs, maxBatches: maxBatches, history: &history)
            history.epochs.append(record)
            progress.line("Epoch \(epoch)/\(epochs): Loss = \(String(format: "%.4f", record.loss)), "
                          + "Accuracy = \(String(format: "%.4f", record.accuracy))  "
                          + "(\(String(format: "%.1f", record.seconds)) s, \(Int(record.imagesPerSecond)) img/s)")
        }
        if let test {
            let (correct, total) = evaluate(test)
            history.testCorrect = correct
            history.testTotal = total
            history.testAccuracy = total > 0 ? Double(correct) / Double(total) : 0
        }
        history.wallSeconds = Date().timeIntervalSince(start)
    }

    /// One pass over the training data. Throws when the loss stops being a finite number.
    public func trainEpoch(_ loader: DataLoader, epoch: Int, epochs: Int, maxBatches: Int? = nil,
                           history: inout TrainingHistory) throws -> EpochRecord {
        model.train()
        let totalBatches = min(loader.count, maxBatches ?? loader.count)
        var runningLoss = 0.0, correct = 0, seen = 0, batch = 0
        let start = Date()
        var timingStart: Date?
        for (images, labels) in loader {
            if batch == totalBatches { break }
            batch += 1
            if batch == 2 { timingStart = Date() }
            let (loss, hits) = step(images, labels)
            guard loss.isFinite else {
                progress.finish()
                throw CoreError("the loss became \(loss) at epoch \(epoch), batch \(batch): training diverged. "
                                + "Try a smaller learning rate (for example --lr \(smallerRate())).")
            }
            runningLoss += loss
            correct += hits
            seen += labels.count
            history.batchLosses.append(loss)

            let elapsed = Date().timeIntervalSince(start)
            if epoch == 1, batch == batchesForEstimate + 1, let timingStart, let onTimingEstimate {
                progress.finish()
                onTimingEstimate(Date().timeIntervalSince(timingStart) / Double(batchesForEstimate))
            }
            let rate = Double(seen) / max(elapsed, 1e-9)
            progress.batchDone(BatchState(
                epoch: epoch, epochs: epochs, batch: batch, totalBatches: totalBatches,
                meanLoss: runningLoss / Double(batch), accuracy: Double(correct) / Double(seen),
                imagesPerSecond: rate,
                secondsLeft: Double(totalBatches - batch) * elapsed / Double(batch)))
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(start)
        return EpochRecord(epoch: epoch, loss: runningLoss / Double(max(batch, 1)),
                           accuracy: Double(correct) / Double(max(seen, 1)), batches: batch, images: seen,
                           seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9))
    }

    /// One optimisation step; returns the batch loss and how many predictions were right.
    public func step(_ images: Tensor, _ labels: [Int]) -> (loss: Double, correct: Int) {
        let outputs = model(images)
        let loss = lossFunction(outputs, labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        let predicted = outputs.argmax(dim: 1)
        return (Double(loss.item()), zip(predicted, labels).filter { $0 == $1 }.count)
    }

    /// Accuracy on a dataset in evaluation mode, without recording gradients.
    public func evaluate(_ loader: DataLoader) -> (correct: Int, total: Int) {
        Trainer.evaluate(model, loader)
    }

    public static func evaluate(_ model: any Module, _ loader: DataLoader) -> (correct: Int, total: Int) {
        model.eval()
        var correct = 0, total = 0
        noGrad {
            for (images, labels) in loader {
                let predicted = model(images).argmax(dim: 1)
                correct += zip(predicted, labels).filter { $0 == $1 }.count
                total += labels.count
            }
        }
        return (correct, total)
    }

    private func smallerRate() -> String {
        if let adam = optimizer as? Adam { return String(format: "%g", adam.lr / 10) }
        if let sgd = optimizer as? SGD { return String(format: "%g", Double(sgd.lr) / 10) }
        return "0.0001"
    }
}
