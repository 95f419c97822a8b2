/// The weight gradient of a 3x3 / stride 1 / padding 1 convolution without im2col.
///
/// Why: through im2col, dL/dw = dL/dy · colᵀ needs the unfolded input, nine shifted copies of
/// every activation (150 MB written and read again per 64-image layer of ResNet-18's first
/// stage); that copying cost as much as the product itself. Instead, pad each input plane by one
/// pixel into a (H+2) x (W+2) grid and lay dL/dy on the same grid (zeros in the two extra columns
/// and rows). Then for kernel tap (ki, kj), the input pixel under output position q is simply
/// xPadded[q + ki·(W+2) + kj]: a plain strided matrix. Each tap is one GEMM over all positions
/// of a group of images,
///
///     dW[:, :, ki, kj] += dYpadded (O x positions) · shift(xPadded, ki, kj)ᵀ (positions x C)
///
/// and the zero entries of dYpadded cancel every product that straddles a row or an image.
/// The GEMMs do (H+2)(W+2)/(HW) more work (1.27x at 16x16), so this is used for planes of
/// 16x16 and larger, where the copies it avoids are the largest.
extension Kernels {
    static func shiftedWeightGradientApplies(_ g: ConvGeometry) -> Bool {
        winogradApplies(g) && g.height >= 16 && g.width >= 16
    }

    /// gw[O, C, 3, 3] += dL/dw for x [N, C, H, W] and gy [N, O, H, W].
    static func shiftedWeightGradient(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                                      _ gw: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (N, C, O, H, W) = (g.batch, g.inChannels, g.outChannels, g.height, g.width)
        let (paddedW, plane) = (W + 2, (H + 2) * (W + 2))
        // Reads of the last shifted matrix run up to 2 rows + 2 past the end: a zeroed margin.
        let margin = 2 * paddedW + 2
        let group = Swift.max(1, Swift.min(N, 2_097_152 / ((C + O) * plane)))
        Workspace.with(C * group * plane + margin, O * group * plane) { xp, gp in
            Workspace.with(9 * O * C) { taps in
                for first in stride(from: 0, to: N, by: group) {
                    let count = Swift.min(group, N - first)
                    let k = count * plane
                    // xp[c][image][(y + 1) * (W + 2) + x + 1] = x[image][c][y][x], zero border.
                    parallelFor(C, costPerItem: k) { channels in
                        for c in channels {
                            let dst = xp + c * k
                            dst.update(repeating: 0, count: k)
                            for i in 0..<count {
                                let src = x + ((first + i) * C + c) * H * W
                                for row in 0..<H {
                                    (dst + i * plane + (row + 1) * paddedW + 1).update(from: src + row * W, count: W)
                                }
                            }
                        }
                    }
                    (xp + C * k).update(repeating: 0, count: margin)
                    // gp[o][image][y * (W + 2) + x] = gy[image][o][y][x], zeros elsewhere.
                    parallelFor(O, costPerItem: k) { channels in
                        for o in channels {
                            let dst = gp + o * k
                            dst.update(repeating: 0, count: k)
                            for i in 0..<count {
                                let src = gy + ((first + i) * O + o) * H * W
                                for row in 0..<H {
                                    (dst + i * plane + row * paddedW).update(from: src + row * W, count: W)
                                }
                            }
                        }
                    }
                    // One GEMM per tap: taps[tap] (O x C) (+)= gp · shift(xp)ᵀ. Each core takes a
                    // block of output channels (rows) for all nine taps.
                    let rowBlocks = Swift.max(1, Swift.min(Threads.count, O / 8))
                    independentProducts(rowBlocks) { block in
                        let rows = (O * block / rowBlocks)..<(O * (block + 1) / rowBlocks)
                        for tap in 0..<9 {
                            let (ki, kj) = tap.quotientAndRemainder(dividingBy: 3)
                            gemmSerial(transposeB: true, m: rows.count, n: C, k: k, a: gp + rows.lowerBound * k, lda: k,
                                       b: xp + ki * paddedW + kj, ldb: k,
                                       beta: first == 0 ? 0 : 1, c: taps + tap * O * C + rows.lowerBound * C, ldc: C)
                        }
                    }
                }
                // gw[o][c][tap] += taps[tap][o][c]
                parallelFor(O, costPerItem: C * 9) { range in
                    for o in range {
                        for c in 0..<C {
                            let dst = gw + (o * C + c) * 9
                            for tap in 0..<9 { dst[tap] += taps[(tap * O + o) * C + c] }
                        }
                    }
                }
            }
        }
    }
}
