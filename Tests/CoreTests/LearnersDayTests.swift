import ArgumentParser
import Foundation
import Testing
@testable import Core
@testable import LessonKit

// Issue 19, "the learner's whole day": saved runs that explain themselves, interrupts in every
// phase, a folder per dataset and preset, the plan, and AllLessons' plan and index.

private func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("learners-day-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
    return url
}

/// A run of a tiny network on the quick MNIST subset, saving under `output`.
private func tinyRun(output: URL) throws -> TrainingRun {
    let data = try LessonData.load(try TrainingOptions.parse(["--quick"]))
    return TrainingRun(name: "tiny", displayName: "Tiny", seed: 0, epochs: 1, data: data, output: output)
}

private func tinyModel() -> Linear { Random.withSeed(1) { Linear(4, 2) } }

@Suite(.ownGenerator) struct SavedRunExplanationTests {
    @Test func aDamagedHistoryIsNamedAndTheRunTrainedAgain() throws {
        let run = try tinyRun(output: try scratchFolder())
        try tinyModel().save(to: run.checkpointPath, metadata: run.settings)
        try Data("{\"model\": \"tiny\", \"settings\": {".utf8).write(to: URL(fileURLWithPath: run.historyPath))
        let saved = run.loadSaved(into: tinyModel())
        #expect(saved.history == nil)
        let reason = try #require(saved.reasonToTrain)
        #expect(reason.contains("tiny-quick.history.json"), "\(reason)")
        #expect(reason.contains("is not a readable training history"), "\(reason)")
        #expect(reason.contains("trained again"), "\(reason)")
        #expect(!reason.contains("other settings"), "\(reason)")
    }

    @Test func aTruncatedCheckpointIsNamedAndTheRunTrainedAgain() throws {
        let run = try tinyRun(output: try scratchFolder())
        try tinyModel().save(to: run.checkpointPath, metadata: run.settings)
        try TrainingHistory(model: "tiny", settings: run.settings).save(to: run.historyPath)
        let whole = try Data(contentsOf: URL(fileURLWithPath: run.checkpointPath))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: run.checkpointPath))
        let saved = run.loadSaved(into: tinyModel())
        #expect(saved.history == nil)
        let reason = try #require(saved.reasonToTrain)
        #expect(reason.contains("tiny-quick.safetensors"), "\(reason)")
        #expect(reason.contains("cannot be loaded"), "\(reason)")
        #expect(reason.contains("trained again"), "\(reason)")
    }

    @Test func aCheckpointWithOtherKeysIsNamedAndTheRunTrainedAgain() throws {
        let run = try tinyRun(output: try scratchFolder())
        try Random.withSeed(1) { Linear(4, 3) }.save(to: run.checkpointPath, metadata: run.settings)
        try TrainingHistory(model: "tiny", settings: run.settings).save(to: run.historyPath)
        let reason = try #require(run.loadSaved(into: tinyModel()).reasonToTrain)
        #expect(reason.contains("tiny-quick.safetensors") && reason.contains("cannot be loaded"), "\(reason)")
    }

    @Test func aReadableRunWithOtherSettingsNamesThem() throws {
        let run = try tinyRun(output: try scratchFolder())
        try tinyModel().save(to: run.checkpointPath, metadata: run.settings)
        var other = run.settings
        other["lr"] = "0.01"
        try TrainingHistory(model: "tiny", settings: other).save(to: run.historyPath)
        let reason = try #require(run.loadSaved(into: tinyModel()).reasonToTrain)
        #expect(reason.contains("other settings (lr 0.01 (now 0.001))"), "\(reason)")
    }

    @Test func aMatchingRunIsReusedAndNothingSavedSaysNothing() throws {
        let run = try tinyRun(output: try scratchFolder())
        #expect(run.loadSaved(into: tinyModel()).reasonToTrain == nil)
        try tinyModel().save(to: run.checkpointPath, metadata: run.settings)
        try TrainingHistory(model: "tiny", settings: run.settings).save(to: run.historyPath)
        let saved = run.loadSaved(into: tinyModel())
        #expect(saved.history != nil && saved.reasonToTrain == nil)
    }
}

@Suite struct InterruptPhaseTests {
    @Test func aSecondCtrlCWhileSavingWaitsForTheSaveAndAThirdQuits() {
        guard case let .carryOn(message) = Interrupt.reaction(to: "Ctrl-C (SIGINT)", first: false, phase: .saving(earlier: 0), resuming: false) else {
            Issue.record("a second Ctrl-C during the save must let it finish"); return
        }
        #expect(message.contains("being written") && message.contains("stops as soon as it is saved"))
        guard case .exitNow = Interrupt.reaction(to: "Ctrl-C (SIGINT)", first: false, phase: .saving(earlier: 1), resuming: false) else {
            Issue.record("a third Ctrl-C quits"); return
        }
    }

