import Foundation
import Testing
@testable import Core
@testable import Kernels
@testable import Autograd

/// The fast paths in Sources/Kernels against the plain im2col + GEMM convolution.
@Suite(.ownGenerator) struct KernelTests {
    /// Runs `body` with Winograd switched on or off.
    func withWinograd<T>(_ on: Bool, _ body: () -> T) -> T {
        var options = KernelOptions.current
        options.winograd = on
        return KernelOptions.with(options, body)
    }

    /// Largest absolute difference over the largest magnitude of the reference.
    func relative(_ a: Tensor, _ b: Tensor) -> Float { relativeError(a, b) }

    /// Runs `body` with F(4x4, 3x3) tiles allowed or not.
    func withLargeTiles<T>(_ on: Bool, _ body: () -> T) -> T {
        var options = KernelOptions.current
        options.largeWinogradTiles = on
        return KernelOptions.with(options, body)
    }

    /// Winograd F(2x2, 3x3) (and F(3x3, 2x2) for the weight gradient) is a re-association of the
    /// same sums: the bound for it is 1e-5 relative to the largest output (observed ~1e-6).
    /// F(4x4, 3x3) (planes of 16x16 and more, sides multiples of 4, 4+ channels) multiplies by up to 8 and 1/24 in
    /// its transforms: its bound is 1e-4 (observed up to 8e-6). Shapes cover even and odd sizes,
    /// widths that are and are not a multiple of the 4-tile vector paths (20x20: 25 tiles, a
    /// partial group of lanes), bias and no bias.
    @Test(arguments: [
        (2, 3, 5, 32, 32, true), (3, 4, 6, 7, 9, false), (2, 64, 64, 16, 16, false),
        (4, 8, 16, 8, 8, true), (2, 16, 8, 4, 4, false), (2, 5, 3, 2, 2, true), (1, 2, 3, 1, 1, false),
        (2, 3, 4, 10, 18, false), (3, 1, 8, 32, 32, true), (3, 6, 5, 16, 20, true), (5, 4, 7, 20, 16, false), (2, 5, 6, 20, 20, false),
        (1, 5, 4, 28, 28, true),
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
                // Without a backward pass to follow, the forward may take the large tile; a
                // recorded forward keeps F(2x2, 3x3) (see `convForward`).
                let y = noGrad { conv2d(x, weight: weight, bias: bias, stride: 1, padding: 1) }
                conv2d(x, weight: weight, bias: bias, stride: 1, padding: 1).backward(gy)
                return (y, x.grad!.clone(), weight.grad!.clone())
            }
        }
        let geometry = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o,
                                    kernelH: 3, kernelW: 3, stride: 1, padding: 1)
        #expect(Kernels.winogradApplies(geometry))
        let direct = run(false)
        for large in [false, true] {
            let (fast, tile) = withLargeTiles(large) { (run(true), Kernels.winogradTile(geometry)) }
            #expect(tile == (large && h % 4 == 0 && w % 4 == 0 && h >= 16 && w >= 16 && min(c, o) >= 4 ? .f4 : .f2))
            let bound: Float = tile == .f4 ? 1e-4 : 1e-5
            #expect(relative(fast.y, direct.y) <= bound, "forward \(tile) \(shape): \(relative(fast.y, direct.y))")
            #expect(relative(fast.gx, direct.gx) <= bound, "input gradient \(tile) \(shape): \(relative(fast.gx, direct.gx))")
            // The weight gradient goes through Winograd F(3x3, 2x2) or F(3x3, 4x4): the same transforms, the same bounds.
            #expect(relative(fast.gw, direct.gw) <= bound, "weight gradient \(tile) \(shape): \(relative(fast.gw, direct.gw))")
        }
    }

    /// The stride-2 Winograd (25 products per 2x2 outputs, every coefficient ±1) is a
    /// re-association of the direct sums, like F(2x2, 3x3): bound 1e-5. It takes outputs with
    /// even sides and rows of a multiple of 8 (four 2x2 tiles at a time). Shapes cover odd input
    /// sides (7 and 31 give outputs of 4 and 16), several images per group and one image,
    /// one input channel, bias and no bias, and the lesson's stride-2 layers in small.
    @Test(arguments: [
        (2, 3, 5, 32, 32, true), (3, 4, 6, 7, 31, false), (2, 16, 32, 16, 16, false), (1, 1, 8, 4, 16, true),
        (2, 6, 5, 12, 48, false), (5, 8, 3, 16, 16, true), (1, 3, 2, 36, 16, true),
        // Several image groups per core (two images per group; shares of 2 and 3 images).
        (5, 64, 64, 32, 32, false),
    ])
    func strideTwoWinogradMatchesDirect(_ shape: (Int, Int, Int, Int, Int, Bool)) {
        let (n, c, o, h, w, hasBias) = shape
        let generator = Generator(seed: UInt64(7 + n * 1000 + c * 100 + o * 10 + h + w))
        let x = Tensor.randn([n, c, h, w], requiresGrad: true, generator: generator)
        let weight = Tensor.randn([o, c, 3, 3], requiresGrad: true, generator: generator)
        let bias = hasBias ? Tensor.randn([o], requiresGrad: true, generator: generator) : nil
        let geometry = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o,
                                    kernelH: 3, kernelW: 3, stride: 2, padding: 1)
        let gy = Tensor.randn([n, o, geometry.outHeight, geometry.outWidth], generator: generator)

        func run(_ winograd: Bool) -> (y: Tensor, gx: Tensor, gw: Tensor, gb: Tensor?) {
            withWinograd(winograd) {
                x.grad = nil; weight.grad = nil; bias?.grad = nil
                let y = conv2d(x, weight: weight, bias: bias, stride: 2, padding: 1)
                y.backward(gy)
                return (y, x.grad!.clone(), weight.grad!.clone(), bias?.grad?.clone())
            }
        }
        #expect(withWinograd(true) { Kernels.strideTwoWinogradApplies(geometry) }, "\(shape)")
        #expect(!withWinograd(false) { Kernels.strideTwoWinogradApplies(geometry) })
        let direct = run(false)
        // One core, and more cores than this machine may have (the batch split differs).
        for threads in [1, 3] {
            let fast = Threads.using(threads) { run(true) }
            #expect(relative(fast.y, direct.y) <= 1e-5, "forward \(shape), \(threads) threads")
            #expect(relative(fast.gx, direct.gx) <= 1e-5, "input gradient \(shape), \(threads) threads")
            #expect(relative(fast.gw, direct.gw) <= 1e-5, "weight gradient \(shape), \(threads) threads")
        }
        let fast = run(true)
        #expect(run(true).gw.scalars == fast.gw.scalars, "weight gradient not reproducible \(shape)")
        #expect(relative(fast.y, direct.y) <= 1e-5, "forward \(shape): \(relative(fast.y, direct.y))")
        #expect(relative(fast.gx, direct.gx) <= 1e-5, "input gradient \(shape): \(relative(fast.gx, direct.gx))")
        #expect(relative(fast.gw, direct.gw) <= 1e-5, "weight gradient \(shape): \(relative(fast.gw, direct.gw))")
        if let fastBias = fast.gb, let directBias = direct.gb { #expect(fastBias.scalars == directBias.scalars) }
        // Only one of the two gradients (a frozen input or frozen weights) takes the same path.
        withWinograd(true) {
            x.grad = nil; weight.grad = nil
            weight.requiresGrad = false
            conv2d(x, weight: weight, bias: nil, stride: 2, padding: 1).backward(gy)
            #expect(relative(x.grad!, direct.gx) <= 1e-5, "input gradient alone \(shape)")
            weight.requiresGrad = true
            x.requiresGrad = false
            x.grad = nil
            conv2d(x, weight: weight, bias: nil, stride: 2, padding: 1).backward(gy)
            #expect(relative(weight.grad!, direct.gw) <= 1e-5, "weight gradient alone \(shape)")
            x.requiresGrad = true
        }
    }

    /// The stride-2 Winograd leaves to im2col what it does not take: outputs with an odd side or
    /// rows that are not a multiple of 8 (256->512 at 8x8 gives a 4x4 output), other paddings
    /// and kernels.
    @Test func strideTwoWinogradScope() {
        func applies(_ h: Int, _ w: Int, kernel: Int = 3, padding: Int = 1) -> Bool {
            Kernels.strideTwoWinogradApplies(ConvGeometry(batch: 2, inChannels: 4, height: h, width: w, outChannels: 4,
                                                          kernelH: kernel, kernelW: kernel, stride: 2, padding: padding))
        }
        withWinograd(true) {
            #expect(applies(32, 32) && applies(16, 16) && applies(7, 31) && applies(4, 16))
            #expect(!applies(8, 8) && !applies(15, 17) && !applies(5, 16) && !applies(2, 2))
            #expect(!applies(32, 32, kernel: 1, padding: 0) && !applies(32, 32, padding: 0))
        }
    }

    /// An empty batch adds nothing to the weight gradient on either Winograd path (their sums
    /// over image groups are never started then, and must not be added).
    @Test(arguments: [1, 2])
    func emptyBatchKeepsWeightGradient(_ stride: Int) {
        let x = Tensor.zeros([0, 4, 16, 16])
        let weight = Tensor.randn([4, 4, 3, 3], requiresGrad: true, generator: Generator(seed: 1))
        weight.grad = Tensor.ones([4, 4, 3, 3])
        withWinograd(true) {
            conv2d(x, weight: weight, bias: nil, stride: stride, padding: 1).backward(Tensor.zeros([0, 4, 16 / stride, 16 / stride]))
        }
        #expect(weight.grad!.scalars == [Float](repeating: 1, count: 144), "stride \(stride)")
    }

    /// conv -> BatchNorm (evaluation) -> ReLU fused into the convolution's output gives exactly
    /// the numbers of the three separate layers, on the Winograd and the im2col paths.
    /// (16x16 with stride 2 takes the stride-2 Winograd; 10x12 with stride 2 takes im2col.)
    @Test(arguments: [(3, 1, true, true, 10, 12), (3, 2, false, true, 10, 12), (1, 2, false, false, 10, 12),
                      (3, 1, true, false, 10, 12), (3, 2, true, true, 16, 16), (3, 2, false, false, 16, 16)])
    func fusedConvolutionMatchesLayers(_ setting: (Int, Int, Bool, Bool, Int, Int)) {
        let (kernel, stride, bias, relu, height, width) = setting
        Random.manualSeed(UInt64(kernel * 10 + stride))
        let conv = Conv2d(6, 8, kernelSize: kernel, stride: stride, padding: kernel / 2, bias: bias)
        let norm = BatchNorm2d(8)
        let x = Tensor.randn([3, 6, height, width], generator: Generator(seed: 5))
        _ = norm(conv(x))   // one training-mode pass so the running statistics are not trivial
        norm.eval()
        let network = relu ? Sequential(conv, norm, ReLU()) : Sequential(conv, norm)
        let fused = noGrad { network(x) }
        #expect(fused.pendingOutput == nil, "a network's output is written when it returns")
        let expected = withFusion(false) { noGrad { network(x) } }
        #expect(fused.scalars == expected.scalars, "kernel \(kernel) stride \(stride) bias \(bias) relu \(relu)")
    }

    /// A whole network in evaluation: fused (no gradients) and unfused (recording) agree bit for
    /// bit with the same Winograd tiles; with F(4x4, 3x3) in the unrecorded pass, within its bound.
    @Test func fusedNetworkMatchesUnfused() {
        Random.manualSeed(3)
        for model in [ResNet(channels: [8, 16, 16, 32], blocks: [1, 1, 1, 1]) as any Module, VGG16(batchNorm: true)] {
            let x = Tensor.randn([2, 1, 32, 32], generator: Generator(seed: 4))
            _ = model(x)   // training mode once: running statistics move away from 0 and 1
            model.eval()
            let recorded = model(x)
            let fused = withLargeTiles(false) { noGrad { model(x) } }
            #expect(fused.scalars == recorded.scalars, "\(model.typeName)")
            let fusedLarge = noGrad { model(x) }
            #expect(relative(fusedLarge, recorded) <= 1e-4, "\(model.typeName) with F(4x4, 3x3): \(relative(fusedLarge, recorded))")
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
        Sequential(conv, norm, ReLU())(x).sum().backward()
        #expect(norm.weight.grad != nil && norm.bias.grad != nil)
    }

    /// The paths that sum over several groups or blocks of images (Winograd groups, im2col
    /// blocks and per-core partial sums) give the single-group results, within the re-association
    /// bound.
    /// (Planes of 10x10 take F(2x2, 3x3), 16x16 F(4x4, 3x3).)
    @Test(arguments: [10, 16]) func manyGroupsMatchOneGroup(_ side: Int) {
        let generator = Generator(seed: 12)
        let x = Tensor.randn([6, 5, side, side], requiresGrad: true, generator: generator)
        func run(_ kernel: Int, _ stride: Int, small: Bool) -> [Tensor] {
            let weight = Tensor.randn([7, 5, kernel, kernel], requiresGrad: true, generator: Generator(seed: 13))
            let gy = Tensor.randn([6, 7, side / stride, side / stride], generator: Generator(seed: 14))
            var options = KernelOptions.current
            if small { (options.winogradGroupFloats, options.im2colBlockFloats) = (1, 1) }
            return KernelOptions.with(options) { pass(kernel, stride, weight, gy) }
        }
        func pass(_ kernel: Int, _ stride: Int, _ weight: Tensor, _ gy: Tensor) -> [Tensor] {
            x.grad = nil
            let y = conv2d(x, weight: weight, stride: stride, padding: kernel / 2)
            y.backward(gy)
            // Unrecorded, the forward may take F(4x4, 3x3): its groups are compared too.
            let unrecorded = noGrad { conv2d(x, weight: weight, stride: stride, padding: kernel / 2) }
            return [y.detach().clone(), x.grad!.clone(), weight.grad!.clone(), unrecorded]
        }
        for (kernel, stride) in [(3, 1), (3, 2), (1, 2)] {
            let one = run(kernel, stride, small: false), many = run(kernel, stride, small: true)
            for (a, b) in zip(one, many) {
                #expect(relative(b, a) <= 1e-5, "side \(side) kernel \(kernel) stride \(stride): \(relative(b, a))")
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

    /// The 2x2 / stride 2 max-pool path against the general loop: the same maxima, the same
    /// winners (ties: the first; NaN: propagated), on widths on and off its 8-wide vector path.
    @Test(arguments: [(32, 32), (16, 16), (8, 8), (2, 2), (6, 20), (7, 9), (5, 19), (3, 17)])
    func maxPoolFastPathMatchesGeneral(_ size: (Int, Int)) {
        let (h, w) = size
        let generator = Generator(seed: UInt64(h * 100 + w))
        // Values from a small set, so that many windows hold ties; a few NaNs.
        let values: [Float] = (0..<(3 * 4 * h * w)).map { i in
            i % 37 == 5 ? .nan : Float(Int(generator.next() % 4)) - 1.5
        }
        let x = Tensor(values, shape: [3, 4, h, w], requiresGrad: true)
        let gy = Tensor.randn([3, 4, h / 2, w / 2], generator: generator)
        func run(_ fast: Bool) -> (y: [Float], gx: [Float]) {
            var options = KernelOptions.current
            options.fastPooling = fast
            return KernelOptions.with(options) { pass() }
        }
        func pass() -> (y: [Float], gx: [Float]) {
            x.grad = nil
            let y = maxPool2d(x, kernelSize: 2, stride: 2)
            y.backward(gy)
            return (y.scalars, x.grad!.scalars)
        }
        let general = run(false), fast = run(true)
        // Counts, not the arrays, in the failure message (they hold thousands of values).
        let wrongMaxima = zip(fast.y, general.y).filter { $0.bitPattern != $1.bitPattern }.count
        let wrongRoutes = zip(fast.gx, general.gx).filter { $0 != $1 }.count
        #expect(wrongMaxima == 0, "maxima \(size): \(wrongMaxima) of \(general.y.count) differ")
        #expect(wrongRoutes == 0, "winners (gradient routing) \(size): \(wrongRoutes) of \(general.gx.count) differ")
        #expect(fast.y.contains { $0.isNaN }, "the test exercises NaN")
    }

    /// A window that does not fit gives no output (PyTorch refuses it), not a window of one
    /// row or column read past the plane.
    @Test func poolingWindowLargerThanInputHasNoOutput() {
        #expect(PoolGeometry(planes: 1, height: 1, width: 4, kernel: 2, stride: 2, padding: 0).outHeight == 0)
        #expect(PoolGeometry(planes: 1, height: 4, width: 1, kernel: 2, stride: 2, padding: 0).outWidth == 0)
        #expect(PoolGeometry(planes: 1, height: 3, width: 5, kernel: 2, stride: 2, padding: 0).outHeight == 1)
        #expect(PoolGeometry(planes: 1, height: 3, width: 5, kernel: 3, stride: 2, padding: 1).outWidth == 3)
    }
}
