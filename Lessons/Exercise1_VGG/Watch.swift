// Helpers of the VGG lesson: watching the loss batch by batch while the shared training loop runs,
// and measuring activations and gradients of a freshly initialised network.

import Core
import Foundation

/// Wraps a network so the lesson can see every training batch's loss and accuracy *while*
/// TrainingRun's loop trains it (that loop offers no per-batch callback).
///
/// The wrapper is invisible to the rest: same parameters, names, printout and checkpoint as the
/// network inside. In training mode it adds a zero tensor to the logits; after `loss.backward()`
/// that tensor's gradient is dLoss/dlogits = (softmax - onehot(label)) / N, whose one negative
/// entry per row is the label. At the next call the wrapper reads it back, so each batch is
/// reported one forward pass late (the last one at the first evaluation batch, or by `flush()`).
final class LossWatcher: Module {
    let inner: any Module
    /// Called for every training batch: (batch number counted over all epochs, loss, accuracy).
    var onBatch: ((Int, Double, Double) -> Void)?
    private(set) var batchLosses: [Double] = []
    private(set) var batchAccuracies: [Double] = []
    /// How often each class was predicted in evaluation mode (the test set).
    private(set) var evalPredictions = [Int](repeating: 0, count: 10)
    private var pending: (logits: [Float], classes: Int, probe: Tensor)?

    init(_ inner: any Module) { self.inner = inner }

    var isTraining: Bool {
        get { inner.isTraining }
        set { let module = inner; module.isTraining = newValue }
    }
    var typeName: String { inner.typeName }
    var extraDescription: String { inner.extraDescription }
    var children: [(name: String, module: any Module)] { inner.children }
    var ownParameters: [(name: String, tensor: Tensor)] { inner.ownParameters }
    var ownBuffers: [(name: String, tensor: Tensor, dtype: DType)] { inner.ownBuffers }

    func forward(_ input: Tensor) -> Tensor {
        flush()
        let logits = inner(input)
        if isTraining && GradMode.isEnabled {
            let probe = Tensor.zeros(logits.shape, requiresGrad: true)
            pending = (logits.scalars, logits.size(1), probe)
            return logits + probe
        }
        if !isTraining {
            for predicted in logits.argmax(dim: 1) where predicted < evalPredictions.count {
                evalPredictions[predicted] += 1
            }
        }
        return logits
    }

    /// Settles the batch whose backward pass has run (if any).
    func flush() {
        guard let (logits, classes, probe) = pending else { return }
        pending = nil
        guard let grad = probe.grad?.scalars else { return }
        let rows = logits.count / classes
        var lossSum = 0.0, correct = 0
        for row in 0..<rows {
            let z = logits[row * classes..<(row + 1) * classes].map(Double.init)
            let g = grad[row * classes..<(row + 1) * classes]
            let label = g.indices.min { g[$0] < g[$1] }! - row * classes
            let top = z.max()!
            let logSum = top + log(z.reduce(0) { $0 + exp($1 - top) })
            lossSum += logSum - z[label]
            if z.indices.max(by: { z[$0] < z[$1] }) == label { correct += 1 }
        }
        let loss = lossSum / Double(rows), accuracy = Double(correct) / Double(rows)
        batchLosses.append(loss)
        batchAccuracies.append(accuracy)
        onBatch?(batchLosses.count, loss, accuracy)
    }

    func resetEvalPredictions() { evalPredictions = [Int](repeating: 0, count: 10) }
}

/// What one freshly initialised network does with one real batch: the mean ReLU output after
/// each convolution, and the norm of each convolution's weight gradient after one backward pass.
struct InitProbe {
    let convNames: [String]
    let reluMeans: [Double]
    let gradNorms: [Double]
    let loss: Double

    init(model: VGG16, images: Tensor, labels: [Int]) {
        model.train()
        var names: [String] = [], means: [Double] = []
        var convs: [Conv2d] = []
        var x = images
        for (blockIndex, block) in model.features.layers.enumerated() {
            guard let block = block as? Sequential else { x = block(x); continue }
            for (layerIndex, layer) in block.layers.enumerated() {
                x = layer(x)
                if let conv = layer as? Conv2d {
                    convs.append(conv)
                    names.append("features.\(blockIndex).\(layerIndex)")
                }
                if layer is ReLU { means.append(Double(x.mean().item())) }
            }
        }
        let logits = model.classifier(x.view(x.size(0), -1))
        let lossTensor = crossEntropy(logits, labels)
        model.zeroGrad()
        lossTensor.backward()
        convNames = names
        reluMeans = means
        gradNorms = convs.map { Double($0.weight.grad?.norm().item() ?? 0) }
        loss = Double(lossTensor.item())
        model.zeroGrad()
    }
}

/// Mean of the last `window` values ending at index `end` (exclusive).
func windowMean(_ values: [Double], end: Int, window: Int) -> Double {
    let start = max(0, end - window)
    guard end > start else { return .nan }
    return values[start..<end].reduce(0, +) / Double(end - start)
}

/// Moving average over `window` values (shorter at the start).
func movingAverage(_ values: [Double], window: Int) -> [Double] {
    values.indices.map { windowMean(values, end: $0 + 1, window: window) }
}
