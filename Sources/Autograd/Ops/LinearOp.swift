import Kernels

/// `F.linear`: y = x W^T + b for x [N, in], W [out, in] (PyTorch's layout), b [out].
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(x.rank == 2 && x.shape[1] == weight.shape[1],
                 "linear: input \(Shape.text(x.shape)) does not match weight \(Shape.text(weight.shape)) (expected [N, \(weight.shape[1])])")
    let (n, inFeatures, outFeatures) = (x.shape[0], weight.shape[1], weight.shape[0])
    let out = Tensor(uninitialized: [n, outFeatures])
    if let bias {
        for row in 0..<n { (out.data + row * outFeatures).update(from: bias.data, count: outFeatures) }
    }
    Kernels.gemm(transposeB: true, m: n, n: outFeatures, k: inFeatures,
                 a: x.data, lda: inFeatures, b: weight.data, ldb: inFeatures,
                 beta: bias == nil ? 0 : 1, c: out.data, ldc: outFeatures)

    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return out.recorded("AddmmBackward0", inputs: inputs) { gy in
        var gx: Tensor?, gw: Tensor?, gb: Tensor?
        if x.requiresGrad {
            gx = Tensor(uninitialized: x.shape)
            Kernels.gemm(m: n, n: inFeatures, k: outFeatures, a: gy.data, lda: outFeatures,
                         b: weight.data, ldb: inFeatures, c: gx!.data, ldc: inFeatures)
        }
        if weight.requiresGrad {
            gw = Tensor(uninitialized: weight.shape)
            Kernels.gemm(transposeA: true, m: outFeatures, n: inFeatures, k: n, a: gy.data, lda: outFeatures,
                         b: x.data, ldb: inFeatures, c: gw!.data, ldc: inFeatures)
        }
        if let bias, bias.requiresGrad {
            gb = Tensor.zeros(bias.shape)
            for row in 0..<n { Kernels.addInPlace(gb!.data, gy.data + row * outFeatures, count: outFeatures) }
        }
        return [gx, gw] + (bias == nil ? [] : [gb])
    }
}
