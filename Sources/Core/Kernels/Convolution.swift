/// Convolution by im2col + GEMM: unfold the input patches into the columns of a matrix, then
/// one matrix product with the weights computes every output channel at every position.
///
/// Images are processed in groups so that the unfolded matrix stays a few megabytes (fits the
/// caches better and bounds memory) while each product is large enough to keep BLAS efficient.
///
/// This is the general path. 3x3 / stride 1 / padding 1 layers (most of VGG's and ResNet's work)
/// take faster ones when `Kernels.useWinograd` is on: Winograd F(2x2, 3x3) for the forward pass
/// and the input gradient (`Winograd.swift`), and Winograd F(3x3, 2x2) for the weight gradient
/// (`WinogradWeightGradient.swift`). Scratch buffers come from `Workspace`.
struct ConvGeometry {
    let batch: Int, inChannels: Int, height: Int, width: Int
    let outChannels: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int

    var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Rows of the unfolded matrix: one per (input channel, kernel row, kernel column).
    var patchSize: Int { inChannels * kernelH * kernelW }
    /// Output positions per image.
    var positions: Int { outHeight * outWidth }
    var inputImageSize: Int { inChannels * height * width }
    var outputImageSize: Int { outChannels * positions }

    /// How many images share one unfolded matrix (about 4M floats of columns at most).
    var groupSize: Int {
        let perImage = Swift.max(1, patchSize * positions)
        return Swift.max(1, Swift.min(batch, 4_194_304 / perImage))
    }
}

extension ConvGeometry {
    /// The output columns `ox` whose input column `ox * stride - padding + kj` lies inside the
    /// image: outside this range the unfolded entry is padding (zero).
    @inline(__always)
    func validColumns(_ kj: Int) -> Range<Int> {
        let shift = padding - kj                       // ix = ox * stride - shift
        let lo = shift <= 0 ? 0 : (shift + stride - 1) / stride
        let last = width - 1 + shift                   // ox * stride <= last
        let hi = last < 0 ? 0 : Swift.min(outWidth, last / stride + 1)
        return lo..<Swift.max(lo, hi)
    }
}

extension Kernels {
    /// Whether 3x3 / stride 1 / padding 1 convolutions go through Winograd F(2x2, 3x3)
    /// (`Winograd.swift`); off, every convolution is im2col + GEMM. Tests compare the two.
    nonisolated(unsafe) static var useWinograd = true

