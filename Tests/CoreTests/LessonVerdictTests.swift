import Foundation
import Testing
import LessonKit
@testable import Exercise2_Residual
@testable import Exercise3_ResNet18
@testable import Exercise4_PlainVsResidual
@testable import Exercise5_GradientFlow
@testable import MiniChallenge

// Every branch of every lesson's narration decisions (the lessons' Verdicts.swift), with synthetic
// numbers; and sweeps that fail if a sentence states the opposite of the numbers it was given.

/// Ratios from far below to far above 1, on both sides of every threshold the verdicts use.
private let ratios: [Double] = [1e-30, 1e-6, 1e-3, 0.0099, 0.011, 0.2, 0.5, 0.99, 1.01, 2, 50, 99, 101, 1e4, 1e30]

@Suite struct Exercise2VerdictTests {
    typealias V = Exercise2Verdicts

    @Test func fateBranches() {
        #expect(V.fate(ratio: 1e-3) == .vanishes)
        #expect(V.fate(ratio: 0.5) == .holds)
        #expect(V.fate(ratio: 1e3) == .grows)
        #expect(V.fateSentence(variant: "plain", depth: 32, ratio: 2.5e-26).hasSuffix("the gradient vanishes."))
        #expect(V.fateSentence(variant: "plain", depth: 32, ratio: 3.2e4).contains("grows"))
        #expect(V.fateSentence(variant: "residual", depth: 32, ratio: 0.84).contains("neither vanishes nor explodes"))
        #expect(V.fateSentence(variant: "plain", depth: 32, ratio: 2.5e-26).contains("2.50e-26"))
    }

    @Test func fateSentenceNeverStatesTheOpposite() {
        for ratio in ratios {
            let text = V.fateSentence(variant: "v", depth: 8, ratio: ratio)
            #expect(text.hasSuffix("the gradient vanishes.") == (ratio < V.vanishedBelow), "\(ratio): \(text)")
            #expect(text.contains("grows") == (ratio > V.explodedAbove), "\(ratio): \(text)")
            #expect(text.contains("neither") == (ratio >= V.vanishedBelow && ratio <= V.explodedAbove), "\(ratio): \(text)")
        }
    }

    @Test func seedAndModeSentences() {
        #expect(V.seedSentence(trainMin: 2.4, evalMin: 2.7).hasPrefix("Every seed shows the advantage"))
        #expect(V.seedSentence(trainMin: 2.4, evalMin: 0.9).hasPrefix("Not every seed"))
        #expect(V.seedSentence(trainMin: 0.9, evalMin: 2.7).hasPrefix("Not every seed"))
        #expect(V.modeSentence(trainMean: 2.43, evalMean: 3.23) == "The gap is wider in evaluation mode (3.23x against 2.43x in training mode).")
        #expect(V.modeSentence(trainMean: 3.23, evalMean: 2.43).hasPrefix("Evaluation mode does not widen the gap"))
    }

    @Test func seedAgreement() {
        #expect(V.disagreeing([("a", [1e-5, 1e-9]), ("b", [0.5, 3]), ("c", [0.5, 1e3])]) == ["c"])
        #expect(V.disagreeing([("a", [1e-3, 0.5])]) == ["a"])
        #expect(V.seedAgreementSentence(depth: 32, seeds: 6, disagreeing: []).hasPrefix("Every one of the 6 seeds"))
        let split = V.seedAgreementSentence(depth: 32, seeds: 6, disagreeing: ["plain with BN"])
        #expect(split.contains("depends on the seed for plain with BN") && !split.contains("Every"))
    }

    @Test func takeawayNamesWhereTheGradientVanished() {
        let mixed = V.takeaway(oneBlockRatio: 2.42, deepest: 32, fates: [("plain without BN", 1e-26), ("plain with BN", 3e4),
                                                                         ("residual with BN", 22.9), ("residual without BN", 0.84)])
        #expect(mixed == "One residual block passed 2.42x as much gradient to its input as the plain block. At 32 blocks the gradient vanished "
                + "in plain without BN, it grew more than 100-fold in plain with BN, and it stayed within two orders of magnitude in residual with BN and residual without BN.")
        let none = V.takeaway(oneBlockRatio: 0.8, deepest: 4, fates: [("a", 0.5), ("b", 3)])
        #expect(none.contains("no more gradient") && none.hasSuffix("At 4 blocks it stayed within two orders of magnitude in a and b."))
        let all = V.takeaway(oneBlockRatio: 2, deepest: 4, fates: [("a", 1e-5), ("b", 1e-9)])
        #expect(all.hasSuffix("At 4 blocks the gradient vanished in a and b."))
        // A variant is never named under a fate its ratio does not have.
        for ratio in ratios {
            let text = V.takeaway(oneBlockRatio: 2, deepest: 8, fates: [("X", ratio)])
            #expect(text.contains("vanished in X") == (V.fate(ratio: ratio) == .vanishes), "\(ratio): \(text)")
            #expect(text.contains("-fold in X") == (V.fate(ratio: ratio) == .grows), "\(ratio): \(text)")
            #expect(text.contains("magnitude in X") == (V.fate(ratio: ratio) == .holds), "\(ratio): \(text)")
        }
    }
}

