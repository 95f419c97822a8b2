/// Winograd F(4x4, 3x3): the transforms for the larger tile. Each 4x4 block of output comes from
/// a 6x6 block of input through 36 element-wise products instead of the 144 of a direct
/// convolution: 4x fewer multiplications, against 2.25x for F(2x2, 3x3). `Winograd.swift` runs
/// both tile sizes through the same driver (filters, input tiles, 36 products, output tiles).
///
/// The matrices (interpolation points 0, ±1, ±2 and ∞, as in Lavin & Gray, 2015):
///
///     Bᵀ = [ 4  0 -5  0  1  0 ]    G = [  1/4     0     0 ]    Aᵀ = [ 1  1  1  1  1  0 ]
///          [ 0 -4 -4  1  1  0 ]        [ -1/6  -1/6  -1/6 ]         [ 0  1 -1  2 -2  0 ]
///          [ 0  4 -4 -1  1  0 ]        [ -1/6   1/6  -1/6 ]         [ 0  1  1  4  4  0 ]
///          [ 0 -2 -1  2  1  0 ]        [ 1/24  1/12   1/6 ]         [ 0  1 -1  8 -8  1 ]
///          [ 0  2 -1 -2  1  0 ]        [ 1/24 -1/12   1/6 ]
///          [ 0  4  0 -5  0  1 ]        [    0     0     1 ]
///
/// Position ξ = 6i + j of a transformed tile is row i, column j. Every transform works on four
/// tiles (or four filters) at once, one SIMD lane each.
///
/// Precision: the coefficients up to 8 and the fractions 1/6, 1/12, 1/24 amplify float32
/// rounding, so this tile is about ten times less exact than F(2x2, 3x3) (bound in KernelTests).
extension Kernels {
    typealias Lanes = SIMD4<Float>
    typealias SixLanes = (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)
    typealias FourLanes = (Lanes, Lanes, Lanes, Lanes)

    /// Bᵀ x for six values (a column of a tile, or a row of Bᵀ d).
    @inline(__always)
    static func inputRowsF4(_ x: SixLanes) -> SixLanes {
        let a = x.4 - 4 * x.2, b = x.3 - 4 * x.1
        let c = x.4 - x.2, d = 2 * (x.3 - x.1)
        return (4 * x.0 - 5 * x.2 + x.4, a + b, a - b, c + d, c - d, 4 * x.1 - 5 * x.3 + x.5)
    }

    /// Aᵀ x: six transformed values to four outputs.
    @inline(__always)
    static func outputRowsF4(_ x: SixLanes) -> FourLanes {
        let s12 = x.1 + x.2, d12 = x.1 - x.2, s34 = x.3 + x.4, d34 = x.3 - x.4
        return (x.0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34, d12 + 8 * d34 + x.5)
    }

    /// G x: three filter taps to six values.
    @inline(__always)
    static func filterRowsF4(_ x0: Lanes, _ x1: Lanes, _ x2: Lanes) -> SixLanes {
        let sixth = Lanes(repeating: 1.0 / 6), twelfth = Lanes(repeating: 1.0 / 12)
        let quarter = Lanes(repeating: 0.25), twentyFourth = Lanes(repeating: 1.0 / 24)
        let outer = x0 + x2, even = twentyFourth * x0 + sixth * x2
        return (quarter * x0, -sixth * (outer + x1), -sixth * (outer - x1),
                even + twelfth * x1, even - twelfth * x1, x2)
    }

    /// u = G f Gᵀ for four 3x3 filters (`f(k)` is tap k, row-major), position ξ through `put`.
    @inline(__always)
    static func filterTileF4(_ f: (Int) -> Lanes, _ put: (Int, Lanes) -> Void) {
        // t = G f, column by column; then each row of t through G again.
        let c0 = filterRowsF4(f(0), f(3), f(6)), c1 = filterRowsF4(f(1), f(4), f(7)), c2 = filterRowsF4(f(2), f(5), f(8))
        @inline(__always) func row(_ i: Int, _ v: SixLanes) {
            put(6 * i, v.0); put(6 * i + 1, v.1); put(6 * i + 2, v.2)
            put(6 * i + 3, v.3); put(6 * i + 4, v.4); put(6 * i + 5, v.5)
        }
        row(0, filterRowsF4(c0.0, c1.0, c2.0))
        row(1, filterRowsF4(c0.1, c1.1, c2.1))
        row(2, filterRowsF4(c0.2, c1.2, c2.2))
        row(3, filterRowsF4(c0.3, c1.3, c2.3))
        row(4, filterRowsF4(c0.4, c1.4, c2.4))
        row(5, filterRowsF4(c0.5, c1.5, c2.5))
    }

