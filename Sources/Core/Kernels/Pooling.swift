/// Max pooling and adaptive average pooling on NCHW planes.
struct PoolGeometry {
    let planes: Int, height: Int, width: Int
    let kernel: Int, stride: Int, padding: Int
    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
}

extension Kernels {
    /// Max over each window; `argmax` records the winning input index within its plane.
    /// Padding counts as minus infinity, so it never wins; the first maximum wins ties.
    static func maxPool(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        _ argmax: UnsafeMutablePointer<Int32>, _ g: PoolGeometry) {
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

    /// Routes each output gradient to the input position that won the max.
    static func maxPoolBackward(_ gy: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>,
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
    static func adaptiveWindow(_ i: Int, _ outSize: Int, _ inSize: Int) -> Range<Int> {
        (i * inSize / outSize)..<(((i + 1) * inSize + outSize - 1) / outSize)
    }
}
