/// Pure functions on float buffers. No autograd here: the operations in `Autograd/` call these.
public enum Kernels {}

extension Kernels {
    /// a[i] += b[i]
    static func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        parallelFor(count) { range in
            for i in range { a[i] += b[i] }
        }
    }

    /// out[i] = max(x[i], 0)
    static func relu(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        parallelFor(count) { range in
            for i in range { out[i] = max(x[i], 0) }
        }
    }

    /// gx[i] = y[i] > 0 ? gy[i] : 0, PyTorch's threshold backward (uses the output).
    static func reluBackward(_ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                             _ gx: UnsafeMutablePointer<Float>, count: Int) {
        parallelFor(count) { range in
            for i in range { gx[i] = y[i] > 0 ? gy[i] : 0 }
        }
    }

    /// Applies `f` elementwise: out[i] = f(x[i]).
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int,
                    _ f: (Float) -> Float) {
        for i in 0..<count { out[i] = f(x[i]) }
    }

    /// Sum of `count` floats accumulated in double precision (order fixed, so reproducible).
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) }
        return total
    }
}