    /// v = Bᵀ d B for four 6x6 input patches, given as their six rows (each row as six columns
    /// across the four patches); position ξ through `put`.
    @inline(__always)
    static func inputTileF4(_ r: (SixLanes, SixLanes, SixLanes, SixLanes, SixLanes, SixLanes),
                            _ put: (Int, Lanes) -> Void) {
        // t = Bᵀ d: column j of the patch through Bᵀ.
        let c0 = inputRowsF4((r.0.0, r.1.0, r.2.0, r.3.0, r.4.0, r.5.0))
        let c1 = inputRowsF4((r.0.1, r.1.1, r.2.1, r.3.1, r.4.1, r.5.1))
        let c2 = inputRowsF4((r.0.2, r.1.2, r.2.2, r.3.2, r.4.2, r.5.2))
        let c3 = inputRowsF4((r.0.3, r.1.3, r.2.3, r.3.3, r.4.3, r.5.3))
        let c4 = inputRowsF4((r.0.4, r.1.4, r.2.4, r.3.4, r.4.4, r.5.4))
        let c5 = inputRowsF4((r.0.5, r.1.5, r.2.5, r.3.5, r.4.5, r.5.5))
        // v = t B: row i of t through Bᵀ.
        @inline(__always) func row(_ i: Int, _ v: SixLanes) {
            put(6 * i, v.0); put(6 * i + 1, v.1); put(6 * i + 2, v.2)
            put(6 * i + 3, v.3); put(6 * i + 4, v.4); put(6 * i + 5, v.5)
        }
        row(0, inputRowsF4((c0.0, c1.0, c2.0, c3.0, c4.0, c5.0)))
        row(1, inputRowsF4((c0.1, c1.1, c2.1, c3.1, c4.1, c5.1)))
        row(2, inputRowsF4((c0.2, c1.2, c2.2, c3.2, c4.2, c5.2)))
        row(3, inputRowsF4((c0.3, c1.3, c2.3, c3.3, c4.3, c5.3)))
        row(4, inputRowsF4((c0.4, c1.4, c2.4, c3.4, c4.4, c5.4)))
        row(5, inputRowsF4((c0.5, c1.5, c2.5, c3.5, c4.5, c5.5)))
    }

    /// y = Aᵀ m A for four tiles (`m(ξ)` position ξ across the four): the 4x4 outputs as four
    /// rows of four columns.
    @inline(__always)
    static func outputTileF4(_ m: (Int) -> Lanes) -> (FourLanes, FourLanes, FourLanes, FourLanes) {
        // s = Aᵀ m: column j of m through Aᵀ.
        @inline(__always) func column(_ j: Int) -> FourLanes {
            outputRowsF4((m(j), m(6 + j), m(12 + j), m(18 + j), m(24 + j), m(30 + j)))
        }
        let (s0, s1, s2, s3, s4, s5) = (column(0), column(1), column(2), column(3), column(4), column(5))
        // y = s A: row r of s through Aᵀ.
        return (outputRowsF4((s0.0, s1.0, s2.0, s3.0, s4.0, s5.0)), outputRowsF4((s0.1, s1.1, s2.1, s3.1, s4.1, s5.1)),
                outputRowsF4((s0.2, s1.2, s2.2, s3.2, s4.2, s5.2)), outputRowsF4((s0.3, s1.3, s2.3, s3.3, s4.3, s5.3)))
    }

