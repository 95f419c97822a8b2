import Testing
@testable import Core

/// Every operation's backward against central finite differences.
///
/// The loss is L = sum(out * R) for a fixed random R, evaluated in double precision from float32
/// outputs; a step of 1e-2 keeps float32 rounding small next to the truncation error, so the
/// check is loose enough for float32 yet a wrong backward (a missing term, a transposed index)
/// is off by far more.
struct GradientCheck {
    let inputs: [Tensor]
    let function: ([Tensor]) -> Tensor

    func run(step: Float = 1e-2, tolerance: Double = 2e-2, _ what: String,
             sourceLocation: SourceLocation = #_sourceLocation) {
        let generator = Generator(seed: 99)
        for input in inputs { input.requiresGrad = true; input.grad = nil }
        let out = function(inputs)
        let weights = Tensor.randn(out.shape, generator: generator)
        (out * weights).sum().backward()

        for (index, input) in inputs.enumerated() {
            guard let analytic = input.grad else {
                Issue.record("\(what): input \(index) got no gradient", sourceLocation: sourceLocation)
                continue
            }
            var worst = 0.0, scale = 1e-3
            for i in 0..<input.count {
                let saved = input.data[i]
                input.data[i] = saved + step
                let plus = loss(weights)
                input.data[i] = saved - step
                let minus = loss(weights)
                input.data[i] = saved
                let numeric = (plus - minus) / (2 * Double(step))
                worst = max(worst, abs(numeric - Double(analytic.data[i])))
                scale = max(scale, abs(numeric))
            }
            #expect(worst / scale <= tolerance,
                    "\(what): input \(index) gradient differs from finite differences by \(worst / scale) (relative)",
                    sourceLocation: sourceLocation)
        }
    }

    private func loss(_ weights: Tensor) -> Double {
        let out = noGrad { function(inputs) }
        var total = 0.0
        for i in 0..<out.count { total += Double(out.data[i]) * Double(weights.data[i]) }
        return total
    }
}

/// Random inputs of a given shape, from a fixed seed.
func randomInput(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    Tensor.uniform(shape, low: low, high: high, generator: Generator(seed: seed))
}

@Suite(.ownGenerator) struct FiniteDifferenceTests {
    @Test func broadcastArithmetic() {
        let a = randomInput([2, 3, 4], seed: 1), b = randomInput([3, 1], seed: 2)
        GradientCheck(inputs: [a, b]) { $0[0] + $0[1] }.run("add with broadcasting")
        GradientCheck(inputs: [a, b]) { $0[0] - $0[1] }.run("sub with broadcasting")
        GradientCheck(inputs: [a, b]) { $0[0] * $0[1] }.run("mul with broadcasting")
        let positive = randomInput([3, 1], seed: 3, low: 0.5, high: 2)
        GradientCheck(inputs: [a, positive]) { $0[0] / $0[1] }.run("div with broadcasting")
        GradientCheck(inputs: [a]) { ($0[0] * 3 + 1) / 2 - 0.5 }.run("scalar operations")
        GradientCheck(inputs: [a]) { -$0[0] }.run("negation")
    }

    @Test func elementwiseFunctions() {
        let x = randomInput([3, 5], seed: 4)
        GradientCheck(inputs: [x]) { $0[0].relu() }.run(step: 1e-3, "relu")
        GradientCheck(inputs: [x]) { $0[0].abs() }.run(step: 1e-3, "abs")
        GradientCheck(inputs: [x]) { $0[0].exp() }.run("exp")
        GradientCheck(inputs: [x]) { $0[0].square() }.run("square")
        let positive = randomInput([3, 5], seed: 5, low: 0.5, high: 2)
        GradientCheck(inputs: [positive]) { $0[0].log() }.run("log")
        GradientCheck(inputs: [positive]) { $0[0].sqrt() }.run("sqrt")
    }

    @Test func reductionsAndShapes() {
        let x = randomInput([2, 3, 4], seed: 6)
        GradientCheck(inputs: [x]) { $0[0].sum() }.run("sum")
        GradientCheck(inputs: [x]) { $0[0].mean() }.run("mean")
        GradientCheck(inputs: [x]) { $0[0].sum(dim: 1) }.run("sum(dim: 1)")
        GradientCheck(inputs: [x]) { $0[0].mean(dim: -1, keepDim: true) }.run("mean(dim: -1)")
        GradientCheck(inputs: [x]) { $0[0].norm() }.run("norm")
        GradientCheck(inputs: [x]) { $0[0].reshape(4, -1) * $0[0].reshape(4, 6) }.run("reshape")
        GradientCheck(inputs: [x]) { $0[0].flatten(startDim: 1) }.run("flatten")
    }

