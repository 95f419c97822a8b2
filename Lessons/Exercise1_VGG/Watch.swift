// Helpers of the VGG lesson: measuring activations and gradients of a freshly initialised network,
// and averaging the per-batch numbers the live watch collects.

import Core
import Foundation

/// What one freshly initialised network does with one real batch: the mean ReLU output after
/// each convolution, and the norm of each convolution's weight gradient after one backward pass.
struct InitProbe {
    let convNames: [String]
    let reluMeans: [Double]
    let gradNorms: [Double]
    let loss: Double

    init(model: VGG16, images: Tensor, labels: [Int]) {
        model.train()
        // Watch every layer run (forward hooks): each convolution, and the ReLU after it.
        let trace = ForwardTrace(of: model)
        let logits = trace.run(model, images)
        let convs = trace.records.filter { $0.module is Conv2d }
        let names = convs.map(\.name)
        let means = trace.records.filter { $0.module is ReLU && $0.name.hasPrefix("features.") }.map { Double($0.output!.mean().item()) }
        let lossTensor = crossEntropy(logits, labels)
        model.zeroGrad()
        lossTensor.backward()
        convNames = names
        reluMeans = means
        gradNorms = convs.map { Double(($0.module as! Conv2d).weight.grad?.norm().item() ?? 0) }
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
