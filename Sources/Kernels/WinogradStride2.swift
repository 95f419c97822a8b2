/// Winograd for the 3x3, stride 2, padding 1 convolutions that halve the resolution at the start
/// of a stage (three of PlainNet's nine 3x3 layers, three of ResNet-18's seventeen).
///
/// Why: through im2col + GEMM such a layer costs 9 multiply-adds per input channel per output
/// pixel, as much per layer as the stride-1 layer after it, which Winograd already runs with
/// 2.25-4x fewer (measured per layer, batch 64, 1 thread: 64->128 at 32x32, stride 2, forward
/// 28 ms and backward 58 ms, against 24 and 37 ms for 128->128 at 16x16, stride 1).
///
/// The stride-1 tiles do not apply, but the same minimal filtering does once the input is split
/// by parity. Along one axis, two neighbouring outputs of a stride-2 filter g read five inputs
/// p0...p4 (the patch starts one pixel before 4m; patches of neighbouring tiles are 4 apart):
///
///     y0 = p0 g0 + p1 g1 + p2 g2,     y1 = p2 g0 + p3 g1 + p4 g2.
///
/// Taps 0 and 2 meet the even samples (p0, p2, p4): a 2-output, 2-tap filter, F(2, 2), which
/// needs 3 products. Tap 1 meets the odd samples (p1, p3): 2 products. So 5 products per 2
/// outputs along an axis, 5 x 5 = 25 per 2x2 output block of the plane, instead of 36:
///
///     Bᵀ p = (p0 - p2, p2, p4 - p2, p1, p3)        input,   5 -> 5
///     G g  = (g0, g0 + g2, g2, g1, g1)              filter,  3 -> 5
///     Aᵀ m = (m0 + m1 + m3, m1 + m2 + m4)           output,  5 -> 2
///
/// and in the plane y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A as for the stride-1 tiles: 25 independent
/// products summed over channels, 25 GEMMs in BLAS. Every coefficient is ±1, so the result is
/// as exact as the direct sum (a few float32 roundings; tested against im2col at 1e-5).
///
/// The backward pass uses the same transforms, transposed. With Z = A dy Aᵀ the gradient tiles:
///
///     dL/dd = B [Σ_o U ⊙ Z] Bᵀ   per 5x5 patch, added into dL/dx where neighbouring patches
///                                 overlap by one row and column
///     dL/dg = Gᵀ [Σ_tiles Z ⊙ V] G
///
/// Z is computed once per backward pass and feeds both products. The transforms themselves are
/// in `WinogradStride2Tiles.swift`.
extension Kernels {
    /// Whether the stride-2 3x3 layers use this path (with `useWinograd`); off, they are
    /// im2col + GEMM. Tests and the benchmark compare the two.
    static var useStrideTwoWinograd: Bool { KernelOptions.current.strideTwoWinograd }

    /// Transformed values per tile: 5 x 5.
    static let strideTwoPositions = 25

    /// Whether a convolution takes this path: 3x3, stride 2, padding 1, with an output whose
    /// sides are even and whose rows hold a multiple of four 2x2 tiles (outputs 8 wide, 16,
    /// ...), so every transform works on four whole tiles at a time.
    ///
    /// Why not the smaller planes: on 256->512 at 8x8 (a 4x4 output, two tiles per row) it was
    /// no faster than im2col (forward 23 against 22 ms, batch 64, 1 thread), the filters
    /// outweighing the few tiles, as for F(4x4, 3x3) on small planes.
    static func strideTwoWinogradApplies(_ g: ConvGeometry) -> Bool {
        useWinograd && useStrideTwoWinograd
            && g.kernelH == 3 && g.kernelW == 3 && g.stride == 2 && g.padding == 1
            && g.outHeight % 2 == 0 && g.outWidth % 8 == 0
    }

