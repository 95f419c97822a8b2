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

extension Conv2d {
    /// `relu(norm(conv(x)))` (without `relu`: `norm(conv(x))`; without `norm`: `relu(conv(x))`).
    public func callAsFunction(_ input: Tensor, then norm: BatchNorm2d?, relu: Bool = false) -> Tensor {
        if let norm {
            precondition(norm.numFeatures == outChannels,
                         "BatchNorm2d(\(norm.numFeatures)) cannot follow a convolution with \(outChannels) output channels")
        }
        // Fused only when nothing would be recorded: a trainable BatchNorm after a frozen
        // convolution still needs its graph.
        let trainable = parameters().contains { $0.requiresGrad } || (norm?.parameters().contains { $0.requiresGrad } ?? false)
        let recording = GradMode.isEnabled && (input.requiresGrad || trainable)
        guard !recording, !(norm?.isTraining ?? false) else {
            let out = self(input)
            if let norm { return norm(out, relu: relu) }
            return relu ? out.relu() : out
        }
        return conv2dFused(input, weight: weight, bias: bias, stride: stride, padding: padding,
                           affine: norm?.evaluationMap, relu: relu)
    }
}

extension Kernels {
    /// out[i] = max(a[i] + b[i], 0); NaN stays NaN, as torch.relu.
    static func addReLU(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                        count: Int) {
        parallelFor(count) { range in
            var i = range.lowerBound
            let zero = SIMD8<Float>(repeating: 0)
            while i + 8 <= range.upperBound {
                var v = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                    + UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
                v.replace(with: zero, where: v .< zero)
                UnsafeMutableRawPointer(out + i).storeBytes(of: v, as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound { let v = a[i] + b[i]; out[i] = v < 0 ? 0 : v; i += 1 }
        }
    }
}
