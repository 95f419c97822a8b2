import Testing
@testable import Core

/// The forward hooks (`ForwardTrace`): every module a forward pass calls is seen once, in order,
/// with its name and output, and watching a network does not change what it computes (the fused
/// paths run layer by layer while watched; the numbers must be the same).
@Suite(.ownGenerator) struct ForwardHookTests {
    /// A small input and a ResNet with BatchNorm after every convolution: its forward uses every fused
    /// path (conv -> BN -> ReLU, BN -> ReLU, add -> ReLU).
    private func narrowResNet() -> ResNet {
        Random.withSeed(5) { ResNet(channels: [8, 16, 32, 64], blocks: [1, 1, 1, 1]) }
    }

    @Test func everyModuleOfResNetIsSeenOnceInTreeOrder() {
        let model = narrowResNet()
        let trace = ForwardTrace(of: model)
        _ = noGrad { trace.run(model, Tensor.randn([2, 1, 32, 32], generator: Generator(seed: 1))) }
        // ResNet's forward calls each module once, in the order the tree lists them.
        #expect(trace.records.map(\.name) == model.namedModules().map(\.name))
        #expect(trace.records.allSatisfy { $0.output != nil })
        let byName = Dictionary(uniqueKeysWithValues: trace.records.map { ($0.name, $0) })
        #expect(byName["layer2.0.conv1"]?.output?.shape == [2, 16, 16, 16])
        #expect(byName["layer2.0.conv1"]?.depth == 3)
        #expect(byName["layer1"]?.ranChildren == true)
        #expect(byName["layer1.0.shortcut"]?.ranChildren == false)   // the identity: an empty Sequential
    }

    @Test(arguments: [false, true]) func watchingDoesNotChangeTheOutputs(training: Bool) {
        let model = narrowResNet()
        let x = Tensor.randn([4, 1, 32, 32], generator: Generator(seed: 2))
        if training { model.train() } else { model.eval() }
        // Fused (no watcher) and layer by layer (watched), from the same weights and statistics.
        let plain = noGrad { model(x) }.scalars
        let reloaded = narrowResNet()
        reloaded.isTraining = training
        if training { reloaded.train() } else { reloaded.eval() }
        let trace = ForwardTrace(of: reloaded)
        let watched = noGrad { trace.run(reloaded, x) }.scalars
        #expect(plain == watched)
    }

    @Test func watchedGradientsEqualFusedGradients() throws {
        let x = Tensor.randn([4, 1, 32, 32], generator: Generator(seed: 3))
        let labels = [1, 2, 3, 4]
        func gradients(watched: Bool) -> [[Float]] {
            let model = narrowResNet()
            let logits = watched ? ForwardTrace(of: model).run(model, x) : model(x)
            crossEntropy(logits, labels).backward()
            return model.parameters().map { $0.grad?.scalars ?? [] }
        }
        #expect(gradients(watched: false) == gradients(watched: true))
    }

    @Test func sequentialReportsEachLayerWhileWatched() {
        let block = Sequential(Conv2d(1, 4, kernelSize: 3, padding: 1, generator: Generator(seed: 4)),
                               BatchNorm2d(4), ReLU())
        block.eval()
        let trace = ForwardTrace(of: block)
        _ = noGrad { trace.run(block, Tensor.randn([1, 1, 6, 6], generator: Generator(seed: 6))) }
        #expect(trace.records.map(\.module.typeName) == ["Sequential", "Conv2d", "BatchNorm2d", "ReLU"])
        #expect(trace.records.map(\.depth) == [0, 1, 1, 1])
    }
}