    /// Bᵀ d B for every 6x6 tile (4 pixels apart) of one zero-bordered plane: the image sits at
    /// row 1, column 1, and the plane is `paddedW` = 4 * tilesW + 4 wide (the vector loads read
    /// up to two columns past the last tile). Tile t's 36 values go to out[ξ * stride36 + t].
    ///
    /// With a multiple of four tiles per row, four neighbours are read with two 16-wide loads
    /// per row, their columns picked out by even/odd splits; other widths (20, 24, 28, ... pixels)
    /// gather any four consecutive tiles lane by lane.
    @inline(__always)
    static func winogradInputTilesF4(_ padded: UnsafePointer<Float>, paddedW: Int, tilesH: Int, tilesW: Int,
                                     _ out: UnsafeMutablePointer<Float>, stride36: Int) {
        let step = stride36 * MemoryLayout<Float>.stride
        if tilesW % 4 == 0 {
            for ty in 0..<tilesH {
                for tx in stride(from: 0, to: tilesW, by: 4) {
                    let d = padded + 4 * ty * paddedW + 4 * tx
                    @inline(__always) func row(_ k: Int) -> SixLanes {
                        let p = UnsafeRawPointer(d + k * paddedW)
                        let a = p.loadUnaligned(as: SIMD16<Float>.self)
                        let b = p.loadUnaligned(fromByteOffset: 16, as: SIMD16<Float>.self)
                        return (a.evenHalf.evenHalf, a.oddHalf.evenHalf, a.evenHalf.oddHalf, a.oddHalf.oddHalf,
                                b.evenHalf.evenHalf, b.oddHalf.evenHalf)
                    }
                    let o = UnsafeMutableRawPointer(out + ty * tilesW + tx)
                    inputTileF4((row(0), row(1), row(2), row(3), row(4), row(5))) { xi, value in
                        o.storeBytes(of: value, toByteOffset: xi * step, as: Lanes.self)
                    }
                }
            }
            return
        }
        forEachTileQuadF4(tiles: tilesH * tilesW, tilesW: tilesW, rowStride: paddedW, out, stride36: stride36) { origin, put in
            @inline(__always) func row(_ k: Int) -> SixLanes {
                @inline(__always) func column(_ j: Int) -> Lanes {
                    let e = k * paddedW + j
                    return Lanes(padded[origin[0] + e], padded[origin[1] + e], padded[origin[2] + e], padded[origin[3] + e])
                }
                return (column(0), column(1), column(2), column(3), column(4), column(5))
            }
            inputTileF4((row(0), row(1), row(2), row(3), row(4), row(5)), put)
        }
    }

    /// The gathering path of the F(4x4, 3x3) tile transforms: tiles in groups of four consecutive
    /// indices (t = ty * tilesW + tx), `body(origin, put)` with each lane's patch corner
    /// (4 * ty * rowStride + 4 * tx) and a `put(ξ, value)` that stores the group's valid lanes at
    /// out[ξ * stride36 + t]. Lanes past the last tile repeat it and are not stored.
    @inline(__always)
    static func forEachTileQuadF4(tiles: Int, tilesW: Int, rowStride: Int, _ out: UnsafeMutablePointer<Float>,
                                  stride36: Int, _ body: (SIMD4<Int>, (Int, Lanes) -> Void) -> Void) {
        for first in stride(from: 0, to: tiles, by: 4) {
            let lanes = Swift.min(4, tiles - first)
            // (A `let`: a captured `var` would be checked for exclusive access on every read.)
            @inline(__always) func corner(_ lane: Int) -> Int {
                let (ty, tx) = (first + Swift.min(lane, lanes - 1)).quotientAndRemainder(dividingBy: tilesW)
                return 4 * ty * rowStride + 4 * tx
            }
            let o = out + first
            body(SIMD4<Int>(corner(0), corner(1), corner(2), corner(3))) { xi, value in
                if lanes == 4 {
                    UnsafeMutableRawPointer(o + xi * stride36).storeBytes(of: value, as: Lanes.self)
                } else {
                    for lane in 0..<lanes { o[xi * stride36 + lane] = value[lane] }
                }
            }
        }
    }

