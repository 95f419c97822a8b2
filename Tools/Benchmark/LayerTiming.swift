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
    let layer = Conv2d(spec.inChannels, spec.outChannels, kernelSize: 3, stride: spec.stride, padding: 1, bias: false,
                       generator: Generator(seed: seed))
    let generator = Generator(seed: seed &+ 1)
    let input = Tensor.randn([batch, spec.inChannels, spec.size, spec.size], generator: generator)
    input.requiresGrad = true
    let outSize = (spec.size + 2 - 3) / spec.stride + 1
    let gradient = Tensor.randn([batch, spec.outChannels, outSize, outSize], generator: generator)

    /// Runs `body` and returns its wall-clock and CPU milliseconds.
    func timed(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        let (wallStart, cpuStart) = (DispatchTime.now().uptimeNanoseconds, processCPUSeconds())
        body()
        return (Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e6, (processCPUSeconds() - cpuStart) * 1000)
    }
    // Per pass (forward, backward, eval forward): the timed steps' wall and CPU milliseconds.
    var wall: [[Double]] = [[], [], []], cpu: [[Double]] = [[], [], []]
    for step in 0..<(warmup + steps) {
        var output: Tensor?
        let passes = [timed { output = layer(input) }, timed { output!.backward(gradient) }, timed { noGrad { _ = layer(input) } }]
        input.grad = nil
        layer.weight.grad = nil
        guard step >= warmup else { continue }
        for (pass, time) in passes.enumerated() {
            wall[pass].append(time.wall)
            cpu[pass].append(time.cpu)
        }
    }
    func medians(_ samples: [[Double]]) -> LayerTimes {
        let m = samples.map { $0.sorted()[$0.count / 2] }
        return LayerTimes(forward: m[0], backward: m[1], evalForward: m[2])
    }
    return (medians(wall), medians(cpu))
}
