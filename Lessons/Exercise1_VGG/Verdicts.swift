// The lesson's narration decisions: small pure functions from measured numbers to a verdict and
// one or two sentences. Each branch is unit-tested (Tests/CoreTests/Exercise1VerdictTests.swift).

import Foundation

let ln10 = log(10.0)

/// The thresholds the narration decides with: one constant per meaning.
enum Threshold {
    /// The gradient vanishes when the first convolution's weight-gradient norm is this many times
    /// smaller than the last one's.
    static let vanishingRatio = 100.0
    /// Losses are averaged over this many batches before any decision.
    static let window = 20
    /// A 20-batch mean loss within this of ln 10 is "at the plateau" (a uniform guess).
    static let plateau = 0.05
    /// A 20-batch mean loss this far below ln 10 means the network has started learning.
    static let learning = 0.1
    /// A step that moves a layer's weights by less than this fraction of their norm leaves it frozen.
    static let frozenUpdate = 1e-6
    /// Dead units are "rising" when their fraction grew by at least this much (0.2 = 20 points).
    static let deadRise = 0.2
    /// A network "gives one answer" when one class takes more than this share of its predictions.
    static let oneAnswer = 0.9
}

/// Mean of the last `window` values ending at index `end` (exclusive).
func windowMean(_ values: [Double], end: Int, window: Int = Threshold.window) -> Double {
    let start = max(0, end - window)
    guard end > start else { return .nan }
    return values[start..<end].reduce(0, +) / Double(end - start)
}

/// A number as a percentage with one decimal ("47.0%").
func percent(_ value: Double) -> String { String(format: "%.1f%%", 100 * value) }
/// A small number in short scientific or plain form ("2.4e-03").
func sci(_ value: Double) -> String { String(format: "%.2g", value) }

// MARK: - Before training

/// Whether the gradient fades on the way back: last convolution's gradient norm over the first's.
func vanishes(firstNorm: Double, lastNorm: Double) -> Bool {
    gradientRatio(firstNorm: firstNorm, lastNorm: lastNorm) > Threshold.vanishingRatio
}

/// Last convolution's gradient norm over the first's: infinite when none reaches the first at all,
/// undefined (NaN) when neither convolution gets any gradient (every unit dead: nothing to compare).
func gradientRatio(firstNorm: Double, lastNorm: Double) -> Double {
    firstNorm > 0 ? lastNorm / firstNorm : (lastNorm > 0 ? .infinity : .nan)
}

/// How the first convolution's gradient compares with the last one's, as a phrase.
func gradientGap(_ ratio: Double) -> String {
    if ratio.isInfinite { return "exactly zero" }
    if ratio.isNaN { return "zero, and so was the last one's" }
    let times = ratio >= 100 ? String(format: "%.3g", ratio) : String(format: "%.1f", ratio)
    return "\(times) times smaller than the last one's" + (ratio > Threshold.vanishingRatio ? " (vanishing)" : "")
}

/// One sentence on the gradient of a fresh network, from its first and last convolutions.
func gradientSentence(firstNorm: Double, lastNorm: Double) -> String {
    let ratio = gradientRatio(firstNorm: firstNorm, lastNorm: lastNorm)
    let measured = "The first convolution's weight gradient has norm \(sci(firstNorm)), the last one's \(sci(lastNorm))"
    if ratio.isInfinite { return measured + ": no gradient at all reaches the first convolution." }
    if ratio.isNaN { return measured + ": neither convolution gets any gradient." }
    if vanishes(firstNorm: firstNorm, lastNorm: lastNorm) {
        return measured + ": \(String(format: "%.0f", ratio)) times smaller at the bottom of the network. The gradient vanishes on the way back."
    }
    if ratio < 1 { return measured + ": the gradient is larger at the bottom of the network." }
    return measured + ": a ratio of \(String(format: "%.1f", ratio)), below \(Int(Threshold.vanishingRatio)), so the gradient reaches the first layers."
}

// MARK: - The loss

