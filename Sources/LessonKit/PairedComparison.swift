import Core

/// Two networks' answers on the same test images, compared image by image.
///
/// Why paired: both accuracies are measured on the same images, so an image that is easy (or hopeless)
/// for both says nothing about which network is better. Only the images where exactly one of them is
/// right carry information, and treating the two accuracies as independent samples (as if each had its
/// own test set) overstates how much the test set's sampling moves their difference.
public struct PairedComparison: Sendable, Equatable {
    /// Test images both networks classified.
    public let images: Int
    /// Images only network A got right (B wrong).
    public let onlyARight: Int
    /// Images only network B got right (A wrong).
    public let onlyBRight: Int
    /// Images neither got right.
    public let bothWrong: Int

    public init(images: Int, onlyARight: Int, onlyBRight: Int, bothWrong: Int) {
        precondition(images > 0 && onlyARight + onlyBRight + bothWrong <= images, "counts exceed the number of images")
        (self.images, self.onlyARight, self.onlyBRight, self.bothWrong) = (images, onlyARight, onlyBRight, bothWrong)
    }

    /// Counts from the true labels and each network's predicted class, image by image.
    public init(labels: [Int], predictedA: [Int], predictedB: [Int]) {
        precondition(labels.count == predictedA.count && labels.count == predictedB.count,
                     "both networks must be evaluated on the same images")
        var (onlyA, onlyB, neither) = (0, 0, 0)
        for (label, (a, b)) in zip(labels, zip(predictedA, predictedB)) {
            switch (a == label, b == label) {
            case (true, false): onlyA += 1
            case (false, true): onlyB += 1
            case (false, false): neither += 1
            case (true, true): break
            }
        }
        self.init(images: labels.count, onlyARight: onlyA, onlyBRight: onlyB, bothWrong: neither)
    }

    /// Images where the two disagree on being right.
    public var disagreements: Int { onlyARight + onlyBRight }

    /// Accuracy of B minus accuracy of A (a fraction).
    public var difference: Double { Double(onlyBRight - onlyARight) / Double(images) }

    /// Standard error of `difference` from sampling the test images: the standard error of the mean of
    /// the per-image score (B right) - (A right), which is +1, -1 or 0.
    public var standardError: Double {
        guard images > 1 else { return 0 }
        let n = Double(images)
        let sumOfSquares = Double(disagreements)           // each ±1 scores 1 when squared
        let variance = (sumOfSquares - n * difference * difference) / (n - 1)
        return (Swift.max(variance, 0) / n).squareRoot()
    }
}

extension PairedComparison {
    /// From two saved runs' test predictions; nil when either history lacks them for every image.
    public init?(_ a: TrainingHistory, _ b: TrainingHistory, labels: [Int]) {
        guard let predictedA = a.testPredictions, let predictedB = b.testPredictions,
              predictedA.count == labels.count, predictedB.count == labels.count else { return nil }
        self.init(labels: labels, predictedA: predictedA, predictedB: predictedB)
    }
}