    /// Forward: y = map(conv(x, w)) for a layer `strideTwoWinogradApplies` accepts.
    static func strideTwoForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, map: OutputMap,
                                 _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let tiling = StrideTwoTiling(g)
        let (C, O, positions) = (g.inChannels, g.outChannels, strideTwoPositions)
        let group = tiling.imagesPerGroup(channels: Swift.max(C, O), batch: g.batch)
        let maxTiles = group * tiling.tilesPerImage
        Workspace.with(positions * O * C) { u in
            strideTwoFilters(w, outChannels: O, inChannels: C, u, planeStride: O * C)
            forEachWorkerShare(of: g.batch) { _, images in
                Workspace.with(positions * winogradPlaneStride(C * maxTiles), positions * winogradPlaneStride(O * maxTiles)) { v, m in
                    for first in stride(from: images.lowerBound, to: images.upperBound, by: group) {
                        let count = Swift.min(group, images.upperBound - first)
                        let T = count * tiling.tilesPerImage
                        let (vStride, mStride) = (winogradPlaneStride(C * T), winogradPlaneStride(O * T))
                        // v[ξ][c][t] = (Bᵀ d B)[ξ].
                        strideTwoInputTransform(x + first * g.inputImageSize, images: count, channels: C, tiling,
                                                v, planeStride: vStride)
                        // m[ξ] (O x T) = u[ξ] (O x C) · v[ξ] (C x T).
                        for xi in 0..<positions {
                            gemm(parallel: false, m: O, n: T, k: C, a: u + xi * O * C, lda: C, b: v + xi * vStride, ldb: T,
                                 c: m + xi * mStride, ldc: T)
                        }
                        // y = Aᵀ m A through the output map.
                        for o in 0..<O {
                            strideTwoOutputTiles(m + o * T, planeStride: mStride, tiles: T, tiling, map.channel(o),
                                                 y + (first * O + o) * g.positions, imageStride: O * g.positions)
                        }
                    }
                }
            }
        }
    }

    /// Backward: gx = dL/dx and gw += dL/dw (each optional) for a layer `strideTwoWinogradApplies`
    /// accepts. Each worker sums the weight gradient of its images into its own buffer; the
    /// buffers are added in worker order at the end, so the result is the same on every run.
    static func strideTwoBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                                  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        // (An empty batch leaves gw as it is: there are no sums to add.)
        guard (gx != nil || gw != nil) && g.batch > 0 else { return }
        let tiling = StrideTwoTiling(g)
        let (C, O, positions) = (g.inChannels, g.outChannels, strideTwoPositions)
        let group = tiling.imagesPerGroup(channels: Swift.max(C, O), batch: g.batch)
        let maxTiles = group * tiling.tilesPerImage
        // Filter planes (u: the forward's filters, for the input gradient; du: each worker's
        // weight-gradient sums) a cache line apart, so their streams do not share cache sets.
        let uStride = winogradPlaneStride(O * C)
        let workers = workerCount(for: g.batch)
        Workspace.with(gx == nil ? 1 : positions * uStride, gw == nil ? 1 : workers * positions * uStride) { u, sums in
            if gx != nil { strideTwoFilters(w, outChannels: O, inChannels: C, u, planeStride: uStride) }
            forEachWorkerShare(of: g.batch, workers: workers) { worker, images in
                let du = sums + worker * positions * uStride
                Workspace.with(positions * winogradPlaneStride(C * maxTiles), positions * winogradPlaneStride(O * maxTiles)) { v, z in
                    for first in stride(from: images.lowerBound, to: images.upperBound, by: group) {
                        let count = Swift.min(group, images.upperBound - first)
                        let T = count * tiling.tilesPerImage
                        let (vStride, zStride) = (winogradPlaneStride(C * T), winogradPlaneStride(O * T))
                        // z[ξ][o][t] = (A dy Aᵀ)[ξ].
                        for o in 0..<O {
                            strideTwoGradientTiles(gy + (first * O + o) * g.positions, imageStride: O * g.positions,
                                                   tiles: T, tiling, z + o * T, planeStride: zStride)
                        }
                        if gw != nil {
                            // du[ξ] (O x C) (+)= z[ξ] (O x T) · v[ξ]ᵀ, v = Bᵀ d B of the input.
                            strideTwoInputTransform(x + first * g.inputImageSize, images: count, channels: C, tiling,
                                                    v, planeStride: vStride)
                            for xi in 0..<positions {
                                gemm(parallel: false, transposeB: true, m: O, n: C, k: T, a: z + xi * zStride, lda: T,
                                     b: v + xi * vStride, ldb: T, beta: first == images.lowerBound ? 0 : 1,
                                     c: du + xi * uStride, ldc: C)
                            }
                        }
                        if let gx {
                            // v[ξ] (C x T) = u[ξ]ᵀ (C x O) · z[ξ] (O x T), then dL/dx = B v Bᵀ, overlap-added.
                            for xi in 0..<positions {
                                gemm(parallel: false, transposeA: true, m: C, n: T, k: O, a: u + xi * uStride, lda: C,
                                     b: z + xi * zStride, ldb: T, c: v + xi * vStride, ldc: T)
                            }
                            strideTwoInputAdjoint(v, planeStride: vStride, images: count, channels: C, tiling,
                                                  gx + first * g.inputImageSize)
                        }
                    }
                }
            }
            // gw[o][c] += Gᵀ (Σ_workers du)[·][o][c] G.
            guard let gw else { return }
            for worker in 1..<workers {
                addInPlace(sums, sums + worker * positions * uStride, count: positions * uStride)
            }
            parallelFor(O, costPerItem: C * positions) { channels in
                for o in channels {
                    strideTwoFilterGradients(sums + o * C, planeStride: uStride, count: C, gw + o * C * 9)
                }
            }
        }
    }
}

