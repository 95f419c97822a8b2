import Foundation

/// A title laid out to fit a width: its lines (top first) and font size in pixels.
struct FittedTitle: Equatable {
    var lines: [String]
    var sizePx: Double
}

/// Fits an axes title into the width its panel leaves it, so a long title never runs into the
/// neighbouring panel or off the figure. In order of preference:
/// 1. the title as it is;
/// 2. one line, a little smaller (down to `slightShrink` of the size);
/// 3. two lines, broken at the space that makes the longer line shortest;
/// 4. two lines, smaller (down to `minimumScale`);
/// 5. at `minimumScale`, each line cut short with "…".
///
/// `measure(text, sizePx)` gives a text's width in pixels; the layout passes FreeType's, tests
/// a synthetic one.
enum TitleFit {
    static let slightShrink = 0.85
    static let minimumScale = 0.6

    static func fit(_ title: String, sizePx: Double, maxWidth: Double,
                    measure: (String, Double) -> Double) -> FittedTitle {
        let width = measure(title, sizePx)
        if width <= maxWidth { return FittedTitle(lines: [title], sizePx: sizePx) }
        // Font sizes scale widths linearly; round down to a quarter pixel to be safe.
        func scaled(_ w: Double) -> Double { (sizePx * maxWidth / w * 4).rounded(.down) / 4 }
        if scaled(width) >= sizePx * slightShrink { return FittedTitle(lines: [title], sizePx: scaled(width)) }

        let lines = twoLines(title, sizePx: sizePx, measure: measure) ?? [title]
        let widest = lines.map { measure($0, sizePx) }.max()!
        if widest <= maxWidth { return FittedTitle(lines: lines, sizePx: sizePx) }
        if scaled(widest) >= sizePx * minimumScale { return FittedTitle(lines: lines, sizePx: scaled(widest)) }

        let small = sizePx * minimumScale
        return FittedTitle(lines: lines.map { truncate($0, sizePx: small, maxWidth: maxWidth, measure: measure) }, sizePx: small)
    }

    /// The title broken at one space into two lines whose longer line is as short as possible,
    /// or nil when it has no space.
    static func twoLines(_ title: String, sizePx: Double, measure: (String, Double) -> Double) -> [String]? {
        let words = title.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count > 1 else { return nil }
        var best: [String]?, bestWidth = Double.infinity
        for k in 1..<words.count {
            let pair = [words[..<k].joined(separator: " "), words[k...].joined(separator: " ")]
            let w = pair.map { measure($0, sizePx) }.max()!
            if w < bestWidth { best = pair; bestWidth = w }
        }
        return best
    }

    /// The longest prefix of `line` that fits with "…" after it.
    static func truncate(_ line: String, sizePx: Double, maxWidth: Double, measure: (String, Double) -> Double) -> String {
        if measure(line, sizePx) <= maxWidth { return line }
        var chars = Array(line)
        while !chars.isEmpty {
            chars.removeLast()
            let candidate = String(chars).trimmingCharacters(in: .whitespaces) + "…"
            if measure(candidate, sizePx) <= maxWidth { return candidate }
        }
        return "…"
    }
}
