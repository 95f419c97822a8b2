import CKernels
import Foundation

/// Batch normalisation over the N, H, W axes of an NCHW tensor, one channel at a time.
package struct ChannelLayout {
    package let batch: Int, channels: Int, spatial: Int
    package var perChannel: Int { batch * spatial }
    /// Floats from one image's run of a channel to the next image's.
    package var imageStride: Int { channels * spatial }

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
    /// Mean and biased variance of each channel (double accumulation, two passes; in C).
    package static func channelMoments(_ x: UnsafePointer<Float>, _ layout: ChannelLayout,
                               mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>) {
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
            for c in channels {
                ck_channel_moments(isa, x + c * layout.spatial, layout.batch, layout.imageStride, layout.spatial,
                                   mean + c, variance + c)
            }
        }
    }

    /// y = (x - mean[c]) * scale[c] + shift[c], where scale folds in gamma / sqrt(var + eps);
    /// with `relu`, y = max(that, 0) in the same pass (NaN stays NaN, as torch.relu). In C.
    package static func channelAffine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ layout: ChannelLayout,
                              mean: [Float], scale: [Float], shift: [Float], relu: Bool = false) {
        let isa = KernelOptions.current.instructionSet.c
        parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
            for c in channels {
                let offset = c * layout.spatial
                ck_channel_affine(isa, x + offset, y + offset, layout.batch, layout.imageStride, layout.spatial,
                                  mean[c], scale[c], shift[c], relu ? 1 : 0)
            }
        }
    }

    /// Per channel: sum of gy, and sum of gy * xhat with xhat = (x - mean) * invstd (in C).
    /// With `reluOutput` (the output of a fused BatchNorm + ReLU), gy counts only where that
    /// output is positive: the ReLU's backward applied on the fly.
    package static func channelGradSums(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ layout: ChannelLayout,
                                mean: [Float], invstd: [Float], reluOutput: UnsafePointer<Float>? = nil)
        -> (sumGy: [Double], sumGyXhat: [Double]) {
        var sumGy = [Double](repeating: 0, count: layout.channels)
        var sumGyXhat = [Double](repeating: 0, count: layout.channels)
        let isa = KernelOptions.current.instructionSet.c
        sumGy.withUnsafeMutableBufferPointer { sg in
            sumGyXhat.withUnsafeMutableBufferPointer { sgx in
                let (sums, products) = (sg.baseAddress!, sgx.baseAddress!)
                parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
                    for c in channels {
                        let offset = c * layout.spatial
                        ck_channel_grad_sums(isa, x + offset, gy + offset, reluOutput.map { $0 + offset },
                                             layout.batch, layout.imageStride, layout.spatial, mean[c], invstd[c],
                                             sums + c, products + c)
                    }
                }
            }
        }
        return (sumGy, sumGyXhat)
    }
}
