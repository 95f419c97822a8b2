// Exercise 2's narration decisions: each a pure function from measured numbers to a sentence,
// unit-tested in Tests/CoreTests/LessonVerdictTests.swift.

import LessonKit

enum Exercise2Verdicts {
    /// A stack whose input receives less than this fraction of the gradient at its output has
    /// lost the gradient: two orders of magnitude.
    static let vanishedBelow = 1e-2
    /// More than this many times the output's gradient: two orders of magnitude the other way.
    static let explodedAbove = 1e2

    enum Fate: String { case vanishes, grows, holds }

    static func fate(ratio: Double) -> Fate {
        ratio < vanishedBelow ? .vanishes : ratio > explodedAbove ? .grows : .holds
    }

    /// What happens to one variant's gradient at the deepest stack of the sweep.
    static func fateSentence(variant: String, depth: Int, ratio: Double) -> String {
        let stated = "\(variant): after \(depth) blocks the gradient at the input is \(Format.sci(ratio)) times the one at the output"
        switch fate(ratio: ratio) {
        case .vanishes: return stated + ", under \(Format.sci(vanishedBelow)): the gradient vanishes."
        case .grows: return stated + ", over \(Format.sci(explodedAbove)): the gradient grows on the way back."
        case .holds: return stated + ", within two orders of magnitude of it: the gradient neither vanishes nor explodes."
        }
    }

    /// The variants whose deepest stack reaches different verdicts for different seeds.
    static func disagreeing(_ perVariant: [(variant: String, ratios: [Double])]) -> [String] {
        perVariant.filter { Set($0.ratios.map(fate)).count > 1 }.map(\.variant)
    }

    /// Whether the verdicts on the deepest stacks hold for every seed.
    static func seedAgreementSentence(depth: Int, seeds: Int, disagreeing: [String]) -> String {
        disagreeing.isEmpty
            ? "Every one of the \(seeds) seeds gives each variant the same verdict at \(depth) blocks as the table's seed."
            : "The verdict at \(depth) blocks depends on the seed for \(listed(disagreeing)): one draw does not settle it there."
    }

    /// Whether one block's advantage held for every seed, in both modes.
    static func seedSentence(trainMin: Double, evalMin: Double) -> String {
        trainMin > 1 && evalMin > 1
            ? "Every seed shows the advantage, in both modes: it is a property of the two designs, not of one lucky draw."
            : "Not every seed shows the advantage here, so this run cannot call it a property of the designs."
    }

    /// Whether evaluation mode widened the gap, and the measured numbers that say so.
    static func modeSentence(trainMean: Double, evalMean: Double) -> String {
        evalMean > trainMean
            ? "The gap is wider in evaluation mode (\(Format.fixed(evalMean, 2))x against \(Format.fixed(trainMean, 2))x in training mode)."
            : "Evaluation mode does not widen the gap in this run (\(Format.fixed(evalMean, 2))x against \(Format.fixed(trainMean, 2))x in training mode)."
    }

    /// The lesson's conclusion from the one-block ratio and the deepest stacks of the sweep.
    static func takeaway(oneBlockRatio: Double, deepest: Int, fates: [(variant: String, ratio: Double)]) -> String {
        let first = oneBlockRatio > 1
            ? "One residual block passed \(Format.fixed(oneBlockRatio, 2))x as much gradient to its input as the plain block."
            : "One residual block passed no more gradient to its input than the plain block (\(Format.fixed(oneBlockRatio, 2))x)."
        let groups: [(Fate, String)] = [(.vanishes, "the gradient vanished in"), (.grows, "it grew more than \(Format.fixed(explodedAbove, 0))-fold in"),
                                        (.holds, "it stayed within two orders of magnitude in")]
        let clauses = groups.compactMap { fate, words -> String? in
            let names = fates.filter { self.fate(ratio: $0.ratio) == fate }.map(\.variant)
            return names.isEmpty ? nil : "\(words) \(listed(names))"
        }
        return first + " At \(deepest) blocks " + listed(clauses).replacingOccurrences(of: " and it ", with: ", and it ") + "."
    }

    /// "a", "a and b", "a, b and c".
    static func listed(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
