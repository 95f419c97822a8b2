import Foundation
import Kernels

/// `F.batch_norm` for NCHW input. In training it normalises with the batch's own mean and
/// biased variance and updates the running statistics (with the *unbiased* variance, as PyTorch
/// does); in evaluation it normalises with the running statistics.
///
/// The statistics are computed (and the running ones updated) at once; the normalised output is
/// deferred (DeferredOutput.swift), so that a `relu()` after it is applied in the same pass: the
/// normalised values before the ReLU are then never stored, and the backward pass masks dL/dy with
/// the ReLU's output on the fly. In evaluation without gradients, when the input is a deferred
/// convolution, the convolution applies this map itself as it writes.
public func batchNorm2d(_ x: Tensor, weight: Tensor, bias: Tensor,
                        runningMean: Tensor, runningVar: Tensor,
                        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == weight.count,
                 "batchNorm2d: input \(Shape.text(x.shape)) does not have \(weight.count) channels")
    let layout = ChannelLayout(batch: x.shape[0], channels: x.shape[1], spatial: x.shape[2] * x.shape[3])
    let channels = layout.channels
    var mean = [Float](repeating: 0, count: channels)
    var invstd = [Float](repeating: 0, count: channels)
    let inputs = [x, weight, bias]

    if training {
        precondition(layout.perChannel > 1,
                     "batchNorm2d: expected more than 1 value per channel when training, got input \(Shape.text(x.shape))")
        var batchMean = [Double](repeating: 0, count: channels)
        var batchVar = [Double](repeating: 0, count: channels)
        Kernels.channelMoments(x.data, layout, mean: &batchMean, variance: &batchVar)
        let m = Double(layout.perChannel), mom = Double(momentum)
        for c in 0..<channels {
            mean[c] = Float(batchMean[c])
            invstd[c] = Float(1 / (batchVar[c] + Double(eps)).squareRoot())
            let unbiased = batchVar[c] * m / (m - 1)
            runningMean.data[c] = Float((1 - mom) * Double(runningMean.data[c]) + mom * batchMean[c])
            runningVar.data[c] = Float((1 - mom) * Double(runningVar.data[c]) + mom * unbiased)
        }
    } else {
        (mean, invstd) = evaluationStatistics(runningMean: runningMean, runningVar: runningVar, eps: eps)
    }

    let gamma = weight.scalars, beta = bias.scalars
    let scale = (0..<channels).map { invstd[$0] * gamma[$0] }
    let records = Tensor.wouldRecord(inputs)
    // Evaluation without recording: a fixed per-channel map, which a deferred convolution applies itself.
    if !training, !records, let folded = x.folding(Epilogue(affine: (mean, scale, beta))) {
        return folded
    }
    let map = ChannelStatistics(layout: layout, mean: mean, invstd: invstd, scale: scale, shift: beta)
    return Tensor.deferring(shape: x.shape, requiresGrad: records, inputs: [x],
                            canApply: { $0.affine == nil }) { epilogue in
        normalized(x, weight: weight, bias: bias, map, training: training, relu: epilogue.relu)
    }
}

/// One BatchNorm's per-channel constants, fixed when it is called.
private struct ChannelStatistics {
    let layout: ChannelLayout
    let mean: [Float], invstd: [Float], scale: [Float], shift: [Float]
}

