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
        let (rows, cols) = (figure.gridRows, figure.gridCols)
        guard !figure.axes.isEmpty, rows > 0, cols > 0 else { return }
        let w = Double(figure.pixelWidth), h = Double(figure.pixelHeight)
        let top0 = style.figurePad + figure.suptitleHeight(style)
        // First guess: each cell inset by 12%.
        var boxes = cellBoxes(rows: rows, cols: cols, width: w, height: h, top: top0, style: style,
                              decorations: Array(repeating: Decorations(left: w * 0.06 / Double(cols), right: w * 0.06 / Double(cols),
                                                                        top: h * 0.06 / Double(rows), bottom: h * 0.06 / Double(rows)),
                                                 count: figure.axes.count))
        for _ in 0..<2 {
            let decos = figure.axes.indices.map { i in
                decorations(figure.axes[i], geometry(figure.axes[i], box: boxes[i], style: style), style)
            }
            boxes = cellBoxes(rows: rows, cols: cols, width: w, height: h, top: top0, style: style, decorations: decos)
        }
        for (i, axes) in figure.axes.enumerated() { axes.geometry = geometry(axes, box: boxes[i], style: style) }
    }

    /// Boxes for a grid given each axes' decoration sizes (row-major order).
    static func cellBoxes(rows: Int, cols: Int, width: Double, height: Double, top: Double, style: Style,
                          decorations: [Decorations]) -> [PixelRect] {
        func deco(_ r: Int, _ c: Int) -> Decorations {
            let i = r * cols + c
            return i < decorations.count ? decorations[i] : Decorations()
        }
        let left = (0..<cols).map { c in (0..<rows).map { deco($0, c).left }.max()! }
        let right = (0..<cols).map { c in (0..<rows).map { deco($0, c).right }.max()! }
        let tops = (0..<rows).map { r in (0..<cols).map { deco(r, $0).top }.max()! }
        let bottoms = (0..<rows).map { r in (0..<cols).map { deco(r, $0).bottom }.max()! }
        let pad = style.figurePad, gap = style.axesGap
        let colW = max((width - 2 * pad - left.reduce(0, +) - right.reduce(0, +) - Double(cols - 1) * gap) / Double(cols), 10)
        let rowH = max((height - top - pad - tops.reduce(0, +) - bottoms.reduce(0, +) - Double(rows - 1) * gap) / Double(rows), 10)
        var boxes: [PixelRect] = []
        var y = top
        for r in 0..<rows {
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
        let yt = AxisTransform(lo: ylo, hi: yhi, scale: axes.yScale, p0: Double(box.y1), p1: Double(box.y0))
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
        if let title = axes.title { d.top = max(d.top, style.titlePad + font.measure(RichText(title), style.titleFont).height) }
        if let cb = g.colorbar {
            let labels = cb.ticks.map { font.measure($0.label, style.tickFont).width }.max() ?? 0
            d.right = max(d.right, style.colorbarPad + style.colorbarWidth + tickSpace + labels)
        }
        return d
    }
}
