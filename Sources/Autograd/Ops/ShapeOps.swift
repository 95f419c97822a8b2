import Kernels

/// Changing how elements are grouped into axes, without moving them.
extension Tensor {
    /// The same elements under a new shape (one axis may be -1), sharing memory like `view`.
    public func reshape(_ newShape: [Int]) -> Tensor {
        let resolved = Shape.resolve(newShape, count: count)
        let out = Tensor(shape: resolved, storage: storage)
        let inputShape = shape
        return out.recorded("ViewBackward0", inputs: [self]) { g in
            [Tensor(shape: inputShape, storage: g.storage)]
        }
    }

    public func reshape(_ newShape: Int...) -> Tensor { reshape(newShape) }

    /// `x.view(x.size(0), -1)` in PyTorch.
    public func view(_ newShape: Int...) -> Tensor { reshape(newShape) }

    /// Merges the axes from `startDim` on into one, as `torch.flatten(x, 1)`.
    public func flatten(startDim: Int = 0) -> Tensor {
        let start = normalizedAxis(startDim)
        return reshape(Array(shape[..<start]) + [shape[start...].reduce(1, *)])
    }
}
