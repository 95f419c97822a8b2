import Foundation

/// `F.batch_norm` for NCHW input. In training it normalises with the batch's own mean and
/// biased variance and updates the running statistics (with the *unbiased* variance, as PyTorch
/// does); in evaluation it normalises with the running statistics.
public func batchNorm2d(_ x: Tensor, weight: Tensor, bias: Tensor,
                        runningMean: Tensor, runningVar: Tensor,
                        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == weight.count,
                 "batchNorm2d: input \(Shape.text(x.shape)) does not have \(weight.count) channels")
    let layout = ChannelLayout(batch: x.shape[0], channels: x.shape[1], spatial: x.shape[2] * x.shape[3])
    let channels = layout.channels
    var mean = [Float](repeating: 0, count: channels)
    var invstd = [Float](repeating: 0, count: channels)

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
        for c in 0..<channels {
            mean[c] = runningMean.data[c]
            invstd[c] = Float(1 / (Double(runningVar.data[c]) + Double(eps)).squareRoot())
        }
    }

    let gamma = weight.scalars, beta = bias.scalars
    let scale = (0..<channels).map { invstd[$0] * gamma[$0] }
    let out = Tensor(uninitialized: x.shape)
    Kernels.channelAffine(x.data, out.data, layout, mean: mean, scale: scale, shift: beta)

    return out.recorded("NativeBatchNormBackward0", inputs: [x, weight, bias]) { gy in
        let (sumGy, sumGyXhat) = Kernels.channelGradSums(x.data, gy.data, layout, mean: mean, invstd: invstd)
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
                          meanGy: meanGy, meanGyXhat: meanGyXhat)
        } else {
            // The statistics are constants in evaluation: dx = gy * gamma * invstd.
            let zeros = [Float](repeating: 0, count: channels)
            Kernels.channelAffine(gy.data, gx.data, layout, mean: zeros, scale: scale, shift: zeros)
        }
        return [gx, gWeight, gBias]
    }
}

/// dx for training mode, one channel per task.
private func inputGradient(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                           _ layout: ChannelLayout, mean: [Float], invstd: [Float], scale: [Float],
                           meanGy: [Float], meanGyXhat: [Float]) {
    parallelFor(layout.channels, costPerItem: layout.perChannel) { channels in
        for c in channels {
            let (mu, s, k, mg, mgx) = (mean[c], invstd[c], scale[c], meanGy[c], meanGyXhat[c])
            layout.forEachRun(c) { offset in
                for i in offset..<(offset + layout.spatial) {
                    let xhat = (x[i] - mu) * s
                    gx[i] = k * (gy[i] - mg - xhat * mgx)
                }
            }
        }
    }
}
