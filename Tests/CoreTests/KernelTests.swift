import Foundation
import Testing
@testable import Core

/// The fast paths in Sources/Core/Kernels against the plain im2col + GEMM convolution.
@Suite(.serialized) struct KernelTests {
    /// Runs `body` with Winograd switched on or off, restoring the setting afterwards.
    func withWinograd<T>(_ on: Bool, _ body: () -> T) -> T {
        let saved = Kernels.useWinograd
        Kernels.useWinograd = on
        defer { Kernels.useWinograd = saved }
        return body()
    }

    /// Largest absolute difference over the largest magnitude of the reference.
    func relative(_ a: Tensor, _ b: Tensor) -> Float { relativeError(a, b) }

    /// Winograd F(2x2, 3x3) (and F(3x3, 2x2) for the weight gradient) is a re-association of the
    /// same sums: the bound for it is 1e-5
    /// relative to the largest output (observed ~1e-6). Shapes cover even and odd sizes, widths
    /// that are and are not a multiple of the 4-tile vector path, bias and no bias.
    @Test(arguments: [
        (2, 3, 5, 32, 32, true), (3, 4, 6, 7, 9, false), (2, 64, 64, 16, 16, false),
        (4, 8, 16, 8, 8, true), (2, 16, 8, 4, 4, false), (2, 5, 3, 2, 2, true), (1, 2, 3, 1, 1, false),
        (2, 3, 4, 10, 18, false), (3, 1, 8, 32, 32, true),
    ])
    func winogradMatchesDirect(_ shape: (Int, Int, Int, Int, Int, Bool)) {
        let (n, c, o, h, w, hasBias) = shape
        let generator = Generator(seed: UInt64(n * 1000 + c * 100 + o * 10 + h + w))
        let x = Tensor.randn([n, c, h, w], requiresGrad: true, generator: generator)
        let weight = Tensor.randn([o, c, 3, 3], requiresGrad: true, generator: generator)
        let bias = hasBias ? Tensor.randn([o], requiresGrad: true, generator: generator) : nil
        let gy = Tensor.randn([n, o, h, w], generator: generator)

        func run(_ winograd: Bool) -> (y: Tensor, gx: Tensor, gw: Tensor) {
            withWinograd(winograd) {
                x.grad = nil; weight.grad = nil; bias?.grad = nil
                let y = conv2d(x, weight: weight, bias: bias, stride: 1, padding: 1)
                y.backward(gy)
                return (y.detach().clone(), x.grad!.clone(), weight.grad!.clone())
            }
        }
        #expect(Kernels.winogradApplies(ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o,
                                                     kernelH: 3, kernelW: 3, stride: 1, padding: 1)))
        let direct = run(false), fast = run(true)
        let bound: Float = 1e-5
        #expect(relative(fast.y, direct.y) <= bound, "forward \(shape): \(relative(fast.y, direct.y))")
        #expect(relative(fast.gx, direct.gx) <= bound, "input gradient \(shape): \(relative(fast.gx, direct.gx))")
        // The weight gradient goes through Winograd F(3x3, 2x2): the same transforms, the same bound.
        #expect(relative(fast.gw, direct.gw) <= bound, "weight gradient \(shape): \(relative(fast.gw, direct.gw))")
    }

    /// conv -> BatchNorm (evaluation) -> ReLU fused into the convolution's output gives exactly
    /// the numbers of the three separate layers, on the Winograd and the im2col paths.
    @Test(arguments: [(3, 1, true, true), (3, 2, false, true), (1, 2, false, false), (3, 1, true, false)])
    func fusedConvolutionMatchesLayers(_ setting: (Int, Int, Bool, Bool)) {
        let (kernel, stride, bias, relu) = setting
        Random.manualSeed(UInt64(kernel * 10 + stride))
        let conv = Conv2d(6, 8, kernelSize: kernel, stride: stride, padding: kernel / 2, bias: bias)
        let norm = BatchNorm2d(8)
        let x = Tensor.randn([3, 6, 10, 12], generator: Generator(seed: 5))
        _ = norm(conv(x))   // one training-mode pass so the running statistics are not trivial
        norm.eval()
        let fused = noGrad { conv(x, then: norm, relu: relu) }
        let layers = noGrad { norm(conv(x), relu: false) }
        let expected = relu ? layers.relu() : layers
        #expect(fused.scalars == expected.scalars, "kernel \(kernel) stride \(stride) bias \(bias) relu \(relu)")
    }

    /// A whole network in evaluation: fused (no gradients) and unfused (recording) agree bit for bit.
    @Test func fusedNetworkMatchesUnfused() {
        Random.manualSeed(3)
        for model in [ResNet(channels: [8, 16, 16, 32], blocks: [1, 1, 1, 1]) as any Module, VGG16(batchNorm: true)] {
            let x = Tensor.randn([2, 1, 32, 32], generator: Generator(seed: 4))
            _ = model(x)   // training mode once: running statistics move away from 0 and 1
            model.eval()
            let fused = noGrad { model(x) }
            let recorded = model(x)
            #expect(fused.scalars == recorded.scalars, "\(model.typeName)")
        }
    }

    /// A trainable BatchNorm after a frozen convolution, in evaluation mode: not fused, so its
    /// weight and bias still get gradients.
    @Test func frozenConvolutionKeepsBatchNormTrainable() {
        Random.manualSeed(9)
        let conv = Conv2d(3, 4, kernelSize: 3, padding: 1, bias: false)
        let norm = BatchNorm2d(4)
        conv.weight.requiresGrad = false
        norm.eval()
        let x = Tensor.randn([2, 3, 6, 6], generator: Generator(seed: 10))
        conv(x, then: norm, relu: true).sum().backward()
        #expect(norm.weight.grad != nil && norm.bias.grad != nil)
    }

    /// The paths that sum over several groups or blocks of images (Winograd groups, im2col
    /// blocks and per-core partial sums) give the single-group results, within the re-association
    /// bound.
    @Test func manyGroupsMatchOneGroup() {
        let generator = Generator(seed: 12)
        let x = Tensor.randn([6, 5, 10, 10], requiresGrad: true, generator: generator)
        func run(_ kernel: Int, _ stride: Int, small: Bool) -> [Tensor] {
            let weight = Tensor.randn([7, 5, kernel, kernel], requiresGrad: true, generator: Generator(seed: 13))
            let gy = Tensor.randn([6, 7, 10 / stride, 10 / stride], generator: Generator(seed: 14))
            let saved = (Kernels.winogradGroupFloats, Kernels.im2colBlockFloats)
            if small { (Kernels.winogradGroupFloats, Kernels.im2colBlockFloats) = (1, 1) }
            defer { (Kernels.winogradGroupFloats, Kernels.im2colBlockFloats) = saved }
            x.grad = nil
            let y = conv2d(x, weight: weight, stride: stride, padding: kernel / 2)
            y.backward(gy)
            return [y.detach().clone(), x.grad!.clone(), weight.grad!.clone()]
        }
        for (kernel, stride) in [(3, 1), (3, 2), (1, 2)] {
            let one = run(kernel, stride, small: false), many = run(kernel, stride, small: true)
            for (a, b) in zip(one, many) {
                #expect(relative(b, a) <= 1e-5, "kernel \(kernel) stride \(stride): \(relative(b, a))")
            }
        }
    }

    /// Same thread count, same input: bit-identical results from one run to the next.
    @Test func convolutionIsDeterministic() {
        let generator = Generator(seed: 7)
        let x = Tensor.randn([8, 16, 16, 16], requiresGrad: true, generator: generator)
        let weight = Tensor.randn([32, 16, 3, 3], requiresGrad: true, generator: generator)
        let gy = Tensor.randn([8, 32, 16, 16], generator: generator)
        func run() -> [Float] {
            x.grad = nil; weight.grad = nil
            let y = conv2d(x, weight: weight, stride: 1, padding: 1)
            y.backward(gy)
            return y.scalars + x.grad!.scalars + weight.grad!.scalars
        }
        let first = run()
        #expect(run() == first)
        #expect(run() == first)
    }

    /// The im2col fast paths (hoisted bounds, contiguous copies) against a naive convolution,
    /// for strides and paddings the networks use and some they do not.
    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 2, 0), (1, 1, 0), (3, 1, 0), (5, 2, 2), (3, 3, 2)])
    func im2colMatchesNaive(_ geometry: (Int, Int, Int)) {
        let (k, stride, padding) = geometry
        let generator = Generator(seed: UInt64(k * 100 + stride * 10 + padding))
        let (n, c, o, h, w) = (2, 3, 4, 9, 7)
        let x = Tensor.randn([n, c, h, w], generator: generator)
        let weight = Tensor.randn([o, c, k, k], generator: generator)
        let y = withWinograd(false) { conv2d(x, weight: weight, stride: stride, padding: padding) }
        let (oh, ow) = (y.shape[2], y.shape[3])
        var worst: Float = 0
        for b in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
            var total: Float = 0
            for ic in 0..<c { for ki in 0..<k { for kj in 0..<k {
                let (iy, ix) = (oy * stride - padding + ki, ox * stride - padding + kj)
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                total += x.data[((b * c + ic) * h + iy) * w + ix] * weight.data[((oc * c + ic) * k + ki) * k + kj]
            } } }
            worst = max(worst, abs(total - y.data[((b * o + oc) * oh + oy) * ow + ox]))
        } } } }
        #expect(worst <= 1e-4, "im2col convolution k=\(k) s=\(stride) p=\(padding): max error \(worst)")
    }
}
