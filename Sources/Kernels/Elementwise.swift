import CKernels

/// Pure functions on float buffers. No autograd here: the operations in `Autograd/` call these.
public enum Kernels {}

extension Kernels {
    // The loops over every value are in C (CKernels.h), one instance per instruction set.

    /// a[i] += b[i]
    package static func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(count) { range in
            ck_add_in_place(isa, a + range.lowerBound, b + range.lowerBound, range.count)
        }
    }

    /// out[i] = a[i] + b[i]
    package static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(count) { range in
            ck_add(isa, a + range.lowerBound, b + range.lowerBound, out + range.lowerBound, range.count)
        }
    }

    /// out[i] = max(x[i], 0); NaN stays NaN, as torch.relu.
    package static func relu(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(count) { range in
            ck_relu(isa, x + range.lowerBound, out + range.lowerBound, range.count)
        }
    }

    /// gx[i] = y[i] <= 0 ? 0 : gy[i], PyTorch's threshold backward (uses the output; where the
    /// output is NaN the gradient passes, as in PyTorch).
    package static func reluBackward(_ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                             _ gx: UnsafeMutablePointer<Float>, count: Int) {
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(count) { range in
            ck_relu_backward(isa, y + range.lowerBound, gy + range.lowerBound, gx + range.lowerBound, range.count)
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
}

extension Kernels {
    /// out[i] = max(a[i] + b[i], 0); NaN stays NaN, as torch.relu.
    package static func addReLU(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                        count: Int) {
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(count) { range in
            ck_add_relu(isa, a + range.lowerBound, b + range.lowerBound, out + range.lowerBound, range.count)
        }
    }
}
