import Foundation

/// Tight layout: sizes every axes so that its tick labels, axis labels, title and colorbar fit
/// inside the figure without overlapping the neighbours, by measuring the actual text.
///
/// Tick values depend on the axes' length (longer axes get more ticks) and the space needed
/// depends on the tick labels, so the layout runs twice: once from a guess, once from the
/// first result. Axes in the same column share left/right space and axes in the same row
/// share top/bottom space, so grids stay aligned.
enum Layout {
    struct Decorations { var left = 0.0, right = 0.0, top = 0.0, bottom = 0.0 }

    static func apply(to figure: Figure) {
        let style = Style(dpi: figure.dpi)
        let lengths = figure.rowLengths
        guard !figure.axes.isEmpty, !lengths.isEmpty, lengths.reduce(0, +) == figure.axes.count else { return }
        let w = Double(figure.pixelWidth), h = Double(figure.pixelHeight)
        let top0 = style.figurePad + figure.suptitleHeight(style)
        // First guess: each cell inset by 12%.
        let rows = Double(lengths.count)
        var boxes = cellBoxes(rowLengths: lengths, width: w, height: h, top: top0, style: style,
                              decorations: lengths.flatMap { n in
                                  Array(repeating: Decorations(left: w * 0.06 / Double(n), right: w * 0.06 / Double(n),
                                                               top: h * 0.06 / rows, bottom: h * 0.06 / rows), count: n)
                              })
        for _ in 0..<2 {
            let titleWidths = titleSpace(boxes: boxes, rowLengths: lengths, width: w, style: style)
            let decos = figure.axes.indices.map { i in
                var g = geometry(figure.axes[i], box: boxes[i], style: style)
                g.title = fittedTitle(figure.axes[i], maxWidth: titleWidths[i], style: style)
                return decorations(figure.axes[i], g, style)
            }
            boxes = cellBoxes(rowLengths: lengths, width: w, height: h, top: top0, style: style, decorations: decos)
        }
        let titleWidths = titleSpace(boxes: boxes, rowLengths: lengths, width: w, style: style)
        for (i, axes) in figure.axes.enumerated() {
            var g = geometry(axes, box: boxes[i], style: style)
            g.title = fittedTitle(axes, maxWidth: titleWidths[i], style: style)
            axes.geometry = g
        }
    }

    /// Boxes for rows of axes given each axes' decoration sizes (row-major order). Each row
    /// splits the full width among its own axes; rows of the same length share their columns'
    /// left/right space so they stay aligned, and each row takes the tallest top/bottom space
    /// of its axes.
    static func cellBoxes(rowLengths: [Int], width: Double, height: Double, top: Double, style: Style,
                          decorations: [Decorations]) -> [PixelRect] {
        let starts = rowLengths.indices.map { r in rowLengths[..<r].reduce(0, +) }
        func deco(_ r: Int, _ c: Int) -> Decorations {
            let i = starts[r] + c
            return i < decorations.count ? decorations[i] : Decorations()
        }
        let pad = style.figurePad, gap = style.axesGap
        let tops = rowLengths.indices.map { r in (0..<rowLengths[r]).map { deco(r, $0).top }.max()! }
        let bottoms = rowLengths.indices.map { r in (0..<rowLengths[r]).map { deco(r, $0).bottom }.max()! }
        let rows = rowLengths.count
        let rowH = max((height - top - pad - tops.reduce(0, +) - bottoms.reduce(0, +) - Double(rows - 1) * gap) / Double(rows), 10)
        var boxes: [PixelRect] = []
        var y = top
        for r in 0..<rows {
            let cols = rowLengths[r]
            let alike = rowLengths.indices.filter { rowLengths[$0] == cols }
            let left = (0..<cols).map { c in alike.map { deco($0, c).left }.max()! }
            let right = (0..<cols).map { c in alike.map { deco($0, c).right }.max()! }
            let colW = max((width - 2 * pad - left.reduce(0, +) - right.reduce(0, +) - Double(cols - 1) * gap) / Double(cols), 10)
            var x = pad
            y += tops[r]
            for c in 0..<cols {
                x += left[c]
                boxes.append(PixelRect(x0: Int(x.rounded()), y0: Int(y.rounded()),
                                       x1: Int((x + colW).rounded()), y1: Int((y + rowH).rounded())))
                x += colW + right[c] + gap
            }
            y += rowH + bottoms[r] + gap
        }
        return boxes
    }

