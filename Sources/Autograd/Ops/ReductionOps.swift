import Kernels

/// Sums, means, maxima and norms, along all axes or one.
extension Tensor {
    /// Sum of all elements, a 0-d tensor (`x.sum()`).
    public func sum() -> Tensor {
        let out = Tensor.scalar(Float(Kernels.sum(data, count: count)))
        let inputShape = shape
        return out.recorded("SumBackward0", inputs: [self]) { g in
            [Tensor.full(inputShape, g.item())]
        }
    }

    /// Mean of all elements (`x.mean()`).
    public func mean() -> Tensor {
        precondition(count > 0, "mean(): the tensor is empty")
        return sum() / Float(count)
    }

    /// Sum along one axis (`x.sum(dim=1, keepdim=...)`).
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor {
        let axis = normalizedAxis(dim)
        let (outer, length, inner) = splitAround(axis)
        var keptShape = shape
        keptShape[axis] = 1
        let out = Tensor.zeros(keptShape)
        let x = data, o = out.data
        for a in 0..<outer {
            for j in 0..<length {
                let row = x + (a * length + j) * inner
                let target = o + a * inner
                for b in 0..<inner { target[b] += row[b] }
            }
        }
        let result = keepDim ? out : out.reshape(shape.enumerated().filter { $0.offset != axis }.map(\.element))
        let inputShape = shape
        return result.detach().recorded("SumBackward1", inputs: [self]) { g in
            noGrad { [Tensor.zeros(inputShape) + g.reshape(keptShape)] }
        }
    }

    /// Mean along one axis.
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor {
        sum(dim: dim, keepDim: keepDim) / Float(size(dim))
    }

    /// Largest value and its index along an axis (`torch.max(x, 1)`); the first index wins ties.
    public func max(dim: Int) -> (values: Tensor, indices: [Int]) {
        let axis = normalizedAxis(dim)
        let (outer, length, inner) = splitAround(axis)
        precondition(length > 0, "max(dim:): axis \(dim) of shape \(Shape.text(shape)) is empty")
        var outShape = shape
        outShape.remove(at: axis)
        let values = Tensor(uninitialized: outShape)
        var indices = [Int](repeating: 0, count: outer * inner)
        let x = data
        for a in 0..<outer {
            for b in 0..<inner {
                var best = x[a * length * inner + b], bestIndex = 0
                for j in 1..<length {
                    let v = x[(a * length + j) * inner + b]
                    if v > best || (v.isNaN && !best.isNaN) { best = v; bestIndex = j }
                }
                values.data[a * inner + b] = best
                indices[a * inner + b] = bestIndex
            }
        }
        return (values, indices)
    }

    /// Index of the largest value along an axis (`x.argmax(dim=1)`).
    public func argmax(dim: Int) -> [Int] { max(dim: dim).indices }

    /// Euclidean (Frobenius) norm of all elements, `x.norm()`.
    public func norm() -> Tensor {
        var total = 0.0
        for i in 0..<count { total += Double(data[i]) * Double(data[i]) }
        let value = Float(total.squareRoot())
        let out = Tensor.scalar(value)
        let input = self
        return out.recorded("NormBackward1", inputs: [self]) { g in
            noGrad { [value == 0 ? Tensor.zeros(input.shape) : input.detach() * (g.item() / value)] }
        }
    }

    /// (product of axes before, size of the axis, product of axes after) around `axis`.
    func splitAround(_ axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }
}
