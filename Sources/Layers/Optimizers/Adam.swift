import Foundation
import Kernels
import Autograd

/// `optim.Adam` with PyTorch's defaults and its exact update order (the single-tensor path):
///
///     m = m + (g - m)(1 - beta1)                 (lerp)
///     v = v * beta2 + (1 - beta2) g^2
///     p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public var lr: Double
    /// Hyper-parameters are doubles, as the Python floats PyTorch receives.
    public let beta1: Double, beta2: Double, eps: Float, weightDecay: Float
    /// Steps taken so far (PyTorch keeps one per parameter; they are always equal here).
    public private(set) var stepCount = 0
    /// First and second moment estimates (`exp_avg`, `exp_avg_sq`), one per parameter.
    public private(set) var expAvg: [Tensor]
    public private(set) var expAvgSq: [Tensor]

    public init(_ parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                eps: Float = 1e-8, weightDecay: Float = 0) {
        precondition(lr >= 0, "Adam: learning rate must be non-negative, got \(lr)")
        self.parameters = parameters
        (self.lr, self.beta1, self.beta2, self.eps, self.weightDecay) = (lr, betas.0, betas.1, eps, weightDecay)
        expAvg = parameters.map { Tensor.zeros($0.shape) }
        expAvgSq = parameters.map { Tensor.zeros($0.shape) }
    }

    public func step() {
        stepCount += 1
        // Bias corrections in double precision, as Python computes them.
        let t = Double(stepCount)
        let stepSize = Float(lr / (1 - pow(beta1, t)))
        let correction2Sqrt = Float((1 - pow(beta2, t)).squareRoot())
        for (index, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            update(p.data, grad.data, expAvg[index].data, expAvgSq[index].data, count: p.count,
                   stepSize: stepSize, correction2Sqrt: correction2Sqrt)
        }
    }

    private func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, count: Int,
                        stepSize: Float, correction2Sqrt: Float) {
        // 1 - beta is formed in double and rounded once, as Python does before PyTorch sees it.
        let (b2, eps, decay) = (Float(beta2), eps, weightDecay)
        let weight = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        // Eight parameters per step in SIMD registers: the compiler cannot prove the four
        // buffers do not overlap, so it would not vectorise the scalar loop. Lane arithmetic is
        // the scalar IEEE arithmetic (no fused multiply-add), so the results are identical.
        @inline(__always) func lanes(_ i: Int) {
            @inline(__always) func load(_ x: UnsafePointer<Float>) -> SIMD8<Float> {
                UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            }
            let param = load(p)
            let grad = decay == 0 ? load(g) : load(g) + decay * param
            let mean = load(m) + weight * (grad - load(m))
            let square = load(v) * b2 + oneMinusB2 * grad * grad
            let denom = square.squareRoot() / correction2Sqrt + eps
            UnsafeMutableRawPointer(m + i).storeBytes(of: mean, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: square, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: param - stepSize * (mean / denom), as: SIMD8<Float>.self)
        }
        parallelFor(count) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound { lanes(i); i += 8 }
            while i < range.upperBound {
                let grad = decay == 0 ? g[i] : g[i] + decay * p[i]
                m[i] = m[i] + weight * (grad - m[i])
                v[i] = v[i] * b2 + oneMinusB2 * grad * grad
                let denom = v[i].squareRoot() / correction2Sqrt + eps
                p[i] = p[i] - stepSize * (m[i] / denom)
                i += 1
            }
        }
    }

    /// Restores the optimiser's state (for resuming a run).
    public func restore(stepCount: Int, expAvg: [Tensor], expAvgSq: [Tensor]) {
        precondition(expAvg.count == parameters.count && expAvgSq.count == parameters.count,
                     "Adam.restore: expected \(parameters.count) moment tensors")
        self.stepCount = stepCount
        for i in parameters.indices {
            self.expAvg[i].copy(from: expAvg[i])
            self.expAvgSq[i].copy(from: expAvgSq[i])
        }
    }
}
