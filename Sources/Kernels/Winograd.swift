import CKernels

/// Winograd convolution for the 3x3, stride 1, padding 1 layers that make up most of
/// VGG and ResNet's work.
///
/// Why: im2col + GEMM spends 9 multiply-adds per input channel per output pixel. Winograd's
/// minimal filtering computes each 2x2 block of output from a 4x4 block of input with 16
/// element-wise products instead of 36: 2.25x fewer multiplications. The element-wise products,
/// summed over input channels, are 16 independent matrix products (one per position ξ of the 4x4
/// transformed tile), so they still run in the tuned BLAS GEMM:
///
///     U[ξ] = (G g Gᵀ)[ξ]      weights,   [16][O][C]
///     V[ξ] = (Bᵀ d B)[ξ]      input tiles, [16][C][tiles]
///     M[ξ] = U[ξ] · V[ξ]      16 GEMMs,   [16][O][tiles]
///     y    = Aᵀ M A           each 4x4 → a 2x2 output block
///
/// Precision: the transforms only add, subtract and halve, so F(2x2, 3x3) stays within a few
/// float32 roundings of the direct convolution (relative error ~1e-6, bound tested at 1e-5 in
/// KernelTests).
///
/// The larger tile, F(4x4, 3x3) (`WinogradF4.swift`), computes 4x4 outputs from 6x6 tiles with
/// 36 products: 4x fewer multiplications, through the same driver with 36 planes. Its transforms
/// multiply by up to 8 and 1/24, so it rounds about ten times more (bound 1e-4); it runs on the
/// large planes (`winogradTile`), and in the forward pass only when no backward pass follows
/// (`convForward` says why).
///
/// The input gradient of such a layer is itself a 3x3, stride 1, padding 1 convolution of dL/dy
/// with the weights rotated by 180° and input/output channels swapped, so it uses the same path
/// (with F(2x2, 3x3), on the forward's filter transform read mirrored: `WinogradFilterLayout`).

/// The two tile sizes: F(2x2, 3x3) (4x4 input tiles, 16 products) and F(4x4, 3x3) (6x6 input
/// tiles, 36 products, `WinogradF4.swift`).
enum WinogradTile {
    case f2, f4
    /// Output pixels along each side of a tile.
    var outputSize: Int { self == .f2 ? 2 : 4 }
    /// Values in a transformed tile: independent products per layer.
    var positions: Int { self == .f2 ? 16 : 36 }
}

extension Kernels {
    /// Transformed input tiles per group of images, in floats (4 MB). Measured on ResNet-18
    /// (CPU seconds per eval step, 1 thread): 16 MB groups 0.89-1.14 s, 4 MB 0.70-0.73 s,
    /// 1 MB 0.70-0.82 s: small enough that a GEMM's operand is still in L2/L3 when it is read,
    /// large enough that each of the 16 (or 36) GEMMs has hundreds of columns.
    static var winogradGroupFloats: Int { KernelOptions.current.winogradGroupFloats }

    /// The distance between two of the Winograd planes (16, or 36 for F(4x4, 3x3)), in floats:
    /// the plane's size rounded up to a cache line, plus one more line.
    ///
    /// Why: the transforms write (and read) the values of a tile to all the planes at once. With
    /// plane sizes that are powers of two (64 channels x 1,024 tiles, ...) all those addresses
    /// fall into the same cache set, more than its 12 ways hold, and every store missed. One
    /// extra cache line per plane spreads them over as many sets as there are planes.
    @inline(__always)
    static func winogradPlaneStride(_ floats: Int) -> Int {
        (floats + 15) / 16 * 16 + 16
    }

    /// Whether a convolution can use this path.
    static func winogradApplies(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.stride == 1 && g.padding == 1
    }

    /// Whether the layers `winogradTile` picks use F(4x4, 3x3) (`WinogradF4.swift`) for the input
    /// and weight gradients and for a forward pass that no backward pass follows; off, every
    /// layer uses F(2x2, 3x3). Tests and the benchmark compare the two.
    static var useLargeWinogradTiles: Bool { KernelOptions.current.largeWinogradTiles }

