/// The transforms of the stride-2 Winograd (`WinogradStride2.swift`), each on four neighbouring
/// tiles of a row at once, one SIMD lane per tile.
///
/// Along one axis of a tile: Bᵀ p = (p0 - p2, p2, p4 - p2, p1, p3) on the input,
/// G g = (g0, g0 + g2, g2, g1, g1) on a filter and Aᵀ m = (m0 + m1 + m3, m1 + m2 + m4) on the
/// products; the backward pass applies their transposes. A 5x5 tile is transformed along its
/// columns and then along its rows.

/// Five values along one axis of a 5x5 tile, for four tiles at once.
struct Quintet {
    var a0: SIMD4<Float>, a1: SIMD4<Float>, a2: SIMD4<Float>, a3: SIMD4<Float>, a4: SIMD4<Float>

    /// Bᵀ p: the even samples through F(2, 2)'s input transform, then the odd samples.
    @inline(__always) var inputTransformed: Quintet {
        Quintet(a0: a0 - a2, a1: a2, a2: a4 - a2, a3: a1, a4: a3)
    }

    /// B u: the transpose of `inputTransformed`, for the input gradient.
    @inline(__always) var inputAdjoint: Quintet {
        Quintet(a0: a0, a1: a3, a2: a1 - a0 - a2, a3: a4, a4: a2)
    }

    /// Aᵀ m: the two outputs.
    @inline(__always) var outputs: (SIMD4<Float>, SIMD4<Float>) {
        (a0 + a1 + a3, a1 + a2 + a4)
    }

    /// A y: the transpose of `outputs`, from the gradients of the two outputs.
    @inline(__always) static func outputAdjoint(_ y0: SIMD4<Float>, _ y1: SIMD4<Float>) -> Quintet {
        Quintet(a0: y0, a1: y0 + y1, a2: y1, a3: y0, a4: y1)
    }
}

/// A 5x5 tile as five rows, for four tiles at once.
struct QuintetTile {
    var r0: Quintet, r1: Quintet, r2: Quintet, r3: Quintet, r4: Quintet

    @inline(__always) var transposed: QuintetTile {
        QuintetTile(r0: Quintet(a0: r0.a0, a1: r1.a0, a2: r2.a0, a3: r3.a0, a4: r4.a0),
                    r1: Quintet(a0: r0.a1, a1: r1.a1, a2: r2.a1, a3: r3.a1, a4: r4.a1),
                    r2: Quintet(a0: r0.a2, a1: r1.a2, a2: r2.a2, a3: r3.a2, a4: r4.a2),
                    r3: Quintet(a0: r0.a3, a1: r1.a3, a2: r2.a3, a3: r3.a3, a4: r4.a3),
                    r4: Quintet(a0: r0.a4, a1: r1.a4, a2: r2.a4, a3: r3.a4, a4: r4.a4))
    }

    /// A 5 -> 5 transform T along both axes: T d Tᵀ.
    @inline(__always) func bothAxes(_ transform: (Quintet) -> Quintet) -> QuintetTile {
        let columns = transposed
        let down = QuintetTile(r0: transform(columns.r0), r1: transform(columns.r1), r2: transform(columns.r2),
                               r3: transform(columns.r3), r4: transform(columns.r4)).transposed
        return QuintetTile(r0: transform(down.r0), r1: transform(down.r1), r2: transform(down.r2),
                           r3: transform(down.r3), r4: transform(down.r4))
    }

    /// Value ξ = 5 * row + column of four neighbouring tiles, from m[ξ * planeStride + lane].
    @inline(__always) init(loading m: UnsafePointer<Float>, planeStride: Int) {
        @inline(__always) func row(_ i: Int) -> Quintet {
            @inline(__always) func at(_ j: Int) -> SIMD4<Float> {
                UnsafeRawPointer(m + (5 * i + j) * planeStride).loadUnaligned(as: SIMD4<Float>.self)
            }
            return Quintet(a0: at(0), a1: at(1), a2: at(2), a3: at(3), a4: at(4))
        }
        (r0, r1, r2, r3, r4) = (row(0), row(1), row(2), row(3), row(4))
    }

