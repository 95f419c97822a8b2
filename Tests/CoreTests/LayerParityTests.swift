import Testing
@testable import Core

/// Each layer's forward and backward against PyTorch's, from `layers.safetensors`.
@Suite(.ownGenerator) struct LayerParityTests {
    let fixture: StateDict
    init() throws { fixture = try Fixtures.load("layers") }

    @Test(arguments: [
        ("conv3x3_s1_p1_bias", 1, 1), ("conv3x3_s2_p1_nobias", 2, 1), ("conv1x1_s2_nobias", 2, 0),
        ("conv7x7_s2_p3_nobias", 2, 3), ("conv3x3_s1_p0_bias", 1, 0),
    ])
    func convolution(_ name: String, _ stride: Int, _ padding: Int) throws {
        let f = fixture.withPrefix(name)
        let weight = try f.require("weight")
        let conv = Conv2d(weight.shape[1], weight.shape[0], kernelSize: weight.shape[2], stride: stride,
                          padding: padding, bias: f["bias"] != nil)
        conv.weight.copy(from: weight)
        if let bias = f["bias"] { conv.bias!.copy(from: bias) }
        let x = try f.require("x").clone()
        x.requiresGrad = true
        let y = conv(x)
        expectClose(y, try f.require("y"), "\(name) forward")
        y.backward(try f.require("gy"))
        expectClose(x.grad, try f.require("gx"), "\(name) input gradient")
        expectClose(conv.weight.grad, try f.require("gweight"), "\(name) weight gradient")
        if let gbias = f["gbias"] { expectClose(conv.bias?.grad, gbias, "\(name) bias gradient") }
    }

    @Test func batchNormTrainingAndEvaluation() throws {
        let f = fixture.withPrefix("batchnorm")
        let bn = BatchNorm2d(3)
        bn.weight.copy(from: try f.require("weight"))
        bn.bias.copy(from: try f.require("bias"))
        let x = try f.require("x").clone()
        x.requiresGrad = true
        let y = bn(x)
        expectClose(y, try f.require("y_train"), "batchnorm train forward")
        y.backward(try f.require("gy"))
        expectClose(x.grad, try f.require("gx"), "batchnorm input gradient")
        expectClose(bn.weight.grad, try f.require("gweight"), "batchnorm weight gradient")
        expectClose(bn.bias.grad, try f.require("gbias"), "batchnorm bias gradient")
        expectClose(bn.runningMean, try f.require("running_mean"), "running_mean")
        expectClose(bn.runningVar, try f.require("running_var"), "running_var (unbiased)")
        #expect(bn.numBatchesTracked.item() == (try f.require("num_batches_tracked")).item())
        bn.eval()
        expectClose(noGrad { bn(x) }, try f.require("y_eval"), "batchnorm eval forward")
    }

    @Test func linear() throws {
        let f = fixture.withPrefix("linear")
        let layer = Linear(7, 3)
        layer.weight.copy(from: try f.require("weight"))
        layer.bias!.copy(from: try f.require("bias"))
        let x = try f.require("x").clone()
        x.requiresGrad = true
        let y = layer(x)
        expectClose(y, try f.require("y"), "linear forward")
        y.backward(try f.require("gy"))
        expectClose(x.grad, try f.require("gx"), "linear input gradient")
        expectClose(layer.weight.grad, try f.require("gweight"), "linear weight gradient")
        expectClose(layer.bias?.grad, try f.require("gbias"), "linear bias gradient")
    }

    @Test(arguments: [("maxpool2_s2", 2, 2, 0), ("maxpool3_s2_p1", 3, 2, 1)])
    func maxPool(_ name: String, _ kernel: Int, _ stride: Int, _ padding: Int) throws {
        let f = fixture.withPrefix(name)
        let x = try f.require("x").clone()
        x.requiresGrad = true
        let y = MaxPool2d(kernelSize: kernel, stride: stride, padding: padding)(x)
        expectClose(y, try f.require("y"), tolerance: 0, "\(name) forward")
        y.backward(try f.require("gy"))
        expectClose(x.grad, try f.require("gx"), tolerance: 0, "\(name) input gradient")
    }

    @Test func adaptiveAveragePool() throws {
        let f = fixture.withPrefix("avgpool")
        let x = try f.require("x").clone()
        x.requiresGrad = true
        let y = AdaptiveAvgPool2d((1, 1))(x)
        expectClose(y, try f.require("y"), "avgpool forward")
        y.backward(try f.require("gy"))
        expectClose(x.grad, try f.require("gx"), "avgpool input gradient")
    }

    @Test func crossEntropy() throws {
        let f = fixture.withPrefix("cross_entropy")
        let logits = try f.require("logits").clone()
        logits.requiresGrad = true
        let loss = CrossEntropyLoss()(logits, try f.labels("labels"))
        expectClose(loss, try f.require("loss"), "cross-entropy loss")
        loss.backward()
        expectClose(logits.grad, try f.require("glogits"), "cross-entropy logits gradient")
    }

    @Test func adamThreeSteps() throws {
        let f = fixture.withPrefix("adam")
        let p = try f.require("p0").clone()
        p.requiresGrad = true
        let adam = Adam([p], lr: 1e-3)
        for step in 1...3 {
            p.grad = try f.require("g\(step)").clone()
            adam.step()
            expectClose(adam.expAvg[0], try f.require("exp_avg\(step)"), tolerance: 1e-6, "exp_avg after step \(step)")
            expectClose(adam.expAvgSq[0], try f.require("exp_avg_sq\(step)"), tolerance: 1e-6, "exp_avg_sq after step \(step)")
            expectClose(p, try f.require("p\(step)"), tolerance: 1e-6, "parameter after step \(step)")
        }
    }
}
