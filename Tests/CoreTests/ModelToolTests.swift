import Foundation
import Testing
@testable import Core
@testable import Training
@testable import ModelTool

/// What `ModelTool` does, through the functions it calls (`ModelSpec`, `Stepping`), against PyTorch's fixtures.
@Suite(.ownGenerator) struct ModelToolTests {
    // MARK: model names

    @Test func parsesEveryModelName() throws {
        #expect(try ModelSpec(parsing: "vgg16") == .vgg16)
        #expect(try ModelSpec(parsing: " ResNet18 ") == .resnet18)
        #expect(try ModelSpec(parsing: "plain18") == .plain18)
        #expect(try ModelSpec(parsing: "plainnet") == .plainnet)
        #expect(try ModelSpec(parsing: "deepresnet") == .deepresnet)
        let narrow = try ModelSpec(parsing: "resnet:8,16,32,64:1,1,1,1")
        #expect(narrow == .resnet(channels: [8, 16, 32, 64], blocks: [1, 1, 1, 1]))
        #expect(try ModelSpec(parsing: narrow.name) == narrow)
        #expect(narrow.displayName.contains("8-16-32-64"))
    }

    @Test(arguments: ["vgg19", "", "resnet:8,16", "resnet:8,16:1", "resnet:8,x:1,1", "resnet:8,0:1,1", "resnet::"])
    func rejectsBadModelNames(_ text: String) {
        #expect(throws: CoreError.self) { try ModelSpec(parsing: text) }
        do { _ = try ModelSpec(parsing: text) } catch {
            let message = "\(error)"
            #expect(!message.contains("\n"), "one line: \(message)")
            #expect(message.contains("resnet") || message.contains("model"), "\(message)")
        }
    }

    @Test func builtModelsHaveTheLessonsStructure() throws {
        let resnet18 = try ModelSpec(parsing: "resnet18").makeModel()
        #expect(resnet18.parameterCount == 11_172_810)
        let spelledOut = try ModelSpec(parsing: "resnet:64,128,256,512:2,2,2,2").makeModel()
        #expect(spelledOut.stateDict().keys == resnet18.stateDict().keys)
        #expect(try ModelSpec(parsing: "deepresnet").makeModel().parameterCount == 21_280_970)
        #expect(try ModelSpec(parsing: "plainnet").makeModel().parameterCount == 4_728_266)
        let plain18 = try ModelSpec(parsing: "plain18").makeModel()
        #expect(!plain18.stateDict().keys.contains { $0.contains("shortcut") })
        let narrow = try ModelSpec(parsing: "resnet:8,16,32,64:1,1,1,1").makeModel()
        try narrow.loadStateDict(try Fixtures.load("tiny_resnet.init"))   // PyTorch's keys and shapes
    }

    // MARK: step

    /// `ModelTool step` on the narrow ResNet and narrow VGG against PyTorch's one-step fixtures.
    @Test(arguments: ["tiny_resnet", "tiny_vgg"])
    func oneStepMatchesPyTorch(_ name: String) throws {
        let model: any Module = name == "tiny_resnet" ? try ModelSpec(parsing: "resnet:8,16,32,64:1,1,1,1").makeModel() : TinyVGG()
        try model.loadStateDict(try Fixtures.load("\(name).init"))
        let batches = try Stepping.batches(from: try Fixtures.load("\(name).io"), file: "\(name).io")
        #expect(batches.count == 1)
        let result = try Stepping.runSteps(model: model, batches: batches, lr: 0.001)
        let io = try Fixtures.load("\(name).io")
        #expect(abs(Float(result.losses[0]) - (try io.require("loss")).item()) < 1e-5)

        let grads = try Fixtures.load("\(name).grads")
        #expect(result.gradients.keys == model.namedParameters().map(\.name))
        #expect(Set(result.gradients.keys) == Set(grads.keys))
        for (key, expected, _) in grads.entries {
            expectClose(result.gradients[key], expected, tolerance: 1e-4, "\(name) gradient of \(key)")
        }
        let after = try Fixtures.load("\(name).after_step")
        let state = model.stateDict()
        #expect(Set(state.keys) == Set(after.keys))
        for (key, expected, dtype) in after.entries {
            #expect(state.dtype(of: key) == dtype, "\(key) dtype")
            expectClose(state[key], expected, tolerance: 1e-4, "\(name) \(key) after the step")
        }
        if name == "tiny_resnet" {
            #expect(state["bn1.num_batches_tracked"]?.item() == 1)
            #expect(after.keys.contains("layer2.0.shortcut.1.running_var"))
        }
    }

