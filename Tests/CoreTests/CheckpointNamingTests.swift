import Testing
import Core
import LessonKit

/// Saved runs with other settings are retrained and replace a saved run of the same file name, so
/// a Fashion-MNIST or a quick run must not share the full MNIST run's files (`TrainingRun.fileStem`).
@Suite(.ownGenerator) struct CheckpointNamingTests {
    @Test func datasetAndQuickRunsGetTheirOwnFiles() {
        #expect(TrainingRun.fileStem(name: "resnet18", dataset: .mnist, quick: false) == "resnet18")
        #expect(TrainingRun.fileStem(name: "resnet18", dataset: .fashionMNIST, quick: false) == "resnet18-fashion-mnist")
        #expect(TrainingRun.fileStem(name: "resnet18", dataset: .mnist, quick: true) == "resnet18-quick")
        #expect(TrainingRun.fileStem(name: "plainnet", dataset: .fashionMNIST, quick: true) == "plainnet-fashion-mnist-quick")
    }
}
