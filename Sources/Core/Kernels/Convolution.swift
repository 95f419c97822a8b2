/// Convolution by im2col + GEMM: unfold the input patches into the columns of a matrix, then
/// one matrix product with the weights computes every output channel at every position.
///
/// Images are processed in groups so that the unfolded matrix stays a few megabytes (fits the
/// caches better and bounds memory) while each product is large enough to keep BLAS efficient.
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

extension Kernels {
    /// Unfolds one image [C, H, W] into `col` rows of length `ld`, starting at column 0 of `col`.
    static func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                       _ col: UnsafeMutablePointer<Float>, ld: Int) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for ki in 0..<g.kernelH {
                for kj in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + ki) * g.kernelW + kj) * ld
                    for oy in 0..<oh {
                        let iy = oy * g.stride - g.padding + ki
                        let dst = row + oy * ow
                        guard iy >= 0 && iy < g.height else {
                            dst.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * g.width
                        for ox in 0..<ow {
                            let ix = ox * g.stride - g.padding + kj
                            dst[ox] = ix >= 0 && ix < g.width ? src[ix] : 0
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds each column entry back into the image position it came from.
    static func col2im(_ col: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry,
                       _ image: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for ki in 0..<g.kernelH {
                for kj in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + ki) * g.kernelW + kj) * ld
                    for oy in 0..<oh {
                        let iy = oy * g.stride - g.padding + ki
                        guard iy >= 0 && iy < g.height else { continue }
                        let src = row + oy * ow
                        let dst = plane + iy * g.width
                        for ox in 0..<ow {
                            let ix = ox * g.stride - g.padding + kj
                            if ix >= 0 && ix < g.width { dst[ix] += src[ox] }
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
        let group = g.groupSize, P = g.positions, K = g.patchSize, O = g.outChannels
        let col = Storage(count: K * group * P)
        let product = Storage(count: O * group * P)
        for first in stride(from: 0, to: g.batch, by: group) {
            let count = Swift.min(group, g.batch - first)
            im2colGroup(x, g, first: first, count: count, col.pointer)
            gemm(m: O, n: count * P, k: K, a: w, lda: K, b: col.pointer, ldb: count * P,
                 c: product.pointer, ldc: count * P)
            // The product is [O][image][P]; the output wants [image][O][P].
            parallelFor(count * O, costPerItem: P) { range in
                for item in range {
                    let (i, o) = item.quotientAndRemainder(dividingBy: O)
                    let src = product.pointer + o * count * P + i * P
                    let dst = y + (first + i) * g.outputImageSize + o * P
                    let b = bias?[o] ?? 0
                    for p in 0..<P { dst[p] = src[p] + b }
                }
            }
        }
    }

    /// Gradients of a convolution: gw += dL/dw, gb += dL/db, gx = dL/dx (each optional).
    static func convBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                             gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?,
                             gb: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        let group = g.groupSize, P = g.positions, K = g.patchSize, O = g.outChannels
        let col = Storage(count: K * group * P)
        let gyGroup = Storage(count: O * group * P)
        if let gx { gx.update(repeating: 0, count: g.batch * g.inputImageSize) }
        for first in stride(from: 0, to: g.batch, by: group) {
            let count = Swift.min(group, g.batch - first)
            // Gather dL/dy of these images as [O][image][P], the layout of the forward product.
            parallelFor(count * O, costPerItem: P) { range in
                for item in range {
                    let (i, o) = item.quotientAndRemainder(dividingBy: O)
                    (gyGroup.pointer + o * count * P + i * P)
                        .update(from: gy + (first + i) * g.outputImageSize + o * P, count: P)
                }
            }
            if let gw {
                im2colGroup(x, g, first: first, count: count, col.pointer)
                gemm(transposeB: true, m: O, n: K, k: count * P, a: gyGroup.pointer, lda: count * P,
                     b: col.pointer, ldb: count * P, beta: 1, c: gw, ldc: K)
            }
            if let gx {
                gemm(transposeA: true, m: K, n: count * P, k: O, a: w, lda: K,
                     b: gyGroup.pointer, ldb: count * P, c: col.pointer, ldc: count * P)
                parallelFor(count, costPerItem: K * P) { range in
                    for i in range {
                        col2im(col.pointer + i * P, ld: count * P, g, gx + (first + i) * g.inputImageSize)
                    }
                }
            }
        }
        if let gb {
            for o in 0..<O {
                var total = 0.0
                for n in 0..<g.batch {
                    total += sum(gy + n * g.outputImageSize + o * P, count: P)
                }
                gb[o] += Float(total)
            }
        }
    }
}
