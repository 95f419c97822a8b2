import Foundation

/// Batch normalisation over the N, H, W axes of an NCHW tensor, one channel at a time.
struct ChannelLayout {
    let batch: Int, channels: Int, spatial: Int
    var perChannel: Int { batch * spatial }

    /// Visits channel `c`'s values, one contiguous run per image.
    @inline(__always)
    func forEachRun(_ c: Int, _ body: (_ offset: Int) -> Void) {
        for n in 0..<batch { body((n * channels + c) * spatial) }
    }
}

extension Kernels {
    /// Mean and biased variance of each channel (double accumulation, two passes).
    static func channelMoments(_ x: UnsafePointer<Float>, _ layout: ChannelLayout,
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

    /// y = (x - mean[c]) * scale[c] + shift[c], where scale folds in gamma / sqrt(var + eps).
    static func channelAffine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ layout: ChannelLayout,
                              mean: [Float], scale: [Float], shift: [Float]) {
        parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
            for c in channels {
                let (mu, a, b) = (mean[c], scale[c], shift[c])
                layout.forEachRun(c) { offset in
                    for i in offset..<(offset + layout.spatial) { y[i] = (x[i] - mu) * a + b }
                }
            }
        }
    }

    /// Per channel: sum of gy, and sum of gy * xhat with xhat = (x - mean) * invstd.
    static func channelGradSums(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ layout: ChannelLayout,
                                mean: [Float], invstd: [Float]) -> (sumGy: [Double], sumGyXhat: [Double]) {
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
                                let g = SIMD8<Double>(UnsafeRawPointer(gy + i).loadUnaligned(as: SIMD8<Float>.self))
                                let xhat = (UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - muV) * sV
                                a += g
                                b += g * SIMD8<Double>(xhat)
                                i += 8
                            }
                            while i < end {
                                tailA += Double(gy[i])
                                tailB += Double(gy[i]) * Double((x[i] - mu) * s)
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
