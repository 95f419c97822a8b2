import Foundation
import Kernels

/// Elementwise functions of one tensor and their derivatives.
extension Tensor {
    /// max(x, 0). The gradient passes where the output is positive.
    public func relu() -> Tensor {
        // A deferred BatchNorm, sum or (in evaluation) convolution applies the ReLU as it writes.
        if let fused = folding(Epilogue(relu: true)) { return fused }
        let out = Tensor(uninitialized: shape)
        Kernels.relu(data, out.data, count: count)
        // Keep the output's memory, not the output tensor: the tensor owns this closure.
        let y = out.storage
        return out.recorded("ReluBackward0", inputs: [self]) { g in
            let gx = Tensor(uninitialized: g.shape)
            Kernels.reluBackward(y.pointer, g.data, gx.data, count: g.count)
            return [gx]
        }
    }

    /// |x|; the gradient is sign(x) (0 at 0, as PyTorch).
    public func abs() -> Tensor {
        unary("AbsBackward0", { Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) })
    }

    public func exp() -> Tensor {
        unary("ExpBackward0", { Foundation.exp($0) }, derivative: { _, y in y })
    }

    public func log() -> Tensor {
        unary("LogBackward0", { Foundation.log($0) }, derivative: { x, _ in 1 / x })
    }

    public func sqrt() -> Tensor {
        unary("SqrtBackward0", { $0.squareRoot() }, derivative: { _, y in 1 / (2 * y) })
    }

    public func square() -> Tensor {
        unary("PowBackward0", { $0 * $0 }, derivative: { x, _ in 2 * x })
    }

    /// Applies `f` elementwise; `derivative(x, y)` gives dy/dx from the input and the output.
    private func unary(_ name: String, _ f: @escaping (Float) -> Float,
                       derivative: @escaping (Float, Float) -> Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let x = data, outStorage = out.storage, y = out.data
        parallelFor(count) { range in
            for i in range { y[i] = f(x[i]) }
        }
        return out.recorded(name, inputs: [self]) { g in
            let gx = Tensor(uninitialized: g.shape)
            let gy = g.data, d = gx.data, y = outStorage.pointer
            for i in 0..<g.count { d[i] = gy[i] * derivative(x[i], y[i]) }
            return [gx]
        }
    }
}

/// `torch.relu(x)`, as the lesson writes it inside residual blocks.
public func relu(_ x: Tensor) -> Tensor { x.relu() }