/// What a run's per-batch losses say.
struct LossVerdict {
    let losses: [Double]
    /// Mean loss of the first and of the last 20 batches.
    let early: Double, final: Double
    /// First batch where the 20-batch mean loss was below ln 10 - 0.1 (nil: never).
    let learningStart: Int?
    /// Never learned and ended at ln 10.
    let stalled: Bool

    init(_ losses: [Double]) {
        self.losses = losses
        let window = min(Threshold.window, losses.count)
        early = windowMean(losses, end: window)
        final = windowMean(losses, end: losses.count)
        learningStart = losses.indices.first { $0 + 1 >= window && windowMean(losses, end: $0 + 1) < ln10 - Threshold.learning }
            .map { $0 + 1 }
        stalled = learningStart == nil && abs(final - ln10) < Threshold.plateau
    }

    /// Started learning, then ended back at ln 10.
    var cameBack: Bool { learningStart != nil && abs(final - ln10) < Threshold.plateau }

    /// The 20-batch window with the lowest mean loss: (its last batch, its mean).
    var bestWindow: (end: Int, loss: Double) {
        let ends = min(Threshold.window, losses.count)...max(1, losses.count)
        return ends.map { ($0, windowMean(losses, end: $0)) }.min { $0.1 < $1.1 } ?? (losses.count, final)
    }
}

/// What the loss did, in one or two sentences. `lateAfter`: a start after this batch is "late".
func lossSentence(_ verdict: LossVerdict, testAccuracy: Double, lateAfter: Int) -> String {
    let accuracy = percent(testAccuracy)
    let threshold = String(format: "%.2f", ln10 - Threshold.learning)
    if verdict.stalled {
        // A stall has no 20-batch window below ln 10 - 0.1 (that would be a start), so its lowest window is stated as is.
        return "The loss never left ln 10 (the lowest 20-batch mean was \(String(format: "%.4f", verdict.bestWindow.loss))); test accuracy \(accuracy)."
    }
    if let start = verdict.learningStart, verdict.cameBack {
        let best = verdict.bestWindow
        return "The loss left ln 10 at batch \(start) (its 20-batch mean got down to \(String(format: "%.4f", best.loss)) by batch \(best.end)), "
            + "then went back: it ended at \(String(format: "%.4f", verdict.final)). Test accuracy \(accuracy)."
    }
    guard let start = verdict.learningStart else {
        return "The loss moved off ln 10 only a little (last 20 batches: \(String(format: "%.4f", verdict.final))); test accuracy \(accuracy)."
    }
    if start > lateAfter {
        return "The loss sat on the ln 10 plateau for about \(start) batches: its 20-batch mean first fell below \(threshold) at batch \(start). "
            + "Test accuracy \(accuracy)."
    }
    return "The loss left ln 10 quickly: its 20-batch mean fell below \(threshold) by batch \(start). Test accuracy \(accuracy)."
}

/// Whether the test predictions are one answer for everything, in one sentence. `className`
/// names a class ("digit 1", "class Trouser").
func predictionSentence(topShare: Double, topClass: String, mostCommonInTraining: Bool, total: Int) -> String {
    let share = percent(topShare)
    if topShare > Threshold.oneAnswer {
        return "On the \(total) test images it predicts \(topClass) \(share) of the time: one answer for (nearly) every image"
            + (mostCommonInTraining ? ", and that is the most common class of the training set." : ".")
    }
    return "Its most frequent prediction, \(topClass), takes \(share) of the \(total) test images: its answers depend on the image."
}

// MARK: - The mechanism, from the watch

