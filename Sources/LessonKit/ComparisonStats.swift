import Foundation

/// Mean and spread of one number measured with several seeds (a test accuracy, a ratio).
public struct SeedSpread: Sendable {
    public let values: [Double]
    public let mean: Double
    /// Sample standard deviation (n - 1); 0 with a single value.
    public let std: Double
    public let min: Double
    public let max: Double

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "SeedSpread needs at least one value")
        self.values = values
        let average = values.reduce(0, +) / Double(values.count)
        let variance = values.count > 1
            ? values.map { ($0 - average) * ($0 - average) }.reduce(0, +) / Double(values.count - 1) : 0
        mean = average
        std = variance.squareRoot()
        min = values.min()!
        max = values.max()!
    }

    public var count: Int { values.count }

    /// "0.9871" with one seed, "0.9871 ± 0.0012" with several.
    public func text(_ decimals: Int = 4) -> String {
        count == 1 ? Format.fixed(mean, decimals) : "\(Format.fixed(mean, decimals)) ± \(Format.fixed(std, decimals))"
    }

    /// As a percentage: "98.71%" or "98.71% ± 0.12".
    public func percent(_ decimals: Int = 2) -> String {
        count == 1 ? "\(Format.fixed(100 * mean, decimals))%"
                   : "\(Format.fixed(100 * mean, decimals))% ± \(Format.fixed(100 * std, decimals))"
    }
}

/// Whether the accuracy difference between two networks stands out from the noise.
public struct NoiseVerdict: Sendable {
    /// b - a, in accuracy (fraction).
    public let difference: Double
    /// The standard error the difference is judged against.
    public let standardError: Double
    /// True when the difference is more than twice its standard error (and, with several seeds,
    /// the two ranges of seeds do not overlap). Never true with one seed: the seed-to-seed spread is
    /// then unmeasured.
    public let isLargerThanNoise: Bool
    /// With one seed: true when the difference is more than twice the test set's sampling error, so
    /// it is unlikely to be a fluke of which test images were drawn (seed noise may still explain it).
    /// With several seeds: the same as `isLargerThanNoise`.
    public let exceedsSamplingError: Bool
    /// One or two sentences saying so, with the numbers.
    public let sentence: String

    /// Compares accuracies `a` and `b` (one per seed, same seeds) measured on `testImages` images.
    /// With one seed, pass `paired` (the two networks' answers compared image by image) to judge the
    /// gap against its paired sampling error; without it the two accuracies are treated as independent.
    public static func compare(_ nameA: String, _ a: SeedSpread, _ nameB: String, _ b: SeedSpread,
                               testImages: Int, paired: PairedComparison? = nil) -> NoiseVerdict {
        let difference = b.mean - a.mean
        let points = "\(difference >= 0 ? "+" : "")\(Format.fixed(100 * difference, 2)) percentage points"
        if a.count == 1 || b.count == 1 {
            if let paired { return oneSeed(nameA, nameB, points: points, difference: difference, paired: paired) }
            // Only the test-set sampling error is known: sqrt(p(1-p)/n) for each accuracy.
            let n = Double(Swift.max(testImages, 1))
            let se = ((a.mean * (1 - a.mean) + b.mean * (1 - b.mean)) / n).squareRoot()
            let larger = abs(difference) > 2 * se
            var text = "\(nameB) - \(nameA): \(points). With one seed this cannot be separated from seed-to-seed noise "
                + "(how far networks that differ only in their random start land apart, which one run does not measure)"
            text += ", and sampling \(Format.thousands(testImages)) test images alone adds ±\(Format.fixed(100 * se, 2)) points (one standard error). "
            text += larger
                ? "The gap is more than twice that sampling error, which is suggestive, not proof; --seeds 3 or more measures the spread."
                : "The gap is within twice that sampling error; --seeds 3 or more measures the spread."
            return NoiseVerdict(difference: difference, standardError: se, isLargerThanNoise: false,
                                exceedsSamplingError: larger, sentence: text)
        }
        let se = (a.std * a.std / Double(a.count) + b.std * b.std / Double(b.count)).squareRoot()
        let separate = b.min > a.max || a.min > b.max
        let larger = abs(difference) > 2 * se && separate
        var text = "\(nameB) - \(nameA): \(points) over \(a.count) seeds (standard error of the difference "
            + "\(Format.fixed(100 * se, 2)) points; \(nameA) ranged \(Format.fixed(100 * a.min, 2))-\(Format.fixed(100 * a.max, 2))%, "
            + "\(nameB) \(Format.fixed(100 * b.min, 2))-\(Format.fixed(100 * b.max, 2))%). "
        text += larger
            ? "That is larger than the seed-to-seed noise: every seed of one beats every seed of the other."
            : "That is not larger than the seed-to-seed noise: the seeds' ranges overlap or the gap is under two standard errors."
        return NoiseVerdict(difference: difference, standardError: se, isLargerThanNoise: larger,
                            exceedsSamplingError: larger, sentence: text)
    }

    /// One seed, both networks' answers known image by image: the paired sampling error.
    static func oneSeed(_ nameA: String, _ nameB: String, points: String, difference: Double,
                        paired: PairedComparison) -> NoiseVerdict {
        let se = paired.standardError
        let larger = abs(difference) > 2 * se
        let ratio = se > 0 ? " (\(Format.fixed(abs(difference) / se, 1)) standard errors)" : ""
        var text = "\(nameB) - \(nameA): \(points). On the same \(Format.thousands(paired.images)) test images the two "
            + "disagree on \(Format.thousands(paired.disagreements)): \(nameA) alone was right on \(Format.thousands(paired.onlyARight)), "
            + "\(nameB) alone on \(Format.thousands(paired.onlyBRight)). Drawing the test images gives the gap a standard error of "
            + "±\(Format.fixed(100 * se, 2)) points (paired: images both get right, or both get wrong, say nothing about which is better), "
        text += larger
            ? "and the gap is more than twice that\(ratio): unlikely to be a fluke of which test images were drawn. "
            : "and the gap is within twice that\(ratio): it could be a fluke of which test images were drawn. "
        text += "One seed cannot say whether the architectures differ: networks that differ only in their random start "
            + "also land apart, by an amount one run does not measure; --seeds 3 or more measures it."
        return NoiseVerdict(difference: difference, standardError: se, isLargerThanNoise: false,
                            exceedsSamplingError: larger, sentence: text)
    }
}

/// A plain-text table in the style of the original lesson's `FINAL COMPARISON`.
public struct ComparisonTable {
    public var headers: [String]
    public var rows: [[String]]
    /// Width of each column; the first is left-aligned, the others right-aligned.
    public var widths: [Int]

    public init(headers: [String], rows: [[String]], widths: [Int]? = nil) {
        self.headers = headers
        self.rows = rows
        self.widths = widths ?? headers.indices.map { column in
            ([headers[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
    }

    public func render(title: String? = nil) -> String {
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let width = widths[index]
                let pad = String(repeating: " ", count: Swift.max(0, width - cell.count))
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: " | ")
        }
        let total = widths.reduce(0, +) + 3 * (widths.count - 1)
        let rule = String(repeating: "=", count: total)
        var lines: [String] = []
        if let title { lines += [rule, title] }
        lines += [rule, line(headers), rule]
        lines += rows.map(line)
        lines.append(rule)
        return lines.joined(separator: "\n")
    }
}

/// "+0.0034" / "-0.0012" (the original's signed difference column).
public func signedFixed(_ value: Double, _ decimals: Int = 4) -> String {
    (value >= 0 ? "+" : "") + Format.fixed(value, decimals)
}
