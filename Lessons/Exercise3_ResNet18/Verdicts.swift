// Exercise 3's narration decisions: each a pure function from measured numbers to a sentence,
// unit-tested in Tests/CoreTests/LessonVerdictTests.swift.

import Foundation
import LessonKit

enum Exercise3Verdicts {
    /// Test accuracy more than this above the last epoch's training accuracy is called "above".
    static let testAboveTrainBy = 0.002
    /// Test accuracy more than this below the last epoch's training accuracy is called "clearly below".
    static let testBelowTrainBy = 0.02
    /// A network under this test accuracy has not learned enough to say it trained well (chance is 0.1).
    static let trainedAbove = 0.5

    /// The first batch's loss against a uniform guess, the last epoch's, and whether every epoch fell.
    static func lossSentence(firstBatchLoss: Double, epochLosses: [Double]) -> String {
        guard let last = epochLosses.last else { return "" }
        var text = "The loss of the very first batch was \(Format.fixed(firstBatchLoss, 3)) (ln 10 = 2.303 is a uniform guess over the 10 classes); "
        text += "the last epoch averaged \(Format.fixed(last, 4))"
        guard epochLosses.count > 1 else { return text + "." }
        return text + (fellEveryEpoch(epochLosses) ? ", and every epoch's mean loss was lower than the one before."
            : ". The epoch means did not fall every time: \(epochLosses.map { Format.fixed($0, 4) }.joined(separator: ", ")).")
    }

    static func fellEveryEpoch(_ losses: [Double]) -> Bool { zip(losses, losses.dropFirst()).allSatisfy { $0.1 < $0.0 } }

    enum TestVersusTrain: String { case above, clearlyBelow, close }

    static func testVersusTrain(test: Double, lastTrain: Double) -> TestVersusTrain {
        test - lastTrain > testAboveTrainBy ? .above : test - lastTrain < -testBelowTrainBy ? .clearlyBelow : .close
    }

    /// Test against the last epoch's training accuracy, with what each number is.
    static func testVersusTrainSentence(test: Double, lastTrain: Double) -> String {
        let numbers = "Test accuracy (\(Format.fixed(100 * test, 2))%)"
        let train = "the last epoch's training accuracy (\(Format.fixed(100 * lastTrain, 2))%)"
        switch testVersusTrain(test: test, lastTrain: lastTrain) {
        case .above:
            return "\(numbers) is above \(train). That is possible because the training figure averages over the whole epoch, "
                + "including its early batches, while the test is scored with the final weights (and BatchNorm's running statistics)."
        case .clearlyBelow:
            return "\(numbers) is more than \(Format.fixed(100 * testBelowTrainBy, 0)) points below \(train): in this run the network scored better on its training images than on new ones."
        case .close:
            return "\(numbers) and \(train) are within \(Format.fixed(100 * testBelowTrainBy, 0)) points of each other: no sign of overfitting."
        }
    }

    /// The seed-to-seed spread when measured; otherwise that it was not.
    static func seedSentence(seeds: Int, spread: SeedSpread?) -> String {
        guard seeds > 1, let spread else {
            return "This is one seed. Another seed changes the initial weights and the order of the batches, and with them the accuracy; "
                + "by how much, one run does not measure. `--seeds 3` trains three times and reports the spread."
        }
        return "Over \(seeds) seeds the test accuracy is \(Format.fixed(100 * spread.mean, 2))% on average, standard deviation "
            + "\(Format.fixed(100 * spread.std, 2)) points (from \(Format.fixed(100 * spread.min, 2))% to \(Format.fixed(100 * spread.max, 2))%)."
    }

    /// Whether the run shows the network trained, with its test accuracy.
    static func trainedSentence(test: Double, lr: Double) -> String {
        test > trainedAbove
            ? "It trained from PyTorch's default initialisation with Adam (learning rate \(lr)): \(Format.fixed(100 * test, 1))% on the test images here."
            : "This run reached only \(Format.fixed(100 * test, 1))% on the test images, so it shows the architecture rather than how well it trains."
    }
}
