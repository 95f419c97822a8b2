/// matplotlib's default sizes (rcParams), in points, converted to pixels for one dpi.
struct Style {
    let dpi: Double
    func px(_ points: Double) -> Double { points * dpi / 72 }

    var tickFont: TextStyle { TextStyle(sizePx: px(10)) }
    var labelFont: TextStyle { TextStyle(sizePx: px(10)) }
    var titleFont: TextStyle { TextStyle(sizePx: px(12)) }
    var majorTickLength: Double { px(3.5) }
    var minorTickLength: Double { px(2) }
    var tickPad: Double { px(3.5) }
    var labelPad: Double { px(4) }
    var titlePad: Double { px(6) }
    /// Spines and ticks are whole pixels wide (0.8 pt rounded), which keeps them crisp.
    var spineWidth: Int { max(1, Int(px(0.8).rounded())) }
    /// Space around the figure edge and between neighbouring axes (tight_layout's pad).
    var figurePad: Double { px(8) }
    var axesGap: Double { px(12) }
    var colorbarPad: Double { px(10) }
    var colorbarWidth: Double { px(12) }
}
