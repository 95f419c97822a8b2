import Core
import Foundation
import LessonKit

extension Exercise5 {
    /// Before anything else: what this run will train or reuse, and how long that should take here.
    func announcePlan(_ lesson: Narrator, data: LessonData) throws {
        let trainer = ComparisonTrainer(data: data, output: URL(fileURLWithPath: common.output, isDirectory: true),
                                        narrator: lesson, baseSeed: common.seed, seeds: 1)
        let epochs = data.epochs(default: OriginalSchedule.resnetEpochs)
        var networks = trainer.planned(name: "resnet18", displayName: "ResNet-18", epochs: epochs) { ResNet18() }
            + trainer.planned(name: "plainnet", displayName: "PlainNet", epochs: epochs) { PlainNet() }
        if plain18 ?? (data.quick || trainer.hasSaved(name: "plain18", epochs: epochs)) {
            networks += trainer.planned(name: "plain18", displayName: "Plain18", epochs: epochs) { Plain18() }
        }
        try TrainingPlan.announce(TrainingPlan.measure(lesson: "Exercise5_GradientFlow", networks, data: data),
                                  narrator: lesson, options: training)
    }
}
