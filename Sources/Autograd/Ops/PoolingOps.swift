import Kernels

/// `F.max_pool2d`: the largest value in each kernel x kernel window.
public func maxPool2d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    precondition(x.rank == 4, "maxPool2d: expected input [N, C, H, W], got \(Shape.text(x.shape))")
    let g = PoolGeometry(planes: x.shape[0] * x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: kernelSize, stride: stride ?? kernelSize, padding: padding)
    precondition(g.outHeight > 0 && g.outWidth > 0,
                 "maxPool2d: input \(Shape.text(x.shape)) is too small for kernel \(kernelSize)")
    let out = Tensor(uninitialized: [x.shape[0], x.shape[1], g.outHeight, g.outWidth])
    let argmax = UnsafeMutablePointer<Int32>.allocate(capacity: max(out.count, 1))
    Kernels.maxPool(x.data, out.data, argmax, g)
    let winners = WinnerIndices(argmax)
    let recorded = out.recorded("MaxPool2DWithIndicesBackward0", inputs: [x]) { gy in
        let gx = Tensor(uninitialized: x.shape)
        Kernels.maxPoolBackward(gy.data, winners.pointer, gx.data, g)
        return [gx]
    }
    return recorded
}

/// Owns the argmax indices of a max-pool for as long as its backward may need them.
private final class WinnerIndices {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}

/// `F.adaptive_avg_pool2d`: averages each input plane down to `outputSize` cells.
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int) = (1, 1)) -> Tensor {
    precondition(x.rank == 4, "adaptiveAvgPool2d: expected input [N, C, H, W], got \(Shape.text(x.shape))")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = outputSize
    let out = Tensor(uninitialized: [n, c, oh, ow])
    let windows = (0..<oh).flatMap { i in (0..<ow).map { j in
        (Kernels.adaptiveWindow(i, oh, h), Kernels.adaptiveWindow(j, ow, w)) } }
    for p in 0..<(n * c) {
        let src = x.data + p * h * w
        for (cell, (rows, cols)) in windows.enumerated() {
            var total: Float = 0
            for iy in rows { for ix in cols { total += src[iy * w + ix] } }
            out.data[p * oh * ow + cell] = total / Float(rows.count * cols.count)
        }
    }
    return out.recorded("AdaptiveAvgPool2DBackward0", inputs: [x]) { gy in
        let gx = Tensor.zeros(x.shape)
        for p in 0..<(n * c) {
            let dst = gx.data + p * h * w
            for (cell, (rows, cols)) in windows.enumerated() {
                let share = gy.data[p * oh * ow + cell] / Float(rows.count * cols.count)
                for iy in rows { for ix in cols { dst[iy * w + ix] += share } }
            }
        }
        return [gx]
    }
}
