import Foundation
import Testing
@testable import Core

/// Twenty consecutive Adam steps of the narrow ResNet on real MNIST batches, against PyTorch.
/// Float32 rounding drifts through Adam, so the bound is the drift PyTorch itself shows between
/// float32 and float64 (recorded in meta.json), with a margin of 3x.
@Suite struct TrainingParityTests {
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
        let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3),
                              progress: ProgressReporter(isTerminal: false))
        model.train()
        for step in 0..<steps {
            let images = Tensor(Array(x.buffer[(step * batch * imageSize)..<((step + 1) * batch * imageSize)]),
                                shape: [batch] + Array(x.shape[2...]))
            let stepLabels = labels.scalars[(step * batch)..<((step + 1) * batch)].map { Int($0) }
            let (loss, _) = trainer.step(images, stepLabels)
            #expect(abs(loss - expectedLosses[step]) <= 3 * lossDrift + 1e-5,
                    "step \(step + 1): loss \(loss) vs PyTorch \(expectedLosses[step])")
        }
        let final = try Fixtures.load(folder + "final")
        let state = model.stateDict()
        for (key, expected, _) in final.entries where !key.hasSuffix("num_batches_tracked") {
            let actual = try #require(state[key])
            var worst: Float = 0
            for i in 0..<expected.count { worst = max(worst, abs(actual.data[i] - expected.data[i])) }
            let bound = 3 * (stateDrift[key] ?? 1e-3) + 1e-5
            #expect(Double(worst) <= bound, "\(key): max difference \(worst) > \(bound)")
        }
        #expect(state["bn1.num_batches_tracked"]?.item() == Float(steps))
    }
}
