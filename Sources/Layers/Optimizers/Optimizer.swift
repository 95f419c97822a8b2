import Autograd

/// What every optimiser offers: a step that updates the parameters from their `.grad`,
/// and `zeroGrad()` to clear the gradients before the next backward pass.
public protocol Optimizer: AnyObject {
    var parameters: [Tensor] { get }
    func step()
}

extension Optimizer {
    /// Clears the gradients (PyTorch's default `set_to_none=True`).
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }
}
