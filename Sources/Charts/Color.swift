import Foundation

/// An RGBA colour with components in 0...1.
///
/// Every matplotlib colour name is a typed constant (`NamedColors.swift`): the 148 CSS4 names
/// (`.coral`, `.steelblue`, `.mediumseagreen`) and the Tableau ones (`.tabBlue` for "tab:blue"),
/// so a misspelt name does not compile:
///
/// ```swift
/// ax.bar(x, heights, color: .mediumseagreen)
/// ```
///
/// A name that arrives as text (a flag, a file) goes through `Color(named:)`, which returns nil
/// for a name matplotlib does not know. String literals (`color: "coral"`) are still accepted so
/// lesson code can read like matplotlib's, but they are only checked when a test runs: the
/// `ColorTests` suite parses every colour literal in the project's sources. At run time an unknown
/// literal draws in black.
public struct Color: Equatable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }

    /// A colour from a 24-bit `0xRRGGBB` value, as CSS and matplotlib write them.
    public init(rgb: UInt32, alpha: Double = 1) {
        self.init(red: Double((rgb >> 16) & 0xff) / 255, green: Double((rgb >> 8) & 0xff) / 255,
                  blue: Double(rgb & 0xff) / 255, alpha: alpha)
    }

    /// Looks a colour up the way matplotlib's `to_rgba` reads a string, or returns nil:
    /// - a CSS4 name (`"mediumseagreen"`), case-insensitive, "grey" or "gray" alike;
    /// - a Tableau name (`"tab:blue"`, `"tab:grey"`);
    /// - a single letter (`"b"`, `"g"`, `"r"`, `"c"`, `"m"`, `"y"`, `"k"`, `"w"`), case-sensitive;
    /// - `"C0"` ... `"C9"`, the default property cycle;
    /// - a grey level between `"0"` (black) and `"1"` (white), e.g. `"0.75"`;
    /// - a hex string `#rrggbb`, `#rrggbbaa`, `#rgb` or `#rgba`.
    public init?(named name: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.count == 1, let c = Color.baseColors.first(where: { $0.name == trimmed }) {
            self = c.color
            return
        }
        let key = trimmed.lowercased()
        if key.hasPrefix("#") {
            guard let c = Color.parseHex(String(key.dropFirst())) else { return nil }
            self = c
        } else if let c = Color.byName[key] {
            self = c
        } else if key.count == 2, key.first == "c", let i = Int(key.dropFirst()) {
            self = Color.cycle[i]   // "C0".."C9": the property cycle
        } else if let level = Double(key), level >= 0, level <= 1, key.first?.isNumber == true || key.first == "." {
            self = Color(red: level, green: level, blue: level)
        } else {
            return nil
        }
    }

    /// Hex strings without the leading `#` are accepted too.
    public init?(hex: String) {
        guard let c = Color.parseHex(hex.hasPrefix("#") ? String(hex.dropFirst()) : hex) else { return nil }
        self = c
    }

    /// `color: "coral"` in lesson code. Prefer the typed constant (`.coral`), which the compiler
    /// checks; a literal matplotlib does not know is caught by `ColorTests`, and draws in black
    /// if it reaches a run.
    public init(stringLiteral value: String) {
        self = Color(named: value) ?? .black
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

    /// matplotlib's default colour cycle ("tab10"), used when a series gives no colour.
    public static let cycle: [Color] = tableau.map(\.color)

    /// Every name `Color(named:)` knows besides hex, grey levels, "C0"..."C9" and the single
    /// letters: the CSS4 names, the Tableau names, and matplotlib's "grey" spellings of "gray".
    static let byName: [String: Color] = {
        var table: [String: Color] = [:]
        for (name, color) in css4 + tableau {
            table[name] = color
            table[name.replacingOccurrences(of: "gray", with: "grey")] = color
        }
        return table
    }()

    private static func parseHex(_ s: String) -> Color? {
        var digits = s
        if digits.count == 3 || digits.count == 4 { digits = String(digits.flatMap { [$0, $0] }) }
        guard digits.count == 6 || digits.count == 8, digits.allSatisfy(\.isHexDigit),
              let v = UInt64(digits, radix: 16) else { return nil }
        let hasAlpha = digits.count == 8
        let rgb = hasAlpha ? v >> 8 : v
        return Color(rgb: UInt32(rgb), alpha: hasAlpha ? Double(v & 0xff) / 255 : 1)
    }
}

/// One-line warnings on stderr (a missing font, a libpng complaint, mismatched plot data).
/// Each call site decides how often it warns; there is no process-wide state here.
enum Warnings {
    static func emit(_ message: String) {
        FileHandle.standardError.write(Data("Charts warning: \(message)\n".utf8))
    }
}
