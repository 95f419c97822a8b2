import Foundation
import Testing
@testable import Core

/// Multiply-adds of a 3x3 (or kxk) convolution on a square map, written out by hand.
private func convMACs(_ cin: Int, _ cout: Int, kernel: Int = 3, size: Int) -> Int {
    cout * size * size * cin * kernel * kernel
}

/// Parameters from the state_dict: every weight and bias entry (the BatchNorm buffers running_mean,
/// running_var and num_batches_tracked are not parameters).
private func stateDictParameters(_ model: any Module) -> Int {
    model.stateDict().entries
        .filter { $0.key.hasSuffix(".weight") || $0.key.hasSuffix(".bias") }
        .reduce(0) { $0 + $1.tensor.count }
}

@Suite(.ownGenerator) struct SummaryTests {
    @Test func resnet18CountsMatchTheLesson() {
        let model = ResNet18()
        let summary = ModelSummary(model: model, input: [1, 1, 32, 32])
        #expect(summary.totalParameters == 11_172_810)
        #expect(summary.totalParameters == stateDictParameters(model))
        #expect(summary.trainableParameters == 11_172_810)
        #expect(summary.nonTrainableParameters == 0)

        // By hand: stem at 32x32, then four stages of two blocks (two 3x3 convolutions each), a 1x1
        // projection where a stage starts with stride 2, and the classifier.
        var expected = convMACs(1, 64, size: 32) + 4 * convMACs(64, 64, size: 32)
        for (cin, cout, size) in [(64, 128, 16), (128, 256, 8), (256, 512, 4)] {
            expected += convMACs(cin, cout, size: size) + 3 * convMACs(cout, cout, size: size)
                + convMACs(cin, cout, kernel: 1, size: size)
        }
        expected += 512 * 10
        #expect(summary.totalMultAdds == expected)
        #expect(summary.totalMultAdds == 554_243_072)       // "Total mult-adds (M): 554.24"
        #expect(summary.outputShape == [1, 10])
    }

    @Test func vgg16CountsMatchTheLesson() {
        let model = VGG16()
        let summary = ModelSummary(model: model, input: [1, 1, 32, 32])
        #expect(summary.totalParameters == 33_637_066)
        #expect(summary.totalParameters == stateDictParameters(model))

        // By hand: 13 convolutions at 32, 32, 16, 16, 8, 8, 8, 4, 4, 4, 2, 2, 2 and three linear layers.
        let convs: [(Int, Int, Int)] = [(1, 64, 32), (64, 64, 32), (64, 128, 16), (128, 128, 16),
                                         (128, 256, 8), (256, 256, 8), (256, 256, 8),
                                         (256, 512, 4), (512, 512, 4), (512, 512, 4),
                                         (512, 512, 2), (512, 512, 2), (512, 512, 2)]
        let expected = convs.reduce(0) { $0 + convMACs($1.0, $1.1, size: $1.2) }
            + 512 * 4096 + 4096 * 4096 + 4096 * 10
        #expect(summary.totalMultAdds == expected)
        #expect(summary.totalMultAdds == 330_932_224)
        #expect(summary.outputShape == [1, 10])
    }

    @Test func rowsFollowTheForwardPass() {
        let summary = ModelSummary(model: ResNet18(), input: [2, 1, 32, 32])
        let byName = Dictionary(summary.rows.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["conv1"]?.outputShape == [2, 64, 32, 32])
        #expect(byName["conv1"]?.ownParameters == 64 * 9)
        #expect(byName["layer2.0.shortcut.0"]?.outputShape == [2, 128, 16, 16])
        #expect(byName["layer4"]?.outputShape == [2, 512, 4, 4])
        #expect(byName["avg_pool"]?.outputShape == [2, 512, 1, 1])
        #expect(byName["fc"]?.outputShape == [2, 10])
        // Mult-adds scale with the batch.
        #expect(summary.totalMultAdds == 2 * 554_243_072)
        // Every module appears once, in the state_dict's naming.
        let names = Set(ResNet18().namedModules().map(\.name))
        #expect(Set(summary.rows.map(\.name)) == names)
        #expect(summary.unexpandedModules.isEmpty)
        // Leaf parameters add up to the total.
        #expect(summary.rows.filter(\.isLeaf).reduce(0) { $0 + $1.ownParameters } == summary.totalParameters)
    }

    @Test func summaryKeepsTrainingModeAndWeights() {
        let model = ResNet18()
        let before = model.layer(named: "bn1")?.ownBuffers.first?.tensor.scalars
        _ = ModelSummary(model: model)
        #expect(model.isTraining)
        #expect(model.stages[0].isTraining)
        #expect(model.layer(named: "bn1")?.ownBuffers.first?.tensor.scalars == before)
        model.eval()
        _ = ModelSummary(model: model)
        #expect(!model.isTraining)
    }

    @Test(arguments: [8, 14, 20, 32])
    func cifarFamilyHasSixNPlusTwoLayers(_ depth: Int) {
        for residual in [false, true] {
            for batchNorm in [true, false] {
                let model = CifarResNet(depth: depth, residual: residual, batchNorm: batchNorm)
                let summary = ModelSummary(model: model)
                // Weighted layers on the main path: 3x3 convolutions plus the classifier (projections aside).
                let mainConvs = summary.rows.filter { row in
                    row.typeName == "Conv2d" && !row.name.contains("shortcut")
                }.count
                #expect(mainConvs + 1 == depth)
                #expect(summary.outputShape == [1, 10])
                #expect(summary.totalParameters == stateDictParameters(model))
                #expect(summary.unexpandedModules.isEmpty)
                let out = noGrad { model(Tensor.zeros([2, 1, 32, 32])) }
                #expect(out.shape == [2, 10])
            }
        }
    }

    @Test func cifarResNet20HasThePapersSize() {
        // The paper's ResNet-20 for CIFAR-10 has 0.27 M parameters (3 input channels, identity
        // shortcuts "option A"); with 1 input channel and projection shortcuts ("option B") it is
        // the stem's 3x3x1x16 plus two 1x1 projections with BatchNorm more than the count below.
        let model = CifarResNet(depth: 20, residual: true)
        let n = 3
        var expected = 9 * 1 * 16 + 2 * 16                             // stem + bn1
        expected += n * 2 * (9 * 16 * 16 + 2 * 16)                      // stage 1
        expected += (9 * 16 * 32 + 2 * 32) + (9 * 32 * 32 + 2 * 32)     // first block of stage 2
            + (16 * 32 + 2 * 32)                                        // its projection
            + (n - 1) * 2 * (9 * 32 * 32 + 2 * 32)
        expected += (9 * 32 * 64 + 2 * 64) + (9 * 64 * 64 + 2 * 64) + (32 * 64 + 2 * 64)
            + (n - 1) * 2 * (9 * 64 * 64 + 2 * 64)
        expected += 64 * 10 + 10
        #expect(model.parameterCount == expected)
        #expect(CifarResNet.blocksPerStage(depth: 20) == 3)
        #expect(CifarResNet.blocksPerStage(depth: 21) == nil)
        #expect(CifarResNet.blocksPerStage(depth: 2) == nil)
    }
}

private extension Module {
    func layer(named name: String) -> (any Module)? {
        namedModules().first { $0.name == name }?.module
    }
}
