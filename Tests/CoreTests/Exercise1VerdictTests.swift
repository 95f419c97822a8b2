import Foundation
import Testing
@testable import Core
@testable import Exercise1_VGG

/// Every branch of Exercise 1's narration decisions (Lessons/Exercise1_VGG/Verdicts.swift), from
/// synthetic numbers. Each test also checks that the sentence does not state the opposite of its
/// inputs, so a branch swapped or a threshold inverted fails here.
@Suite(.ownGenerator) struct Exercise1VerdictTests {
    // MARK: gradient at initialisation

    @Test func vanishingUsesOneThreshold() {
        #expect(vanishes(firstNorm: 1e-4, lastNorm: 1))                 // ratio 10,000
        #expect(!vanishes(firstNorm: 0.02, lastNorm: 1))                // ratio 50: below 100
        #expect(vanishes(firstNorm: 1, lastNorm: Threshold.vanishingRatio * 1.01))
        #expect(!vanishes(firstNorm: 1, lastNorm: Threshold.vanishingRatio * 0.99))
    }

    @Test func gradientSentenceFollowsTheRatio() {
        let vanishing = gradientSentence(firstNorm: 1e-4, lastNorm: 1.37)
        #expect(vanishing.contains("13700 times smaller") && vanishing.contains("vanishes"))
        let reaching = gradientSentence(firstNorm: 0.5, lastNorm: 2)
        #expect(reaching.contains("ratio of 4.0") && reaching.contains("reaches the first layers") && !reaching.contains("vanishes"))
        let none = gradientSentence(firstNorm: 0, lastNorm: 1)
        #expect(none.contains("no gradient at all") && !none.contains("times smaller"))
        #expect(vanishes(firstNorm: 0, lastNorm: 1e-3))
        // Both zero (every unit dead, as in the full run of 2026-12-04): no ratio, and never "times smaller".
        #expect(gradientRatio(firstNorm: 0, lastNorm: 0).isNaN && !vanishes(firstNorm: 0, lastNorm: 0))
        let dead = gradientSentence(firstNorm: 0, lastNorm: 0)
        #expect(dead.contains("neither convolution gets any gradient") && !dead.contains("times smaller"))
        let during = trainingGradientSentence(firstCheck: (1, 1.65e4), lastCheck: (2800, .nan))
        #expect(during.contains("zero, and so was the last one's at batch 2800") && !during.contains("1.0 times"))
        let larger = gradientSentence(firstNorm: 2, lastNorm: 1)
        #expect(larger.contains("larger at the bottom") && !larger.contains("vanishes"))
    }

    // MARK: the loss

    static let plateau = [Double](repeating: ln10, count: 80)

    @Test func stalledRunThatNeverMoved() {
        let verdict = LossVerdict(Self.plateau)
        #expect(verdict.stalled && verdict.learningStart == nil)
        let text = lossSentence(verdict, testAccuracy: 0.1135, lateAfter: 40)
        #expect(text.contains("never left ln 10") && text.contains("11.3%") && !text.contains("did move"))
    }

    @Test func shallowDipIsAStallAndStatesItsLowestWindow() {
        // A dip that stays above ln 10 - 0.1 is a stall; its lowest window is stated, never as "did move".
        let shallow = [Double](repeating: ln10, count: 20) + [Double](repeating: ln10 - 0.05, count: 20) + [Double](repeating: ln10, count: 40)
        let verdict = LossVerdict(shallow)
        let text = lossSentence(verdict, testAccuracy: 0.1, lateAfter: 40)
        #expect(verdict.stalled && text.contains("never left") && text.contains("2.2526") && !text.contains("did move"))
    }

    @Test func learnedThenCameBack() {
        let losses = [Double](repeating: ln10, count: 20) + [Double](repeating: 1.9, count: 20) + [Double](repeating: ln10, count: 40)
        let verdict = LossVerdict(losses)
        #expect(!verdict.stalled && verdict.cameBack && verdict.learningStart != nil)
        let text = lossSentence(verdict, testAccuracy: 0.1, lateAfter: 40)
        #expect(text.contains("then went back") && text.contains("ended at 2.3026") && !text.contains("quickly"))
        let conclusion = takeaway(stalled: false, cameBack: true, learningStart: verdict.learningStart, vanishes: false, frozen: false,
                                  deadRising: true, optimizer: "Adam")
        #expect(conclusion.contains("fell back to ln 10"))
    }