    @Test func ctrlCBeforeTrainingStopsAndSaysWhatIsKept() {
        guard case let .exitNow(fresh) = Interrupt.reaction(to: "Ctrl-C (SIGINT)", first: true, phase: .outsideTraining, resuming: false),
              case let .exitNow(resuming) = Interrupt.reaction(to: "Ctrl-C (SIGINT)", first: true, phase: .outsideTraining, resuming: true) else {
            Issue.record("Ctrl-C outside training stops at once"); return
        }
        #expect(fresh.contains("before training") && fresh.contains("start over"))
        #expect(resuming.contains("resume file is untouched") && resuming.contains("--resume"))
    }

    @Test func duringTrainingTheFirstStopsAfterTheStepAndTheSecondQuits() {
        guard case .carryOn = Interrupt.reaction(to: "SIGTERM", first: true, phase: .training, resuming: false),
              case .exitNow = Interrupt.reaction(to: "SIGTERM", first: false, phase: .training, resuming: false) else {
            Issue.record("first: finish the batch and save; second: quit"); return
        }
    }

    @Test func resumeWithOtherSettingsIsRefusedNamingEachDifference() throws {
        let current = ["lr": "0.001", "epochs": "2", "seed": "0"]
        #expect(throws: Never.self) { try ResumeState.checkSameSettings(saved: current, current: current, file: "f", displayName: "X") }
        var saved = current
        saved["lr"] = "0.01"
        saved["epochs"] = "5"
        do {
            try ResumeState.checkSameSettings(saved: saved, current: current, file: "checkpoints/x.resume.safetensors", displayName: "ResNet-18")
            Issue.record("other settings must be refused")
        } catch let error as CoreError {
            #expect(error.description.contains("epochs 5 (now 2), lr 0.01 (now 0.001)"), "\(error)")
            #expect(error.description.contains("checkpoints/x.resume.safetensors") && error.description.contains("drop --resume"))
        }
    }

    @Test func theQuickCommandKeepsTheFlags() {
        #expect(Interrupt.command(adding: "--quick", arguments: ["/p/.build/debug/Exercise3_ResNet18", "--seed", "2"])
                == "swift run Exercise3_ResNet18 --seed 2 --quick")
        #expect(Interrupt.command(adding: "--quick", arguments: [".build/debug/AllLessons", "--plan"]) == "swift run AllLessons --plan --quick")
    }
}

@Suite struct OutputVariantTests {
    @Test func eachDatasetAndPresetHasItsOwnFolder() throws {
        #expect(TrainingOptions.variantFolder(dataset: .mnist, quick: false, defaultDataset: .mnist) == nil)
        #expect(TrainingOptions.variantFolder(dataset: .fashionMnist, quick: false, defaultDataset: .mnist) == "fashion-mnist")
        #expect(TrainingOptions.variantFolder(dataset: .mnist, quick: true, defaultDataset: .mnist) == "quick")
        #expect(TrainingOptions.variantFolder(dataset: .fashionMnist, quick: true, defaultDataset: .mnist) == "fashion-mnist-quick")
        #expect(TrainingOptions.variantFolder(dataset: .fashionMnist, quick: false, defaultDataset: .fashionMnist) == nil)
        #expect(TrainingOptions.variantFolder(dataset: .mnist, quick: false, defaultDataset: .fashionMnist) == "mnist")
        let options = try TrainingOptions.parse(["--dataset", "fashion-mnist"])
        let narrator = Narrator(lesson: "Exercise4_PlainVsResidual", output: URL(fileURLWithPath: "/o"), variant: options.variantFolder())
        #expect(narrator.folder.path == "/o/Exercise4_PlainVsResidual/fashion-mnist")
    }
}

@Suite struct PlanTests {
    private func entry(_ stem: String, _ action: String = "train", _ seconds: Double = 60) -> PlanEntry {
        PlanEntry(stem: stem, displayName: stem, action: action, seconds: seconds, secondsPerBatch: 0.5)
    }

    @Test func aLongPlanGivesTheQuickCommandAndAQuickOneDoesNot() {
        let plan = PlanSummary(lesson: "X", entries: [entry("vgg16", "train", 3_600), entry("resnet18", "reuse", 0)])
        let long = plan.sentences(quick: false, quickCommand: "swift run X --quick").joined(separator: "\n")
        #expect(long.contains("trains vgg16: about 1 h") && long.contains("reuses resnet18"))
        #expect(long.contains("swift run X --quick"))
        #expect(!plan.sentences(quick: true, quickCommand: "swift run X --quick").joined().contains("swift run X --quick"))
        let short = PlanSummary(lesson: "X", entries: [entry("tiny", "train", 30)])
        #expect(!short.sentences(quick: false, quickCommand: "swift run X --quick").joined().contains("--quick"))
    }

