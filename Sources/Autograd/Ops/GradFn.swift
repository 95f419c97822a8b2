/// One recorded operation in the autograd graph: which tensors went in, and how to turn the
/// gradient of its output into gradients of those inputs (the chain rule for this operation).
final class GradFn {
    /// The operation's name, shown as `grad_fn=<...>` like PyTorch (`ConvolutionBackward`).
    let name: String
    /// The inputs, in the order `backward` returns their gradients.
    let inputs: [Tensor]
    /// Given dLoss/dOutput, returns dLoss/dInput for each input (nil where no gradient is needed).
    let backward: (Tensor) -> [Tensor?]

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations are being recorded. `noGrad { }` turns recording off for evaluation,
/// as `with torch.no_grad():` does. Like PyTorch's grad mode it is local to the running task
/// (thread), so one evaluation never switches recording off for work elsewhere.
public enum GradMode {
    @TaskLocal public static var isEnabled = true

    /// Runs `body` without recording operations, then restores the previous mode.
    @discardableResult
    public static func noGrad<T>(_ body: () throws -> T) rethrows -> T {
        try $isEnabled.withValue(false) { try body() }
    }
}

/// `noGrad { model(x) }`: evaluation without building a graph.
@discardableResult
public func noGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.noGrad(body)
}

extension Tensor {
    /// Attaches a recorded operation to a freshly computed output, when any input needs a gradient.
    /// Operations call this once with their output; it decides whether to record at all.
    func recorded(_ name: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        gradFn = GradFn(name: name, inputs: inputs, backward: backward)
        return self
    }
}
