/// What the trainer reports as it goes. The trainer only measures; drawing (a live bar on a
/// terminal, the lesson's "Batch N" lines) belongs to whoever shows the run (LessonKit).
public protocol TrainingProgress: AnyObject {
    /// After every training step.
    func batchDone(_ state: BatchState)
    /// At the end of an epoch, with its record.
    func epochEnded(_ record: EpochRecord, epochs: Int)
    /// When an epoch's batches are over (or the run stops): clear whatever was drawn live.
    func finish()
}

/// Where training stands after a batch.
public struct BatchState: Sendable {
    public let epoch: Int, epochs: Int
    public let batch: Int, totalBatches: Int
    public let meanLoss: Double, accuracy: Double
    public let imagesPerSecond: Double, secondsLeft: Double
}
