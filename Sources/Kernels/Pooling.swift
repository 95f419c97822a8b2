/// Max pooling and adaptive average pooling on NCHW planes.
package struct PoolGeometry {
    package let planes: Int, height: Int, width: Int
    package let kernel: Int, stride: Int, padding: Int
    // Floor division, as PyTorch: a window that does not fit gives 0 (refused by maxPool2d),
    // where truncation would round -1/2 up to a size of 1.
    package var outHeight: Int { Int((Double(height + 2 * padding - kernel) / Double(stride)).rounded(.down)) + 1 }
    package var outWidth: Int { Int((Double(width + 2 * padding - kernel) / Double(stride)).rounded(.down)) + 1 }

    package init(planes: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        (self.planes, self.height, self.width) = (planes, height, width)
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
    }
}

extension Kernels {
    /// Max over each window; `argmax` records the winning input index within its plane.
    /// Padding counts as minus infinity, so it never wins; the first maximum wins ties.
    package static func maxPool(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        _ argmax: UnsafeMutablePointer<Int32>, _ g: PoolGeometry) {
        if KernelOptions.current.fastPooling && g.kernel == 2 && g.stride == 2 && g.padding == 0 {
            maxPool2x2(x, y, argmax, g)
            return
        }
        let (oh, ow) = (g.outHeight, g.outWidth)
        parallelFor(g.planes, costPerItem: g.height * g.width) { planes in
            for p in planes {
                let src = x + p * g.height * g.width
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity, bestIndex = -1
                        for ki in 0..<g.kernel {
                            let iy = oy * g.stride - g.padding + ki
                            guard iy >= 0 && iy < g.height else { continue }
                            for kj in 0..<g.kernel {
                                let ix = ox * g.stride - g.padding + kj
                                guard ix >= 0 && ix < g.width else { continue }
                                let v = src[iy * g.width + ix]
                                if bestIndex < 0 || v > best || v.isNaN { best = v; bestIndex = iy * g.width + ix }
                            }
                        }
                        let o = (p * oh + oy) * ow + ox
                        y[o] = best
                        argmax[o] = Int32(bestIndex)
                    }
                }
            }
        }
    }

    /// Whether 2x2 / stride 2 windows take `maxPool2x2`; tests compare it with the general loop.

    /// `maxPool` for VGG's 2x2 windows with stride 2: eight outputs at a time, the four
    /// candidates of each window the even and odd elements of two 16-wide loads. The same
    /// decisions as the general loop, in the same order: a candidate replaces the best so far when
    /// it is larger or NaN (so NaN propagates, and the first of equal maxima wins).
    static func maxPool2x2(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           _ argmax: UnsafeMutablePointer<Int32>, _ g: PoolGeometry) {
        let (oh, ow, W) = (g.outHeight, g.outWidth, g.width)
        parallelFor(g.planes, costPerItem: g.height * g.width) { planes in
            for p in planes {
                let src = x + p * g.height * W
                for oy in 0..<oh {
                    let (row0, row1) = (src + 2 * oy * W, src + (2 * oy + 1) * W)
                    let (out, winners) = (y + (p * oh + oy) * ow, argmax + (p * oh + oy) * ow)
                    var ox = 0
                    while ox + 8 <= ow {
                        let top = UnsafeRawPointer(row0 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                        let bottom = UnsafeRawPointer(row1 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                        let first = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14) &+ Int32(2 * oy * W + 2 * ox)
                        var best = top.evenHalf, index = first
                        @inline(__always) func consider(_ v: SIMD8<Float>, _ at: SIMD8<Int32>) {
                            let wins = (v .> best) .| (v .!= v)
                            best.replace(with: v, where: wins)
                            index.replace(with: at, where: wins)   // Float and Int32 lanes share one mask type
                        }
                        consider(top.oddHalf, first &+ 1)
                        consider(bottom.evenHalf, first &+ Int32(W))
                        consider(bottom.oddHalf, first &+ Int32(W + 1))
                        UnsafeMutableRawPointer(out + ox).storeBytes(of: best, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(winners + ox).storeBytes(of: index, as: SIMD8<Int32>.self)
                        ox += 8
                    }
                    while ox < ow {
                        let i = 2 * ox
                        var best = row0[i], index = 2 * oy * W + i
                        @inline(__always) func consider(_ v: Float, _ at: Int) {
                            if v > best || v.isNaN { best = v; index = at }
                        }
                        consider(row0[i + 1], index + 1)
                        consider(row1[i], 2 * oy * W + W + i)
                        consider(row1[i + 1], 2 * oy * W + W + i + 1)
                        out[ox] = best
                        winners[ox] = Int32(index)
                        ox += 1
                    }
                }
            }
        }
    }

    /// Routes each output gradient to the input position that won the max.
    package static func maxPoolBackward(_ gy: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>,
                                _ gx: UnsafeMutablePointer<Float>, _ g: PoolGeometry) {
        let outPlane = g.outHeight * g.outWidth, inPlane = g.height * g.width
        gx.update(repeating: 0, count: g.planes * inPlane)
        parallelFor(g.planes, costPerItem: inPlane) { planes in
            for p in planes {
                for o in 0..<outPlane {
                    gx[p * inPlane + Int(argmax[p * outPlane + o])] += gy[p * outPlane + o]
                }
            }
        }
    }

    /// Window [start, end) of output cell `i` of `outSize` over `inSize` inputs, as PyTorch's
    /// adaptive pooling: floor(i * in / out) to ceil((i + 1) * in / out).
    package static func adaptiveWindow(_ i: Int, _ outSize: Int, _ inSize: Int) -> Range<Int> {
        (i * inSize / outSize)..<(((i + 1) * inSize + outSize - 1) / outSize)
    }
}