/// How a stride-2 layer's planes divide into tiles: each tile is a 2x2 block of the output and
/// the 5x5 input patch under it, which starts one pixel up and left of twice the block's corner.
/// Tile t of a group counts through the images, each image's tiles row by row; four
/// consecutive tiles always share a row (`strideTwoWinogradApplies`).
struct StrideTwoTiling {
    let height: Int, width: Int, outHeight: Int, outWidth: Int, tilesH: Int, tilesW: Int

    init(_ g: ConvGeometry) {
        (height, width, outHeight, outWidth) = (g.height, g.width, g.outHeight, g.outWidth)
        (tilesH, tilesW) = (outHeight / 2, outWidth / 2)
    }

    var tilesPerImage: Int { tilesH * tilesW }

    /// A zero-bordered copy of an input plane makes every patch an interior one: one row and
    /// column of zeros before the plane, the rest after it, up to row 4 * tilesH and column
    /// 4 * tilesW + 3 (the 16-wide loads of the last four tiles read three columns further).
    var paddedH: Int { 4 * tilesH + 1 }
    var paddedW: Int { 4 * tilesW + 4 }

    /// Where the first of four neighbouring tiles t ..< t + 4 lies: its image, row and column.
    @inline(__always) func locate(_ t: Int) -> (image: Int, ty: Int, tx: Int) {
        let (image, tile) = t.quotientAndRemainder(dividingBy: tilesPerImage)
        let (ty, tx) = tile.quotientAndRemainder(dividingBy: tilesW)
        return (image, ty, tx)
    }

    /// Images per group of transformed tiles: the input tiles and products of a group (25 values
    /// per tile per channel) fit in about a megabyte, so they are still in the core's L2 cache
    /// when the next step reads them, but a product has at least 64 columns. Measured per layer
    /// (batch 64, 1 thread), 64->128 at 32x32: forward 18 ms with one image per group (64
    /// tiles), 24 ms with two, 27 ms with five (the stride-1 paths' 4 MB budget).
    func imagesPerGroup(channels: Int, batch: Int) -> Int {
        let byCache = 262_144 / (Kernels.strideTwoPositions * channels * tilesPerImage)
        let byColumns = (64 + tilesPerImage - 1) / tilesPerImage
        return Swift.max(1, Swift.min(batch, Swift.max(byCache, byColumns)))
    }
}
