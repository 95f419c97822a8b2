// What the VGG lesson measures inside the network: a fresh network on one real batch (InitProbe),
// and, during training, the training step itself at chosen batches (MechanismWatch).

import Core
import Foundation

/// The 13 convolutions of a VGG-16, nearest the input first.
func convolutions(of model: VGG16) -> [Conv2d] {
    model.features.namedModules().compactMap { $0.module as? Conv2d }
}

/// Fraction of a ReLU output's units that are zero for every image of the batch. A unit is one
/// channel at one position ([B, C, H, W] has C*H*W of them), as the PyTorch measurement counted.
func deadFraction(_ output: Tensor) -> Double {
    let images = output.shape[0], units = output.count / max(images, 1)
    var alive = [Bool](repeating: false, count: units)
    output.scalars.withUnsafeBufferPointer { values in
        for image in 0..<images {
            for unit in 0..<units where values[image * units + unit] > 0 { alive[unit] = true }
        }
    }
    return Double(alive.filter { !$0 }.count) / Double(max(units, 1))
}

/// What a fresh network does with one real batch: the mean ReLU output after each convolution,
/// and the norm of each convolution's weight gradient after one backward pass.
struct InitProbe {
    let reluMeans: [Double]
    let gradNorms: [Double]
    let loss: Double

    init(model: VGG16, images: Tensor, labels: [Int]) {
        model.train()
        // Forward hooks record every layer's output; the ReLUs of `features` follow the 13 convolutions.
        let trace = ForwardTrace(of: model)
        let lossTensor = crossEntropy(trace.run(model, images), labels)
        reluMeans = trace.records.filter { $0.module is ReLU && $0.name.hasPrefix("features.") }.map { Double($0.output!.mean().item()) }
        model.zeroGrad()
        lossTensor.backward()
        gradNorms = convolutions(of: model).map { Double($0.weight.grad?.norm().item() ?? 0) }
        loss = Double(lossTensor.item())
        model.zeroGrad()
    }
}

/// One watched training step, per convolution (index 0 = nearest the input).
struct WatchCheck: Codable, Equatable {
    let step: Int
    let loss: Double
    /// Fraction of the units after the convolution's ReLU that are zero for every image of the batch.
    let dead: [Double]
    /// ||W after the step - W before|| / ||W before||.
    let update: [Double]
    /// Norm of the weight gradient of the step.
    let gradNorm: [Double]

    var gradientRatio: Double { Exercise1_VGG.gradientRatio(firstNorm: gradNorm.first!, lastNorm: gradNorm.last!) }
}

/// Runs chosen training steps under a forward trace and compares the weights before and after,
/// so the watch sees dead units, update sizes and gradients of the very step that trained the
/// network (other steps run untouched, fused kernels and all). Saves what it saw after each check,
/// so an interrupted run keeps it.
final class MechanismWatch {
    /// The network being trained (set when it is built).
    var model: VGG16?
    private(set) var checks: [WatchCheck]
    let every: Int
    let file: URL

    /// `every`: check step 1 and every `every`-th step. Starts from the checks saved in `file` when resuming.
    init(every: Int, file: URL, resuming: Bool) {
        self.every = every
        self.file = file
        checks = resuming ? MechanismWatch.load(file) : []
    }

    static func load(_ file: URL) -> [WatchCheck] {
        (try? JSONDecoder().decode([WatchCheck].self, from: Data(contentsOf: file))) ?? []
    }

    func around(step: Int, _ body: () -> (loss: Double, correct: Int)) -> (loss: Double, correct: Int) {
        guard let model, step == 1 || step % every == 0 else { return body() }
        let convs = convolutions(of: model)
        let before = noGrad { convs.map { $0.weight.clone() } }
        let trace = ForwardTrace(of: model)
        let result = ForwardHooks.observing(trace) { body() }
        let relus = trace.records.filter { $0.module is ReLU && $0.name.hasPrefix("features.") }.compactMap(\.output)
        let update: [Double] = noGrad {
            zip(convs, before).map { conv, old in Double((conv.weight - old).norm().item()) / max(Double(old.norm().item()), 1e-30) }
        }
        checks.removeAll { $0.step >= step }
        checks.append(WatchCheck(step: step, loss: result.loss, dead: relus.map(deadFraction), update: update,
                                 gradNorm: convs.map { Double($0.weight.grad?.norm().item() ?? 0) }))
        try? JSONEncoder().encode(checks).write(to: file, options: .atomic)
        return result
    }
}

/// Median of some numbers (0 for none).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Moving average over `window` values (shorter at the start).
func movingAverage(_ values: [Double], window: Int = Threshold.window) -> [Double] {
    values.indices.map { windowMean(values, end: $0 + 1, window: window) }
}
