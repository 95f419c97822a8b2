import Kernels

/// relu(a + b) as one operation: what `(a + b).relu()` becomes when the sum is deferred (see
/// DeferredOutput.swift), at the end of every residual block. One pass over memory instead of
/// two, and the sum before the ReLU is never stored.
func addThenReLU(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = Tensor(uninitialized: a.shape)
    Kernels.addReLU(a.data, b.data, out.data, count: a.count)
    // Keep the output's memory, not the output tensor (the tensor owns this closure).
    let y = out.storage
    // Named as PyTorch names the last operation.
    return out.recorded("ReluBackward0", inputs: [a, b]) { g in
        let gx = Tensor(uninitialized: g.shape)
        Kernels.reluBackward(y.pointer, g.data, gx.data, count: g.count)
        return [gx, gx]   // d(a + b)/da = d(a + b)/db = 1
    }
}
