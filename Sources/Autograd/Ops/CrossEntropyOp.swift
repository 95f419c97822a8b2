import Foundation
import Kernels

/// `F.cross_entropy` with mean reduction: log-softmax of the logits, then the mean negative
/// log-likelihood of the true classes. logits [N, C], labels N class indices.
public func crossEntropy(_ logits: Tensor, _ labels: [Int]) -> Tensor {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "crossEntropy: logits \(Shape.text(logits.shape)) do not match \(labels.count) labels")
    let (n, classes) = (logits.shape[0], logits.shape[1])
    precondition(n > 0, "crossEntropy: empty batch")
    let probabilities = Tensor(uninitialized: logits.shape)
    var total = 0.0
    for row in 0..<n {
        let label = labels[row]
        precondition(label >= 0 && label < classes, "crossEntropy: label \(label) is outside 0..<\(classes)")
        let z = logits.data + row * classes, p = probabilities.data + row * classes
        var largest = -Float.infinity
        for j in 0..<classes { largest = max(largest, z[j]) }
        var sumExp: Float = 0
        for j in 0..<classes { p[j] = Foundation.exp(z[j] - largest); sumExp += p[j] }
        let logSumExp = Foundation.log(sumExp)
        total += Double(-(z[label] - largest - logSumExp))
        for j in 0..<classes { p[j] /= sumExp }
    }
    let loss = Tensor.scalar(Float(total / Double(n)))
    return loss.recorded("NllLossBackward0", inputs: [logits]) { g in
        // d(mean loss)/dz = (softmax(z) - onehot(label)) / N
        let gx = Tensor(uninitialized: logits.shape)
        let scale = g.item() / Float(n)
        for row in 0..<n {
            for j in 0..<classes {
                let target: Float = j == labels[row] ? 1 : 0
                gx.data[row * classes + j] = (probabilities.data[row * classes + j] - target) * scale
            }
        }
        return [gx]
    }
}