    @Test func lateAndQuickStarts() {
        let late = [Double](repeating: ln10, count: 300) + [Double](repeating: 1.0, count: 100)
        let lateVerdict = LossVerdict(late)
        #expect(lateVerdict.learningStart! > 300 && !lateVerdict.stalled)
        let lateText = lossSentence(lateVerdict, testAccuracy: 0.95, lateAfter: 300)
        #expect(lateText.contains("sat on the ln 10 plateau") && !lateText.contains("quickly"))
        let quick = [Double](repeating: 1.0, count: 60)
        let quickText = lossSentence(LossVerdict(quick), testAccuracy: 0.9, lateAfter: 40)
        #expect(quickText.contains("quickly") && quickText.contains("by batch 20") && !quickText.contains("plateau"))
    }

    @Test func beginningToLearn() {
        let losses = [Double](repeating: ln10 - 0.07, count: 60)
        let verdict = LossVerdict(losses)
        #expect(!verdict.stalled && verdict.learningStart == nil)
        #expect(lossSentence(verdict, testAccuracy: 0.2, lateAfter: 40).contains("only a little"))
    }

    @Test func predictions() {
        let one = predictionSentence(topShare: 1.0, topClass: "digit 1", mostCommonInTraining: true, total: 10_000)
        #expect(one.contains("one answer") && one.contains("most common") && one.contains("digit 1"))
        let oneRare = predictionSentence(topShare: 0.95, topClass: "\"Bag\"", mostCommonInTraining: false, total: 2_000)
        #expect(oneRare.contains("one answer") && !oneRare.contains("most common"))
        let spread = predictionSentence(topShare: 0.12, topClass: "digit 7", mostCommonInTraining: false, total: 2_000)
        #expect(spread.contains("depend on the image") && !spread.contains("one answer"))
    }

    // MARK: the watch

    @Test func deadUnits() {
        let rising = deadUnitSentence(layer: 9, first: (1, 0.47), peak: (60, 0.997), last: (80, 0.99))
        #expect(rising.rising && rising.text.contains("47.0%") && rising.text.contains("99.7%") && rising.text.contains("They rose"))
        let flat = deadUnitSentence(layer: 9, first: (1, 0.55), peak: (40, 0.60), last: (80, 0.57))
        #expect(!flat.rising && flat.text.contains("did not rise") && !flat.text.contains("They rose"))
    }

    @Test func updates() {
        let adam = updateSentence(optimizer: "Adam", firstConv: 2.4e-3, lastConv: 4.1e-2)
        #expect(!adam.frozen && adam.text.contains("does move") && !adam.text.contains("frozen,"))
        let sgd = updateSentence(optimizer: "SGD", firstConv: 1e-10, lastConv: 1e-3)
        #expect(sgd.frozen && !sgd.lastFrozen && sgd.text.contains("is frozen") && sgd.text.contains("still moves"))
        // The full default run: no gradient reached either end, so neither moved.
        let stopped = updateSentence(optimizer: "Adam", firstConv: 0, lastConv: 0)
        #expect(stopped.frozen && stopped.lastFrozen && stopped.text.contains("both are frozen") && !stopped.text.contains("still moves"))
        let lastOnly = updateSentence(optimizer: "Adam", firstConv: 1e-3, lastConv: 0)
        #expect(!lastOnly.frozen && lastOnly.lastFrozen && lastOnly.text.contains("does move"))
    }

    @Test func gradientDuringTraining() {
        let text = trainingGradientSentence(firstCheck: (1, 13_700), lastCheck: (80, 5))
        #expect(text.contains("1.37e+04 times smaller than the last one's (vanishing) at batch 1"))
        #expect(text.contains("5.0 times smaller than the last one's at batch 80") && !text.hasSuffix("(vanishing) at batch 80."))
        let cut = trainingGradientSentence(firstCheck: (1, 13_700), lastCheck: (300, .infinity))
        #expect(cut.contains("exactly zero at batch 300") && !cut.contains("inf times"))
    }

    @Test func escape() {
        #expect(escapeSentence(layer: 9, start: 425, before: (400, 0.99), after: (440, 0.6)).contains("they fell"))
        #expect(escapeSentence(layer: 9, start: 425, before: (400, 0.3), after: (440, 0.6)).contains("they rose"))
        #expect(escapeSentence(layer: 9, start: 425, before: (400, 0.5), after: (440, 0.55)).contains("changed little"))
    }

    @Test func optimisers() {
        let usual = firstStepSentence(adam: (2.4e-3, 4.1e-2), sgd: (1e-10, 1e-3))
        #expect(usual.contains("Adam divides") && usual.contains("barely moves"))
        #expect(firstStepSentence(adam: (1e-8, 1e-2), sgd: (1e-10, 1e-3)).contains("Both leave"))
        #expect(firstStepSentence(adam: (1e-8, 1e-2), sgd: (1e-3, 1e-3)).contains("Here Adam, not SGD"))
        let both = firstStepSentence(adam: (1e-3, 1e-2), sgd: (1e-3, 1e-3))
        #expect(both.contains("Both move") && !both.contains("barely"))
        #expect(optimizerComparisonSentence(adamFirstConv: 1e-3, sgdFirstConv: 1e-9).contains("1e+06 times as far as"))
        #expect(optimizerComparisonSentence(adamFirstConv: 1e-6, sgdFirstConv: 1e-3).contains("1e+03 times less far than"))
    }