    /// `ModelTool step` with a batch file of twenty steps, against PyTorch's twenty-step run.
    @Test func twentyStepsThroughTheToolPath() throws {
        let folder = "tiny_resnet_20steps/"
        let metaData = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(folder + "meta.json")))
        let meta = try #require(try JSONSerialization.jsonObject(with: metaData) as? [String: Any])
        let expectedLosses = try #require(meta["losses"] as? [Double])
        let lossDrift = try #require(meta["max_loss_diff_f32_vs_f64"] as? Double)
        let stateDrift = try #require(meta["state_diff_f32_vs_f64"] as? [String: Double])

        let model = try ModelSpec(parsing: "resnet:8,16,32,64:1,1,1,1").makeModel()
        try model.loadStateDict(try Fixtures.load(folder + "init"))
        let batches = try Stepping.batches(from: try Fixtures.load(folder + "batches"), file: "batches")
        #expect(batches.count == 20 && batches[0].labels.count == 16)
        var reported: [Int] = []
        let result = try Stepping.runSteps(model: model, batches: batches, lr: 1e-3) { step, _ in reported.append(step) }
        #expect(reported == Array(1...20))
        for (step, (loss, expected)) in zip(result.losses, expectedLosses).enumerated() {
            #expect(abs(loss - expected) <= 3 * lossDrift + 1e-5, "step \(step + 1): \(loss) vs PyTorch \(expected)")
        }
        let state = model.stateDict()
        try expectStateWithinDrift(state, Fixtures.load(folder + "final"), drift: stateDrift)
        #expect(state["layer4.0.bn2.num_batches_tracked"]?.item() == 20)
    }

    @Test func batchFilesAreChecked() throws {
        let x = Tensor.zeros([2, 1, 32, 32])
        var noLabels = StateDict()
        noLabels.set("x", x)
        #expect(throws: CoreError.self) { try Stepping.batches(from: noLabels, file: "b") }
        var wrongCount = noLabels
        wrongCount.set("labels", Tensor([1, 2, 3]), dtype: .int64)
        #expect(throws: CoreError.self) { try Stepping.batches(from: wrongCount, file: "b") }
        var floatLabels = noLabels
        floatLabels.set("labels", Tensor([1, 2]))
        #expect(throws: CoreError.self) { try Stepping.batches(from: floatLabels, file: "b") }
        var wrongSize = StateDict()
        wrongSize.set("x", Tensor.zeros([2, 1, 28, 28]))
        wrongSize.set("labels", Tensor([1, 2]), dtype: .int64)
        #expect(throws: CoreError.self) { try Stepping.batches(from: wrongSize, file: "b") }
        var good = noLabels
        good.set("labels", Tensor([1, 2]), dtype: .int64)
        #expect(try Stepping.batches(from: good, file: "b").map(\.labels) == [[1, 2]])

        var outOfRange = noLabels
        outOfRange.set("labels", Tensor([1, 12]), dtype: .int64)
        let model = try ModelSpec(parsing: "resnet:4,4:1,1").makeModel()
        #expect(throws: CoreError.self) {
            try Stepping.runSteps(model: model, batches: try Stepping.batches(from: outOfRange, file: "b"))
        }
    }

    // MARK: evaluate

    /// Evaluation of PyTorch's narrow ResNet after its step: the predicted classes are the argmax of the
    /// eval-mode logits PyTorch computed for the same images.
    @Test func evaluatePredictsAsPyTorch() throws {
        let model = try ModelSpec(parsing: "resnet:8,16,32,64:1,1,1,1").makeModel()
        try model.loadStateDict(try Fixtures.load("tiny_resnet.after_step"))
        let io = try Fixtures.load("tiny_resnet.io")
        let dataset = MNISTDataset(images: try io.require("x"), labels: try io.labels("labels"))
        let evaluation = Evaluation.run(model: model, dataset: dataset, batchSize: 3, keepLogits: true)
        let expected = try io.require("eval_logits_after_step")
        #expect(evaluation.predictions == expected.argmax(dim: 1))
        expectClose(evaluation.logits, expected, tolerance: 1e-4, "eval logits")
        #expect(evaluation.total == 8)
        #expect(evaluation.summary.hasPrefix("Test accuracy: "))
        #expect(evaluation.summary.hasSuffix("(\(evaluation.correct)/8)"))
        #expect(!model.isTraining)
    }

    /// `--limit 16` on the first test images: the lesson's preprocessing of data/ gives PyTorch's tensors,
    /// predictions do not depend on the batch size, and the summary line has the documented form.
    @Test func evaluateOnTheFirstSixteenTestImages() throws {
        let first16 = try Fixtures.load("mnist_test_first16")
        let images = try first16.require("images"), labels = try first16.labels("labels")
        let model = try ModelSpec(parsing: "resnet:8,16,32,64:1,1,1,1").makeModel()
        try model.loadStateDict(try Fixtures.load("tiny_resnet_20steps/final"))
        let fixture = MNISTDataset(images: images, labels: labels)
        let byOne = Evaluation.run(model: model, dataset: fixture, batchSize: 1, keepLogits: true)
        let byFive = Evaluation.run(model: model, dataset: fixture, batchSize: 5)
        #expect(byOne.predictions == byFive.predictions)
        let logits = try #require(byOne.logits)
        #expect(byOne.predictions == logits.argmax(dim: 1))
        let limited = Evaluation.run(model: model, dataset: fixture, limit: 4)
        #expect(limited.predictions == Array(byOne.predictions.prefix(4)) && limited.total == 4)

        let dataRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data").path
        if FileManager.default.fileExists(atPath: dataRoot) {
            let test = try MNISTDataset(root: dataRoot, kind: .mnist, train: false)
            let fromFiles = Evaluation.run(model: model, dataset: test, limit: 16)
            #expect(fromFiles.labels == labels)
            #expect(fromFiles.predictions == byOne.predictions)
            expectClose(test.subset(limit: 16).images, images, tolerance: 1e-6, "preprocessed test images")
        }
        let summary = Evaluation(predictions: Array(repeating: 1, count: 10_000),
                                          labels: Array(repeating: 1, count: 9_871) + Array(repeating: 0, count: 129)).summary
        #expect(summary == "Test accuracy: 0.9871 (9871/10000)")
    }
}