    /// How wide each axes' title may be: it is centred over its box and may reach half-way to
    /// the neighbouring boxes in its row, or to the figure's padding at either end, so titles
    /// never touch each other or run past the figure's edge.
    static func titleSpace(boxes: [PixelRect], rowLengths: [Int], width: Double, style: Style) -> [Double] {
        var result: [Double] = []
        var i = 0
        for n in rowLengths {
            for c in 0..<n {
                let b = boxes[i + c]
                let leftLimit = c > 0 ? Double(boxes[i + c - 1].x1 + b.x0) / 2 : style.figurePad
                let rightLimit = c < n - 1 ? Double(b.x1 + boxes[i + c + 1].x0) / 2 : width - style.figurePad
                let centre = Double(b.x0 + b.x1) / 2
                result.append(max(2 * min(centre - leftLimit, rightLimit - centre), 1))
            }
            i += n
        }
        return result
    }

    /// The axes' title fitted into `maxWidth` pixels with the figure's font (see `TitleFit`).
    static func fittedTitle(_ axes: Axes, maxWidth: Double, style: Style) -> FittedTitle? {
        guard let title = axes.title, !title.isEmpty else { return nil }
        let font = FontRenderer.shared
        return TitleFit.fit(title, sizePx: style.titleFont.sizePx, maxWidth: maxWidth) { text, size in
            font.measure(RichText(text), TextStyle(sizePx: size)).width
        }
    }

    /// Limits, transforms and ticks for an axes placed in `cell` (shrunk to square image cells).
    static func geometry(_ axes: Axes, box cell: PixelRect, style: Style) -> AxesGeometry {
        let (xlo, xhi) = axes.limits(vertical: false)
        var (ylo, yhi) = axes.limits(vertical: true)
        var box = cell
        let image = axes.image
        if image != nil {
            (ylo, yhi) = (yhi, ylo)   // row 0 at the top
            let sx = Double(cell.width) / abs(xhi - xlo), sy = Double(cell.height) / abs(yhi - ylo)
            let s = min(sx, sy)
            let w = (abs(xhi - xlo) * s).rounded(), h = (abs(yhi - ylo) * s).rounded()
            let x0 = Double(cell.x0) + ((Double(cell.width) - w) / 2).rounded()
            let y0 = Double(cell.y0) + ((Double(cell.height) - h) / 2).rounded()
            box = PixelRect(x0: Int(x0), y0: Int(y0), x1: Int(x0 + w), y1: Int(y0 + h))
        }
        let xt = AxisTransform(lo: xlo, hi: xhi, scale: axes.xScale, p0: Double(box.x0), p1: Double(box.x1))
        var yt = AxisTransform(lo: ylo, hi: yhi, scale: axes.yScale, p0: Double(box.y1), p1: Double(box.y0))
        // A `.best` legend that would hide data anywhere gets room at the top of an automatic y axis.
        if image == nil, axes.yLimits.hi == nil, axes.legendLocation == .best, let legend = Legend(axes: axes, dpi: style.dpi) {
            let provisional = AxesGeometry(box: box, x: xt, y: yt, xTicks: [], xMinor: [], yTicks: [], yMinor: [])
            let (samples, rects) = axes.legendObstacles(in: provisional)
            if let growth = legend.headroom(in: box, samples: samples, barRects: rects),
               let a = yt.scaled(ylo), let b = yt.scaled(yhi) {
                let top = a + (b - a) * growth
                yt.hi = axes.yScale == .log ? pow(10, top) : top
            }
        }
        let (xTicks, xMinor) = ticks(axes.xTickOverride, xt, length: Double(box.width), horizontal: true, style: style)
        let (yTicks, yMinor) = ticks(axes.yTickOverride, yt, length: Double(box.height), horizontal: false, style: style)
        var geometry = AxesGeometry(box: box, x: xt, y: yt, xTicks: xTicks, xMinor: xMinor, yTicks: yTicks, yMinor: yMinor)
        if let image, image.colorbar {
            let x0 = Double(box.x1) + style.colorbarPad
            let cb = PixelRect(x0: Int(x0.rounded()), y0: box.y0, x1: Int((x0 + style.colorbarWidth).rounded()), y1: box.y1)
            let t = AxisTransform(lo: image.vmin, hi: image.vmax, scale: .linear, p0: Double(cb.y1), p1: Double(cb.y0))
            let (cbTicks, _) = ticks(nil, t, length: Double(cb.height), horizontal: false, style: style)
            geometry.colorbar = (cb, cbTicks, t)
        }
        return geometry
    }