    /// The tile a layer uses: F(4x4, 3x3) when its planes divide into 4x4 blocks and are at least
    /// 16x16 (the 32x32 and 16x16 layers of the lesson's networks), F(2x2, 3x3) otherwise.
    ///
    /// Why not the small planes: there the 36 transformed filters (2.25x the 16 of F(2x2, 3x3))
    /// outweigh the few tiles they multiply, and the products are bound by reading them. Measured
    /// per layer, batch 64, 1 thread, forward / input gradient in ms, F(2x2) -> F(4x4):
    /// 64->64 at 32x32: 45 / 44 -> 35 / 35; 128->128 at 16x16: 26 / 26 -> 19 / 19;
    /// 256->256 at 8x8: 22 / 23 -> 31 / 34; 512->512 at 4x4: 31 / 42 -> 60 / 71.
    /// Nor a stem with a single input channel, where the products are negligible next to the
    /// transforms (1->64 at 32x32: 10.6 -> 11.0 ms): it keeps the smaller tile's more exact output.
    static func winogradTile(_ g: ConvGeometry) -> WinogradTile {
        let divides = g.height % 4 == 0 && g.width % 4 == 0
        let large = g.height >= 16 && g.width >= 16 && Swift.min(g.inChannels, g.outChannels) >= 4
        return useLargeWinogradTiles && divides && large ? .f4 : .f2
    }

