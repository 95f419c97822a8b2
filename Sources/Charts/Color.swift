import Foundation

/// An RGBA colour with components in 0...1.
///
/// Colours can be written the way matplotlib users write them: a name (`"coral"`,
/// `"steelblue"`, `"tab:blue"`, `"C0"`, `"k"`) or a hex string (`"#1f77b4"`, `"#1f77b480"`),
/// thanks to `ExpressibleByStringLiteral`. An unknown name prints one warning on stderr and
/// falls back to black, so a typo in a lesson never crashes a training run at the last step.
public struct Color: Equatable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }

    /// Parses a matplotlib colour name or a `#rrggbb` / `#rrggbbaa` / `#rgb` hex string.
    public init?(name: String) {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        if key.hasPrefix("#") {
            guard let c = Color.parseHex(String(key.dropFirst())) else { return nil }
            self = c
        } else if let hex = Color.namedHex[key] {
            self = Color.parseHex(hex)!
        } else if key.count == 2, key.first == "c", let i = Int(key.dropFirst()) {
            self = Color.cycle[i % Color.cycle.count]   // "C0".."C9": the property cycle
        } else {
            return nil
        }
    }

    /// Hex strings without the leading `#` are accepted too.
    public init?(hex: String) {
        guard let c = Color.parseHex(hex.hasPrefix("#") ? String(hex.dropFirst()) : hex) else { return nil }
        self = c
    }

    public init(stringLiteral value: String) {
        if let c = Color(name: value) {
            self = c
        } else {
            Warnings.once("unknown colour \"\(value)\"; using black")
            self = .black
        }
    }

    /// The same colour with its alpha multiplied by `factor`.
    public func withAlpha(_ factor: Double) -> Color {
        Color(red: red, green: green, blue: blue, alpha: alpha * factor)
    }

    /// Relative luminance, used to pick black or white annotation text over a heatmap cell.
    var luminance: Double { 0.2126 * red + 0.7152 * green + 0.0722 * blue }

    public var description: String {
        let c = [red, green, blue].map { String(format: "%02x", Int(($0 * 255).rounded())) }
        return "#" + c.joined()
    }

    public static let black = Color(red: 0, green: 0, blue: 0)
    public static let white = Color(red: 1, green: 1, blue: 1)

    /// matplotlib's default colour cycle ("tab10"), used when a series gives no colour.
    public static let cycle: [Color] = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ].map { Color(hex: $0)! }

    private static func parseHex(_ s: String) -> Color? {
        var digits = s
        if digits.count == 3 || digits.count == 4 { digits = String(digits.flatMap { [$0, $0] }) }
        guard digits.count == 6 || digits.count == 8, let v = UInt64(digits, radix: 16) else { return nil }
        let hasAlpha = digits.count == 8
        let rgb = hasAlpha ? v >> 8 : v
        return Color(red: Double((rgb >> 16) & 0xff) / 255,
                     green: Double((rgb >> 8) & 0xff) / 255,
                     blue: Double(rgb & 0xff) / 255,
                     alpha: hasAlpha ? Double(v & 0xff) / 255 : 1)
    }

    /// The names lessons use: matplotlib's single letters, tableau palette and common CSS names.
    private static let namedHex: [String: String] = [
        "b": "0000ff", "g": "008000", "r": "ff0000", "c": "00bfbf", "m": "bf00bf",
        "y": "bfbf00", "k": "000000", "w": "ffffff",
        "tab:blue": "1f77b4", "tab:orange": "ff7f0e", "tab:green": "2ca02c", "tab:red": "d62728",
        "tab:purple": "9467bd", "tab:brown": "8c564b", "tab:pink": "e377c2", "tab:gray": "7f7f7f",
        "tab:grey": "7f7f7f", "tab:olive": "bcbd22", "tab:cyan": "17becf",
        "black": "000000", "white": "ffffff", "red": "ff0000", "green": "008000", "blue": "0000ff",
        "orange": "ffa500", "purple": "800080", "gray": "808080", "grey": "808080",
        "coral": "ff7f50", "steelblue": "4682b4", "navy": "000080", "teal": "008080",
        "brown": "a52a2a", "pink": "ffc0cb", "olive": "808000", "cyan": "00ffff",
        "magenta": "ff00ff", "yellow": "ffff00", "gold": "ffd700", "crimson": "dc143c",
        "darkorange": "ff8c00", "darkgreen": "006400", "darkblue": "00008b", "darkred": "8b0000",
        "lightgray": "d3d3d3", "lightgrey": "d3d3d3", "darkgray": "a9a9a9", "darkgrey": "a9a9a9",
        "dimgray": "696969", "silver": "c0c0c0", "skyblue": "87ceeb", "lightblue": "add8e6",
        "salmon": "fa8072", "tomato": "ff6347", "indigo": "4b0082", "violet": "ee82ee",
        "lime": "00ff00", "limegreen": "32cd32", "seagreen": "2e8b57", "forestgreen": "228b22",
        "maroon": "800000", "royalblue": "4169e1", "dodgerblue": "1e90ff", "orchid": "da70d6",
        "mediumpurple": "9370db", "slategray": "708090", "lightcoral": "f08080",
        "lightgreen": "90ee90", "darkviolet": "9400d3", "firebrick": "b22222", "khaki": "f0e68c",
        "turquoise": "40e0d0", "chocolate": "d2691e", "sienna": "a0522d", "tan": "d2b48c",
    ]
}

/// One-line warnings on stderr, each printed at most once per process.
enum Warnings {
    nonisolated(unsafe) private static var seen = Set<String>()
    private static let lock = NSLock()

    static func once(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        guard seen.insert(message).inserted else { return }
        FileHandle.standardError.write(Data("Charts warning: \(message)\n".utf8))
    }
}