    /// Unfolds one image [C, H, W] into `col` rows of length `ld`, starting at column 0 of `col`.
    ///
    /// The bounds tests are hoisted out of the inner loop: for each kernel column the valid
    /// output range is computed once, the padding on either side is zero-filled, and for
    /// stride 1 the valid part is one contiguous copy (memcpy), the common case in these networks.
    static func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                       _ col: UnsafeMutablePointer<Float>, ld: Int) {
        let (oh, ow, s) = (g.outHeight, g.outWidth, g.stride)
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for ki in 0..<g.kernelH {
                for kj in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + ki) * g.kernelW + kj) * ld
                    let valid = g.validColumns(kj)
                    let offset = kj - g.padding
                    for oy in 0..<oh {
                        let iy = oy * s - g.padding + ki
                        let dst = row + oy * ow
                        guard iy >= 0 && iy < g.height, !valid.isEmpty else {
                            dst.update(repeating: 0, count: ow)
                            continue
                        }
                        if valid.lowerBound > 0 { dst.update(repeating: 0, count: valid.lowerBound) }
                        if valid.upperBound < ow { (dst + valid.upperBound).update(repeating: 0, count: ow - valid.upperBound) }
                        let src = plane + iy * g.width + offset
                        if s == 1 {
                            (dst + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                        } else {
                            for ox in valid { dst[ox] = src[ox * s] }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds each column entry back into the image position it came from.
    /// Same hoisted bounds as `im2col`; the order of additions into each pixel is fixed.
    static func col2im(_ col: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry,
                       _ image: UnsafeMutablePointer<Float>) {
        let (oh, ow, s) = (g.outHeight, g.outWidth, g.stride)
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for ki in 0..<g.kernelH {
                for kj in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + ki) * g.kernelW + kj) * ld
                    let valid = g.validColumns(kj)
                    let offset = kj - g.padding
                    if valid.isEmpty { continue }
                    for oy in 0..<oh {
                        let iy = oy * s - g.padding + ki
                        guard iy >= 0 && iy < g.height else { continue }
                        let src = row + oy * ow
                        let dst = plane + iy * g.width + offset
                        if s == 1 {
                            for ox in valid { dst[ox] += src[ox] }
                        } else {
                            for ox in valid { dst[ox * s] += src[ox] }
                        }
                    }
                }
            }
        }
    }

    /// Unfolds images `first..<first+count` side by side: image i fills columns i*P..<(i+1)*P.
    static func im2colGroup(_ input: UnsafePointer<Float>, _ g: ConvGeometry, first: Int, count: Int,
                            _ col: UnsafeMutablePointer<Float>) {
        let ld = count * g.positions
        parallelFor(count, costPerItem: g.patchSize * g.positions) { range in
            for i in range {
                im2col(input + (first + i) * g.inputImageSize, g, col + i * g.positions, ld: ld)
            }
        }
    }

    /// y = conv(x, w) + b for a whole batch. x [N,C,H,W], w [O,C,kh,kw], y [N,O,OH,OW].
    static func convForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                            _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        if useWinograd && winogradApplies(g) {
            winogradForward(x, w, bias, y, g)
            return
        }
        let group = g.groupSize, P = g.positions, K = g.patchSize, O = g.outChannels
        Workspace.with(K * group * P, O * group * P) { col, product in
            for first in stride(from: 0, to: g.batch, by: group) {
                let count = Swift.min(group, g.batch - first)
                im2colGroup(x, g, first: first, count: count, col)
                gemm(m: O, n: count * P, k: K, a: w, lda: K, b: col, ldb: count * P,
                     c: product, ldc: count * P)
                // The product is [O][image][P]; the output wants [image][O][P].
                parallelFor(count * O, costPerItem: P) { range in
                    for item in range {
                        let (i, o) = item.quotientAndRemainder(dividingBy: O)
                        let src = product + o * count * P + i * P
                        let dst = y + (first + i) * g.outputImageSize + o * P
                        let b = bias?[o] ?? 0
                        for p in 0..<P { dst[p] = src[p] + b }
                    }
                }
            }
        }
    }

    /// Gradients of a convolution: gw += dL/dw, gb += dL/db, gx = dL/dx (each optional).
    static func convBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                             gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?,
                             gb: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        var gx = gx
        if let target = gx, useWinograd && winogradApplies(g) {
            winogradInputGradient(gy, w, target, g)
            gx = nil   // done: the loop below only computes the weight gradient
        }
        var gw = gw
        if let target = gw, useWinograd && winogradApplies(g) {
            winogradWeightGradient(x, gy, target, g)
            gw = nil
        }
        let group = g.groupSize, P = g.positions, K = g.patchSize, O = g.outChannels
        if let gx { gx.update(repeating: 0, count: g.batch * g.inputImageSize) }
        guard gx != nil || gw != nil else { return biasGradient(gy, gb, g) }
        // With many positions per image and no col2im to feed, dL/dw is summed image by image
        // straight from dL/dy (fixed order, so still reproducible), skipping the gather copy.
        let perImage = P >= 256 && gx == nil
        Workspace.with(K * group * P, O * group * P) { col, gyGroup in
            for first in stride(from: 0, to: g.batch, by: group) {
                let count = Swift.min(group, g.batch - first)
                // Gather dL/dy of these images as [O][image][P], the layout of the forward product.
                if !perImage {
                    parallelFor(count * O, costPerItem: P) { range in
                        for item in range {
                            let (i, o) = item.quotientAndRemainder(dividingBy: O)
                            (gyGroup + o * count * P + i * P)
                                .update(from: gy + (first + i) * g.outputImageSize + o * P, count: P)
                        }
                    }
                }
                if let gw {
                    im2colGroup(x, g, first: first, count: count, col)
                    if perImage {
                        for i in 0..<count {
                            gemm(transposeB: true, m: O, n: K, k: P, a: gy + (first + i) * g.outputImageSize, lda: P,
                                 b: col + i * P, ldb: count * P, beta: 1, c: gw, ldc: K)
                        }
                    } else {
                        gemm(transposeB: true, m: O, n: K, k: count * P, a: gyGroup, lda: count * P,
                             b: col, ldb: count * P, beta: 1, c: gw, ldc: K)
                    }
                }
                if let gx {
                    gemm(transposeA: true, m: K, n: count * P, k: O, a: w, lda: K,
                         b: gyGroup, ldb: count * P, c: col, ldc: count * P)
                    parallelFor(count, costPerItem: K * P) { range in
                        for i in range {
                            col2im(col + i * P, ld: count * P, g, gx + (first + i) * g.inputImageSize)
                        }
                    }
                }
            }
        }
        biasGradient(gy, gb, g)
    }

    /// gb += dL/db: per output channel, the sum of dL/dy over images and positions.
    private static func biasGradient(_ gy: UnsafePointer<Float>, _ gb: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        let P = g.positions
        if let gb {
            for o in 0..<g.outChannels {
                var total = 0.0
                for n in 0..<g.batch {
                    total += sum(gy + n * g.outputImageSize + o * P, count: P)
                }
                gb[o] += Float(total)
            }
        }
    }
}
