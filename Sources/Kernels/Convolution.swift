import Foundation

/// Convolution by im2col + GEMM: unfold the input patches into the columns of a matrix, then
/// one matrix product with the weights computes every output channel at every position.
///
/// Each core unfolds and multiplies its own share of the batch, a few images at a time, so the
/// unfolded matrix stays in that core's cache and bounds memory (`forEachImageBlock`).
///
/// This is the general path. 3x3 / stride 1 / padding 1 layers (most of VGG's and ResNet's work)
/// take faster ones when `Kernels.useWinograd` is on: Winograd F(2x2, 3x3) or, on the large
/// planes, F(4x4, 3x3) for the forward pass and the input gradient (`Winograd.swift`,
/// `WinogradF4.swift`), and the same tiles turned round for the weight gradient
/// (`WinogradWeightGradient.swift`); 3x3 / stride 2 / padding 1 layers take a parity-split
/// Winograd with 25 products per 2x2 outputs (`WinogradStride2.swift`). Scratch buffers come from `Workspace`.
package struct ConvGeometry {
    package let batch: Int, inChannels: Int, height: Int, width: Int
    package let outChannels: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int

    package var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
    package var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Rows of the unfolded matrix: one per (input channel, kernel row, kernel column).
    package var patchSize: Int { inChannels * kernelH * kernelW }
    /// Output positions per image.
    package var positions: Int { outHeight * outWidth }
    package var inputImageSize: Int { inChannels * height * width }
    package var outputImageSize: Int { outChannels * positions }

    package init(batch: Int, inChannels: Int, height: Int, width: Int,
                 outChannels: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int) {
        (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
        (self.outChannels, self.kernelH, self.kernelW, self.stride, self.padding) =
            (outChannels, kernelH, kernelW, stride, padding)
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
    /// Whether 3x3 / stride 1 / padding 1 convolutions go through Winograd (`Winograd.swift`);
    /// off, every convolution is im2col + GEMM. Tests compare the two.
    static var useWinograd: Bool { KernelOptions.current.winograd }

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

    /// Columns of unfolded images per block, in floats (1 MB): a block's unfolded matrix is
    /// written and read again by its product while it is still in the core's L2 cache.
    static var im2colBlockFloats: Int { KernelOptions.current.im2colBlockFloats }

    /// How many workers share the images of a batch: one per core, but no more than there are
    /// images. With fewer images than cores, each product is split across the cores instead
    /// (`splitProducts`), so a single image still uses every core.
    static func imageWorkers(_ g: ConvGeometry) -> (workers: Int, splitProducts: Bool) {
        let workers = workerCount(for: g.batch)
        return (workers, workers < Threads.count)
    }

    /// Splits the batch into one contiguous share per worker and walks each share in blocks of
    /// a few images, calling `body(worker, first, count)` on that worker's thread. Each worker
    /// runs its unfold and its own product: the cores never wait for each other inside a layer.
    static func forEachImageBlock(_ g: ConvGeometry, workers: Int,
                                  _ body: (_ worker: Int, _ first: Int, _ count: Int) -> Void) {
        let block = Swift.max(1, Swift.min(g.batch, im2colBlockFloats / Swift.max(1, g.patchSize * g.positions)))
        forEachWorkerShare(of: g.batch, workers: workers) { worker, images in
            for first in stride(from: images.lowerBound, to: images.upperBound, by: block) {
                body(worker, first, Swift.min(block, images.upperBound - first))
            }
        }
    }

    /// y = map(conv(x, w)) for a whole batch: `map` adds the bias (and applies a fused BatchNorm
    /// + ReLU in evaluation). x [N,C,H,W], w [O,C,kh,kw], y [N,O,OH,OW].
    ///
    /// `recording`: gradients are being recorded, so a backward pass may follow. Such a forward
    /// uses Winograd F(2x2, 3x3) only: its outputs decide the ReLU masks of the backward pass,
    /// and F(4x4, 3x3)'s larger rounding (1e-6 -> 1e-5 relative) flips the masks of values within
    /// that distance of zero, which changes a gradient by a whole element (seen in the PyTorch
    /// parity tests). The backward passes are linear in dL/dy, so there F(4x4, 3x3) only adds its
    /// relative rounding.
    package static func convForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, map: OutputMap,
                            _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, recording: Bool = false) {
        if useWinograd && winogradApplies(g) {
            winogradForward(x, w, map: map, y, g, tile: recording ? .f2 : winogradTile(g))
            return
        }
        if strideTwoWinogradApplies(g) {
            strideTwoForward(x, w, map: map, y, g)
            return
        }
        let (P, K, O) = (g.positions, g.patchSize, g.outChannels)
        let (workers, split) = imageWorkers(g)
        forEachImageBlock(g, workers: workers) { _, first, count in
            let n = count * P
            Workspace.with(K * n, O * n) { col, product in
                for i in 0..<count { im2col(x + (first + i) * g.inputImageSize, g, col + i * P, ld: n) }
                gemm(parallel: split, m: O, n: n, k: K, a: w, lda: K, b: col, ldb: n, c: product, ldc: n)
                // The product is [O][image][P]; the output wants [image][O][P].
                for i in 0..<count {
                    for o in 0..<O {
                        let (src, dst) = (product + o * n + i * P, y + (first + i) * g.outputImageSize + o * P)
                        let channel = map.channel(o)
                        var p = 0
                        while p + 8 <= P {
                            let v = UnsafeRawPointer(src + p).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(dst + p).storeBytes(of: channel.apply(v), as: SIMD8<Float>.self)
                            p += 8
                        }
                        while p < P { dst[p] = channel.apply(src[p]); p += 1 }
                    }
                }
            }
        }
    }

    /// Gradients of a convolution: gw += dL/dw, gb += dL/db, gx = dL/dx (each optional).
    package static func convBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                             gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?,
                             gb: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        var gx = gx, gw = gw
        if useWinograd && winogradApplies(g) {
            if let target = gx { winogradInputGradient(gy, w, target, g) }
            if let target = gw { winogradWeightGradient(x, gy, target, g) }
            (gx, gw) = (nil, nil)
        }
        if strideTwoWinogradApplies(g) {
            strideTwoBackward(x, w, gy, gx: gx, gw: gw, g)
            (gx, gw) = (nil, nil)
        }
        if gx != nil || gw != nil { im2colBackward(x, w, gy, gx: gx, gw: gw, g) }
        biasGradient(gy, gb, g)
    }

    /// The im2col path of `convBackward`. Per block of images: dL/dx = col2im(wᵀ · dL/dy), and
    /// dL/dw accumulates dL/dy · colᵀ into the worker's own partial sum; the partial sums are
    /// added in worker order at the end, so the result is the same on every run.
    private static func im2colBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                                       gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?,
                                       _ g: ConvGeometry) {
        let (P, K, O) = (g.positions, g.patchSize, g.outChannels)
        let (workers, split) = imageWorkers(g)
        Workspace.with(gw == nil ? 1 : workers * O * K) { partials in
            var started = [Bool](repeating: false, count: workers)
            started.withUnsafeMutableBufferPointer { started in
                forEachImageBlock(g, workers: workers) { worker, first, count in
                    let n = count * P
                    Workspace.with(K * n, O * n) { col, gathered in
                        // dL/dy of these images as [O][image][P] (a single image already is).
                        var gyBlock = UnsafePointer(gy + first * g.outputImageSize)
                        if count > 1 {
                            for i in 0..<count {
                                for o in 0..<O {
                                    (gathered + o * n + i * P).update(from: gy + (first + i) * g.outputImageSize + o * P, count: P)
                                }
                            }
                            gyBlock = UnsafePointer(gathered)
                        }
                        if gw != nil {
                            for i in 0..<count { im2col(x + (first + i) * g.inputImageSize, g, col + i * P, ld: n) }
                            gemm(parallel: split, transposeB: true, m: O, n: K, k: n, a: gyBlock, lda: n, b: col, ldb: n,
                                       beta: started[worker] ? 1 : 0, c: partials + worker * O * K, ldc: K)
                            started[worker] = true
                        }
                        if let gx {
                            gemm(parallel: split, transposeA: true, m: K, n: n, k: O, a: w, lda: K, b: gyBlock, ldb: n, c: col, ldc: n)
                            for i in 0..<count {
                                let image = gx + (first + i) * g.inputImageSize
                                image.update(repeating: 0, count: g.inputImageSize)
                                col2im(col + i * P, ld: n, g, image)
                            }
                        }
                    }
                }
            }
            if let gw {
                for worker in 0..<workers where started[worker] {
                    addInPlace(gw, partials + worker * O * K, count: O * K)
                }
            }
        }
    }

    /// gb += dL/db: per output channel, the sum of dL/dy over images and positions.
    private static func biasGradient(_ gy: UnsafePointer<Float>, _ gb: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        let P = g.positions
        guard let gb else { return }
        parallelFor(g.outChannels, costPerItem: g.batch * P) { channels in
            for o in channels {
                var total = 0.0
                for n in 0..<g.batch {
                    total += sum(gy + n * g.outputImageSize + o * P, count: P)
                }
                gb[o] += Float(total)
            }
        }
    }
}
