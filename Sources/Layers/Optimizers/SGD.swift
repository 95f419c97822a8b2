import Autograd

/// `optim.SGD` with optional momentum and weight decay (PyTorch's formulation: the first step
/// sets the momentum buffer to the gradient, later steps do buf = momentum * buf + g).
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var lr: Float
    public let momentum: Float, weightDecay: Float
    private var buffers: [Tensor?]

    public init(_ parameters: [Tensor], lr: Float, momentum: Float = 0, weightDecay: Float = 0) {
        precondition(lr >= 0, "SGD: learning rate must be non-negative, got \(lr)")
        self.parameters = parameters
        (self.lr, self.momentum, self.weightDecay) = (lr, momentum, weightDecay)
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        for (index, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let d = Tensor(uninitialized: p.shape)
            for i in 0..<p.count { d.data[i] = grad.data[i] + weightDecay * p.data[i] }
            if momentum != 0 {
                if let buffer = buffers[index] {
                    for i in 0..<p.count { buffer.data[i] = momentum * buffer.data[i] + d.data[i] }
                    d.copy(from: buffer)
                } else {
                    buffers[index] = d.clone()
                }
            }
            for i in 0..<p.count { p.data[i] -= lr * d.data[i] }
        }
    }
}
