import Kernels

/// Operations that PyTorch runs as two kernels and this engine runs as one, because the
/// networks of the lesson use them back to back on every activation: the same numbers, one pass
/// over memory instead of two, and one stored activation fewer for the backward pass.
///
/// - `relu(a, plus: b)`: `F.relu(a + b)`, the end of every residual block.
/// - `bn(x, relu: true)` (in `BatchNormOp.swift`): `F.relu(bn(x))`.
/// - `conv(x, then: bn, relu: true)`: `F.relu(bn(conv(x)))`. In evaluation without gradients
///   BatchNorm is a fixed per-channel map, so the convolution applies it (and the ReLU) as it
///   writes its output; otherwise it is `bn(conv(x), relu: relu)`.

/// relu(a + b) for two tensors of the same shape.
public func relu(_ a: Tensor, plus b: Tensor) -> Tensor {
    guard a.shape == b.shape else { return relu(a + b) }   // broadcasting: the general path
    let out = Tensor(uninitialized: a.shape)
    Kernels.addReLU(a.data, b.data, out.data, count: a.count)
    // Keep the output's memory, not the output tensor (the tensor owns this closure).
    let y = out.storage
    return out.recorded("AddReluBackward", inputs: [a, b]) { g in
        let gx = Tensor(uninitialized: g.shape)
        Kernels.reluBackward(y.pointer, g.data, gx.data, count: g.count)
        return [gx, gx]   // d(a + b)/da = d(a + b)/db = 1
    }
}
