// One convolution layer timed alone: `Benchmark --conv 64,128,32,2` runs a 3x3 convolution
// (padding 1, no bias) from 64 to 128 channels on 32x32 planes with stride 2, on a fixed random
// batch, and reports the median milliseconds of its forward pass (recorded for autograd, as in
// training), its backward pass (input and weight gradients) and an unrecorded forward (as in
// evaluation): wall-clock time, and CPU time (all threads; steadier on a shared machine). This
// is how the per-layer figures in BENCHMARKS.md are measured.

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

/// Median milliseconds of the three passes of one layer.
struct LayerTimes {
    var forward: Double, backward: Double, evalForward: Double
}

/// Median wall-clock and CPU milliseconds of the three passes of one layer.
func timeConvLayer(_ spec: ConvLayerSpec, batch: Int, steps: Int, warmup: Int, seed: UInt64)
    -> (wall: LayerTimes, cpu: LayerTimes) {
    Random.manualSeed(seed)
    let layer = Conv2d(spec.inChannels, spec.outChannels, kernelSize: 3, stride: spec.stride, padding: 1, bias: false)
    let generator = Generator(seed: seed &+ 1)
    let input = Tensor.randn([batch, spec.inChannels, spec.size, spec.size], generator: generator)
    input.requiresGrad = true
    let outSize = (spec.size + 2 - 3) / spec.stride + 1
    let gradient = Tensor.randn([batch, spec.outChannels, outSize, outSize], generator: generator)

    /// Runs `body` and returns its (wall, CPU) milliseconds.
    func timed(_ body: () -> Void) -> (Double, Double) {
        let (wallStart, cpuStart) = (DispatchTime.now().uptimeNanoseconds, processCPUSeconds())
        body()
        return (Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e6, (processCPUSeconds() - cpuStart) * 1000)
    }
    var samples: [(wall: (Double, Double, Double), cpu: (Double, Double, Double))] = []
    for step in 0..<(warmup + steps) {
        var output: Tensor?
        let forward = timed { output = layer(input) }
        let backward = timed { output!.backward(gradient) }
        let evalForward = timed { noGrad { _ = layer(input) } }
        input.grad = nil
        layer.weight.grad = nil
        if step >= warmup {
            samples.append(((forward.0, backward.0, evalForward.0), (forward.1, backward.1, evalForward.1)))
        }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    func medians(_ pick: ((Double, Double, Double)) -> Double, _ side: KeyPath<(wall: (Double, Double, Double), cpu: (Double, Double, Double)), (Double, Double, Double)>) -> Double {
        median(samples.map { pick($0[keyPath: side]) })
    }
    func times(_ side: KeyPath<(wall: (Double, Double, Double), cpu: (Double, Double, Double)), (Double, Double, Double)>) -> LayerTimes {
        LayerTimes(forward: medians({ $0.0 }, side), backward: medians({ $0.1 }, side), evalForward: medians({ $0.2 }, side))
    }
    return (times(\.wall), times(\.cpu))
}
