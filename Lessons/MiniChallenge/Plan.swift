import Core
import Foundation
import LessonKit

extension MiniChallenge {
    /// Before anything else: what this run will train or reuse, and how long that should take here.
    func announcePlan(_ lesson: Narrator, data: LessonData) throws {
        let trainer = ComparisonTrainer(data: data, output: URL(fileURLWithPath: common.output, isDirectory: true),
                                        narrator: lesson, baseSeed: common.seed, seeds: training.seeds)
        let epochs = data.epochs(default: 3)
        let networks = trainer.planned(name: "smallcnn", displayName: "SmallCNN", epochs: epochs) { SmallCNN() }
            + trainer.planned(name: designName, displayName: "DeepResNet", epochs: epochs) { makeDesign() }
        try TrainingPlan.announce(TrainingPlan.measure(lesson: "MiniChallenge", networks, data: data),
                                  narrator: lesson, options: training)
    }
}