    @Test(arguments: [(1, 1, true), (2, 1, false), (2, 0, false), (1, 0, true), (2, 3, false)])
    func convolution(_ stride: Int, _ padding: Int, _ bias: Bool) {
        let kernel = padding == 3 ? 7 : (padding == 0 && stride == 2 ? 1 : 3)
        let x = randomInput([2, 3, 9, 9], seed: 7)
        let w = randomInput([4, 3, kernel, kernel], seed: 8, low: -0.3, high: 0.3)
        let b = randomInput([4], seed: 9)
        GradientCheck(inputs: bias ? [x, w, b] : [x, w]) {
            conv2d($0[0], weight: $0[1], bias: bias ? $0[2] : nil, stride: stride, padding: padding)
        }.run("conv2d k\(kernel) s\(stride) p\(padding)")
    }

    @Test func batchNormTrainingAndEvaluation() {
        let x = randomInput([4, 3, 3, 3], seed: 10)
        let gamma = randomInput([3], seed: 11, low: 0.5, high: 1.5), beta = randomInput([3], seed: 12)
        for training in [true, false] {
            let mean = randomInput([3], seed: 13), variance = randomInput([3], seed: 14, low: 0.5, high: 2)
            GradientCheck(inputs: [x, gamma, beta]) {
                // Fresh copies of the running statistics each call: training mode updates them.
                batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: mean.clone(),
                            runningVar: variance.clone(), training: training)
            }.run(step: 1e-2, tolerance: 3e-2, "batchNorm2d training=\(training)")
        }
    }

    /// The fused BatchNorm + ReLU and add + ReLU (what a ReLU after a deferred BatchNorm or sum
    /// becomes inside a forward pass, `Deferral.allowed`). Inputs keep every value before the ReLU at
    /// least 0.5 away from zero (a finite difference across the kink is meaningless): channels
    /// shifted by ±2.5 are either wholly passed through or wholly cut off.
    @Test func fusedOperations() {
        let x = randomInput([4, 3, 3, 3], seed: 30)
        let gamma = Tensor([1, 1, 1], shape: [3]), beta = Tensor([2.5, -2.5, 2.5], shape: [3])
        for training in [true, false] {
            let (mean, variance) = (Tensor.zeros([3]), Tensor.ones([3]))
            GradientCheck(inputs: [x, gamma, beta]) { inputs in
                Deferral.allowed {
                    batchNorm2d(inputs[0], weight: inputs[1], bias: inputs[2], runningMean: mean.clone(),
                                runningVar: variance.clone(), training: training).relu()
                }
            }.run(step: 1e-3, tolerance: 3e-2, "batchNorm2d + relu, training=\(training)")
        }
        let a = randomInput([2, 3, 4, 5], seed: 35)
        let b = randomInput([2, 3, 4, 5], seed: 36)
        for i in 0..<b.count where abs(a.data[i] + b.data[i]) < 0.5 {
            b.data[i] += a.data[i] + b.data[i] < 0 ? -0.5 : 0.5
        }
        GradientCheck(inputs: [a, b]) { inputs in Deferral.allowed { relu(inputs[0] + inputs[1]) } }
            .run(step: 1e-3, "relu(a + b), fused")
    }

    /// Where the ReLU's output is NaN its gradient passes through, as PyTorch's threshold
    /// backward does (torch.relu(nan).backward() gives 1); plain, fused with add, and on the
    /// vector path (8 values) and the scalar tail (3 more).
    @Test func reluPassesGradientAtNaN() {
        var values = [Float](repeating: -1, count: 11)
        values[2] = .nan; values[9] = .nan; values[4] = 2
        let x = Tensor(values, shape: [11], requiresGrad: true)
        relu(x).backward(Tensor.ones([11]))
        let expected: [Float] = values.map { $0.isNaN || $0 > 0 ? 1 : 0 }
        #expect(x.grad!.scalars == expected)
        x.grad = nil
        Deferral.allowed { relu(x + Tensor.zeros([11])) }.backward(Tensor.ones([11]))
        #expect(x.grad!.scalars == expected)
    }

    /// The fused operations give the numbers of the two operations they replace.
    @Test func fusedOperationsMatchUnfused() {
        let x = randomInput([8, 5, 6, 7], seed: 40, low: -2, high: 2)
        let gamma = randomInput([5], seed: 41, low: 0.5, high: 1.5), beta = randomInput([5], seed: 42)
        let gy = randomInput([8, 5, 6, 7], seed: 43)
        for training in [true, false] {
            func run(_ fused: Bool) -> [Float] {
                for t in [x, gamma, beta] { t.requiresGrad = true; t.grad = nil }
                let (mean, variance) = (Tensor.zeros([5]), Tensor.ones([5]))
                let normalizeThenReLU = {
                    relu(batchNorm2d(x, weight: gamma, bias: beta, runningMean: mean, runningVar: variance,
                                     training: training))
                }
                let y = fused ? Deferral.allowed(normalizeThenReLU) : normalizeThenReLU()
                y.backward(gy)
                return y.scalars + x.grad!.scalars + gamma.grad!.scalars + beta.grad!.scalars
                    + mean.scalars + variance.scalars
            }
            let (fused, plain) = (run(true), run(false))
            #expect(fused == plain, "batchNorm2d + relu (training=\(training)) differs from relu(batchNorm2d)")
        }
        let b = randomInput([8, 5, 6, 7], seed: 44)
        func sum(_ fused: Bool) -> [Float] {
            for t in [x, b] { t.requiresGrad = true; t.grad = nil }
            let y = fused ? Deferral.allowed { relu(x + b) } : relu(x + b)
            y.backward(gy)
            return y.scalars + x.grad!.scalars + b.grad!.scalars
        }
        #expect(sum(true) == sum(false), "fused relu(a + b) differs from the two operations")
    }

    @Test func linearPoolingDropoutAndLoss() {
        let x = randomInput([5, 7], seed: 15), w = randomInput([3, 7], seed: 16), b = randomInput([3], seed: 17)
        GradientCheck(inputs: [x, w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) }.run("linear")

        let image = randomInput([2, 2, 9, 9], seed: 18)
        GradientCheck(inputs: [image]) { maxPool2d($0[0], kernelSize: 2, stride: 2) }.run(step: 1e-3, "maxPool2d 2/2")
        GradientCheck(inputs: [image]) { maxPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) }.run(step: 1e-3, "maxPool2d 3/2/1")
        GradientCheck(inputs: [image]) { adaptiveAvgPool2d($0[0], outputSize: (1, 1)) }.run("adaptiveAvgPool2d 1x1")
        GradientCheck(inputs: [image]) { adaptiveAvgPool2d($0[0], outputSize: (2, 3)) }.run("adaptiveAvgPool2d 2x3")
        GradientCheck(inputs: [x]) {
            dropout($0[0], p: 0.4, training: true, generator: Generator(seed: 5))
        }.run("dropout (same mask each call)")

        let logits = randomInput([4, 10], seed: 19, low: -3, high: 3)
        GradientCheck(inputs: [logits]) { crossEntropy($0[0], [3, 0, 9, 5]) }.run("crossEntropy")
    }

    @Test func residualBlockEndToEnd() {
        Random.manualSeed(20)
        let block = ResidualBlock(3, 4, stride: 2)
        let x = randomInput([2, 3, 6, 6], seed: 21)
        GradientCheck(inputs: [x, block.conv1.weight, block.shortcut.parameters()[0]]) { _ in block(x) }
            .run(step: 1e-2, tolerance: 5e-2, "residual block with projection")
    }
}

/// Backward bookkeeping: accumulation, shared gradients, no-grad, leaves.
@Suite(.ownGenerator) struct AutogradTests {
    @Test func gradientsAccumulateUntilCleared() {
        let x = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        #expect(x.grad?.scalars == [5, 5, 5])
        x.grad = nil
        (x * x).sum().backward()
        #expect(x.grad?.scalars == [2, 4, 6])
    }

    @Test func sharedGradientIsNotCorrupted() {
        // y = a + b hands the same gradient to both; a is then used again.
        let a = Tensor([1, 2], shape: [2], requiresGrad: true)
        let b = Tensor([3, 4], shape: [2], requiresGrad: true)
        let y = a + b
        (y * a).sum().backward()
        #expect(a.grad?.scalars == [5, 8])   // d/da (a+b)a = 2a + b
        #expect(b.grad?.scalars == [1, 2])   // d/db (a+b)a = a
    }

    @Test func noGradRecordsNothing() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = noGrad { x * 2 }
        #expect(!y.requiresGrad && y.isLeaf)
        #expect((x * 2).requiresGrad)
    }
}
