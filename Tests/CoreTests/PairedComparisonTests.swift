import Foundation
import Testing
import Core
@testable import LessonKit

/// The paired noise check of Exercise 4 and the Mini-Challenge, against the textbook computation
/// written out image by image.
@Suite(.ownGenerator) struct PairedComparisonTests {
    /// Standard error of the mean of explicit per-image scores (B right) - (A right).
    func explicitStandardError(images: Int, onlyA: Int, onlyB: Int) -> Double {
        let scores = Array(repeating: -1.0, count: onlyA) + Array(repeating: 1.0, count: onlyB)
            + Array(repeating: 0.0, count: images - onlyA - onlyB)
        let mean = scores.reduce(0, +) / Double(images)
        let variance = scores.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(images - 1)
        return (variance / Double(images)).squareRoot()
    }

    @Test func countsImageByImage() {
        let labels = [0, 1, 2, 3, 4, 5]
        let a = [0, 1, 9, 9, 4, 9]          // right on 0, 1, 4
        let b = [0, 9, 2, 9, 4, 5]          // right on 0, 2, 4, 5
        let paired = PairedComparison(labels: labels, predictedA: a, predictedB: b)
        #expect(paired == PairedComparison(images: 6, onlyARight: 1, onlyBRight: 2, bothWrong: 1))
        #expect(paired.disagreements == 3)
        #expect(abs(paired.difference - 1.0 / 6) < 1e-12)   // 4/6 - 3/6
    }

    @Test func fromSavedHistories() {
        var a = TrainingHistory(model: "a", settings: [:]), b = TrainingHistory(model: "b", settings: [:])
        let labels = [3, 1, 4, 1]
        #expect(PairedComparison(a, b, labels: labels) == nil)          // older histories: no predictions
        a.testPredictions = [3, 1, 0, 0]
        b.testPredictions = [3, 7, 4, 0]
        #expect(PairedComparison(a, b, labels: labels) == PairedComparison(images: 4, onlyARight: 1, onlyBRight: 1, bothWrong: 1))
        #expect(PairedComparison(a, b, labels: labels + [5]) == nil)    // predictions for another test set
    }

    @Test(arguments: [(10_000, 52, 28), (10_000, 201, 161), (2_000, 5, 5), (500, 0, 7)])
    func standardErrorMatchesTheExplicitComputation(images: Int, onlyA: Int, onlyB: Int) {
        let paired = PairedComparison(images: images, onlyARight: onlyA, onlyBRight: onlyB, bothWrong: 0)
        #expect(abs(paired.standardError - explicitStandardError(images: images, onlyA: onlyA, onlyB: onlyB)) < 1e-12)
    }

    @Test func pairedErrorIsSmallerThanTreatingTheAccuraciesAsIndependent() {
        // Exercise 4 on MNIST here: PlainNet 66 wrong, ResNet-18 90, 38 of them shared.
        let paired = PairedComparison(images: 10_000, onlyARight: 52, onlyBRight: 28, bothWrong: 38)
        let (a, b) = (0.9934, 0.9910)
        let independent = ((a * (1 - a) + b * (1 - b)) / 10_000).squareRoot()
        #expect(abs(paired.difference - (b - a)) < 1e-12)
        #expect(abs(100 * paired.standardError - 0.0894) < 0.0005)
        #expect(paired.standardError < independent)
    }

    @Test func oneSeedVerdictUsesThePairedError() {
        let clear = PairedComparison(images: 10_000, onlyARight: 52, onlyBRight: 28, bothWrong: 38)
        let verdict = NoiseVerdict.compare("PlainNet", SeedSpread([0.9934]), "ResNet-18", SeedSpread([0.9910]),
                                           testImages: 10_000, paired: clear)
        #expect(verdict.standardError == clear.standardError)
        #expect(verdict.exceedsSamplingError)
        #expect(!verdict.isLargerThanNoise)                  // one seed: seed noise unmeasured
        #expect(verdict.sentence.contains("disagree on 80"))

        let close = PairedComparison(images: 10_000, onlyARight: 30, onlyBRight: 28, bothWrong: 38)
        let weak = NoiseVerdict.compare("A", SeedSpread([0.9934]), "B", SeedSpread([0.9932]), testImages: 10_000, paired: close)
        #expect(!weak.exceedsSamplingError)
        #expect(weak.sentence.contains("could be a fluke"))
    }

    @Test func withoutPairsOrWithSeveralSeedsTheOtherErrorsApply() {
        let unpaired = NoiseVerdict.compare("A", SeedSpread([0.90]), "B", SeedSpread([0.91]), testImages: 10_000)
        #expect(abs(unpaired.standardError - ((0.9 * 0.1 + 0.91 * 0.09) / 10_000).squareRoot()) < 1e-12)

        let pairs = PairedComparison(images: 10_000, onlyARight: 10, onlyBRight: 110, bothWrong: 0)
        let seeds = NoiseVerdict.compare("A", SeedSpread([0.90, 0.92]), "B", SeedSpread([0.93, 0.95]),
                                         testImages: 10_000, paired: pairs)
        #expect(abs(seeds.standardError - (0.0002 / 2 + 0.0002 / 2).squareRoot()) < 1e-9)
        #expect(seeds.isLargerThanNoise && seeds.exceedsSamplingError)
    }
}