    /// Major and minor ticks inside the limits. Horizontal axes drop to fewer ticks until
    /// their labels no longer touch.
    static func ticks(_ override: [Tick]?, _ t: AxisTransform, length: Double, horizontal: Bool,
                      style: Style) -> ([Tick], [Double]) {
        let (lo, hi) = (min(t.lo, t.hi), max(t.lo, t.hi))
        if let override { return (override.filter { t.contains($0.value) }, []) }
        var n = TickLocator.maxTicks(lengthPx: length, fontPx: style.tickFont.sizePx, horizontal: horizontal)
        while true {
            let (major, minor) = t.scale == .log ? TickLocator.log(lo: lo, hi: hi, maxTicks: n)
                                                 : (TickLocator.linear(lo: lo, hi: hi, maxTicks: n), [])
            guard horizontal, n > 2 else { return (major, minor) }
            let widths = major.map { FontRenderer.shared.measure($0.label, style.tickFont).width }
            let needed = widths.reduce(0, +) + Double(max(major.count - 1, 0)) * style.tickFont.sizePx
            if needed <= length { return (major, minor) }
            n -= 1
        }
    }

    /// The space an axes needs outside its box for ticks, labels, title and colorbar.
    static func decorations(_ axes: Axes, _ g: AxesGeometry, _ style: Style) -> Decorations {
        let font = FontRenderer.shared
        var d = Decorations()
        let tickSpace = style.majorTickLength + style.tickPad
        if axes.axisVisible {
            let yWidths = g.yTicks.map { font.measure($0.label, style.tickFont) }
            let xExtents = g.xTicks.map { font.measure($0.label, style.tickFont) }
            d.left = tickSpace + (yWidths.map(\.width).max() ?? 0)
            d.bottom = tickSpace + (xExtents.map(\.height).max() ?? 0)
            // The first and last x labels are centred on their ticks and can overhang the box.
            if let first = g.xTicks.first, let px = g.x.pixel(first.value), let e = xExtents.first {
                d.left = max(d.left, e.width / 2 - (px - Double(g.box.x0)))
            }
            if let last = g.xTicks.last, let px = g.x.pixel(last.value), let e = xExtents.last {
                d.right = max(d.right, e.width / 2 - (Double(g.box.x1) - px))
            }
            // Likewise the top y label overhangs by half its height.
            d.top = (yWidths.map(\.height).max() ?? 0) / 2
        }
        if let label = axes.yLabel { d.left += style.labelPad + font.measure(RichText(label), style.labelFont).height }
        if let label = axes.xLabel { d.bottom += style.labelPad + font.measure(RichText(label), style.labelFont).height }
        if let title = g.title {
            let lineHeight = font.measure(RichText(title.lines[0]), TextStyle(sizePx: title.sizePx)).height
            d.top = max(d.top, style.titlePad + Double(title.lines.count) * lineHeight)
        }
        d.right = max(d.right, EndLabels.overhang(axes, g, style))
        if let cb = g.colorbar {
            let labels = cb.ticks.map { font.measure($0.label, style.tickFont).width }.max() ?? 0
            d.right = max(d.right, style.colorbarPad + style.colorbarWidth + tickSpace + labels)
        }
        return d
    }
}
