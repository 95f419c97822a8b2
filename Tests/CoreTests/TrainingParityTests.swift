import Foundation
import Testing
@testable import Core

/// Twenty consecutive Adam steps of the narrow ResNet on real MNIST batches, against PyTorch.
/// Float32 rounding drifts through Adam, so the bound is the drift PyTorch itself shows between
/// float32 and float64 (recorded in meta.json), with a margin of 3x.
@Suite(.ownGenerator) struct TrainingParityTests {
    @Test func twentyAdamStepsMatchPyTorch() throws {
        let folder = "tiny_resnet_20steps/"
        let metaData = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(folder + "meta.json")))
        let meta = try #require(try JSONSerialization.jsonObject(with: metaData) as? [String: Any])
        let expectedLosses = try #require(meta["losses"] as? [Double])
        let lossDrift = try #require(meta["max_loss_diff_f32_vs_f64"] as? Double)
        let stateDrift = try #require(meta["state_diff_f32_vs_f64"] as? [String: Double])

        let model = tinyResNet()
        try model.loadStateDict(try Fixtures.load(folder + "init"))
        let batches = try Fixtures.load(folder + "batches")
        let x = try batches.require("x"), labels = try batches.require("labels")
        let (steps, batch) = (x.shape[0], x.shape[1])
        let imageSize = x.count / (steps * batch)
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3))
        model.train()
        for step in 0..<steps {
            let images = Tensor(Array(x.buffer[(step * batch * imageSize)..<((step + 1) * batch * imageSize)]),
                                shape: [batch] + Array(x.shape[2...]))
            let stepLabels = labels.scalars[(step * batch)..<((step + 1) * batch)].map { Int($0) }
            let (loss, _) = trainer.step(images, stepLabels)
            #expect(abs(loss - expectedLosses[step]) <= 3 * lossDrift + 1e-5,
                    "step \(step + 1): loss \(loss) vs PyTorch \(expectedLosses[step])")
        }
        let state = model.stateDict()
        try expectStateWithinDrift(state, Fixtures.load(folder + "final"), drift: stateDrift)
        #expect(state["bn1.num_batches_tracked"]?.item() == Float(steps))
    }
}
