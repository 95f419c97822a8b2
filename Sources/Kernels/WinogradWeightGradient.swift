/// The weight gradient of a 3x3 / stride 1 / padding 1 convolution through Winograd F(3x3, 2x2)
/// (or F(3x3, 4x4) on the planes `winogradTile` picks for the large tile: the same formula with
/// the larger tile's matrices).
///
/// Why: dL/dw was the largest single cost of a ResNet-18 training step (its products took more
/// time than the forward and input-gradient products together), because it ran 9 multiply-adds
/// per input channel, output channel and pixel while the other two passes ran Winograd's 4.
///
/// The forward pass is bilinear in the filter g and the input tile d:  y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A.
/// Differentiating <dL/dy, y> with respect to g gives the weight gradient with the *same*
/// transforms, used the other way round:
///
///     dL/dg = Gᵀ [ Σ over tiles (A dy Aᵀ) ⊙ (Bᵀ d B) ] G
///
/// where dy is the block of dL/dy of a tile (2x2, or 4x4 for the large tile) and d the input
/// patch under it (4x4, or 6x6), exactly the forward's tiles. The sum over tiles (and images) of
/// the elementwise products is, for each of the 16 (36) positions ξ, one matrix product with the
/// tiles as the long inner dimension:
///
///     Z[ξ] = (A dy Aᵀ)[ξ]     [16][O][tiles]
///     V[ξ] = (Bᵀ d B)[ξ]      [16][C][tiles]      (the forward's input transform)
///     M[ξ] = Z[ξ] · V[ξ]ᵀ      16 GEMMs, [16][O][C]
///     dL/dw[o][c] = Gᵀ M[·][o][c] G   (4x4 → 3x3; 6x6 → 3x3 for the large tile)
///
/// F(3x3, 2x2): 16 multiply-adds per 2x2 outputs instead of 36, 2.25x less arithmetic than
/// im2col, and no unfolded copy of the input; its transforms add, subtract and halve, so the
/// result stays within a few float32 roundings of the direct sum. F(3x3, 4x4): 36 per 4x4
/// outputs (4x less), within the large tile's looser bound (both tested against im2col in
/// KernelTests).
extension Kernels {
    /// gw[O, C, 3, 3] += dL/dw for x [N, C, H, W] and gy [N, O, H, W], with the layer's tile
    /// (`winogradTile`): F(3x3, 2x2), or F(3x3, 4x4) on the large planes (`WinogradF4.swift`).
    static func winogradWeightGradient(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                                       _ gw: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (N, C, O, H, W) = (g.batch, g.inChannels, g.outChannels, g.height, g.width)
        // An empty batch adds nothing (and its sums below would never be started).
        guard N > 0 else { return }
        let tile = winogradTile(g)
        let (size, positions) = (tile.outputSize, tile.positions)
        let (tilesH, tilesW) = ((H + size - 1) / size, (W + size - 1) / size)
        let tilesPerImage = tilesH * tilesW
        let group = Swift.max(1, Swift.min(N, winogradGroupFloats / (positions * Swift.max(C, O) * tilesPerImage)))
        let maxTiles = group * tilesPerImage
        // F(3x3, 2x2): dL/dy rounded up to whole 2x2 blocks in a zero-bordered plane. (F(3x3, 4x4)
        // planes are whole 4x4 blocks already: read in place.)
        let (blockH, blockW) = (2 * tilesH, 2 * tilesW)

        // Planes `winogradPlaneStride` apart, so the streams of a tile do not share cache sets.
        let mStride = winogradPlaneStride(O * C)
        Workspace.with(positions * winogradPlaneStride(C * maxTiles), positions * winogradPlaneStride(O * maxTiles)) { v, z in
            Workspace.with(positions * mStride) { m in
                for first in stride(from: 0, to: N, by: group) {
                    let count = Swift.min(group, N - first)
                    let T = count * tilesPerImage
                    let (vStride, zStride) = (winogradPlaneStride(C * T), winogradPlaneStride(O * T))

                    // V[ξ][c][t] = (Bᵀ d B)[ξ], the forward's input transform.
                    winogradInputTransform(x + first * C * H * W, images: count, channels: C, height: H, width: W,
                                           tile: tile, v, planeStride: vStride)

                    // Z[ξ][o][t] = (A dy Aᵀ)[ξ], one output channel per task.
                    parallelFor(O, costPerItem: count * H * W * 8) { channels in
                        switch tile {
                        case .f2:
                            withZeroedPlane(blockH * blockW) { padded in
                                for o in channels {
                                    for i in 0..<count {
                                        copyPlane(gy + ((first + i) * O + o) * H * W, height: H, width: W,
                                                  into: padded, rowStride: blockW)
                                        winogradGradientTiles(padded, blockW: blockW, tilesH: tilesH, tilesW: tilesW,
                                                              z + o * T + i * tilesPerImage, stride16: zStride)
                                    }
                                }
                            }
                        case .f4:
                            for o in channels {
                                for i in 0..<count {
                                    winogradGradientTilesF4(gy + ((first + i) * O + o) * H * W, width: W, tilesH: tilesH,
                                                            tilesW: tilesW, z + o * T + i * tilesPerImage, stride36: zStride)
                                }
                            }
                        }
                    }

                    // M[ξ] (O x C) (+)= Z[ξ] (O x T) · V[ξ]ᵀ (T x C), whole products per core.
                    independentProducts(positions) { xi in
                        gemm(parallel: false, transposeB: true, m: O, n: C, k: T, a: z + xi * zStride, lda: T,
                             b: v + xi * vStride, ldb: T, beta: first == 0 ? 0 : 1,
                             c: m + xi * mStride, ldc: C)
                    }
                }
                // gw[o][c] += Gᵀ M[·][o][c] G, one output channel per task.
                parallelFor(O, costPerItem: C * 4 * positions) { channels in
                    for o in channels {
                        switch tile {
                        case .f2: winogradFilterGradients(m + o * C, stride16: mStride, count: C, gw + o * C * 9)
                        case .f4: winogradFilterGradientsF4(m + o * C, stride36: mStride, count: C, gw + o * C * 9)
                        }
                    }
                }
            }
        }
    }

