import Foundation

/// Number formatting the way the Python lesson prints (`f"{n:,}"`, `f"{x:.4f}"`).
public enum Format {
    /// 0.000123 -> "1.23e-04": a number that spans orders of magnitude (gradient norms, ratios).
    public static func sci(_ value: Double) -> String { String(format: "%.2e", value) }

    /// 11172810 -> "11,172,810"
    public static func thousands(_ value: Int) -> String {
        let digits = String(abs(value))
        var groups: [Substring] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(digits[start..<end], at: 0)
            end = start
        }
        return (value < 0 ? "-" : "") + groups.joined(separator: ",")
    }

    /// Fixed decimals: fixed(0.98712, 4) -> "0.9871"
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    public static func fixed(_ value: Float, _ decimals: Int) -> String { fixed(Double(value), decimals) }

    /// A class name with its indefinite article, chosen by the sound it starts with:
    /// "a Sandal", "an Ankle boot", "a 7", "an 8" (MNIST's class names are digits).
    public static func withArticle(_ name: String) -> String {
        guard let first = name.first else { return name }
        let startsWithVowelSound = "aeiou".contains(first.lowercased()) || first == "8"
        return (startsWithVowelSound ? "an " : "a ") + name
    }

    /// PyTorch's `torch.Size([1, 64, 32, 32])`.
    public static func torchSize(_ shape: [Int]) -> String {
        "torch.Size([" + shape.map(String.init).joined(separator: ", ") + "])"
    }

    /// Seconds as "2 min 05 s" or "41.2 s" or "1 h 03 min".
    public static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        if seconds < 3600 { return String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%d h %02d min", Int(seconds) / 3600, (Int(seconds) % 3600) / 60)
    }
}
