import Foundation
import Core

/// The data and schedule a training lesson runs with, decided from its flags.
public struct LessonData {
    public let kind: DatasetKind
    public let train: MNISTDataset
    public let test: MNISTDataset
    public let quick: Bool
    public let options: TrainingOptions

    /// Quick version: this many batches per epoch, 2 epochs, and this many test images.
    public static let quickBatches = 40
    public static let quickEpochs = 2
    public static let quickTestImages = 2_000

    /// Loads the training and test splits (the shipped copy in data/, or `--data-dir`).
    public static func load(_ options: TrainingOptions) throws -> LessonData {
        let kind = options.dataset.kind
        let train = try MNISTDataset(root: options.dataDir ?? defaultDataRoot(), kind: kind, train: true)
        return LessonData(kind: kind, train: train, test: try testSet(of: kind, options),
                          quick: options.quick, options: options)
    }

    /// The test images of `kind` as this run would use them (the first 2,000 in the quick version):
    /// for comparing with a saved run on another dataset.
    public func testSet(of kind: DatasetKind) throws -> MNISTDataset {
        try LessonData.testSet(of: kind, options)
    }

    static func testSet(of kind: DatasetKind, _ options: TrainingOptions) throws -> MNISTDataset {
        let test = try MNISTDataset(root: options.dataDir ?? defaultDataRoot(), kind: kind, train: false)
        return options.quick ? test.subset(limit: quickTestImages) : test
    }

    /// `data/` in the working directory, else the one beside this package's sources.
    public static func defaultDataRoot() -> String {
        let local = "data"
        if FileManager.default.fileExists(atPath: local) { return local }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("data").path
    }

    /// The first training images for a step shown by hand: a batch of `batchSize`, at most 64 (so an
    /// over-large `--batch-size` is refused by the trainer's memory check, not by this step).
    public func firstImages(upTo batchSize: Int) -> (images: Tensor, labels: [Int]) {
        train.gather(Array(0..<min(batchSize, 64, train.count)))
    }

    /// Epochs for this lesson: `--epochs`, else 2 in the quick version, else the original schedule.
    public func epochs(default schedule: Int) -> Int {
        options.epochs ?? (quick ? LessonData.quickEpochs : schedule)
    }

    /// Batches per epoch: 40 in the quick version, else all of them.
    public var maxBatches: Int? { quick ? LessonData.quickBatches : nil }

    public func batchesPerEpoch() -> Int {
        min(allBatches, maxBatches ?? allBatches)
    }

    /// Batches the full lesson (no `--quick`) trains in `epochs` epochs: every image, every epoch.
    public func fullScheduleBatches(epochs: Int) -> Int { epochs * allBatches }

    /// Batches in one pass over every training image (the last one may be short).
    private var allBatches: Int { (train.count + options.batchSize - 1) / options.batchSize }

    /// One sentence on what data this run uses.
    public var description: String {
        let normalisation = "normalised with mean \(kind.mean) and std \(kind.std)"
        if quick {
            return "\(kind.displayName), quick version: \(LessonData.quickBatches) batches of \(options.batchSize) per epoch "
                + "from the \(Format.thousands(train.count)) training images, tested on the first \(Format.thousands(test.count)) "
                + "test images (\(normalisation)). Drop --quick for the full lesson."
        }
        return "\(kind.displayName): \(Format.thousands(train.count)) training images in batches of \(options.batchSize), "
            + "\(Format.thousands(test.count)) test images (\(normalisation))."
    }
}