    /// A dy Aᵀ for every 2x2 block of one zero-bordered dL/dy plane (`blockW` = 2 * tilesW
    /// columns); tile t's 16 values go to out[ξ * stride16 + t].
    /// A = [[1,0],[1,1],[1,-1],[0,-1]]: rows (r0, r0 + r1, r0 - r1, -r1), the same on columns.
    /// Four horizontally adjacent tiles at once, one SIMD lane each.
    @inline(__always)
    static func winogradGradientTiles(_ plane: UnsafePointer<Float>, blockW: Int, tilesH: Int, tilesW: Int,
                                      _ out: UnsafeMutablePointer<Float>, stride16: Int) {
        @inline(__always) func emit(_ o: UnsafeMutablePointer<Float>, _ p0: SIMD4<Float>, _ q0: SIMD4<Float>,
                                    _ p1: SIMD4<Float>, _ q1: SIMD4<Float>) {
            let raw = UnsafeMutableRawPointer(o)
            let step = stride16 * MemoryLayout<Float>.stride
            @inline(__always) func put(_ k: Int, _ p: SIMD4<Float>, _ q: SIMD4<Float>) {
                raw.storeBytes(of: p, toByteOffset: (4 * k) * step, as: SIMD4<Float>.self)
                raw.storeBytes(of: p + q, toByteOffset: (4 * k + 1) * step, as: SIMD4<Float>.self)
                raw.storeBytes(of: p - q, toByteOffset: (4 * k + 2) * step, as: SIMD4<Float>.self)
                raw.storeBytes(of: -q, toByteOffset: (4 * k + 3) * step, as: SIMD4<Float>.self)
            }
            put(0, p0, q0); put(1, p0 + p1, q0 + q1); put(2, p0 - p1, q0 - q1); put(3, -p1, -q1)
        }
        for ty in 0..<tilesH {
            let row0 = plane + 2 * ty * blockW, row1 = row0 + blockW
            var tx = 0
            while tx + 4 <= tilesW {
                let a = UnsafeRawPointer(row0 + 2 * tx).loadUnaligned(as: SIMD8<Float>.self)
                let b = UnsafeRawPointer(row1 + 2 * tx).loadUnaligned(as: SIMD8<Float>.self)
                emit(out + ty * tilesW + tx, a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                tx += 4
            }
            while tx < tilesW {
                let (p0, q0, p1, q1) = (row0[2 * tx], row0[2 * tx + 1], row1[2 * tx], row1[2 * tx + 1])
                let o = out + ty * tilesW + tx
                @inline(__always) func put(_ k: Int, _ p: Float, _ q: Float) {
                    o[(4 * k) * stride16] = p
                    o[(4 * k + 1) * stride16] = p + q
                    o[(4 * k + 2) * stride16] = p - q
                    o[(4 * k + 3) * stride16] = -q
                }
                put(0, p0, q0); put(1, p0 + p1, q0 + q1); put(2, p0 - p1, q0 - q1); put(3, -p1, -q1)
                tx += 1
            }
        }
    }

    /// gw[c][3x3] += Gᵀ M G for `count` consecutive filters, M[ξ] at m[ξ * stride16 + c].
    /// Gᵀ = [[1,½,½,0],[0,½,-½,0],[0,½,½,1]]. Four filters at a time, one SIMD lane each.
    @inline(__always)
    static func winogradFilterGradients(_ m: UnsafePointer<Float>, stride16: Int, count: Int,
                                        _ gw: UnsafeMutablePointer<Float>) {
        var c = 0
        while c < count {
            let lanes = Swift.min(4, count - c)
            @inline(__always) func load(_ xi: Int) -> SIMD4<Float> {
                var v = SIMD4<Float>()
                for lane in 0..<lanes { v[lane] = m[xi * stride16 + c + lane] }
                return v
            }
            let half = SIMD4<Float>(repeating: 0.5)
            // Gᵀ M: each column of M combined down its rows; then (Gᵀ M) G: each row across its columns.
            @inline(__always) func combine(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
                -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                let s = half * (b + c)
                return (a + s, half * (b - c), s + d)
            }
            let columns = (combine(load(0), load(4), load(8), load(12)), combine(load(1), load(5), load(9), load(13)),
                           combine(load(2), load(6), load(10), load(14)), combine(load(3), load(7), load(11), load(15)))
            let t0 = combine(columns.0.0, columns.1.0, columns.2.0, columns.3.0)
            let t1 = combine(columns.0.1, columns.1.1, columns.2.1, columns.3.1)
            let t2 = combine(columns.0.2, columns.1.2, columns.2.2, columns.3.2)
            for lane in 0..<lanes {
                let f = gw + (c + lane) * 9
                f[0] += t0.0[lane]; f[1] += t0.1[lane]; f[2] += t0.2[lane]
                f[3] += t1.0[lane]; f[4] += t1.1[lane]; f[5] += t1.2[lane]
                f[6] += t2.0[lane]; f[7] += t2.1[lane]; f[8] += t2.2[lane]
            }
            c += lanes
        }
    }

    /// Copies an H x W plane into a wider buffer, row by row.
    @inline(__always)
    static func copyPlane(_ source: UnsafePointer<Float>, height: Int, width: Int,
                          into destination: UnsafeMutablePointer<Float>, rowStride: Int) {
        for row in 0..<height {
            copyFloats(source + row * width, to: destination + row * rowStride, count: width)
        }
    }

    /// A zero-filled scratch plane for one task (its border stays zero across the planes copied
    /// in); with `copyPlane`, how both Winograd transforms pad their input.
    @inline(__always)
    static func withZeroedPlane(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { buffer in
            let plane = buffer.baseAddress!
            plane.update(repeating: 0, count: count)
            body(plane)
        }
    }
}
