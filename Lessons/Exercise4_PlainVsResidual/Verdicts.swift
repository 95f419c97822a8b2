// Exercise 4's narration decisions: each a pure function from measured numbers to a sentence,
// unit-tested in Tests/CoreTests/LessonVerdictTests.swift.

import Foundation
import LessonKit

enum Exercise4Verdicts {
    /// Convergence speed is the first batch at which the 10-batch running loss falls under this.
    static let runningLossTarget = 0.5
    /// Two networks whose batch counts to that loss differ by at most this share of the larger count
    /// converged "at about the same speed".
    static let sameSpeedWithin = 0.15
    /// A last-epoch training loss more than this many times another's is "clearly above" it.
    static let harderToFitFactor = 1.2
    /// A difference beyond this many standard errors is called larger than the sampling noise.
    static let standardErrors = 2.0

    /// How a measured gap compares with its noise (`NoiseVerdict` reduced to what the narration branches on).
    enum NoiseLevel: String { case beyondNoise, beyondSamplingError, withinNoise }

    static func level(_ verdict: NoiseVerdict) -> NoiseLevel {
        verdict.isLargerThanNoise ? .beyondNoise : verdict.exceedsSamplingError ? .beyondSamplingError : .withinNoise
    }

    /// One network's speed: batches to the running-loss target (nil: never) and its first epoch's mean loss.
    struct Speed { let name: String; let batches: Int?; let firstEpochLoss: Double }

    static func sameSpeed(_ a: Int, _ b: Int) -> Bool { Double(abs(a - b)) <= sameSpeedWithin * Double(max(a, b)) }

    /// Which of two networks converged faster, and whether the first epoch's mean loss agrees.
    static func speedSentence(_ a: Speed, _ b: Speed) -> String {
        let target = Format.fixed(runningLossTarget, 1)
        guard let ra = a.batches, let rb = b.batches else {
            return "\(a.name) and \(b.name) cannot be compared on speed here: not both reached a running loss of \(target)."
        }
        if sameSpeed(ra, rb) {
            return "\(a.name) and \(b.name) converged at about the same speed (\(ra) vs \(rb) batches to a running loss of \(target)): "
                + "this run does not show one converging faster."
        }
        let (faster, slower) = ra < rb ? (a, b) : (b, a)
        let agrees = faster.firstEpochLoss < slower.firstEpochLoss
        return "\(faster.name) reached a running loss of \(target) in \(min(ra, rb)) batches, \(slower.name) in \(max(ra, rb))"
            + (agrees ? ", and its first-epoch mean loss was lower too: in this run \(faster.name) converged faster."
                      : ", but its first-epoch mean loss was not lower, so the speed-up is fragile.")
    }

    static func harderToFit(control: Double, resnet: Double) -> Bool { control > resnet * harderToFitFactor }

    /// Plain18 (ResNet-18 without shortcuts) against ResNet-18 on the last epoch's training loss.
    static func degradationSentence(control: Double, resnet: Double, dataset: String) -> String {
        let ratio = Format.fixed(control / max(resnet, 1e-9), 2)
        return harderToFit(control: control, resnet: resnet)
            ? "Plain18 ends with a training loss \(ratio)x ResNet-18's: with the same layers, the network without shortcuts "
                + "fitted the training data worse in this run, which is what the degradation problem describes (worse on the training data, not only on the test)."
            : "Plain18's last-epoch training loss is \(ratio)x ResNet-18's, not more than \(Format.fixed(harderToFitFactor, 1))x: "
                + "removing the shortcuts did not make \(dataset) clearly harder to fit in this run."
    }

    /// ResNet-18 against PlainNet on test accuracy, judged against the noise.
    static func accuracySentence(gap: Double, level: NoiseLevel) -> String {
        switch level {
        case .beyondNoise:
            return "On test accuracy \(gap > 0 ? "ResNet-18 beats PlainNet" : "PlainNet beats ResNet-18") by \(Format.fixed(100 * abs(gap), 2)) points, more than the seed-to-seed noise."
        case .beyondSamplingError:
            return "On test accuracy ResNet-18 and PlainNet differ by \(signedFixed(100 * gap, 2)) points, more than the test set's sampling noise, but one seed cannot separate it from seed-to-seed noise."
        case .withinNoise:
            return "On test accuracy ResNet-18 and PlainNet differ by \(signedFixed(100 * gap, 2)) points, which this run cannot tell apart from noise."
        }
    }

    /// "(larger than the noise)." and its weaker forms, after a gap in the observations.
    static func noiseTag(_ level: NoiseLevel) -> String {
        switch level {
        case .beyondNoise: return "(larger than the noise)."
        case .beyondSamplingError: return "(beyond the test set's sampling noise; the seed-to-seed noise is unmeasured)."
        case .withinNoise: return "(not distinguishable from noise in this run)."
        }
    }

    /// Whether the ResNet-minus-PlainNet gap moved between MNIST and this dataset by more than its error.
    static func datasetChangeClause(change: Double, standardError: Double, oneSeed: Bool, baseSeed: UInt64) -> String {
        let unmeasured = oneSeed
            ? "one seed per network leaves the seed-to-seed spread unmeasured (`--seeds 3` on both datasets measures it)"
            : "this compares the seed-\(baseSeed) runs only"
        return abs(change) > standardErrors * standardError
            ? "more than twice that: suggestive, not proof, as \(unmeasured)"
            : "within twice that: not distinguishable from noise even before the seed-to-seed spread is added to it"
    }

    /// The conclusion of this run: the two gaps with their noise, and whether Plain18 fitted worse.
    static func takeaway(resnetMinusPlain: Double, plainLevel: NoiseLevel,
                         control: (resnetMinusPlain18: Double, level: NoiseLevel, lossRatio: Double)?) -> String {
        var text = "ResNet-18 minus PlainNet: \(signedFixed(100 * resnetMinusPlain, 2)) points of test accuracy \(noiseTag(plainLevel))"
        guard let control else {
            return text + " PlainNet is also shallower, so this gap cannot be put on the shortcuts alone; --plain18 adds the like-for-like control."
        }
        text += " With the depth held equal (Plain18), the shortcuts alone: \(signedFixed(100 * control.resnetMinusPlain18, 2)) points \(noiseTag(control.level))"
        let ratio = "(last-epoch training loss \(Format.fixed(control.lossRatio, 2))x ResNet-18's)"
        text += control.lossRatio > harderToFitFactor ? " Without shortcuts the same 17 convolutions fitted the training data worse \(ratio)."
                                                      : " Without shortcuts the same 17 convolutions did not fit the training data clearly worse \(ratio)."
        return text
    }
}