    @Test func takeaways() {
        let stalled = takeaway(stalled: true, learningStart: nil, vanishes: true, frozen: false, deadRising: true, optimizer: "Adam")
        #expect(stalled.contains("stalled") && stalled.contains("vanished") && stalled.contains("dead ReLUs rising") && !stalled.contains("frozen"))
        let learned = takeaway(stalled: false, learningStart: 425, vanishes: false, frozen: false, deadRising: false, optimizer: "Adam")
        #expect(learned.contains("learned from batch 425") && learned.contains("none of the watched signs") && !learned.contains("stalled"))
        let frozen = takeaway(stalled: true, learningStart: nil, vanishes: true, frozen: true, deadRising: false, optimizer: "SGD")
        #expect(frozen.contains("SGD left frozen") && !frozen.contains("dead ReLUs"))
        let allStopped = takeaway(stalled: true, learningStart: nil, vanishes: false, frozen: true, lastFrozen: true,
                                  deadRising: true, optimizer: "Adam")
        #expect(allStopped.contains("first and last convolutions that Adam left frozen") && !allStopped.contains("a first convolution"))
        #expect(takeaway(stalled: false, learningStart: nil, vanishes: false, frozen: false, deadRising: false, optimizer: "Adam")
            .contains("only begun"))
        // No cure is credited: the takeaway never claims what the run did not measure.
        #expect(!learned.contains("fix"))
    }

    // MARK: the live loss watch

    @Test func lossWatchStates() {
        let watch = LossWatch(every: 20, stallAfter: 40)
        var events: [LossWatch.Event] = []
        for step in 1...80 {
            if let event = watch.observe(step: step, loss: ln10, accuracy: 0.1) { events.append(event) }
        }
        #expect(events.map(\.state) == [.plateau, .stall, .plateau, .plateau])
        #expect(watch.stallConfirmed && events[1].lastBatch == 40 && events[1].firstBatch == 21)

        let learner = LossWatch(every: 20, stallAfter: 40)
        var states: [LossWatch.State] = []
        for step in 1...80 {
            if let event = learner.observe(step: step, loss: step <= 20 ? 2.0 : 0.5, accuracy: 0.8) { states.append(event.state) }
        }
        #expect(states == [.learning] && !learner.stallConfirmed)   // nothing more is said once it learns

        let moving = LossWatch(every: 20, stallAfter: 40)
        for step in 1...19 { _ = moving.observe(step: step, loss: ln10 - 0.08, accuracy: 0.1) }
        #expect(moving.observe(step: 20, loss: ln10 - 0.08, accuracy: 0.1)?.state == .moving)
    }

    // MARK: the measurements

    @Test func deadFractionCountsUnitsZeroForEveryImage() {
        // 2 images, 1 channel, 2x2 positions: unit 0 alive in image 0 only, unit 3 in both, units 1 and 2 dead.
        let output = Tensor([1, 0, 0, 2, 0, 0, 0, 3], shape: [2, 1, 2, 2])
        #expect(deadFraction(output) == 0.5)
        #expect(deadFraction(Tensor([Float](repeating: 0, count: 8), shape: [2, 1, 2, 2])) == 1)
    }

    @Test func watchMeasuresTheStepItWraps() {
        let model = VGG16()
        let watch = MechanismWatch(every: 2, file: FileManager.default.temporaryDirectory
            .appendingPathComponent("watch-\(UUID().uuidString).json"), resuming: false)
        watch.model = model
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let images = Tensor.randn([2, 1, 32, 32])
        for step in 1...3 {
            _ = watch.around(step: step) {
                let loss = crossEntropy(model(images), [3, 7])
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                return (Double(loss.item()), 0)
            }
        }
        #expect(watch.checks.map(\.step) == [1, 2])                  // step 1 and every 2nd
        let check = watch.checks[0]
        #expect(check.dead.count == 13 && check.update.count == 13 && check.gradNorm.count == 13)
        #expect(check.update.allSatisfy { $0 > 0 } && check.gradNorm.allSatisfy { $0 > 0 })
        #expect(check.dead.allSatisfy { (0...1).contains($0) })
        #expect(MechanismWatch.load(watch.file) == watch.checks)
        try? FileManager.default.removeItem(at: watch.file)
    }
}
