import Foundation
import Testing
@testable import Core

/// The narrow VGG of the fixtures: three `vggBlock`s (8, 16, 16 channels) and a two-layer classifier.
final class TinyVGG: Module {
    let features = Sequential(vggBlock(2, 1, 8), vggBlock(2, 8, 16), vggBlock(3, 16, 16))
    let classifier = Sequential(Linear(256, 32), ReLU(inplace: true), Linear(32, 10))
    var isTraining = true
    func forward(_ input: Tensor) -> Tensor {
        let x = features(input)
        return classifier(x.view(x.size(0), -1))
    }
    var typeName: String { "TinyVGG" }
    var children: [(name: String, module: any Module)] { [("features", features), ("classifier", classifier)] }
}

func tinyResNet() -> ResNet {
    ResNet(channels: [8, 16, 32, 64], blocks: [1, 1, 1, 1], name: "TinyResNet")
}

/// Whole networks against PyTorch: one training step (logits, loss, every gradient, the weights
/// and BatchNorm buffers after Adam), then evaluation-mode logits.
@Suite(.ownGenerator) struct NetworkParityTests {
    @Test(arguments: ["tiny_resnet", "tiny_vgg"])
    func oneTrainingStep(_ name: String) throws {
        let model: any Module = name == "tiny_resnet" ? tinyResNet() : TinyVGG()
        let info = try fixtureCase(name)
        #expect(model.description == info["print(model)"] as? String)
        #expect(model.parameterCount == info["param_count"] as? Int)
        #expect(model.namedParameters().map(\.name) == info["parameter_order"] as? [String])

        try model.loadStateDict(try Fixtures.load("\(name).init"))
        let io = try Fixtures.load("\(name).io")
        model.train()
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let logits = model(try io.require("x"))
        expectClose(logits, try io.require("logits"), "\(name) train-mode logits")
        let loss = CrossEntropyLoss()(logits, try io.labels("labels"))
        expectClose(loss, try io.require("loss"), "\(name) loss")
        optimizer.zeroGrad()
        loss.backward()

        let grads = try Fixtures.load("\(name).grads")
        for (key, parameter) in model.namedParameters() {
            expectClose(parameter.grad, try grads.require(key), tolerance: 1e-4, "\(name) gradient of \(key)")
        }
        optimizer.step()
        let after = try Fixtures.load("\(name).after_step")
        let state = model.stateDict()
        #expect(Set(state.keys) == Set(after.keys))
        for (key, tensor, dtype) in after.entries {
            #expect(state.dtype(of: key) == dtype, "\(key) dtype")
            // Adam's first step moves each weight by about lr * sign(gradient), so elements whose
            // gradient is near zero inherit the gradients' 1e-4 tolerance.
            expectClose(state[key], tensor, tolerance: 1e-4, "\(name) \(key) after one Adam step")
        }
        model.eval()
        expectClose(noGrad { model(try! io.require("x")) }, try io.require("eval_logits_after_step"),
                    tolerance: 1e-4, "\(name) eval logits after the step")
    }

    /// Exercise 2 of the lesson with PyTorch's weights: the input gradients of both blocks.
    @Test func exercise2Blocks() throws {
        let f = try Fixtures.load("exercise2_blocks")
        let plain = PlainBlock(64, 64), residual = ResidualBlock(64, 64)
        try plain.loadStateDict(f.withPrefix("plain"))
        try residual.loadStateDict(f.withPrefix("residual"))
        let x = try f.require("x").clone()
        x.requiresGrad = true
        plain(x).sum().backward()
        let plainGrad = try #require(x.grad).clone()
        expectClose(plainGrad, try f.require("plain_grad"), tolerance: 1e-4, "plain block input gradient")
        x.grad = nil
        residual(x).sum().backward()
        let residualGrad = try #require(x.grad)
        expectClose(residualGrad, try f.require("residual_grad"), tolerance: 1e-4, "residual block input gradient")
        let plainMean = plainGrad.abs().mean().item(), residualMean = residualGrad.abs().mean().item()
        #expect(abs(plainMean - 0.2931533753871918) < 1e-5)
        #expect(abs(residualMean - 0.7049070596694946) < 1e-5)
        #expect(abs(residualMean / plainMean - 2.4045674800872803) < 1e-4)
    }

    /// Parameter counts, state_dict keys, shapes, order and dtypes, and `print(model)` of the lesson's four networks.
    @Test(arguments: ["VGG16_MNIST", "ResNet18", "PlainNet", "DeepResNet"])
    func lessonNetworkStructure(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("seed_networks.json")))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let info = try #require(all[name] as? [String: Any])
        let model: any Module
        switch name {
        case "VGG16_MNIST": model = VGG16()
        case "ResNet18": model = ResNet18()
        case "PlainNet": model = PlainNet()
        default: model = DeepResNet()
        }
        #expect(model.parameterCount == info["param_count"] as? Int)
        #expect(model.description == info["print(model)"] as? String)
        let expected = try #require(info["state_dict"] as? [[Any]])
        let state = model.stateDict()
        #expect(state.keys == expected.map { $0[0] as! String })
        for row in expected {
            let key = row[0] as! String
            #expect(state[key]?.shape == row[1] as? [Int], "\(key) shape")
            #expect(state.dtype(of: key) == (row[2] as! String == "int64" ? .int64 : .float32), "\(key) dtype")
        }
    }

    private func fixtureCase(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("fixtures.json")))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(all["cases"] as? [String: Any])
        return try #require(cases[name] as? [String: Any])
    }
}
