// Exercise 5's narration decisions: each a pure function from measured numbers to a sentence,
// unit-tested in Tests/CoreTests/LessonVerdictTests.swift.

import Foundation
import LessonKit

enum Exercise5Verdicts {
    /// A gradient norm under this is "very small" (the charts' dashed line).
    static let smallNorm = 1e-5
    /// A first convolution receiving less than this fraction of the last one's gradient norm has lost
    /// two orders of magnitude on the way back: the gradient vanishes.
    static let vanishedRatio = 1e-2
    /// BatchNorm "removes" VGG-16's vanishing when the first convolution's gradient grows by at least this factor.
    static let rescueFactor = 100.0

    enum Flow: String { case vanishes, shrinks, holds }

    /// What the gradient does between the last convolution and the first.
    static func flow(firstToLast: Double, convsUnderSmall: Int) -> Flow {
        if convsUnderSmall > 0 || firstToLast < vanishedRatio { return .vanishes }
        return firstToLast < 1 ? .shrinks : .holds
    }

    /// One network's flow, in the words its numbers allow.
    static func flowSentence(name: String, firstToLast: Double, convsUnderSmall: Int) -> String {
        let measured = "\(name): the first convolution gets \(Format.sci(firstToLast)) times the last one's gradient norm, "
            + "\(convsUnderSmall) convolution\(convsUnderSmall == 1 ? "" : "s") under \(Format.sci(smallNorm))"
        switch flow(firstToLast: firstToLast, convsUnderSmall: convsUnderSmall) {
        case .vanishes:
            return measured + ": the gradient vanishes towards the input (a ratio under \(Format.sci(vanishedRatio)) or a convolution under \(Format.sci(smallNorm)))."
        case .shrinks:
            return measured + ": the gradient shrinks \(Format.fixed(1 / firstToLast, 1))-fold towards the input, "
                + "not the two orders of magnitude (ratio \(Format.sci(vanishedRatio))) this lesson calls vanishing."
        case .holds:
            return measured + ": the gradient does not shrink towards the input."
        }
    }

    /// Spreads (in decades) closer than this are "about as even" (the narration prints one decimal).
    static let sameSpreadWithin = 0.1

    /// Which of two networks spreads its convolution gradients over fewer powers of ten.
    static func spreadSentence(when: String, resnetSpread: Double, plainSpread: Double) -> String {
        let measured = "ResNet-18 (\(when)) spreads its convolution gradients over \(Format.fixed(resnetSpread, 1)) decades, PlainNet over \(Format.fixed(plainSpread, 1)): "
        if abs(resnetSpread - plainSpread) < sameSpreadWithin {
            return measured + "about as even, so this run does not show ResNet-18's as the more even, as the original expects."
        }
        return measured + (resnetSpread < plainSpread ? "ResNet-18's are the more even, as the original says."
                                                      : "ResNet-18's are less even in this run, contrary to the original's expectation.")
    }

    static func batchNormRescues(vggFirst: Double, vggBNFirst: Double, vggVanishes: Bool, vggBNVanishes: Bool) -> Bool {
        vggVanishes && !vggBNVanishes && vggBNFirst >= rescueFactor * vggFirst
    }

    /// VGG-16 at initialisation with and without BatchNorm: what the added BatchNorms changed.
    static func batchNormSentence(vggFirst: Double, vggBNFirst: Double, vggVanishes: Bool, vggBNVanishes: Bool) -> String {
        let numbers = "VGG-16's first convolution gets \(Format.sci(vggFirst)) without BatchNorm and \(Format.sci(vggBNFirst)) with it"
        if batchNormRescues(vggFirst: vggFirst, vggBNFirst: vggBNFirst, vggVanishes: vggVanishes, vggBNVanishes: vggBNVanishes) {
            return numbers + ": in this run BatchNorm alone removed the vanishing, without any shortcut."
        }
        if !vggVanishes { return numbers + ": without BatchNorm it did not vanish in this run, so there was no vanishing to remove." }
        return numbers + (vggBNVanishes ? ": with BatchNorm the gradient still vanishes in this run."
                                        : ": with BatchNorm it no longer vanishes, but the first convolution's gradient grew less than \(Format.fixed(rescueFactor, 0))x.")
    }

    /// The conclusion of this run: where the gradient vanished, and what BatchNorm did for VGG-16.
    static func takeaway(vanished: [String], notVanished: [String], batchNormRescuedVGG: Bool?) -> String {
        var text = vanished.isEmpty ? "In this run the gradient vanished in none of the networks measured"
                                    : "In this run the gradient vanished in \(listed(vanished))"
        if !notVanished.isEmpty { text += " and reached the first convolution of \(listed(notVanished))" }
        text += "."
        if let batchNormRescuedVGG {
            text += batchNormRescuedVGG ? " Adding a BatchNorm after each of VGG-16's convolutions removed its vanishing at initialisation."
                                        : " Adding BatchNorm to VGG-16 did not, in this run, turn a vanishing gradient into a healthy one."
        }
        return text
    }

    /// "a", "a and b", "a, b and c".
    static func listed(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