/// Dead units of one convolution over training: rising or not, in one or two sentences.
/// `first`, `peak`, `last`: (batch, fraction of units zero for every image of the batch).
func deadUnitSentence(layer: Int, first: (Int, Double), peak: (Int, Double), last: (Int, Double)) -> (rising: Bool, text: String) {
    let rising = peak.1 - first.1 >= Threshold.deadRise
    let path = "In convolution \(layer), the units that were zero for every image of the batch went from \(percent(first.1)) at batch \(first.0) "
        + "to \(percent(peak.1)) at batch \(peak.0) (the most) and \(percent(last.1)) at batch \(last.0)"
    if rising {
        return (true, path + ". They rose. A unit that is zero for every image passes no gradient back through its ReLU on that batch.")
    }
    return (false, path + ": they did not rise by \(Int(100 * Threshold.deadRise)) points or more.")
}

/// How far the optimiser moved the first and last convolutions per step (median of the watched
/// steps, as a fraction of the weights' norm), and whether that leaves the first one, or both, frozen.
func updateSentence(optimizer: String, firstConv: Double, lastConv: Double) -> (frozen: Bool, lastFrozen: Bool, text: String) {
    let moved = "\(optimizer) moved the first convolution's weights by \(sci(firstConv)) of their norm per step (median of the watched steps), "
        + "the last convolution's by \(sci(lastConv))"
    let limit = sci(Threshold.frozenUpdate)
    switch (firstConv < Threshold.frozenUpdate, lastConv < Threshold.frozenUpdate) {
    case (true, true):
        return (true, true, moved + ": both are frozen, below \(limit) per step. The last convolution, next to the loss, "
            + "stopped as the first did, so the whole stack stopped, not only its far end.")
    case (true, false):
        return (true, false, moved + ": the first convolution is frozen, below \(limit) per step, while the last one still moves.")
    case (false, _):
        return (false, lastConv < Threshold.frozenUpdate,
                moved + ": the first convolution does move, whatever the size of its gradient.")
    }
}

/// Whether the gradient vanished at the start and at the end of training, from the watch's ratios.
func trainingGradientSentence(firstCheck: (Int, Double), lastCheck: (Int, Double)) -> String {
    "During training the first convolution's gradient was \(gradientGap(firstCheck.1)) at batch \(firstCheck.0), "
        + "and \(gradientGap(lastCheck.1)) at batch \(lastCheck.0)."
}

/// Dead units just before and just after the loss left the plateau (a late start).
func escapeSentence(layer: Int, start: Int, before: (Int, Double), after: (Int, Double)) -> String {
    let change = after.1 < before.1 - Threshold.deadRise ? "fell" : (after.1 > before.1 + Threshold.deadRise ? "rose" : "changed little")
    return "Around the escape (batch \(start)), convolution \(layer)'s dead units went from \(percent(before.1)) at batch \(before.0) "
        + "to \(percent(after.1)) at batch \(after.0): they \(change)."
}

// MARK: - Conclusion

/// What this run supports, in one or two sentences: the outcome, and which of the watched signs it measured.
func takeaway(stalled: Bool, cameBack: Bool = false, learningStart: Int?, vanishes: Bool, frozen: Bool, lastFrozen: Bool = false,
              deadRising: Bool, optimizer: String) -> String {
    var measured: [String] = []
    if vanishes { measured.append("a gradient that vanished on the way back") }
    if frozen && lastFrozen {
        measured.append("first and last convolutions that \(optimizer) left frozen")
    } else if frozen {
        measured.append("a first convolution that \(optimizer) left frozen")
    }
    if deadRising { measured.append("dead ReLUs rising") }
    let evidence = measured.isEmpty ? "none of the watched signs (vanishing gradient, frozen first convolution, rising dead units)"
        : measured.joined(separator: ", ")
    if stalled { return "With \(optimizer), this VGG-16 stalled at ln 10; the watch measured \(evidence)." }
    if let start = learningStart, cameBack {
        return "With \(optimizer), this VGG-16 learned from batch \(start) and then fell back to ln 10; the watch measured \(evidence)."
    }
    guard let start = learningStart else {
        return "With \(optimizer), this VGG-16 had only begun to learn when the run ended; the watch measured \(evidence)."
    }
    return "With \(optimizer), this VGG-16 learned from batch \(start); the watch measured \(evidence)."
}

