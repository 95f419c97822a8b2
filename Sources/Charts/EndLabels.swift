import Foundation

/// Labels at the right end of lines (`plot(..., endLabel:)`), direct labelling as in many
/// published figures: each sits just right of its line's last point, and labels that would
/// overlap are spread apart vertically as little as possible.
enum EndLabels {
    /// Gap between a line's last point and its label, in points.
    static let gapPoints = 4.0
    static let fontPoints = 9.0

    struct Placed {
        var text: String
        var color: Color
        /// Left end and vertical centre of the label, in pixels.
        var x: Double, y: Double
    }

    /// The labels of an axes, placed for its geometry.
    static func place(_ axes: Axes, _ g: AxesGeometry, _ style: Style) -> [Placed] {
        var items: [(text: String, color: Color, x: Double, target: Double)] = []
        for case .line(let a) in axes.artists {
            guard let text = a.endLabel, !text.isEmpty,
                  let i = a.x.indices.last(where: { a.x[$0].isFinite && a.y[$0].isFinite }),
                  let px = g.x.pixel(a.x[i]), px >= Double(g.box.x0) - 0.5, px <= Double(g.box.x1) + 0.5 else { continue }
            // A line ending above or below the axes gets its label at that edge.
            let py = g.y.pixel(a.y[i]) ?? Double(g.box.y1)
            items.append((text, Color(red: a.color.red, green: a.color.green, blue: a.color.blue), px + style.px(gapPoints), py))
        }
        guard !items.isEmpty else { return [] }
        let font = TextStyle(sizePx: style.px(fontPoints))
        let height = FontRenderer.shared.measure(RichText(items[0].text), font).height
        let ys = spread(items.map(\.target), spacing: height, lo: Double(g.box.y0), hi: Double(g.box.y1))
        return items.indices.map { Placed(text: items[$0].text, color: items[$0].color, x: items[$0].x, y: ys[$0]) }
    }

    /// How far the labels reach right of the axes box, for the layout.
    static func overhang(_ axes: Axes, _ g: AxesGeometry, _ style: Style) -> Double {
        let font = TextStyle(sizePx: style.px(fontPoints))
        return place(axes, g, style).map { $0.x + FontRenderer.shared.measure(RichText($0.text), font).width - Double(g.box.x1) }
            .max() ?? 0
    }

    static func draw(_ axes: Axes, _ g: AxesGeometry, _ style: Style, on canvas: Canvas) {
        for label in place(axes, g, style) {
            canvas.drawText(RichText(label.text), at: Point(label.x, label.y),
                            style: TextStyle(sizePx: style.px(fontPoints), color: label.color), h: .left, v: .center)
        }
    }

    /// Centres for labels `spacing` tall that want to sit at `targets` (pixel rows), kept within
    /// `lo...hi`: labels that would overlap are grouped and each group is centred on the mean of
    /// its targets, merging groups until none overlap. Returned in the order of `targets`.
    static func spread(_ targets: [Double], spacing: Double, lo: Double, hi: Double) -> [Double] {
        guard !targets.isEmpty else { return [] }
        let half = spacing / 2
        let order = targets.indices.sorted { targets[$0] < targets[$1] }
        let wanted = order.map { min(max(targets[$0], lo + half), max(hi - half, lo + half)) }
        // Each group: first index into `order`, count, and the centre of its first label.
        var groups: [(first: Int, count: Int, start: Double)] = []
        func clampStart(_ start: Double, _ count: Int) -> Double {
            let span = Double(count - 1) * spacing
            return max(lo + half, min(start, hi - half - span))
        }
        for k in wanted.indices {
            groups.append((k, 1, wanted[k]))
            while groups.count > 1 {
                let b = groups[groups.count - 1], a = groups[groups.count - 2]
                guard a.start + Double(a.count) * spacing > b.start + 1e-9 else { break }
                let count = a.count + b.count
                let mean = wanted[a.first..<(a.first + count)].reduce(0, +) / Double(count)
                groups.removeLast(2)
                groups.append((a.first, count, clampStart(mean - Double(count - 1) * spacing / 2, count)))
            }
        }
        var result = [Double](repeating: 0, count: targets.count)
        for g in groups { for j in 0..<g.count { result[order[g.first + j]] = g.start + Double(j) * spacing } }
        return result
    }
}
