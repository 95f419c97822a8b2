// The VGG lesson's small helpers: the variants it trains and their names, where the watch's
// numbers are saved, how classes are named, the watch's table and live line, the receptive field.

import Core
import Foundation
import LessonKit

// MARK: - Variants, names, small helpers

/// One way to set up VGG-16: initialisation, BatchNorm, learning rate, optimiser.
struct Variant {
    let kaiming: Bool
    let batchNorm: Bool
    let lr: Double
    var optimizer: OptimizerChoice = .adam

    /// The three networks the initialisation probe compares (the learning rate does not change them).
    static let probed = [Variant(kaiming: false, batchNorm: false, lr: 0.001),
                         Variant(kaiming: true, batchNorm: false, lr: 0.001),
                         Variant(kaiming: false, batchNorm: true, lr: 0.001)]

    func make() -> VGG16 {
        let model = VGG16(batchNorm: batchNorm)
        if kaiming { model.kaimingInit() }
        return model
    }

    func sameNetwork(as other: Variant) -> Bool { kaiming == other.kaiming && batchNorm == other.batchNorm }

    var networkLabel: String {
        (kaiming ? "He (kaiming) init" : "PyTorch default init") + (batchNorm ? " + BatchNorm" : ", no BatchNorm")
    }
    var shortLabel: String {
        var parts = [kaiming ? "kaiming init" : "default init"]
        if batchNorm { parts.append("BatchNorm") }
        parts.append((optimizer == .adam ? "Adam" : "SGD") + " lr \(String(format: "%g", lr))")
        return parts.joined(separator: ", ")
    }
    var checkpointName: String {
        "vgg16" + (batchNorm ? "_bn" : "") + (kaiming ? "_kaiming" : "") + (optimizer == .sgd ? "_sgd" : "")
            + (lr == optimizer.defaultLR ? "" : "_lr\(String(format: "%g", lr))")
    }

    /// The variant a saved run was trained as, from its checkpoint name and settings.
    static func parse(_ name: String, history: TrainingHistory) -> Variant {
        let optimizer: OptimizerChoice = name.contains("_sgd") ? .sgd : .adam
        return Variant(kaiming: name.contains("_kaiming"), batchNorm: name.contains("_bn"),
                       lr: Double(history.settings["lr"] ?? "") ?? optimizer.defaultLR, optimizer: optimizer)
    }

    static func label(forCheckpoint name: String, history: TrainingHistory) -> String {
        parse(name, history: history).shortLabel
    }
}

/// Where a run's watch measurements are saved: beside its checkpoint, `<stem>.watch.json`.
func watchFile(of run: TrainingRun) -> URL {
    URL(fileURLWithPath: run.checkpointPath).deletingPathExtension().appendingPathExtension("watch.json")
}

/// The watch measures the step of batch 1 and of every this-many batches.
func watchEvery(quick: Bool) -> Int { quick ? 4 : 20 }

/// A class as the narration names it: "digit 1" on MNIST, "Trouser" on Fashion-MNIST.
func className(_ label: Int, _ kind: DatasetKind) -> String {
    let fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    return kind == .mnist ? "digit \(label)" : "\"\(fashion[label])\""
}

/// Up to 12 of the watched steps, evenly spread, as a table.
func watchTable(_ checks: [WatchCheck]) -> String {
    let stride = max(1, (checks.count + 11) / 12)
    let shown = checks.indices.filter { $0 % stride == 0 || $0 == checks.count - 1 }.map { checks[$0] }
    // Right-aligned columns: String(format:) does not pad strings on Linux.
    func row(_ cells: [String]) -> String {
        zip(cells, [5, 8, 13, 8, 8, 9, 16, 9, 21]).map { String(repeating: " ", count: max(0, $1 - $0.count)) + $0 }.joined()
    }
    return ([row(["batch", "loss", "dead: conv 1", "conv 5", "conv 9", "conv 13", "update: conv 1", "conv 13", "gradient ratio 13/1"])]
        + shown.map { c in
            row([String(c.step), String(format: "%.3f", c.loss), percent(c.dead[0]), percent(c.dead[4]), percent(c.dead[8]),
                 percent(c.dead[12]), sci(c.update.first!), sci(c.update.last!), c.gradientRatio.isNaN ? "both 0" : String(format: "%.3g", c.gradientRatio)])
        }).joined(separator: "\n")
}

/// The line the watch prints at a loss check (and, at a confirmed stall, what to do about it).
func watchLine(_ event: LossWatch.Event, latest: WatchCheck?, stopping: Bool) -> String {
    let head = "  [watch] batches \(event.firstBatch)-\(event.lastBatch): mean loss \(Format.fixed(event.meanLoss, 4)), accuracy \(Format.fixed(100 * event.accuracy, 1))%"
    switch event.state {
    case .learning: return head + ". Below ln 10: the network is learning."
    case .moving: return head + "."
    case .plateau: return head + ": at ln 10, the loss of a uniform guess."
    case .stall:
        let measured = latest.map { c in
            "At batch \(c.step) the watch measured: conv \(watchedLayer) dead units \(percent(c.dead[watchedLayer - 1])), first conv moved by \(sci(c.update.first!)) "
                + "of its norm and the last by \(sci(c.update.last!)), first conv's gradient \(gradientGap(c.gradientRatio))."
        } ?? ""
        let next = stopping ? "--stop-on-stall: stopping here; the lesson finishes with the run so far."
            : "To finish the lesson with the run so far, run it again with --stop-on-stall; or press Ctrl-C to stop and save it (--resume continues it later)."
        return head + ".\n    Still at ln 10 after \(event.lastBatch) batches. \(measured) Section 6 reads these numbers.\n    \(next)"
    }
}

/// Receptive field of one output pixel of two stacked 3x3 convolutions and of one 5x5, measured by
/// backpropagating that pixel to the input and counting the rows with a non-zero gradient.
func measuredReceptiveField() -> (twoThrees: Int, oneFive: Int) {
    func extent(_ layers: [Conv2d]) -> Int {
        let size = 11
        let input = Tensor.randn([1, 4, size, size], requiresGrad: true)
        var x = input
        for layer in layers { x = layer(x) }
        var mask = [Float](repeating: 0, count: x.count)
        mask[(size / 2) * size + size / 2] = 1                  // channel 0, centre pixel
        (x * Tensor(mask, shape: x.shape)).sum().backward()
        let grad = input.grad!.scalars
        return (0..<size).filter { r in (0..<4).contains { c in (0..<size).contains { grad[(c * size + r) * size + $0] != 0 } } }.count
    }
    return (extent([Conv2d(4, 4, kernelSize: 3, padding: 1), Conv2d(4, 4, kernelSize: 3, padding: 1)]),
            extent([Conv2d(4, 4, kernelSize: 5, padding: 2)]))
}
