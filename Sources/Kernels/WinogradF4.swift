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
/// Position ξ = 6i + j of a transformed tile is row i, column j. The filter and weight-gradient
/// transforms here work on four tiles (or four filters) at once, one SIMD lane each; the input
/// and output transforms of the convolution are in C (Sources/CKernels), one instance per
/// instruction set.
///
/// Precision: the coefficients up to 8 and the fractions 1/6, 1/12, 1/24 amplify float32
/// rounding, so this tile is about ten times less exact than F(2x2, 3x3) (bound in KernelTests).
extension Kernels {
    typealias Lanes = SIMD4<Float>
    typealias SixLanes = (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)
    typealias FourLanes = (Lanes, Lanes, Lanes, Lanes)

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

    /// The gathering path of the F(4x4, 3x3) weight-gradient tile transform: tiles in groups of four consecutive
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
