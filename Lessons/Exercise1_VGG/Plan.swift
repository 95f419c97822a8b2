import Core
import Foundation
import LessonKit

extension Exercise1 {
    /// Before anything else: what this run will train or reuse, and how long that should take here.
    func announcePlan(_ lesson: Narrator, data: LessonData) throws {
        let variant = Variant(kaiming: self.`init` == .kaiming, batchNorm: batchnorm, lr: training.lr)
        let trainer = ComparisonTrainer(data: data, output: URL(fileURLWithPath: common.output, isDirectory: true),
                                        narrator: lesson, baseSeed: common.seed, seeds: training.seeds)
        let networks = trainer.planned(name: variant.checkpointName, displayName: "VGG-16",
                                       epochs: data.epochs(default: OriginalSchedule.vgg16Epochs)) { variant.make() }
        try TrainingPlan.announce(TrainingPlan.measure(lesson: "Exercise1_VGG", networks, data: data),
                                  narrator: lesson, options: training)
    }
}
