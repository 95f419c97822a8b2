import Autograd

/// Serves a dataset in mini-batches, as `torch.utils.data.DataLoader(dataset, batch_size=64,
/// shuffle=True)` does.
///
/// Each pass (each `for batch in loader`, i.e. each `makeIterator()`) draws a fresh permutation
/// from `generator` when shuffling, so every epoch sees a new order while the same seed gives
/// the same sequence of epochs. The last batch keeps the leftover images (60000 images in
/// batches of 64 give 937 full batches and one of 32), as PyTorch does by default.
public struct DataLoader: Sequence {
    public typealias Element = (images: Tensor, labels: [Int])

    public let dataset: MNISTDataset
    public let batchSize: Int
    public let shuffle: Bool
    public let generator: Generator

    public init(_ dataset: MNISTDataset, batchSize: Int = 64, shuffle: Bool, generator: Generator = Random.global) {
        precondition(batchSize > 0, "DataLoader: batchSize must be positive, got \(batchSize)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.generator = generator
    }

    /// The number of batches per epoch, as `len(loader)`.
    public var count: Int { (dataset.count + batchSize - 1) / batchSize }

    /// The order in which the next epoch visits the images (draws from the generator when
    /// shuffling).
    public func epochOrder() -> [Int] {
        shuffle ? generator.permutation(dataset.count) : Array(0..<dataset.count)
    }

    /// Starts an epoch.
    public func makeIterator() -> Iterator {
        Iterator(dataset: dataset, order: epochOrder(), batchSize: batchSize)
    }

    /// Walks one epoch's order, copying each batch's rows out of the dataset.
    public struct Iterator: IteratorProtocol {
        let dataset: MNISTDataset
        package let order: [Int]
        package let batchSize: Int
        package var position = 0

        public mutating func next() -> Element? {
            guard position < order.count else { return nil }
            let end = Swift.min(position + batchSize, order.count)
            let batch = dataset.gather(Array(order[position..<end]))
            position = end
            return batch
        }
    }
}
