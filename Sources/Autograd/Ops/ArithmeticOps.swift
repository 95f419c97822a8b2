import Kernels

/// Elementwise arithmetic with PyTorch's broadcasting, and its gradients.

enum BinaryKind: String {
    case add = "AddBackward0", sub = "SubBackward0", mul = "MulBackward0", div = "DivBackward0"

    @inline(__always) func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        }
    }
}

/// Forward of a broadcast binary operation (no recording).
func broadcastBinary(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) -> Tensor {
    if a.shape == b.shape {
        let out = Tensor(uninitialized: a.shape)
        let x = a.data, y = b.data, o = out.data
        // One loop per operation, so each is a plain vectorised loop (no switch per element).
        parallelFor(a.count) { range in
            switch kind {
            case .add: for i in range { o[i] = x[i] + y[i] }
            case .sub: for i in range { o[i] = x[i] - y[i] }
            case .mul: for i in range { o[i] = x[i] * y[i] }
            case .div: for i in range { o[i] = x[i] / y[i] }
            }
        }
        return out
    }
    let shape = Shape.broadcast(a.shape, b.shape, op: String(describing: kind))
    let out = Tensor(uninitialized: shape)
    let x = a.data, y = b.data, o = out.data
    Kernels.forEachBroadcast(shape, Kernels.broadcastStrides(a.shape, to: shape),
                             Kernels.broadcastStrides(b.shape, to: shape)) { i, ia, ib in
        o[i] = kind.apply(x[ia], y[ib])
    }
    return out
}

func binaryOp(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) -> Tensor {
    let out = broadcastBinary(a, b, kind)
    return out.recorded(kind.rawValue, inputs: [a, b]) { g in
        noGrad {
            switch kind {
            case .add:
                return [Tensor.sumToShape(g, a.shape), Tensor.sumToShape(g, b.shape)]
            case .sub:
                return [Tensor.sumToShape(g, a.shape), Tensor.sumToShape(-g, b.shape)]
            case .mul:
                return [a.requiresGrad ? Tensor.sumToShape(g * b.detach(), a.shape) : nil,
                        b.requiresGrad ? Tensor.sumToShape(g * a.detach(), b.shape) : nil]
            case .div:
                let ga = a.requiresGrad ? Tensor.sumToShape(g / b.detach(), a.shape) : nil
                let gb = b.requiresGrad
                    ? Tensor.sumToShape(-(g * a.detach()) / (b.detach() * b.detach()), b.shape) : nil
                return [ga, gb]
            }
        }
    }
}

extension Tensor {
    /// a + b. For equal shapes the sum is deferred, so that a `relu()` after it runs fused (AddReLU.swift).
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        guard a.shape == b.shape else { return binaryOp(a, b, .add) }
        return deferring(shape: a.shape, requiresGrad: wouldRecord([a, b]), inputs: [a, b], canApply: { $0.affine == nil }) { epilogue in
            epilogue.relu ? addThenReLU(a, b) : binaryOp(a, b, .add)
        }
    }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .sub) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .mul) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .div) }

    public static func + (a: Tensor, s: Float) -> Tensor { a.scalarOp("AddBackward1", slope: 1) { $0 + s } }
    public static func - (a: Tensor, s: Float) -> Tensor { a.scalarOp("SubBackward1", slope: 1) { $0 - s } }
    public static func * (a: Tensor, s: Float) -> Tensor { a.scalarOp("MulBackward1", slope: s) { $0 * s } }
    public static func / (a: Tensor, s: Float) -> Tensor { a.scalarOp("DivBackward1", slope: 1 / s) { $0 / s } }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static prefix func - (a: Tensor) -> Tensor { a.scalarOp("NegBackward0", slope: -1) { -$0 } }

    /// `+=` builds a new node, as PyTorch's out-of-place addition would (`out = out + x`).
    public static func += (a: inout Tensor, b: Tensor) { a = a + b }

    /// An operation with a scalar whose derivative is the constant `slope` (x + s, x * s, ...).
    private func scalarOp(_ name: String, slope: Float, _ f: @escaping (Float) -> Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let x = data, o = out.data
        parallelFor(count) { range in
            for i in range { o[i] = f(x[i]) }
        }
        return out.recorded(name, inputs: [self]) { g in
            [slope == 1 ? g : noGrad { g * slope }]
        }
    }
}