    /// Aᵀ m A, through the channel's output map, for every tile of one H x W output plane (H and
    /// W multiples of 4), m[ξ * stride36 + t]. Four neighbouring tiles of a row are written as
    /// 16-wide rows; other widths write each tile's 16 values.
    @inline(__always)
    static func winogradOutputTilesF4(_ m: UnsafePointer<Float>, stride36: Int, tilesH: Int, tilesW: Int,
                                      _ channel: ChannelMap, _ plane: UnsafeMutablePointer<Float>, width W: Int) {
        if tilesW % 4 == 0 {
            for ty in 0..<tilesH {
                for tx in stride(from: 0, to: tilesW, by: 4) {
                    let s = m + ty * tilesW + tx
                    let y = outputTileF4 { xi in UnsafeRawPointer(s + xi * stride36).loadUnaligned(as: Lanes.self) }
                    // Output row r of the four tiles: tile k's column c lands at 4k + c.
                    @inline(__always) func store(_ r: Int, _ v: FourLanes) {
                        let (c0, c1, c2, c3) = (channel.apply(v.0), channel.apply(v.1), channel.apply(v.2), channel.apply(v.3))
                        let row = SIMD16<Float>(c0[0], c1[0], c2[0], c3[0], c0[1], c1[1], c2[1], c3[1],
                                                c0[2], c1[2], c2[2], c3[2], c0[3], c1[3], c2[3], c3[3])
                        UnsafeMutableRawPointer(plane + (4 * ty + r) * W + 4 * tx).storeBytes(of: row, as: SIMD16<Float>.self)
                    }
                    store(0, y.0); store(1, y.1); store(2, y.2); store(3, y.3)
                }
            }
            return
        }
        let tiles = tilesH * tilesW
        for first in stride(from: 0, to: tiles, by: 4) {
            let lanes = Swift.min(4, tiles - first)
            let s = m + first
            let y = outputTileF4 { xi in
                var v = Lanes()
                for lane in 0..<lanes { v[lane] = s[xi * stride36 + lane] }
                return v
            }
            for lane in 0..<lanes {
                let (ty, tx) = (first + lane).quotientAndRemainder(dividingBy: tilesW)
                let corner = plane + 4 * ty * W + 4 * tx
                @inline(__always) func store(_ r: Int, _ v: FourLanes) {
                    let out = corner + r * W
                    out[0] = channel.apply(v.0[lane]); out[1] = channel.apply(v.1[lane])
                    out[2] = channel.apply(v.2[lane]); out[3] = channel.apply(v.3[lane])
                }
                store(0, y.0); store(1, y.1); store(2, y.2); store(3, y.3)
            }
        }
    }

    // MARK: The weight gradient's transforms (see WinogradWeightGradient.swift)

    /// A x for four values of dL/dy (A = (Aᵀ)ᵀ, 6x4): four outputs to six transformed values.
    @inline(__always)
    static func gradientRowsF4(_ x: FourLanes) -> SixLanes {
        let even = x.0 + x.2, odd = x.1 + x.3
        let even4 = x.0 + 4 * x.2, odd8 = 2 * x.1 + 8 * x.3
        return (x.0, even + odd, even - odd, even4 + odd8, even4 - odd8, x.3)
    }

    /// Gᵀ x: six transformed values to three filter taps.
    @inline(__always)
    static func filterGradientRowsF4(_ x: SixLanes) -> (Lanes, Lanes, Lanes) {
        let sixth = Lanes(repeating: 1.0 / 6), twelfth = Lanes(repeating: 1.0 / 12)
        let quarter = Lanes(repeating: 0.25), twentyFourth = Lanes(repeating: 1.0 / 24)
        let s12 = x.1 + x.2, s34 = x.3 + x.4
        return (quarter * x.0 - sixth * s12 + twentyFourth * s34,
                sixth * (x.2 - x.1) + twelfth * (x.3 - x.4),
                sixth * (s34 - s12) + x.5)
    }

    /// z = A dy Aᵀ for four 4x4 blocks of dL/dy, given as their four rows (each as four columns
    /// across the blocks); position ξ = 6i + j through `put`.
    @inline(__always)
    static func gradientTileF4(_ r: (FourLanes, FourLanes, FourLanes, FourLanes), _ put: (Int, Lanes) -> Void) {
        // w = dy Aᵀ: each row through A; then z = A w, column by column.
        let (w0, w1, w2, w3) = (gradientRowsF4(r.0), gradientRowsF4(r.1), gradientRowsF4(r.2), gradientRowsF4(r.3))
        @inline(__always) func column(_ j: Int, _ v: SixLanes) {
            put(j, v.0); put(6 + j, v.1); put(12 + j, v.2); put(18 + j, v.3); put(24 + j, v.4); put(30 + j, v.5)
        }
        column(0, gradientRowsF4((w0.0, w1.0, w2.0, w3.0)))
        column(1, gradientRowsF4((w0.1, w1.1, w2.1, w3.1)))
        column(2, gradientRowsF4((w0.2, w1.2, w2.2, w3.2)))
        column(3, gradientRowsF4((w0.3, w1.3, w2.3, w3.3)))
        column(4, gradientRowsF4((w0.4, w1.4, w2.4, w3.4)))
        column(5, gradientRowsF4((w0.5, w1.5, w2.5, w3.5)))
    }