@Suite struct Exercise3VerdictTests {
    typealias V = Exercise3Verdicts

    @Test func lossSentenceBranches() {
        #expect(V.lossSentence(firstBatchLoss: 2.31, epochLosses: [0.6, 0.2]).hasSuffix("every epoch's mean loss was lower than the one before."))
        #expect(V.lossSentence(firstBatchLoss: 2.31, epochLosses: [0.2, 0.3]).contains("did not fall every time: 0.2000, 0.3000"))
        #expect(V.lossSentence(firstBatchLoss: 2.31, epochLosses: [0.2]).hasSuffix("averaged 0.2000."))
        #expect(V.lossSentence(firstBatchLoss: 2.31, epochLosses: [0.2]).contains("10 classes") )
        #expect(!V.lossSentence(firstBatchLoss: 2.31, epochLosses: [0.2]).contains("digit"))
    }

    @Test func testVersusTrainBranches() {
        #expect(V.testVersusTrain(test: 0.99, lastTrain: 0.97) == .above)
        #expect(V.testVersusTrain(test: 0.90, lastTrain: 0.97) == .clearlyBelow)
        #expect(V.testVersusTrain(test: 0.97, lastTrain: 0.97) == .close)
        #expect(V.testVersusTrainSentence(test: 0.99, lastTrain: 0.97).contains("99.00%) is above"))
        #expect(V.testVersusTrainSentence(test: 0.90, lastTrain: 0.97).contains("below"))
        #expect(V.testVersusTrainSentence(test: 0.971, lastTrain: 0.97).contains("no sign of overfitting"))
        // Never "above" when test is lower, never "below" when it is higher.
        for (test, train) in [(0.5, 0.9), (0.9, 0.5), (0.8, 0.801), (0.801, 0.8)] {
            let text = V.testVersusTrainSentence(test: test, lastTrain: train)
            if test < train { #expect(!text.contains("is above")) } else { #expect(!text.contains("below")) }
        }
    }

    @Test func seedAndTrainedSentences() {
        #expect(V.seedSentence(seeds: 1, spread: nil).contains("one run does not measure"))
        #expect(!V.seedSentence(seeds: 1, spread: nil).contains("tenths"))
        #expect(V.seedSentence(seeds: 3, spread: SeedSpread([0.98, 0.99, 0.97])).contains("98.00% on average"))
        #expect(V.trainedSentence(test: 0.98, lr: 0.001).hasPrefix("It trained"))
        #expect(V.trainedSentence(test: 0.11, lr: 0.001).contains("only 11.0%"))
    }
}

@Suite struct Exercise4VerdictTests {
    typealias V = Exercise4Verdicts

    @Test func speedBranches() {
        let fast = V.Speed(name: "ResNet-18", batches: 100, firstEpochLoss: 0.4)
        let slow = V.Speed(name: "PlainNet", batches: 200, firstEpochLoss: 0.6)
        #expect(V.speedSentence(fast, slow).hasSuffix("in this run ResNet-18 converged faster."))
        #expect(V.speedSentence(slow, fast).hasSuffix("in this run ResNet-18 converged faster."))
        let fragile = V.Speed(name: "PlainNet", batches: 200, firstEpochLoss: 0.3)
        #expect(V.speedSentence(fast, fragile).hasSuffix("so the speed-up is fragile."))
        #expect(V.speedSentence(fast, V.Speed(name: "P", batches: 110, firstEpochLoss: 0.6)).contains("about the same speed"))
        #expect(V.speedSentence(fast, V.Speed(name: "P", batches: nil, firstEpochLoss: 0.6)).contains("cannot be compared"))
    }

    @Test func speedNeverNamesTheSlowerAsFaster() {
        for (a, b) in [(10, 400), (400, 10), (50, 80), (80, 50)] {
            let text = V.speedSentence(V.Speed(name: "A", batches: a, firstEpochLoss: Double(a)), V.Speed(name: "B", batches: b, firstEpochLoss: Double(b)))
            #expect(text.hasPrefix(a < b ? "A reached" : "B reached"), "\(a) vs \(b): \(text)")
        }
    }