    /// Turns 3x3 filters into Winograd space: u[ξ][o][c] = (G f Gᵀ)[ξ], f = w[o][c] (or, with
    /// `adjoint`, the filter for the input gradient: u[ξ][c][o] from w[o][c] rotated by 180°).
    static func winogradFilters(_ w: UnsafePointer<Float>, outChannels O: Int, inChannels C: Int,
                                adjoint: Bool, tile: WinogradTile, _ u: UnsafeMutablePointer<Float>) {
        let positions = tile.positions
        // In adjoint mode the "output" channels of the transformed convolution are the C inputs.
        let (rows, cols) = adjoint ? (C, O) : (O, C)
        let plane = rows * cols
        // Each task owns whole rows of every u[ξ]; within a row, 64 filters are transformed
        // into a small local block and then written as 16 (or 36) contiguous runs. (Writing each
        // filter's values straight to planes a megabyte apart cost 3x more.)
        let block = 64
        parallelFor(rows, costPerItem: cols * 4 * positions) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: positions * block) { buffer in
                let local = buffer.baseAddress!
                for r in range {
                    for start in stride(from: 0, to: cols, by: block) {
                        let width = Swift.min(block, cols - start)
                        // Four filters per step, one SIMD lane each (lanes past the end repeat
                        // the last filter and are not copied out).
                        for j in stride(from: 0, to: width, by: 4) {
                            // (A `let`: a captured `var` would be checked for exclusive access on every read.)
                            @inline(__always) func source(_ lane: Int) -> Int {
                                let k = start + Swift.min(j + lane, width - 1)
                                let (o, c) = adjoint ? (k, r) : (r, k)   // source filter w[o][c]
                                return (o * C + c) * 9
                            }
                            let sources = SIMD4<Int>(source(0), source(1), source(2), source(3))
                            @inline(__always) func f(_ i: Int) -> SIMD4<Float> {
                                let e = adjoint ? 8 - i : i               // adjoint: rotated 180°
                                return SIMD4(w[sources[0] + e], w[sources[1] + e], w[sources[2] + e], w[sources[3] + e])
                            }
                            @inline(__always) func put(_ xi: Int, _ value: SIMD4<Float>) {
                                UnsafeMutableRawPointer(local + xi * block + j).storeBytes(of: value, as: SIMD4<Float>.self)
                            }
                            if tile == .f4 {
                                filterTileF4(f, put)
                                continue
                            }
                            let half = SIMD4<Float>(repeating: 0.5)
                            // t = G f (rows t0...t3 of 3 values), G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]].
                            let (g0, g1, g2, g3, g4, g5, g6, g7, g8) = (f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8))
                            // u = t Gᵀ: row i of u from row i of t.
                            @inline(__always) func row(_ i: Int, _ t0: SIMD4<Float>, _ t1: SIMD4<Float>, _ t2: SIMD4<Float>) {
                                put(4 * i, t0)
                                put(4 * i + 1, half * (t0 + t1 + t2))
                                put(4 * i + 2, half * (t0 - t1 + t2))
                                put(4 * i + 3, t2)
                            }
                            row(0, g0, g1, g2)
                            row(1, half * (g0 + g3 + g6), half * (g1 + g4 + g7), half * (g2 + g5 + g8))
                            row(2, half * (g0 - g3 + g6), half * (g1 - g4 + g7), half * (g2 - g5 + g8))
                            row(3, g6, g7, g8)
                        }
                        for xi in 0..<positions {
                            (u + xi * plane + r * cols + start).update(from: local + xi * block, count: width)
                        }
                    }
                }
            }
        }
    }

    /// y[N, O, H, W] = conv3x3(x[N, C, H, W]) with filters already in Winograd space (`u`, see
    /// `winogradFilters`, same `tile`), stride 1, padding 1; each output value goes through `map`
    /// (bias, and a fused BatchNorm + ReLU in evaluation) as it is written.
    static func winogradConvolution(_ x: UnsafePointer<Float>, batch N: Int, inChannels C: Int,
                                    height H: Int, width W: Int,
                                    _ u: UnsafePointer<Float>, outChannels O: Int, tile: WinogradTile,
                                    filters layout: WinogradFilterLayout = .direct,
                                    map: OutputMap, _ y: UnsafeMutablePointer<Float>) {
        let (size, positions) = (tile.outputSize, tile.positions)
        // The F(4x4, 3x3) output writes whole 4x4 blocks (`winogradTile` only picks it then).
        precondition(tile == .f2 || (H % 4 == 0 && W % 4 == 0), "F(4x4, 3x3) needs sides that are multiples of 4")
        let (tilesH, tilesW) = ((H + size - 1) / size, (W + size - 1) / size)
        let tilesPerImage = tilesH * tilesW
        // Images per group: see `winogradGroupFloats`.
        let perImage = positions * Swift.max(C, O) * tilesPerImage
        let group = Swift.max(1, Swift.min(N, winogradGroupFloats / perImage))
        let maxTiles = group * tilesPerImage

        Workspace.with(positions * winogradPlaneStride(C * maxTiles), positions * winogradPlaneStride(O * maxTiles)) { v, m in
            for first in stride(from: 0, to: N, by: group) {
                let count = Swift.min(group, N - first)
                let T = count * tilesPerImage
                let (vStride, mStride) = (winogradPlaneStride(C * T), winogradPlaneStride(O * T))

                // Input transform: v[ξ][c][t] = (Bᵀ d B)[ξ] (planes `vStride` apart).
                winogradInputTransform(x + first * C * H * W, images: count, channels: C, height: H, width: W,
                                       tile: tile, v, planeStride: vStride)

                // The independent products (16 or 36), in BLAS: m[ξ] (O x T) = u[ξ] (O x C) · v[ξ] (C x T),
                // whole products per core.
                independentProducts(positions) { xi in
                    switch layout {
                    case .direct:
                        gemm(parallel: false, m: O, n: T, k: C, a: u + xi * O * C, lda: C, b: v + xi * vStride, ldb: T,
                             c: m + xi * mStride, ldc: T)
                    case .forwardFiltersForInputGradient:
                        // u[ξ] here is [C][O] (the forward's [out][in]), read transposed at the
                        // mirrored position (see `WinogradFilterLayout`).
                        gemm(parallel: false, transposeA: true, m: O, n: T, k: C, a: u + mirroredPosition(xi) * O * C,
                             lda: O, b: v + xi * vStride, ldb: T, c: m + xi * mStride, ldc: T)
                    }
                }

                // Output transform, one output channel per task: y = Aᵀ m A (+ bias), in C.
                let isa = KernelOptions.current.instructionSet.c
                parallelFor(O, costPerItem: T * positions) { channels in
                    for o in channels {
                        let channel = map.channel(o).c
                        for i in 0..<count {
                            let (tiles, plane) = (m + o * T + i * tilesPerImage, y + ((first + i) * O + o) * H * W)
                            switch tile {
                            case .f2: ck_winograd_output_f2(isa, tiles, mStride, tilesH, tilesW, channel, plane, H, W)
                            case .f4: ck_winograd_output_f4(isa, tiles, mStride, tilesH, tilesW, channel, plane)
                            }
                        }
                    }
                }
            }
        }
    }

    /// v[ξ][c][t] = (Bᵀ d B)[ξ] for every tile of `images` consecutive images x [images, C, H, W],
    /// one channel per task; tile t counts through the images, each image's tiles row by row.
    /// Shared by the convolution and the weight gradient.
    static func winogradInputTransform(_ x: UnsafePointer<Float>, images count: Int, channels C: Int,
                                       height H: Int, width W: Int, tile: WinogradTile,
                                       _ v: UnsafeMutablePointer<Float>, planeStride: Int) {
        let size = tile.outputSize
        let (tilesH, tilesW) = ((H + size - 1) / size, (W + size - 1) / size)
        let (tilesPerImage, T) = (tilesH * tilesW, count * tilesH * tilesW)
        // A zero-bordered copy of one plane makes every tile an interior one (no bounds tests);
        // F(4x4, 3x3)'s vector loads read two columns further.
        let (paddedH, paddedW) = tile == .f2 ? (2 * tilesH + 2, 2 * tilesW + 2) : (4 * tilesH + 2, 4 * tilesW + 4)
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(C, costPerItem: count * H * W * 8) { channels in
            withZeroedPlane(paddedH * paddedW) { padded in
                for c in channels {
                    for i in 0..<count {
                        copyPlane(x + (i * C + c) * H * W, height: H, width: W,
                                  into: padded + paddedW + 1, rowStride: paddedW)
                        let out = v + c * T + i * tilesPerImage
                        // Bᵀ d B for every tile (CKernels.h).
                        switch tile {
                        case .f2: ck_winograd_input_f2(isa, padded, paddedW, tilesH, tilesW, out, planeStride)
                        case .f4: ck_winograd_input_f4(isa, padded, paddedW, tilesH, tilesW, out, planeStride)
                        }
                    }
                }
            }
        }
    }

    /// Forward of a 3x3 / stride 1 / padding 1 convolution through Winograd.
    static func winogradForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, map: OutputMap,
                                _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, tile: WinogradTile) {
        Workspace.with(tile.positions * g.outChannels * g.inChannels) { u in
            winogradFilters(w, outChannels: g.outChannels, inChannels: g.inChannels, adjoint: false, tile: tile, u)
            winogradConvolution(x, batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width,
                                u, outChannels: g.outChannels, tile: tile, map: map, y)
        }
    }

    /// dL/dx of a 3x3 / stride 1 / padding 1 convolution: the convolution of dL/dy with the
    /// rotated, channel-swapped filters, through Winograd. F(2x2, 3x3) takes the forward's
    /// filter transform, read transposed and mirrored (`WinogradFilterLayout`); F(4x4, 3x3),
    /// whose transform has no such symmetry, transforms the rotated filters.
    static func winogradInputGradient(_ gy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                      _ gx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let tile = winogradTile(g)
        let layout: WinogradFilterLayout = tile == .f2 ? .forwardFiltersForInputGradient : .direct
        Workspace.with(tile.positions * g.outChannels * g.inChannels) { u in
            winogradFilters(w, outChannels: g.outChannels, inChannels: g.inChannels, adjoint: layout == .direct,
                            tile: tile, u)
            winogradConvolution(gy, batch: g.batch, inChannels: g.outChannels, height: g.height, width: g.width,
                                u, outChannels: g.inChannels, tile: tile, filters: layout, map: .identity, gx)
        }
    }

    /// The position of F(2x2, 3x3)'s 4x4 transformed tile that holds, for a filter rotated by
    /// 180°, what position `xi` holds for the filter itself: rows and columns 0 and 3 swapped.
    @inline(__always)
    static func mirroredPosition(_ xi: Int) -> Int {
        @inline(__always) func swapEnds(_ k: Int) -> Int { k == 0 ? 3 : k == 3 ? 0 : k }
        return 4 * swapEnds(xi / 4) + swapEnds(xi % 4)
    }
}