    /// A dy Aᵀ for every 4x4 block of one dL/dy plane (H and W multiples of 4, `W` wide); tile
    /// t's 36 values go to out[ξ * stride36 + t]. Four neighbouring blocks of a row at once
    /// (one 16-wide load per row) when the tiles per row are a multiple of four, otherwise any
    /// four consecutive blocks gathered lane by lane.
    @inline(__always)
    static func winogradGradientTilesF4(_ plane: UnsafePointer<Float>, width W: Int, tilesH: Int, tilesW: Int,
                                        _ out: UnsafeMutablePointer<Float>, stride36: Int) {
        let step = stride36 * MemoryLayout<Float>.stride
        if tilesW % 4 == 0 {
            for ty in 0..<tilesH {
                for tx in stride(from: 0, to: tilesW, by: 4) {
                    let d = plane + 4 * ty * W + 4 * tx
                    @inline(__always) func row(_ k: Int) -> FourLanes {
                        let a = UnsafeRawPointer(d + k * W).loadUnaligned(as: SIMD16<Float>.self)
                        return (a.evenHalf.evenHalf, a.oddHalf.evenHalf, a.evenHalf.oddHalf, a.oddHalf.oddHalf)
                    }
                    let o = UnsafeMutableRawPointer(out + ty * tilesW + tx)
                    gradientTileF4((row(0), row(1), row(2), row(3))) { xi, value in
                        o.storeBytes(of: value, toByteOffset: xi * step, as: Lanes.self)
                    }
                }
            }
            return
        }
        forEachTileQuadF4(tiles: tilesH * tilesW, tilesW: tilesW, rowStride: W, out, stride36: stride36) { origin, put in
            @inline(__always) func row(_ k: Int) -> FourLanes {
                @inline(__always) func column(_ j: Int) -> Lanes {
                    let e = k * W + j
                    return Lanes(plane[origin[0] + e], plane[origin[1] + e], plane[origin[2] + e], plane[origin[3] + e])
                }
                return (column(0), column(1), column(2), column(3))
            }
            gradientTileF4((row(0), row(1), row(2), row(3)), put)
        }
    }

    /// gw[c][3x3] += Gᵀ M G for `count` consecutive filters, M[ξ] at m[ξ * stride36 + c]. Four
    /// filters at a time, one SIMD lane each.
    @inline(__always)
    static func winogradFilterGradientsF4(_ m: UnsafePointer<Float>, stride36: Int, count: Int,
                                          _ gw: UnsafeMutablePointer<Float>) {
        var c = 0
        while c < count {
            let lanes = Swift.min(4, count - c)
            let first = c
            @inline(__always) func load(_ xi: Int) -> Lanes {
                let p = m + xi * stride36 + first
                return lanes == 4 ? UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
                                  : Lanes(p[0], lanes > 1 ? p[1] : 0, lanes > 2 ? p[2] : 0, 0)
            }
            // q = M G: row i of M through Gᵀ; then Gᵀ q, column by column.
            @inline(__always) func row(_ i: Int) -> (Lanes, Lanes, Lanes) {
                filterGradientRowsF4((load(6 * i), load(6 * i + 1), load(6 * i + 2),
                                      load(6 * i + 3), load(6 * i + 4), load(6 * i + 5)))
            }
            let (q0, q1, q2, q3, q4, q5) = (row(0), row(1), row(2), row(3), row(4), row(5))
            let t0 = filterGradientRowsF4((q0.0, q1.0, q2.0, q3.0, q4.0, q5.0))   // column 0 of the filter
            let t1 = filterGradientRowsF4((q0.1, q1.1, q2.1, q3.1, q4.1, q5.1))
            let t2 = filterGradientRowsF4((q0.2, q1.2, q2.2, q3.2, q4.2, q5.2))
            for lane in 0..<lanes {
                let f = gw + (c + lane) * 9
                f[0] += t0.0[lane]; f[1] += t1.0[lane]; f[2] += t2.0[lane]
                f[3] += t0.1[lane]; f[4] += t1.1[lane]; f[5] += t2.1[lane]
                f[6] += t0.2[lane]; f[7] += t1.2[lane]; f[8] += t2.2[lane]
            }
            c += lanes
        }
    }
}
