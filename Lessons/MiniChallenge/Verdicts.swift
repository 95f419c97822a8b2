// The Mini-Challenge's narration decisions: each a pure function from measured numbers to a
// sentence, unit-tested in Tests/CoreTests/LessonVerdictTests.swift.

import Foundation
import LessonKit

enum ChallengeVerdicts {
    /// Under this test accuracy a network has not learned enough to say it trained (chance is 0.1).
    static let trainedAbove = 0.5

    /// How a measured gap compares with its noise (`NoiseVerdict` reduced to what the narration branches on).
    enum NoiseLevel: String { case beyondNoise, beyondSamplingError, withinNoise }

    static func level(_ verdict: NoiseVerdict) -> NoiseLevel {
        verdict.isLargerThanNoise ? .beyondNoise : verdict.exceedsSamplingError ? .beyondSamplingError : .withinNoise
    }

    /// Did the deep ResNet beat the baseline? `gap` is DeepResNet minus SmallCNN.
    static func beatSentence(gap: Double, level: NoiseLevel) -> String {
        switch (level, gap > 0) {
        case (.beyondNoise, true): return "Yes: the deep ResNet wins by more than the noise."
        case (.beyondNoise, false): return "No: the small CNN wins by more than the noise."
        case (.beyondSamplingError, true):
            return "It scored higher by more than the test set's sampling noise, but one seed cannot rule out seed-to-seed noise; run with --seeds 3 or more to call it a win."
        case (.beyondSamplingError, false):
            return "No, in this run: the small CNN scored higher by more than the test set's sampling noise (seed-to-seed noise unmeasured; --seeds 3 or more measures it)."
        case (.withinNoise, true): return "It scored higher, but not by enough to call it a win; run with --seeds 3 or more to settle it."
        case (.withinNoise, false): return "Not in this run: the small CNN scored as high or higher."
        }
    }

    /// Evidence for "the most important concept": whether a network this deep trained here.
    static func trainedEvidence(layers: Int, accuracy: Double, epochs: Int, lastLoss: Double) -> String {
        let measured = "A \(layers)-layer network trained from scratch for \(epochs) epoch\(epochs == 1 ? "" : "s") reached "
            + "\(Format.fixed(100 * accuracy, 2))% test accuracy (last-epoch training loss \(Format.fixed(lastLoss, 4)))"
        return accuracy > trainedAbove
            ? measured + ": a network this deep trained here."
            : measured + ": under \(Format.fixed(100 * trainedAbove, 0))%, so this run does not show that this depth trains."
    }

    /// Evidence for "why do skip connections help": first-to-last gradient ratios with and without them.
    static func shortcutEvidence(withShortcuts: Double, withoutShortcuts: Double) -> String {
        let gain = withShortcuts / withoutShortcuts
        return "At initialisation your design's first convolution received \(Format.sci(withShortcuts)) times the last one's gradient norm with its shortcuts "
            + "and \(Format.sci(withoutShortcuts)) times without them: "
            + (gain > 1 ? "\(Format.fixed(gain, 1))x more with the shortcuts." : "the shortcuts did not raise it here (\(Format.fixed(gain, 2))x).")
            + " Exercise 5 measures the same contrast layer by layer."
    }

    /// Evidence for "what makes ResNet a breakthrough": this run's comparison, and what it does not show.
    static func breakthroughEvidence(layers: Int, deep: Double, baseline: Double, level: NoiseLevel) -> String {
        let measured = "Your \(layers)-layer design reached \(Format.fixed(100 * deep, 2))% and the 4-layer baseline \(Format.fixed(100 * baseline, 2))%; "
        switch level {
        case .beyondNoise:
            return measured + "the difference is larger than the noise, in \(deep > baseline ? "the deep design's" : "the baseline's") favour."
        case .beyondSamplingError:
            return measured + "\(deep > baseline ? "the deep design" : "the baseline") scored higher by more than the test set's sampling error, "
                + "but one seed cannot separate the difference from seed-to-seed noise. The paper's gains were measured with much deeper networks on ImageNet and CIFAR-10."
        case .withinNoise:
            return measured + "the difference is within the noise. The paper's gains were measured with much deeper networks on ImageNet and CIFAR-10."
        }
    }

    /// Evidence for "what questions do you have": the open question this run leaves.
    static func openQuestion(quick: Bool, seeds: Int, gap: Double, standardError: Double) -> String {
        if quick { return "This was the quick version; whether the ranking holds with the full data is one open question: drop --quick." }
        if seeds == 1 {
            return "Would the difference of \(signedFixed(100 * gap, 2)) points (one seed, paired standard error ±\(Format.fixed(100 * standardError, 2))) survive --seeds 3?"
        }
        return "Try another design with the flags above: which option changes accuracy more than the seeds do?"
    }

    /// The challenge's conclusion from this run.
    static func takeaway(gap: Double, level: NoiseLevel, withShortcuts: Double, withoutShortcuts: Double) -> String {
        "DeepResNet minus SmallCNN: \(signedFixed(100 * gap, 2)) points of test accuracy. " + beatSentence(gap: gap, level: level)
            + " " + shortcutEvidence(withShortcuts: withShortcuts, withoutShortcuts: withoutShortcuts)
                .replacingOccurrences(of: " Exercise 5 measures the same contrast layer by layer.", with: "")
    }
}
