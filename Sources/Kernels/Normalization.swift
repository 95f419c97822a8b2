import Foundation

/// Batch normalisation over the N, H, W axes of an NCHW tensor, one channel at a time.
package struct ChannelLayout {
    package let batch: Int, channels: Int, spatial: Int
    package var perChannel: Int { batch * spatial }

    /// Visits channel `c`'s values, one contiguous run per image.
    @inline(__always)
    package func forEachRun(_ c: Int, _ body: (_ offset: Int) -> Void) {
        for n in 0..<batch { body((n * channels + c) * spatial) }
    }

    package init(batch: Int, channels: Int, spatial: Int) {
        (self.batch, self.channels, self.spatial) = (batch, channels, spatial)
    }
}

extension Kernels {
    /// Mean and biased variance of each channel (double accumulation, two passes).
    package static func channelMoments(_ x: UnsafePointer<Float>, _ layout: ChannelLayout,
                               mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>) {
        let m = Double(layout.perChannel)
        parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
            for c in channels {
                var total = 0.0
                layout.forEachRun(c) { total += sum(x + $0, count: layout.spatial) }
                let mu = total / m
                var squares = 0.0
                layout.forEachRun(c) { squares += sumOfSquaredDeviations(x + $0, count: layout.spatial, mean: mu) }
                mean[c] = mu
                variance[c] = squares / m
            }
        }
    }

    /// y = (x - mean[c]) * scale[c] + shift[c], where scale folds in gamma / sqrt(var + eps);
    /// with `relu`, y = max(that, 0) in the same pass (NaN stays NaN, as torch.relu).
    package static func channelAffine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ layout: ChannelLayout,
                              mean: [Float], scale: [Float], shift: [Float], relu: Bool = false) {
        parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
            for c in channels {
                let (mu, a, b) = (mean[c], scale[c], shift[c])
                let (muV, aV, bV, zero) = (SIMD8<Float>(repeating: mu), SIMD8<Float>(repeating: a),
                                           SIMD8<Float>(repeating: b), SIMD8<Float>(repeating: 0))
                layout.forEachRun(c) { offset in
                    var i = offset
                    let end = offset + layout.spatial
                    while i + 8 <= end {
                        var v = (UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - muV) * aV + bV
                        if relu { v.replace(with: zero, where: v .< zero) }
                        UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < end {
                        let v = (x[i] - mu) * a + b
                        y[i] = relu && v < 0 ? 0 : v
                        i += 1
                    }
                }
            }
        }
    }

    /// Per channel: sum of gy, and sum of gy * xhat with xhat = (x - mean) * invstd.
    /// With `reluOutput` (the output of a fused BatchNorm + ReLU), gy counts only where that
    /// output is positive: the ReLU's backward applied on the fly.
    package static func channelGradSums(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ layout: ChannelLayout,
                                mean: [Float], invstd: [Float], reluOutput: UnsafePointer<Float>? = nil)
        -> (sumGy: [Double], sumGyXhat: [Double]) {
        var sumGy = [Double](repeating: 0, count: layout.channels)
        var sumGyXhat = [Double](repeating: 0, count: layout.channels)
        sumGy.withUnsafeMutableBufferPointer { sg in
            sumGyXhat.withUnsafeMutableBufferPointer { sgx in
                parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
                    for c in channels {
                        // Eight running sums per quantity (SIMD lanes), combined in a fixed order.
                        var a = SIMD8<Double>(), b = SIMD8<Double>()
                        var tailA = 0.0, tailB = 0.0
                        let (mu, s) = (mean[c], invstd[c])
                        let (muV, sV) = (SIMD8<Float>(repeating: mu), SIMD8<Float>(repeating: s))
                        layout.forEachRun(c) { offset in
                            var i = offset
                            let end = offset + layout.spatial
                            while i + 8 <= end {
                                var gf = UnsafeRawPointer(gy + i).loadUnaligned(as: SIMD8<Float>.self)
                                if let r = reluOutput {
                                    let out = UnsafeRawPointer(r + i).loadUnaligned(as: SIMD8<Float>.self)
                                    gf.replace(with: 0, where: out .<= 0)
                                }
                                let g = SIMD8<Double>(gf)
                                let xhat = (UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - muV) * sV
                                a += g
                                b += g * SIMD8<Double>(xhat)
                                i += 8
                            }
                            while i < end {
                                let g = reluOutput.map { $0[i] <= 0 ? 0 : gy[i] } ?? gy[i]
                                tailA += Double(g)
                                tailB += Double(g) * Double((x[i] - mu) * s)
                                i += 1
                            }
                        }
                        sg[c] = a.sum() + tailA
                        sgx[c] = b.sum() + tailB
                    }
                }
            }
        }
        return (sumGy, sumGyXhat)
    }
}