// MARK: - Optimisers

/// Adam's and SGD's first steps on the same batch: how far each moved the first and last convolutions.
func firstStepSentence(adam: (first: Double, last: Double), sgd: (first: Double, last: Double)) -> String {
    let adamFrozen = adam.first < Threshold.frozenUpdate, sgdFrozen = sgd.first < Threshold.frozenUpdate
    let text = "Adam's step moved the first convolution by \(sci(adam.first)) of its norm and the last by \(sci(adam.last)); "
        + "SGD's moved them by \(sci(sgd.first)) and \(sci(sgd.last)). "
    switch (adamFrozen, sgdFrozen) {
    case (false, true):
        return text + "Adam divides each gradient by its own running size, so a tiny gradient still gives a step; SGD's step is "
            + "the gradient itself, and the first convolution barely moves (below \(sci(Threshold.frozenUpdate)))."
    case (true, true): return text + "Both leave the first convolution below \(sci(Threshold.frozenUpdate)) of its norm: it barely moves."
    case (true, false): return text + "Here Adam, not SGD, leaves the first convolution below \(sci(Threshold.frozenUpdate)) of its norm."
    case (false, false): return text + "Both move the first convolution by more than \(sci(Threshold.frozenUpdate)) of its norm."
    }
}

/// Two saved runs of the same network, one with Adam and one with SGD: the median update of their first convolution.
func optimizerComparisonSentence(adamFirstConv: Double, sgdFirstConv: Double) -> String {
    let ratio = adamFirstConv / max(sgdFirstConv, 1e-30)
    let relation = ratio >= 1 ? "\(String(format: "%.3g", ratio)) times as far as" : "\(String(format: "%.3g", 1 / ratio)) times less far than"
    return "Per step, Adam moved the first convolution by \(sci(adamFirstConv)) of its norm (median) and SGD by \(sci(sgdFirstConv)): "
        + "Adam moved it \(relation) SGD did."
}

// MARK: - The live loss watch

/// Every `every` batches, where the mean loss stands against ln 10; a stall is confirmed once, the
/// first time the loss is still at ln 10 after `stallAfter` batches.
final class LossWatch {
    static func every(quick: Bool) -> Int { quick ? 20 : 100 }
    static func stallAfter(quick: Bool) -> Int { quick ? 40 : 300 }

    enum State: Equatable { case learning, moving, plateau, stall }
    struct Event {
        let firstBatch: Int, lastBatch: Int
        let meanLoss: Double, accuracy: Double
        let state: State
    }

    let every: Int, stallAfter: Int
    private var losses: [Double] = [], accuracies: [Double] = []
    private(set) var learning = false
    /// The batch where the stall was confirmed.
    private(set) var stallConfirmedAt: Int?
    var stallConfirmed: Bool { stallConfirmedAt != nil }

    init(every: Int, stallAfter: Int) { (self.every, self.stallAfter) = (every, stallAfter) }
    convenience init(quick: Bool) { self.init(every: LossWatch.every(quick: quick), stallAfter: LossWatch.stallAfter(quick: quick)) }

    /// Takes one batch's numbers; returns an event at each check (every `every` steps) until the network learns.
    func observe(step: Int, loss: Double, accuracy: Double) -> Event? {
        losses.append(loss)
        accuracies.append(accuracy)
        guard step % every == 0, losses.count >= every, !learning else { return nil }
        let mean = windowMean(losses, end: losses.count, window: every)
        let state: State
        if mean < ln10 - Threshold.learning {
            (learning, state) = (true, .learning)
        } else if abs(mean - ln10) < Threshold.plateau {
            state = step >= stallAfter && !stallConfirmed ? .stall : .plateau
            if state == .stall { stallConfirmedAt = step }
        } else {
            state = .moving
        }
        return Event(firstBatch: step - every + 1, lastBatch: step, meanLoss: mean,
                     accuracy: windowMean(accuracies, end: accuracies.count, window: every), state: state)
    }
}
