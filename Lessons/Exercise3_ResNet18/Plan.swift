import Core
import Foundation
import LessonKit

extension Exercise3 {
    /// Before anything else: what this run will train or reuse, and how long that should take here.
    func announcePlan(_ lesson: Narrator, data: LessonData) throws {
        let trainer = ComparisonTrainer(data: data, output: URL(fileURLWithPath: common.output, isDirectory: true),
                                        narrator: lesson, baseSeed: common.seed, seeds: training.seeds)
        let networks = trainer.planned(name: "resnet18", displayName: "ResNet-18",
                                       epochs: data.epochs(default: OriginalSchedule.resnetEpochs)) { ResNet18() }
        try TrainingPlan.announce(TrainingPlan.measure(lesson: "Exercise3_ResNet18", networks, data: data),
                                  narrator: lesson, options: training)
    }
}
