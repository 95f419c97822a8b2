// One convolution layer timed alone: `Benchmark --conv 64,128,32,2` runs a 3x3 convolution
// (padding 1, no bias) from 64 to 128 channels on 32x32 planes with stride 2, on a fixed random
// batch, and reports the median CPU milliseconds of its forward pass (recorded for autograd, as
// in training), its backward pass (input and weight gradients) and an unrecorded forward (as in
// evaluation). This is how the per-layer figures in BENCHMARKS.md are measured.

import Core
import Foundation

/// A layer to time: input channels, output channels, plane side, stride.
struct ConvLayerSpec {
    let inChannels: Int, outChannels: Int, size: Int, stride: Int

    /// Parses "C,O,H,S".
    init?(_ text: String) {
        let parts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, parts.allSatisfy({ $0 > 0 }) else { return nil }
        (inChannels, outChannels, size, stride) = (parts[0], parts[1], parts[2], parts[3])
    }

    var description: String { "\(inChannels)->\(outChannels) at \(size)x\(size), stride \(stride)" }
}

/// Median CPU milliseconds of the three passes of one layer.
func timeConvLayer(_ spec: ConvLayerSpec, batch: Int, steps: Int, warmup: Int, seed: UInt64)
    -> (forward: Double, backward: Double, evalForward: Double) {
    Random.manualSeed(seed)
    let layer = Conv2d(spec.inChannels, spec.outChannels, kernelSize: 3, stride: spec.stride, padding: 1, bias: false)
    let generator = Generator(seed: seed &+ 1)
    let input = Tensor.randn([batch, spec.inChannels, spec.size, spec.size], generator: generator)
    input.requiresGrad = true
    let outSize = (spec.size + 2 - 3) / spec.stride + 1
    let gradient = Tensor.randn([batch, spec.outChannels, outSize, outSize], generator: generator)

    var forward: [Double] = [], backward: [Double] = [], evalForward: [Double] = []
    for step in 0..<(warmup + steps) {
        var start = processCPUSeconds()
        let output = layer(input)
        let forwardTime = processCPUSeconds() - start
        start = processCPUSeconds()
        output.backward(gradient)
        let backwardTime = processCPUSeconds() - start
        start = processCPUSeconds()
        noGrad { _ = layer(input) }
        let evalTime = processCPUSeconds() - start
        input.grad = nil
        layer.weight.grad = nil
        if step >= warmup {
            forward.append(forwardTime * 1000)
            backward.append(backwardTime * 1000)
            evalForward.append(evalTime * 1000)
        }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    return (median(forward), median(backward), median(evalForward))
}
