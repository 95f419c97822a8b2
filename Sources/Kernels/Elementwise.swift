/// Pure functions on float buffers. No autograd here: the operations in `Autograd/` call these.
public enum Kernels {}

extension Kernels {
    /// a[i] += b[i]
    package static func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        parallelFor(count) { range in
            for i in range { a[i] += b[i] }
        }
    }

    /// out[i] = max(x[i], 0)
    package static func relu(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        parallelFor(count) { range in
            var i = range.lowerBound
            let zero = SIMD4<Float>(repeating: 0)
            while i + 4 <= range.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD4<Float>.self)
                // NaN stays NaN (as torch.relu): select, rather than pointwise max.
                UnsafeMutableRawPointer(out + i).storeBytes(of: v.replacing(with: zero, where: v .< zero),
                                                            as: SIMD4<Float>.self)
                i += 4
            }
            while i < range.upperBound { out[i] = max(x[i], 0); i += 1 }
        }
    }

    /// gx[i] = y[i] <= 0 ? 0 : gy[i], PyTorch's threshold backward (uses the output; where the
    /// output is NaN the gradient passes, as in PyTorch).
    package static func reluBackward(_ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                             _ gx: UnsafeMutablePointer<Float>, count: Int) {
        // Explicit 4-wide compare-and-select: the scalar ternary did not vectorise (5% of a
        // ResNet-18 training step went here).
        parallelFor(count) { range in
            var i = range.lowerBound
            let zero = SIMD4<Float>(repeating: 0)
            while i + 4 <= range.upperBound {
                let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD4<Float>.self)
                let gv = UnsafeRawPointer(gy + i).loadUnaligned(as: SIMD4<Float>.self)
                UnsafeMutableRawPointer(gx + i).storeBytes(of: gv.replacing(with: zero, where: yv .<= zero),
                                                           as: SIMD4<Float>.self)
                i += 4
            }
            while i < range.upperBound { gx[i] = y[i] <= 0 ? 0 : gy[i]; i += 1 }
        }
    }

    /// Applies `f` elementwise: out[i] = f(x[i]).
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int,
                    _ f: (Float) -> Float) {
        for i in 0..<count { out[i] = f(x[i]) }
    }

    /// Sum of `count` floats accumulated in double precision. Eight running sums (one per SIMD
    /// lane) keep the loop vectorised; they are combined in a fixed order, so the result is
    /// reproducible.
    package static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= count {
            lanes += SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        var total = lanes.sum()
        while i < count { total += Double(x[i]); i += 1 }
        return total
    }

    /// Sum of (x[i] - mean)² in double precision, vectorised like `sum`.
    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Double) -> Double {
        var lanes = SIMD8<Double>()
        let mu = SIMD8<Double>(repeating: mean)
        var i = 0
        while i + 8 <= count {
            let d = SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)) - mu
            lanes += d * d
            i += 8
        }
        var total = lanes.sum()
        while i < count { let d = Double(x[i]) - mean; total += d * d; i += 1 }
        return total
    }
}

extension Kernels {
    /// out[i] = max(a[i] + b[i], 0); NaN stays NaN, as torch.relu.
    package static func addReLU(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
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
