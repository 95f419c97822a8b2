import Foundation
import Core

/// The two things `ModelTool` does, as functions tests and other tools can call directly:
/// training steps exactly as PyTorch takes them, and evaluation in file order.
public enum Stepping {
    /// One training batch: images `[B, C, H, W]` and their classes.
    public typealias Batch = (images: Tensor, labels: [Int])

    /// The batches of a batch file (`x` float32 and `labels` int64, as a PyTorch script saves them with
    /// `save_file({"x": x, "labels": labels}, path)`): `x` `[B, C, H, W]` with `labels` `[B]` is one step;
    /// `x` `[S, B, C, H, W]` with `labels` `[S, B]` is S consecutive steps.
    ///
    /// - Parameter sampleShape: the shape one image must have (`[1, 32, 32]` for the lesson's networks);
    ///   nil accepts any.
    public static func batches(from dict: StateDict, file: String, sampleShape: [Int]? = [1, 32, 32]) throws -> [Batch] {
        guard let x = dict["x"] else {
            throw CoreError("\(file) has no tensor 'x' (the images, float32 [B,C,H,W] or [S,B,C,H,W]); it holds: "
                            + dict.keys.prefix(8).joined(separator: ", "))
        }
        guard let labels = dict["labels"] else {
            throw CoreError("\(file) has no tensor 'labels' (int64 [B] or [S,B]); it holds: "
                            + dict.keys.prefix(8).joined(separator: ", "))
        }
        let (steps, perStep, sample): (Int, Int, [Int])
        switch x.rank {
        case 4:
            guard labels.shape == [x.shape[0]] else {
                throw CoreError("\(file): x is \(Shape.text(x.shape)), so labels must be [\(x.shape[0])], not \(Shape.text(labels.shape))")
            }
            (steps, perStep, sample) = (1, x.shape[0], Array(x.shape[1...]))
        case 5:
            guard labels.shape == [x.shape[0], x.shape[1]] else {
                throw CoreError("\(file): x is \(Shape.text(x.shape)), so labels must be [\(x.shape[0]), \(x.shape[1])], not \(Shape.text(labels.shape))")
            }
            (steps, perStep, sample) = (x.shape[0], x.shape[1], Array(x.shape[2...]))
        default:
            throw CoreError("\(file): x must be [B,C,H,W] (one step) or [S,B,C,H,W] (S steps), not \(Shape.text(x.shape))")
        }
        guard steps > 0, perStep > 0 else { throw CoreError("\(file): x \(Shape.text(x.shape)) holds no images") }
        if let sampleShape, sample != sampleShape {
            throw CoreError("\(file): each image is \(Shape.text(sample)), but the lesson's networks take \(Shape.text(sampleShape)) "
                            + "(MNIST padded to 32x32)")
        }
        if dict.dtype(of: "labels") != .int64 {
            throw CoreError("\(file): labels must be int64 (torch.long), as CrossEntropyLoss takes them")
        }
        let classes = labels.scalars.map { Int($0) }
        if let bad = classes.firstIndex(where: { $0 < 0 }) {
            throw CoreError("\(file): label \(bad) is \(classes[bad]); class indices must be non-negative")
        }
        let size = Shape.count(sample)
        return (0..<steps).map { s in
            let images = Tensor(uninitialized: [perStep] + sample)
            images.data.update(from: x.data + s * perStep * size, count: perStep * size)
            return (images, Array(classes[(s * perStep)..<((s + 1) * perStep)]))
        }
    }

    /// What `runSteps` did: the loss of each step and the last step's gradients under parameter names.
    public struct StepResult {
        public var losses: [Double]
        public var gradients: StateDict
    }

    /// Consecutive training steps as PyTorch's loop takes them: train mode; for each batch forward,
    /// `CrossEntropyLoss`, `zero_grad`, backward, `optimizer.step()`. One optimiser carries its moments from
    /// step to step. BatchNorm running statistics are updated by each forward, as in PyTorch.
    ///
    /// - Parameters:
    ///   - optimizer: the Adam to use (e.g. one restored from a checkpoint); a fresh `Adam(lr:)` if nil.
    ///   - onStep: called after each step with its number (1-based) and loss.
    public static func runSteps(model: any Module, batches: [Batch], lr: Double = 1e-3, optimizer: Adam? = nil,
                                onStep: ((Int, Double) -> Void)? = nil) throws -> StepResult {
        let adam = optimizer ?? Adam(model.parameters(), lr: lr)
        let lossFunction = CrossEntropyLoss()
        model.train()
        var losses: [Double] = []
        for (index, batch) in batches.enumerated() {
            let logits = model(batch.images)
            guard logits.rank == 2, logits.shape[0] == batch.labels.count else {
                throw CoreError("the model's output is \(Shape.text(logits.shape)), not [\(batch.labels.count), classes]")
            }
            if let bad = batch.labels.first(where: { $0 >= logits.shape[1] }) {
                throw CoreError("label \(bad) is out of range: the model has \(logits.shape[1]) classes")
            }
            let loss = lossFunction(logits, batch.labels)
            adam.zeroGrad()
            loss.backward()
            adam.step()
            let value = Double(loss.item())
            losses.append(value)
            onStep?(index + 1, value)
        }
        return StepResult(losses: losses, gradients: gradients(of: model))
    }

    /// Every parameter's current gradient under its parameter name (zeros where a parameter has none,
    /// i.e. did not take part in the loss).
    public static func gradients(of model: any Module) -> StateDict {
        var dict = StateDict()
        for (name, parameter) in model.namedParameters() {
            dict.set(name, parameter.grad?.clone() ?? Tensor.zeros(parameter.shape))
        }
        return dict
    }
}