/// Writes the normalised output (and the ReLU after it) and records its backward.
private func normalized(_ x: Tensor, weight: Tensor, bias: Tensor, _ map: ChannelStatistics,
                        training: Bool, relu: Bool) -> Tensor {
    let (layout, mean, invstd, scale) = (map.layout, map.mean, map.invstd, map.scale)
    let channels = layout.channels
    let out = Tensor(uninitialized: x.shape)
    Kernels.channelAffine(x.data, out.data, layout, mean: mean, scale: scale, shift: map.shift, relu: relu)

    // Keep the output's memory, not the output tensor (the tensor owns this closure).
    let reluOutput = relu ? out.storage : nil
    // Named as PyTorch names the last operation: relu(bn(x)) shows grad_fn=<ReluBackward0>.
    return out.recorded(relu ? "ReluBackward0" : "NativeBatchNormBackward0", inputs: [x, weight, bias]) { gyIn in
        var gy = gyIn
        if let reluOutput, !training {
            // Evaluation-mode backward (rare): mask once, then the plain formula below.
            let masked = Tensor(uninitialized: gyIn.shape)
            Kernels.reluBackward(reluOutput.pointer, gyIn.data, masked.data, count: gyIn.count)
            gy = masked
        }
        let mask = training ? reluOutput?.pointer : nil
        let (sumGy, sumGyXhat) = Kernels.channelGradSums(x.data, gy.data, layout, mean: mean, invstd: invstd,
                                                         reluOutput: mask.map { UnsafePointer($0) })
        let gWeight = Tensor(sumGyXhat.map(Float.init), shape: weight.shape)
        let gBias = Tensor(sumGy.map(Float.init), shape: bias.shape)
        guard x.requiresGrad else { return [nil, gWeight, gBias] }
        let gx = Tensor(uninitialized: x.shape)
        if training {
            // dx = gamma * invstd * (gy - mean(gy) - xhat * mean(gy * xhat))
            let m = Float(layout.perChannel)
            let meanGy = sumGy.map { Float($0) / m }
            let meanGyXhat = sumGyXhat.map { Float($0) / m }
            inputGradient(x.data, gy.data, gx.data, layout, mean: mean, invstd: invstd, scale: scale,
                          meanGy: meanGy, meanGyXhat: meanGyXhat, reluOutput: mask.map { UnsafePointer($0) })
        } else {
            // The statistics are constants in evaluation: dx = gy * gamma * invstd.
            let zeros = [Float](repeating: 0, count: channels)
            Kernels.channelAffine(gy.data, gx.data, layout, mean: zeros, scale: scale, shift: zeros)
        }
        return [gx, gWeight, gBias]
    }
}

/// dx for training mode, one channel per task; with `reluOutput`, gy is first masked by the
/// fused ReLU's output (zero where the output is not positive).
private func inputGradient(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                           _ layout: ChannelLayout, mean: [Float], invstd: [Float], scale: [Float],
                           meanGy: [Float], meanGyXhat: [Float], reluOutput: UnsafePointer<Float>?) {
    parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
        for c in channels {
            let (mu, s, k, mg, mgx) = (mean[c], invstd[c], scale[c], meanGy[c], meanGyXhat[c])
            let (muV, sV, kV, mgV, mgxV) = (SIMD8<Float>(repeating: mu), SIMD8<Float>(repeating: s),
                                           SIMD8<Float>(repeating: k), SIMD8<Float>(repeating: mg),
                                           SIMD8<Float>(repeating: mgx))
            layout.forEachRun(c) { offset in
                var i = offset
                let end = offset + layout.spatial
                while i + 8 <= end {
                    var g = UnsafeRawPointer(gy + i).loadUnaligned(as: SIMD8<Float>.self)
                    if let r = reluOutput {
                        let out = UnsafeRawPointer(r + i).loadUnaligned(as: SIMD8<Float>.self)
                        g.replace(with: 0, where: out .<= 0)
                    }
                    let xhat = (UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - muV) * sV
                    UnsafeMutableRawPointer(gx + i).storeBytes(of: kV * (g - mgV - xhat * mgxV), as: SIMD8<Float>.self)
                    i += 8
                }
                while i < end {
                    let g = reluOutput.map { $0[i] <= 0 ? 0 : gy[i] } ?? gy[i]
                    let xhat = (x[i] - mu) * s
                    gx[i] = k * (g - mg - xhat * mgx)
                    i += 1
                }
            }
        }
    }
}

/// Evaluation mode's per-channel mean and 1 / sqrt(var + eps), from the running statistics.
package func evaluationStatistics(runningMean: Tensor, runningVar: Tensor, eps: Float) -> (mean: [Float], invstd: [Float]) {
    let mean = runningMean.scalars
    let invstd = runningVar.scalars.map { Float(1 / (Double($0) + Double(eps)).squareRoot()) }
    return (mean, invstd)
}