    @Test func degradationAndAccuracy() {
        #expect(V.degradationSentence(control: 0.5, resnet: 0.2, dataset: "MNIST").hasPrefix("Plain18 ends with a training loss 2.50x"))
        #expect(V.degradationSentence(control: 0.21, resnet: 0.2, dataset: "MNIST").contains("did not make MNIST clearly harder"))
        #expect(V.degradationSentence(control: 0.1, resnet: 0.2, dataset: "MNIST").contains("0.50x"))
        #expect(V.accuracySentence(gap: 0.02, level: .beyondNoise).contains("ResNet-18 beats PlainNet by 2.00"))
        #expect(V.accuracySentence(gap: -0.02, level: .beyondNoise).contains("PlainNet beats ResNet-18 by 2.00"))
        #expect(V.accuracySentence(gap: 0.004, level: .beyondSamplingError).contains("one seed cannot separate"))
        #expect(V.accuracySentence(gap: 0.001, level: .withinNoise).contains("cannot tell apart from noise"))
        #expect(V.noiseTag(.beyondNoise) == "(larger than the noise).")
        #expect(V.noiseTag(.withinNoise).contains("not distinguishable"))
        #expect(V.noiseTag(.beyondSamplingError).contains("seed-to-seed noise is unmeasured"))
        #expect(V.datasetChangeClause(change: 0.03, standardError: 0.01, oneSeed: true, baseSeed: 0).hasPrefix("more than twice"))
        #expect(V.datasetChangeClause(change: 0.01, standardError: 0.01, oneSeed: false, baseSeed: 0).hasPrefix("within twice"))
    }

    @Test func takeawayFollowsTheNumbers() {
        let without = V.takeaway(resnetMinusPlain: 0.003, plainLevel: .withinNoise, control: nil)
        #expect(without.hasPrefix("ResNet-18 minus PlainNet: +0.30 points") && without.contains("--plain18"))
        let worse = V.takeaway(resnetMinusPlain: 0.01, plainLevel: .beyondSamplingError, control: (0.02, .beyondNoise, 1.92))
        #expect(worse.contains("+2.00 points (larger than the noise).") && worse.hasSuffix("fitted the training data worse (last-epoch training loss 1.92x ResNet-18's)."))
        let same = V.takeaway(resnetMinusPlain: 0.01, plainLevel: .withinNoise, control: (-0.001, .withinNoise, 1.1))
        #expect(same.hasSuffix("did not fit the training data clearly worse (last-epoch training loss 1.10x ResNet-18's)."))
        #expect(!same.contains("34"))
    }
}

@Suite struct Exercise5VerdictTests {
    typealias V = Exercise5Verdicts

    @Test func flowBranches() {
        #expect(V.flow(firstToLast: 1e-3, convsUnderSmall: 0) == .vanishes)
        #expect(V.flow(firstToLast: 0.5, convsUnderSmall: 2) == .vanishes)
        #expect(V.flow(firstToLast: 0.2, convsUnderSmall: 0) == .shrinks)
        #expect(V.flow(firstToLast: 1.5, convsUnderSmall: 0) == .holds)
        #expect(V.flowSentence(name: "PlainNet", firstToLast: 0.2, convsUnderSmall: 0).contains("shrinks 5.0-fold"))
    }

    @Test func flowSentenceNeverStatesTheOpposite() {
        for ratio in ratios {
            for under in [0, 3] {
                let text = V.flowSentence(name: "N", firstToLast: ratio, convsUnderSmall: under)
                let vanishes = under > 0 || ratio < V.vanishedRatio
                #expect(text.contains("vanishes towards") == vanishes, "\(ratio), \(under): \(text)")
                #expect(text.contains("does not shrink") == (!vanishes && ratio >= 1), "\(ratio), \(under): \(text)")
                #expect(text.contains("shrinks") == (!vanishes && ratio < 1), "\(ratio), \(under): \(text)")
            }
        }
    }

    @Test func spreadBatchNormAndTakeaway() {
        #expect(V.spreadSentence(when: "trained", resnetSpread: 1.0, plainSpread: 2.0).hasSuffix("as the original says."))
        #expect(V.spreadSentence(when: "trained", resnetSpread: 2.0, plainSpread: 1.0).contains("less even in this run"))
        // Spreads that print alike (0.8 and 0.8) are never called more or less even.
        let alike = V.spreadSentence(when: "untrained", resnetSpread: 0.78, plainSpread: 0.83)
        #expect(alike.contains("about as even") && !alike.contains("are the more even") && !alike.contains("less even"))
        #expect(V.batchNormSentence(vggFirst: 1e-9, vggBNFirst: 1e-2, vggVanishes: true, vggBNVanishes: false).contains("BatchNorm alone removed the vanishing"))
        #expect(V.batchNormSentence(vggFirst: 1e-2, vggBNFirst: 1e-2, vggVanishes: false, vggBNVanishes: false).contains("did not vanish"))
        #expect(V.batchNormSentence(vggFirst: 1e-9, vggBNFirst: 1e-9, vggVanishes: true, vggBNVanishes: true).contains("still vanishes"))
        #expect(V.batchNormSentence(vggFirst: 1e-3, vggBNFirst: 2e-3, vggVanishes: true, vggBNVanishes: false).contains("grew less than 100x"))
        #expect(V.takeaway(vanished: ["VGG-16 (untrained)"], notVanished: ["ResNet-18 (trained)"], batchNormRescuedVGG: true)
                == "In this run the gradient vanished in VGG-16 (untrained) and reached the first convolution of ResNet-18 (trained). "
                + "Adding a BatchNorm after each of VGG-16's convolutions removed its vanishing at initialisation.")
        #expect(V.takeaway(vanished: [], notVanished: ["A", "B", "C"], batchNormRescuedVGG: false).hasPrefix("In this run the gradient vanished in none"))
        #expect(V.takeaway(vanished: [], notVanished: ["A"], batchNormRescuedVGG: nil).hasSuffix("of A."))
    }
}