    @inline(__always) init(r0: Quintet, r1: Quintet, r2: Quintet, r3: Quintet, r4: Quintet) {
        (self.r0, self.r1, self.r2, self.r3, self.r4) = (r0, r1, r2, r3, r4)
    }

    /// Writes value ξ of the four tiles to out[ξ * planeStride + lane].
    @inline(__always) func store(_ out: UnsafeMutablePointer<Float>, planeStride: Int) {
        @inline(__always) func row(_ i: Int, _ q: Quintet) {
            @inline(__always) func put(_ j: Int, _ value: SIMD4<Float>) {
                UnsafeMutableRawPointer(out + (5 * i + j) * planeStride).storeBytes(of: value, as: SIMD4<Float>.self)
            }
            put(0, q.a0); put(1, q.a1); put(2, q.a2); put(3, q.a3); put(4, q.a4)
        }
        row(0, r0); row(1, r1); row(2, r2); row(3, r3); row(4, r4)
    }
}

extension Kernels {
    /// u[ξ][o][c] = (G g Gᵀ)[ξ] for every filter g = w[o][c], planes `planeStride` apart.
    static func strideTwoFilters(_ w: UnsafePointer<Float>, outChannels O: Int, inChannels C: Int,
                                 _ u: UnsafeMutablePointer<Float>, planeStride: Int) {
        // As in `winogradFilters`: 64 filters into a local block, then 25 contiguous runs.
        let block = 64
        parallelFor(O, costPerItem: C * 40) { rows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: strideTwoPositions * block) { buffer in
                let local = buffer.baseAddress!
                for o in rows {
                    for start in stride(from: 0, to: C, by: block) {
                        let width = Swift.min(block, C - start)
                        for j in 0..<width {
                            let f = w + (o * C + start + j) * 9
                            // Row i of G f combines filter rows (0; 0 + 2; 2; 1; 1); each such row
                            // of three then goes through G the same way along the columns.
                            @inline(__always) func emit(_ i: Int, _ r0: Float, _ r1: Float, _ r2: Float) {
                                let out = local + 5 * i * block + j
                                out[0] = r0
                                out[block] = r0 + r2
                                out[2 * block] = r2
                                out[3 * block] = r1
                                out[4 * block] = r1
                            }
                            emit(0, f[0], f[1], f[2])
                            emit(1, f[0] + f[6], f[1] + f[7], f[2] + f[8])
                            emit(2, f[6], f[7], f[8])
                            emit(3, f[3], f[4], f[5])
                            emit(4, f[3], f[4], f[5])
                        }
                        for xi in 0..<strideTwoPositions {
                            (u + xi * planeStride + o * C + start).update(from: local + xi * block, count: width)
                        }
                    }
                }
            }
        }
    }

    /// v[ξ][c][t] = (Bᵀ d B)[ξ] for every tile of `images` consecutive images x [images, C, H, W]
    /// (on the calling thread: it runs inside a worker's share of the batch).
    static func strideTwoInputTransform(_ x: UnsafePointer<Float>, images count: Int, channels C: Int,
                                        _ tiling: StrideTwoTiling,
                                        _ v: UnsafeMutablePointer<Float>, planeStride: Int) {
        let (H, W, paddedW) = (tiling.height, tiling.width, tiling.paddedW)
        let T = count * tiling.tilesPerImage
        withZeroedPlane(tiling.paddedH * paddedW) { padded in
                for c in 0..<C {
                    for i in 0..<count {
                        copyPlane(x + (i * C + c) * H * W, height: H, width: W,
                                  into: padded + paddedW + 1, rowStride: paddedW)
                        let out = v + c * T + i * tiling.tilesPerImage
                        for ty in 0..<tiling.tilesH {
                            for tx in stride(from: 0, to: tiling.tilesW, by: 4) {
                                let corner = padded + 4 * ty * paddedW + 4 * tx
                                // Patch row k of the four tiles: columns j, j + 4, j + 8, j + 12 of
                                // two 16-wide loads.
                                @inline(__always) func row(_ k: Int) -> Quintet {
                                    let p = UnsafeRawPointer(corner + k * paddedW)
                                    let a = p.loadUnaligned(as: SIMD16<Float>.self)
                                    let b = p.loadUnaligned(fromByteOffset: 16, as: SIMD16<Float>.self)
                                    let (even, odd) = (a.evenHalf, a.oddHalf)
                                    return Quintet(a0: even.evenHalf, a1: odd.evenHalf, a2: even.oddHalf, a3: odd.oddHalf,
                                                   a4: b.evenHalf.evenHalf)
                                }
                                QuintetTile(r0: row(0), r1: row(1), r2: row(2), r3: row(3), r4: row(4))
                                    .bothAxes { $0.inputTransformed }
                                    .store(out + ty * tiling.tilesW + tx, planeStride: planeStride)
                            }
                        }
                    }
                }
        }
    }

    /// y = Aᵀ m A through the channel's output map, for the `T` tiles of one output channel in a
    /// group of images (m[ξ * planeStride + t]; the images' planes `imageStride` apart in y).
    @inline(__always)
    static func strideTwoOutputTiles(_ m: UnsafePointer<Float>, planeStride: Int, tiles T: Int, _ tiling: StrideTwoTiling,
                                     _ channel: ChannelMap, _ y: UnsafeMutablePointer<Float>, imageStride: Int) {
        let OW = tiling.outWidth
        for t in stride(from: 0, to: T, by: 4) {
            // Aᵀ down each of the five columns, then along the top and bottom rows.
            let columns = QuintetTile(loading: m + t, planeStride: planeStride).transposed
            let (c0, c1, c2, c3, c4) = (columns.r0.outputs, columns.r1.outputs, columns.r2.outputs,
                                        columns.r3.outputs, columns.r4.outputs)
            let top = Quintet(a0: c0.0, a1: c1.0, a2: c2.0, a3: c3.0, a4: c4.0).outputs
            let bottom = Quintet(a0: c0.1, a1: c1.1, a2: c2.1, a3: c3.1, a4: c4.1).outputs
            // Each output row of the four tiles is one 8-wide store (tile k at columns 2k, 2k + 1).
            let (image, ty, tx) = tiling.locate(t)
            let row = y + image * imageStride + 2 * ty * OW + 2 * tx
            @inline(__always) func store(_ target: UnsafeMutablePointer<Float>, _ pair: (SIMD4<Float>, SIMD4<Float>)) {
                let (l, r) = (channel.apply(pair.0), channel.apply(pair.1))
                UnsafeMutableRawPointer(target).storeBytes(of: SIMD8(l[0], r[0], l[1], r[1], l[2], r[2], l[3], r[3]),
                                                           as: SIMD8<Float>.self)
            }
            store(row, top)
            store(row + OW, bottom)
        }
    }

    /// z[ξ][t] = (A dy Aᵀ)[ξ] for the `T` tiles (2x2 blocks of dL/dy) of one output channel in a
    /// group of images (planes `imageStride` apart in dy).
    @inline(__always)
    static func strideTwoGradientTiles(_ dy: UnsafePointer<Float>, imageStride: Int, tiles T: Int,
                                       _ tiling: StrideTwoTiling, _ z: UnsafeMutablePointer<Float>, planeStride: Int) {
        let OW = tiling.outWidth
        for t in stride(from: 0, to: T, by: 4) {
            // The four tiles' two rows: the even and odd columns of two 8-wide loads.
            let (image, ty, tx) = tiling.locate(t)
            let row = UnsafeRawPointer(dy + image * imageStride + 2 * ty * OW + 2 * tx)
            let upper = row.loadUnaligned(as: SIMD8<Float>.self)
            let lower = row.loadUnaligned(fromByteOffset: OW * MemoryLayout<Float>.stride, as: SIMD8<Float>.self)
            // A along the two rows (2 -> 5 columns), then down each of the five columns.
            let top = Quintet.outputAdjoint(upper.evenHalf, upper.oddHalf)
            let bottom = Quintet.outputAdjoint(lower.evenHalf, lower.oddHalf)
            QuintetTile(r0: Quintet.outputAdjoint(top.a0, bottom.a0), r1: Quintet.outputAdjoint(top.a1, bottom.a1),
                        r2: Quintet.outputAdjoint(top.a2, bottom.a2), r3: Quintet.outputAdjoint(top.a3, bottom.a3),
                        r4: Quintet.outputAdjoint(top.a4, bottom.a4))
                .transposed
                .store(z + t, planeStride: planeStride)
        }
    }

    /// dL/dx = B v Bᵀ for every tile, each 5x5 patch added into its image's zero-bordered plane
    /// (neighbours overlap by a row and a column, always added in the same order), then cropped
    /// into gx [images, C, H, W] (on the calling thread, inside a worker's share of the batch).
    static func strideTwoInputAdjoint(_ v: UnsafePointer<Float>, planeStride: Int, images count: Int, channels C: Int,
                                      _ tiling: StrideTwoTiling, _ gx: UnsafeMutablePointer<Float>) {
        let (H, W, paddedW) = (tiling.height, tiling.width, tiling.paddedW)
        let (T, paddedPlane) = (count * tiling.tilesPerImage, tiling.paddedH * paddedW)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count * paddedPlane) { buffer in
                let padded = buffer.baseAddress!
                for c in 0..<C {
                    padded.update(repeating: 0, count: count * paddedPlane)
                    for t in stride(from: 0, to: T, by: 4) {
                        let patch = QuintetTile(loading: v + c * T + t, planeStride: planeStride).bothAxes { $0.inputAdjoint }
                        let (image, ty, tx) = tiling.locate(t)
                        let corner = padded + image * paddedPlane + 4 * ty * paddedW + 4 * tx
                        // Tile k's patch starts 4k columns in; its last column is the next one's first.
                        @inline(__always) func add(_ i: Int, _ q: Quintet) {
                            let p = corner + i * paddedW
                            for lane in 0..<4 {
                                p[4 * lane] += q.a0[lane]; p[4 * lane + 1] += q.a1[lane]; p[4 * lane + 2] += q.a2[lane]
                                p[4 * lane + 3] += q.a3[lane]; p[4 * lane + 4] += q.a4[lane]
                            }
                        }
                        add(0, patch.r0); add(1, patch.r1); add(2, patch.r2); add(3, patch.r3); add(4, patch.r4)
                    }
                    for i in 0..<count {
                        let (image, plane) = (gx + (i * C + c) * H * W, padded + i * paddedPlane + paddedW + 1)
                        for row in 0..<H { copyFloats(plane + row * paddedW, to: image + row * W, count: W) }
                    }
                }
        }
    }

    /// gw[c][3x3] += Gᵀ M G for `count` consecutive filters, M[ξ] at m[ξ * planeStride + c].
    /// Gᵀ m = (m0 + m1, m3 + m4, m1 + m2) along each axis.
    @inline(__always)
    static func strideTwoFilterGradients(_ m: UnsafePointer<Float>, planeStride: Int, count: Int,
                                         _ gw: UnsafeMutablePointer<Float>) {
        for c in 0..<count {
            @inline(__always) func at(_ i: Int, _ j: Int) -> Float { m[(5 * i + j) * planeStride + c] }
            // Gᵀ along each row, then down the three columns.
            @inline(__always) func row(_ i: Int) -> SIMD3<Float> {
                SIMD3(at(i, 0) + at(i, 1), at(i, 3) + at(i, 4), at(i, 1) + at(i, 2))
            }
            let (t0, t1, t2, t3, t4) = (row(0), row(1), row(2), row(3), row(4))
            let (top, middle, bottom) = (t0 + t1, t3 + t4, t1 + t2)
            let f = gw + c * 9
            for j in 0..<3 {
                f[j] += top[j]
                f[3 + j] += middle[j]
                f[6 + j] += bottom[j]
            }
        }
    }

    /// Copies a short run of floats inline (a `memmove` call per 8-float row costs more than the
    /// copy); the row copy of `copyPlane`.
    @inline(__always)
    static func copyFloats(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        var k = 0
        while k + 8 <= count {
            UnsafeMutableRawPointer(target + k).storeBytes(of: UnsafeRawPointer(source + k).loadUnaligned(as: SIMD8<Float>.self),
                                                           as: SIMD8<Float>.self)
            k += 8
        }
        while k < count { target[k] = source[k]; k += 1 }
    }
}
