import Foundation
import Autograd
import Layers
import Data

/// A model run over a dataset in order: the predicted class of each image, and how many were right.
public struct Evaluation {
    public var predictions: [Int]
    public var labels: [Int]
    /// The logits `[N, classes]` when asked for.
    public var logits: Tensor?
    public var correct: Int { zip(predictions, labels).filter { $0 == $1 }.count }
    public var total: Int { labels.count }
    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    /// `Test accuracy: 0.9871 (9871/10000)`.
    public var summary: String {
        "Test accuracy: \(String(format: "%.4f", accuracy)) (\(correct)/\(total))"
    }

    /// Evaluates in eval mode without gradients, in the dataset's order (the first `limit` images if
    /// given), `batchSize` images at a time, as `DataLoader(test, batch_size=64, shuffle=False)`.
    public static func run(model: any Module, dataset: MNISTDataset, limit: Int? = nil, batchSize: Int = 64,
                           keepLogits: Bool = false,
                           onBatch: ((_ done: Int, _ total: Int) -> Void)? = nil) -> Evaluation {
        let data = limit.map { dataset.subset(limit: $0) } ?? dataset
        model.eval()
        var predictions: [Int] = []
        var logitRows: [Float] = []
        var classes = 0
        noGrad {
            for (images, _) in DataLoader(data, batchSize: batchSize, shuffle: false) {
                let logits = model(images)
                classes = logits.shape[1]
                predictions += logits.argmax(dim: 1)
                if keepLogits { logitRows += logits.scalars }
                onBatch?(predictions.count, data.count)
            }
        }
        let logits = keepLogits ? Tensor(logitRows, shape: [predictions.count, classes]) : nil
        return Evaluation(predictions: predictions, labels: data.labels, logits: logits)
    }
}