@Suite struct ChallengeVerdictTests {
    typealias V = ChallengeVerdicts

    @Test func beatBranches() {
        #expect(V.beatSentence(gap: 0.02, level: .beyondNoise).hasPrefix("Yes"))
        #expect(V.beatSentence(gap: -0.02, level: .beyondNoise).hasPrefix("No:"))
        #expect(V.beatSentence(gap: 0.01, level: .beyondSamplingError).hasPrefix("It scored higher by more than"))
        #expect(V.beatSentence(gap: -0.01, level: .beyondSamplingError).hasPrefix("No, in this run"))
        #expect(V.beatSentence(gap: 0.001, level: .withinNoise).hasPrefix("It scored higher, but"))
        #expect(V.beatSentence(gap: -0.001, level: .withinNoise).hasPrefix("Not in this run"))
        // A win is never announced for a loss, nor a loss for a win.
        for level in [V.NoiseLevel.beyondNoise, .beyondSamplingError, .withinNoise] {
            #expect(!V.beatSentence(gap: -0.05, level: level).contains("higher") || V.beatSentence(gap: -0.05, level: level).contains("small CNN scored"))
            #expect(!V.beatSentence(gap: 0.05, level: level).contains("small CNN"))
        }
    }

    @Test func evidenceFollowsTheNumbers() {
        #expect(V.trainedEvidence(layers: 34, accuracy: 0.98, epochs: 3, lastLoss: 0.05).hasSuffix("a network this deep trained here."))
        let chance = V.trainedEvidence(layers: 34, accuracy: 0.10, epochs: 1, lastLoss: 2.3)
        #expect(chance.contains("does not show") && !chance.contains("trained here"))
        #expect(V.shortcutEvidence(withShortcuts: 0.5, withoutShortcuts: 0.1).contains("5.0x more with the shortcuts"))
        let notRaised = V.shortcutEvidence(withShortcuts: 0.1, withoutShortcuts: 0.5)
        #expect(notRaised.contains("did not raise it") && !notRaised.contains("BatchNorm"))
        #expect(V.breakthroughEvidence(layers: 34, deep: 0.99, baseline: 0.98, level: .beyondNoise).contains("the deep design's favour"))
        #expect(V.breakthroughEvidence(layers: 34, deep: 0.97, baseline: 0.98, level: .beyondNoise).contains("the baseline's favour"))
        #expect(V.breakthroughEvidence(layers: 34, deep: 0.99, baseline: 0.98, level: .withinNoise).contains("within the noise"))
        #expect(V.breakthroughEvidence(layers: 34, deep: 0.99, baseline: 0.98, level: .beyondSamplingError).contains("one seed cannot"))
        #expect(V.breakthroughEvidence(layers: 34, deep: 0.85, baseline: 0.94, level: .beyondSamplingError).contains("the baseline scored higher"))
        #expect(V.breakthroughEvidence(layers: 34, deep: 0.95, baseline: 0.94, level: .beyondSamplingError).contains("the deep design scored higher"))
        #expect(V.openQuestion(quick: true, seeds: 1, gap: 0, standardError: 0).contains("drop --quick"))
        #expect(V.openQuestion(quick: false, seeds: 1, gap: 0.003, standardError: 0.0012) == "Would the difference of +0.30 points (one seed, paired standard error ±0.12) survive --seeds 3?")
        #expect(V.openQuestion(quick: false, seeds: 3, gap: 0, standardError: 0).contains("Try another design"))
        #expect(V.takeaway(gap: 0.02, level: .beyondNoise, withShortcuts: 0.5, withoutShortcuts: 0.1)
                == "DeepResNet minus SmallCNN: +2.00 points of test accuracy. Yes: the deep ResNet wins by more than the noise. "
                + "At initialisation your design's first convolution received 5.00e-01 times the last one's gradient norm with its shortcuts and 1.00e-01 times without them: 5.0x more with the shortcuts.")
    }
}