    @Test func theDayCountsANetworkTrainedByAnEarlierLessonAsReused() {
        let lessons = DayLesson.day
        let plan = DayPlan([(lessons[2], [entry("resnet18")]),
                            (lessons[3], [entry("resnet18"), entry("plainnet", "train", 30)]),
                            (lessons[4], [entry("resnet18"), entry("plainnet")])])
        #expect(plan.steps[1].trainedEarlier == ["resnet18": lessons[2].title])
        #expect(plan.steps[1].seconds == 30)
        #expect(plan.steps[2].seconds == 0)
        #expect(plan.totalSeconds == 90)
        #expect(plan.lines()[1].contains("reuses resnet18 (from \(lessons[2].title))"))
    }

    @Test func theLastRunsOtherWorkIsAddedToTheNextPlan() throws {
        let output = try scratchFolder()
        let lesson = DayLesson.day[2]
        var times = DayTimes()
        times.record(lesson, dataset: nil, quick: true, wallSeconds: 280, trainingSeconds: 140)
        try times.save(output: output)
        let loaded = DayTimes.load(output: output)
        #expect(loaded.otherWork == ["Exercise3_ResNet18/quick": 140])
        let plan = DayPlan([(lesson, [entry("resnet18-quick", "train", 140)])], otherWork: [lesson.name: 140])
        #expect(plan.totalSeconds == 280 && plan.trainingSeconds == 140 && plan.otherWorkKnown)
        #expect(plan.lines()[0].contains("+ 2 min 20 s of other work (last run here)"), "\(plan.lines())")
        try Data("not json".utf8).write(to: DayTimes.url(output: output))
        #expect(DayTimes.load(output: output).otherWork.isEmpty)
    }

    @Test func eachLessonGetsTheSharedFlagsItTakes() throws {
        let common = try RunOptions.parse(["--seed", "3", "--threads", "1", "--output", "o"])
        let training = try TrainingOptions.parse(["--quick", "--epochs", "2"])
        let day = Dictionary(uniqueKeysWithValues: DayLesson.day.map { ($0.name, $0) })
        #expect(day["Exercise2_Residual"]!.arguments(common, training, resume: true) == ["--seed", "3", "--threads", "1", "--output", "o"])
        let depth = day["DepthStudy"]!.arguments(common, training, resume: true)
        #expect(depth.contains("--quick") && !depth.contains("--epochs") && !depth.contains("--resume"))
        let exercise = day["Exercise3_ResNet18"]!.arguments(common, training, resume: true)
        #expect(exercise.contains("--epochs") && exercise.contains("--resume") && exercise.contains("--quick"))
        #expect(!day["Exercise3_ResNet18"]!.arguments(common, training, resume: false).contains("--resume"))
    }
}

@Suite struct DayIndexTests {
    @Test func theIndexGivesTakeawaysNumbersReportsChartsAndOtherRuns() throws {
        let output = try scratchFolder()
        let files = FileManager.default
        let quick3 = output.appendingPathComponent("Exercise3_ResNet18/quick")
        try files.createDirectory(at: quick3, withIntermediateDirectories: true)
        try Data("# report".utf8).write(to: quick3.appendingPathComponent("report.md"))
        try Data().write(to: quick3.appendingPathComponent("training_curves.png"))
        let results = LessonResults()
        results.record("test_accuracy", 0.9712)
        results.takeaway = "ResNet-18 learns MNIST in one epoch."
        try results.json(lesson: "Exercise3_ResNet18").write(to: quick3.appendingPathComponent("results.json"))
        let quick4 = output.appendingPathComponent("Exercise4_PlainVsResidual/quick")
        let fashion4 = output.appendingPathComponent("Exercise4_PlainVsResidual/fashion-mnist")
        for folder in [quick4, fashion4] {
            try files.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("# report".utf8).write(to: folder.appendingPathComponent("report.md"))
        }

        let index = DayIndex.markdown(output: output, lessons: DayLesson.day, dataset: nil, quick: true)
        #expect(index.contains("**Takeaway:** ResNet-18 learns MNIST in one epoch."))
        #expect(index.contains("`test_accuracy`: 0.9712"))
        #expect(index.contains("[Exercise3_ResNet18/quick/report.md](Exercise3_ResNet18/quick/report.md)"))
        #expect(index.contains("[training_curves.png](Exercise3_ResNet18/quick/training_curves.png)"))
        #expect(index.contains("No results.json beside the report (Exercise4_PlainVsResidual/quick/results.json)"))
        #expect(index.contains("Other runs of this lesson: [fashion-mnist](Exercise4_PlainVsResidual/fashion-mnist/report.md)"))
        #expect(index.contains("Not run yet with these settings (no Exercise1_VGG/quick/report.md)"))
        #expect(index.contains("Not run yet with these settings (no Exercise2_Residual/report.md)"))
    }
}