/// How `winogradConvolution` reads its transformed filters u.
///
/// `.direct`: u[ξ] is [out][in] of the convolution being computed.
///
/// `.forwardFiltersForInputGradient`: the convolution is a layer's input gradient (dL/dy in,
/// dL/dx out) and u is the *forward's* F(2x2, 3x3) transform, u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ].
/// The input gradient needs G rot(w) Gᵀ for w rotated by 180°, with in and out swapped. Reversing
/// a filter's three taps reverses the columns of G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]], which is
/// G with rows 0 and 3 swapped, so G rot(w) Gᵀ is G w Gᵀ with rows and columns 0 and 3 swapped:
/// the input gradient's filter at ξ is the forward's at `mirroredPosition(ξ)`, transposed. That
/// saves the rotated transform, which read the weights with a stride of in x 9 floats (filter
/// transforms were 8% of a VGG-16 training profile). Measured (batch 64): 512->512 at 4x4, backward
/// 97.8 / 72.9 ms against 119.4 / 92.0 (1 thread, CPU, two interleaved pairs); VGG-16 training, 2
/// threads, 98.9 / 104.2 / 91.0 img/s against 85.1 / 92.8 / 93.8 (three interleaved pairs).
enum WinogradFilterLayout {
    case direct, forwardFiltersForInputGradient
}
