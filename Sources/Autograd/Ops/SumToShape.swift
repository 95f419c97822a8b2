import Kernels

extension Tensor {
    /// Sums a gradient of the broadcast shape back down to an operand's own shape.
    static func sumToShape(_ gradient: Tensor, _ shape: [Int]) -> Tensor {
        if gradient.shape == shape { return gradient }
        let out = Tensor.zeros(shape)
        let strides = Kernels.broadcastStrides(shape, to: gradient.shape)
        let zero = [Int](repeating: 0, count: gradient.rank)
        let g = gradient.data, o = out.data
        Kernels.forEachBroadcast(gradient.shape, strides, zero) { flat, target, _ in
            o[target] += g[flat]
        }
        return out
    }
}
