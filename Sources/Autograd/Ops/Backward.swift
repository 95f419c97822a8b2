import Kernels

/// Reverse-mode differentiation: walks the recorded graph from a scalar back to the leaves.
extension Tensor {
    /// Computes the gradient of this scalar with respect to every leaf tensor that requires one,
    /// and adds it to that leaf's `.grad` (gradients accumulate, as in PyTorch, until zeroed).
    ///
    /// The graph is released afterwards (PyTorch's default `retain_graph=False`), which frees
    /// the activations each operation kept for its backward pass.
    public func backward(_ gradient: Tensor? = nil) {
        precondition(requiresGrad, "backward(): this tensor does not require grad; no operation on it was recorded")
        let seed: Tensor
        if let gradient {
            precondition(gradient.shape == shape,
                         "backward(): gradient shape \(Shape.text(gradient.shape)) does not match \(Shape.text(shape))")
            seed = gradient
        } else {
            precondition(count == 1, "backward(): grad can be implicitly created only for a scalar, got shape \(Shape.text(shape))")
            seed = Tensor.ones(shape)
        }

        let order = topologicalOrder()
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        // Gradients may be shared between inputs (an addition hands the same gradient to both
        // sides), so a sum is only written in place into a buffer this pass allocated itself.
        var owned = Set<ObjectIdentifier>()
        for tensor in order.reversed() {
            guard let gradOut = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
            guard let fn = tensor.gradFn else {
                tensor.accumulateGrad(gradOut)
                continue
            }
            let gradIns = fn.backward(gradOut)
            for (input, gradIn) in zip(fn.inputs, gradIns) {
                guard input.requiresGrad, let gradIn else { continue }
                precondition(gradIn.shape == input.shape,
                             "\(fn.name): gradient shape \(Shape.text(gradIn.shape)) does not match input \(Shape.text(input.shape))")
                let key = ObjectIdentifier(input)
                if let existing = pending[key] {
                    if owned.contains(ObjectIdentifier(existing)) {
                        Kernels.addInPlace(existing.data, gradIn.data, count: existing.count)
                    } else {
                        // One pass into a new buffer (a copy and then an add in place would be two).
                        let sum = Tensor(uninitialized: existing.shape)
                        Kernels.add(existing.data, gradIn.data, sum.data, count: sum.count)
                        owned.insert(ObjectIdentifier(sum))
                        pending[key] = sum
                    }
                } else {
                    pending[key] = gradIn
                }
            }
        }
        for tensor in order where tensor.gradFn != nil { tensor.gradFn = nil }
    }

    /// Adds a gradient into `.grad` of a leaf (a private copy on first use, since the same
    /// gradient tensor may be handed to several leaves).
    private func accumulateGrad(_ gradient: Tensor) {
        if let grad {
            Kernels.addInPlace(grad.data, gradient.data, count: count)
        } else {
            grad = Tensor(shape: shape, storage: gradient.clone().storage)
        }
    }

    /// Every tensor reachable from this one through recorded operations, inputs before outputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep networks would overflow a recursive one.
        var stack: [(tensor: Tensor, expanded: Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradFn?.inputs ?? [] where input.requiresGrad {
                if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order
    }
}
