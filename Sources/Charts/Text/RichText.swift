/// A piece of text in one size and vertical position: enough to typeset "10" followed by a
/// smaller raised exponent, which is all the mathtext the charts need.
struct TextRun: Equatable {
    var text: String
    /// Size relative to the label's font size.
    var scale: Double = 1
    /// Baseline shift upwards, as a fraction of the label's font size.
    var rise: Double = 0
}

/// A label made of runs. Plain strings convert to a single run.
struct RichText: Equatable, ExpressibleByStringLiteral {
    var runs: [TextRun]

    init(_ runs: [TextRun]) { self.runs = runs }
    init(_ text: String) { runs = [TextRun(text: text)] }
    init(stringLiteral value: String) { self.init(value) }

    /// `base` followed by a superscript `exponent`, e.g. 10 and "−5".
    static func power(base: String, exponent: String, prefix: String = "") -> RichText {
        RichText([TextRun(text: prefix + base), TextRun(text: exponent, scale: 0.7, rise: 0.45)])
    }

    var plain: String { runs.map(\.text).joined() }
    var isEmpty: Bool { runs.allSatisfy { $0.text.isEmpty } }
}

/// Font weight: regular for ticks and labels, bold for the figure title.
enum FontWeight: Hashable { case regular, bold }

/// How text is set: size in pixels (already converted from points), weight, colour.
struct TextStyle {
    var sizePx: Double
    var weight: FontWeight = .regular
    var color: Color = .black
}

/// The ink box of a laid-out label relative to its baseline origin, in pixels.
struct TextExtent: Equatable {
    var width: Double
    /// Distance from the baseline up to the top of the tallest run.
    var ascent: Double
    /// Distance from the baseline down to the lowest descender (positive).
    var descent: Double
    var height: Double { ascent + descent }
}

/// Which part of a text's box sits at its anchor point, horizontally (matplotlib's `ha`).
public enum HorizontalAlignment: Sendable { case left, center, right }
/// Which part of a text's box sits at its anchor point, vertically (matplotlib's `va`).
public enum VerticalAlignment: Sendable { case top, center, baseline, bottom }
