import Testing
@testable import Core
@testable import Autograd

/// The models are written plainly (`relu(bn1(conv1(x)))`, `out += shortcut(x); relu(out)`) and the
/// engine fuses what it can (Autograd/Tensor/DeferredOutput.swift). These tests check that the
/// fusion happens, and that a fused network computes exactly what the plain one computes.
@Suite(.ownGenerator) struct FusionTests {
    /// Every network of the lesson, small where the lesson's is large.
    static func networks() -> [any Module] {
        [ResNet(channels: [8, 16, 16, 32], blocks: [2, 1, 1, 1], name: "SmallResNet"),
         ResNet(channels: [8, 16], blocks: [1, 1], residual: false, name: "SmallPlain"),
         PlainNet(channels: [8, 16, 16, 32], blocks: [1, 1, 1, 1]),
         VGG16(batchNorm: true),
         CifarResNet(depth: 8, residual: true, batchNorm: false)]
    }

    /// One training step's outputs, every gradient and the BatchNorm statistics it updated
    /// (with the same dropout masks on every call).
    static func trainingStep(_ model: any Module, _ x: Tensor, _ labels: [Int]) -> [Float] {
        model.zeroGrad()
        let logits = Random.withSeed(5) { model(x) }
        let loss = crossEntropy(logits, labels)
        loss.backward()
        return logits.scalars + model.parameters().flatMap { $0.grad?.scalars ?? [] }
            + model.namedBuffers().flatMap { $0.tensor.scalars }
    }

    /// Training mode, fused against plain: bit for bit (the fused operations do the plain ones'
    /// arithmetic in the same order), for outputs, gradients and running statistics.
    @Test(arguments: 0..<5) func trainingStepIsUnchanged(_ index: Int) throws {
        let (fusedModel, plainModel) = (Self.networks()[index], Self.networks()[index])
        try plainModel.loadStateDict(fusedModel.stateDict())
        let x = Tensor.randn([4, 1, 32, 32], generator: Generator(seed: 7))
        let labels = [3, 1, 4, 1]
        let fused = Self.trainingStep(fusedModel, x, labels)
        let plain = withFusion(false) { Self.trainingStep(plainModel, x, labels) }
        #expect(fused == plain, "\(fusedModel.typeName)")
    }

    /// Evaluation without gradients (BatchNorm and ReLU folded into the convolutions), fused
    /// against plain: bit for bit.
    @Test(arguments: 0..<5) func evaluationIsUnchanged(_ index: Int) {
        let model = Self.networks()[index]
        let x = Tensor.randn([3, 1, 32, 32], generator: Generator(seed: 8))
        _ = model(x)   // one training-mode pass moves the running statistics away from 0 and 1
        model.eval()
        let fused = noGrad { model(x) }
        let plain = withFusion(false) { noGrad { model(x) } }
        #expect(fused.scalars == plain.scalars, "\(model.typeName)")
    }

    /// The fusion is found: inside a forward pass a ReLU after a BatchNorm, or after a sum,
    /// becomes one recorded operation on their inputs; with fusion off, two.
    @Test func reluJoinsTheOperationBeforeIt() {
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1), norm = BatchNorm2d(3)
        let x = Tensor.randn([2, 2, 5, 5], generator: Generator(seed: 9))
        let features = conv(x)
        let fused = Deferral.allowed { relu(norm(features)) }
        #expect(fused.gradFn?.inputs.first === features, "relu(bn(x)) is one operation on x")
        let plain = withFusion(false) { Deferral.allowed { relu(norm(features)) } }
        #expect(plain.gradFn?.inputs.first !== features, "with fusion off the ReLU reads the BatchNorm's output")
        #expect(fused.scalars == plain.scalars)

        let (a, b) = (conv(x), conv(x))
        let sum = Deferral.allowed { relu(a + b) }
        #expect(sum.gradFn.map { $0.inputs[0] === a && $0.inputs[1] === b } == true, "relu(a + b) is one operation")
    }

    /// In evaluation without gradients the BatchNorm and the ReLU fold into the convolution.
    @Test func evaluationFoldsIntoTheConvolution() {
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1), norm = BatchNorm2d(3)
        norm.eval()
        let x = Tensor.randn([2, 2, 5, 5], generator: Generator(seed: 10))
        let output = noGrad { Deferral.allowed { relu(norm(conv(x))) } }
        let epilogue = output.pendingOutput?.epilogue
        #expect(epilogue?.affine != nil && epilogue?.relu == true, "conv, BatchNorm and ReLU are one deferred write")
    }

    /// An operation on a deferred output writes that output when it is called, so only the last
    /// operation of a chain is pending: a whole network's outputs are never allocated at once at the
    /// end of an evaluation forward (DeepResNet's peak was 927 MB before, with every layer's output
    /// allocated together).
    @Test func aChainKeepsOnlyItsLastOutputPending() {
        let first = Conv2d(2, 3, kernelSize: 3, padding: 1), norm = BatchNorm2d(3)
        let second = Conv2d(3, 3, kernelSize: 3, padding: 1)
        norm.eval()
        let x = Tensor.randn([2, 2, 5, 5], generator: Generator(seed: 13))
        let (hidden, output) = noGrad {
            Deferral.allowed { () -> (Tensor, Tensor) in
                let hidden = relu(norm(first(x)))
                return (hidden, second(hidden) + hidden)
            }
        }
        #expect(hidden.pendingOutput == nil, "the second convolution wrote its input when called")
        #expect(output.pendingOutput != nil, "the last operation stays pending, ready to fold")
        let plain = withFusion(false) { noGrad { second(relu(norm(first(x)))) + relu(norm(first(x))) } }
        #expect(output.scalars == plain.scalars)
    }

    /// Outside a forward pass nothing is deferred: a model's output, and what a watched module
    /// reports, are written.
    @Test func nothingDeferredEscapesAForwardPass() {
        let model = Self.networks()[0]
        let x = Tensor.randn([2, 1, 32, 32], generator: Generator(seed: 11))
        #expect(model(x).pendingOutput == nil)
        model.eval()
        #expect(noGrad { model(x) }.pendingOutput == nil)
        let trace = ForwardTrace(of: model)
        _ = noGrad { trace.run(model, x) }
        #expect(trace.records.allSatisfy { $0.output?.pendingOutput == nil })
        let norm = BatchNorm2d(1)
        #expect(norm(x).pendingOutput == nil, "a layer called on its own is a whole forward pass")
    }

    /// A deferred output read by something other than a fusing operation gives the same values
    /// as the plain operation (here the BatchNorm output is read twice and fed to a ReLU).
    @Test func readingADeferredOutputWritesIt() {
        let norm = BatchNorm2d(2)
        let x = Tensor.randn([2, 2, 4, 4], generator: Generator(seed: 12))
        let (normalized, activated) = Deferral.allowed { () -> (Tensor, Tensor) in
            let y = norm(x)
            let values = y.scalars       // written here, without a ReLU
            #expect(y.pendingOutput == nil && values.count == 64)
            return (y, relu(y))          // an ordinary ReLU on the written values
        }
        #expect(activated.scalars == normalized.scalars.map { max($0, 0) })
    }
}
