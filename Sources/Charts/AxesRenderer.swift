import Foundation

/// Draws one laid-out axes: data clipped to the box, then spines, ticks, labels, title,
/// legend and colorbar on top. The order follows matplotlib's default z-order: images and bars,
/// then the grid, then lines and markers.
struct AxesRenderer {
    let axes: Axes
    let style: Style
    let canvas: Canvas

    private var g: AxesGeometry { axes.geometry! }

    func draw() {
        guard axes.geometry != nil else { return }
        canvas.withClip(g.box) {
            for case .image(let a) in axes.artists { drawImage(a) }
            for case .bars(let a) in axes.artists { drawBars(a) }
            drawGrid()
            for artist in axes.artists {
                switch artist {
                case .line(let a): drawLine(a)
                case .scatter(let a): drawScatter(a)
                case .referenceLine(let a): drawReferenceLine(a)
                default: continue
                }
            }
        }
        for case .image(let a) in axes.artists where a.annotationFormat != nil { drawAnnotations(a) }
        for case .text(let a) in axes.artists { drawText(a) }
        EndLabels.draw(axes, g, style, on: canvas)
        if axes.axisVisible { drawSpinesAndTicks() }
        drawLabels()
        drawLegend()
        if let cb = g.colorbar, let image = axes.image { drawColorbar(cb, image) }
    }

    // MARK: - Data

    private func drawLine(_ a: LineArtist) {
        let w = style.px(a.lineWidth)
        // Points a log axis cannot show split the line, as NaNs do in matplotlib.
        var runs: [[Point]] = [[]]
        for i in a.x.indices {
            if let p = g.pixel(x: a.x[i], y: a.y[i]), a.x[i].isFinite, a.y[i].isFinite { runs[runs.count - 1].append(p) }
            else if !runs[runs.count - 1].isEmpty { runs.append([]) }
        }
        if a.drawsLine {
            for run in runs where run.count > 1 {
                canvas.strokePolyline(run, width: w, color: a.color, dash: a.lineStyle.pattern(lineWidthPx: w))
            }
        }
        for p in runs.joined() { canvas.drawMarker(a.marker, at: p, size: style.px(a.markerSize), color: a.color) }
    }

    private func drawBars(_ a: BarArtist) {
        for i in a.x.indices where a.heights[i].isFinite {
            let x0 = g.x.pixelClamped(a.x[i] - a.width / 2), x1 = g.x.pixelClamped(a.x[i] + a.width / 2)
            let y0 = g.y.pixelClamped(a.bottoms[i]), y1 = g.y.pixelClamped(a.bottoms[i] + a.heights[i])
            canvas.fillRect(x0: x0, y0: y0, x1: x1, y1: y1, a.color)
            if let edge = a.edgeColor {
                let (l, r, t, b) = (min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1))
                canvas.strokePolyline([Point(l, b), Point(l, t), Point(r, t), Point(r, b)], width: 1, color: edge)
            }
        }
    }

    private func drawScatter(_ a: ScatterArtist) {
        let d = a.size.squareRoot() * style.dpi / 72
        for i in a.x.indices {
            guard let p = g.pixel(x: a.x[i], y: a.y[i]) else { continue }
            canvas.drawMarker(a.marker, at: p, size: d, color: a.colors[a.colors.count == 1 ? 0 : i])
        }
    }

    private func drawReferenceLine(_ a: ReferenceLineArtist) {
        let w = style.px(a.lineWidth)
        let dash = a.lineStyle.pattern(lineWidthPx: w)
        let b = g.box
        if a.vertical, let x = g.x.pixel(a.value) {
            canvas.strokeLine(Point(x, Double(b.y0)), Point(x, Double(b.y1)), width: w, color: a.color, dash: dash)
        } else if !a.vertical, let y = g.y.pixel(a.value) {
            canvas.strokeLine(Point(Double(b.x0), y), Point(Double(b.x1), y), width: w, color: a.color, dash: dash)
        }
    }

    /// Nearest-neighbour sampling at each pixel centre: drawing cells as separate rectangles
    /// would leave faint seams where anti-aliased edges of neighbouring cells meet.
    private func drawImage(_ a: ImageArtist) {
        let span = a.vmax - a.vmin
        let colors = a.values.map { row in row.map { a.colormap.color(at: ($0 - a.vmin) / span) } }
        let clip = canvas.clip
        for py in clip.y0..<clip.y1 {
            let r = Int((g.y.value(atPixel: Double(py) + 0.5) + 0.5).rounded(.down))
            guard r >= 0, r < colors.count else { continue }
            for px in clip.x0..<clip.x1 {
                let c = Int((g.x.value(atPixel: Double(px) + 0.5) + 0.5).rounded(.down))
                guard c >= 0, c < colors[r].count else { continue }
                canvas.blend(px, py, colors[r][c], coverage: 1)
            }
        }
    }

    /// Cell values in black or white, whichever reads better on the cell's colour.
    private func drawAnnotations(_ a: ImageArtist) {
        guard let format = a.annotationFormat else { return }
        let cellPx = abs(g.x.pixelClamped(1) - g.x.pixelClamped(0))
        let size = min(style.px(10), cellPx * 0.4)
        for (r, row) in a.values.enumerated() {
            for (c, v) in row.enumerated() {
                guard let p = g.pixel(x: Double(c), y: Double(r)) else { continue }
                let cell = a.colormap.color(at: (v - a.vmin) / (a.vmax - a.vmin))
                let color: Color = cell.luminance < 0.5 ? .white : .black
                canvas.drawText(RichText(String(format: format, v)), at: p,
                                style: TextStyle(sizePx: size, color: color), h: .center, v: .center)
            }
        }
    }

    private func drawText(_ a: TextArtist) {
        guard let p = g.pixel(x: a.x, y: a.y) else { return }
        canvas.drawText(RichText(a.text), at: p,
                        style: TextStyle(sizePx: style.px(a.fontSize), weight: a.bold ? .bold : .regular, color: a.color),
                        h: a.horizontal, v: a.vertical)
    }

    private func drawGrid() {
        guard let which = axes.gridAxis else { return }
        let gs = axes.gridStyle
        let w = style.px(gs.lineWidth)
        let dash = gs.lineStyle.pattern(lineWidthPx: w)
        let b = g.box
        // Solid grid lines are snapped to whole pixels so they stay sharp.
        func snap(_ v: Double) -> Double { dash == nil && w < 1.5 ? v.rounded(.down) + 0.5 : v }
        if which != .y {
            for t in g.xTicks { if let x = g.x.pixel(t.value) {
                canvas.strokeLine(Point(snap(x), Double(b.y0)), Point(snap(x), Double(b.y1)), width: w, color: gs.color, dash: dash) } }
        }
        if which != .x {
            for t in g.yTicks { if let y = g.y.pixel(t.value) {
                canvas.strokeLine(Point(Double(b.x0), snap(y)), Point(Double(b.x1), snap(y)), width: w, color: gs.color, dash: dash) } }
        }
    }

    // MARK: - Frame

    private func drawSpinesAndTicks() {
        let b = g.box, s = style.spineWidth
        let black = Color.black
        canvas.fillPixels(PixelRect(x0: b.x0 - s, y0: b.y0 - s, x1: b.x1 + s, y1: b.y0), black)   // top
        canvas.fillPixels(PixelRect(x0: b.x0 - s, y0: b.y1, x1: b.x1 + s, y1: b.y1 + s), black)   // bottom
        canvas.fillPixels(PixelRect(x0: b.x0 - s, y0: b.y0, x1: b.x0, y1: b.y1), black)           // left
        canvas.fillPixels(PixelRect(x0: b.x1, y0: b.y0, x1: b.x1 + s, y1: b.y1), black)           // right
        let major = Int(style.majorTickLength.rounded()), minor = Int(style.minorTickLength.rounded())
        for t in g.xTicks { if let x = g.x.pixel(t.value) { xTick(x, major) } }
        for v in g.xMinor { if let x = g.x.pixel(v) { xTick(x, minor) } }
        for t in g.yTicks { if let y = g.y.pixel(t.value) { yTick(y, major) } }
        for v in g.yMinor { if let y = g.y.pixel(v) { yTick(y, minor) } }
        let labelTop = Double(b.y1 + s) + style.majorTickLength + style.tickPad
        for t in g.xTicks {
            guard let x = g.x.pixel(t.value) else { continue }
            canvas.drawText(t.label, at: Point(x, labelTop), style: style.tickFont, h: .center, v: .top)
        }
        let labelRight = Double(b.x0 - s) - style.majorTickLength - style.tickPad
        for t in g.yTicks {
            guard let y = g.y.pixel(t.value) else { continue }
            canvas.drawText(t.label, at: Point(labelRight, y), style: style.tickFont, h: .right, v: .center)
        }
    }

    /// Ticks point outwards and are whole pixels, centred on the pixel containing the value.
    private func xTick(_ x: Double, _ length: Int) {
        let s = style.spineWidth, col = Int(x.rounded(.down)) - (s - 1) / 2
        canvas.fillPixels(PixelRect(x0: col, y0: g.box.y1 + s, x1: col + s, y1: g.box.y1 + s + length), .black)
    }

    private func yTick(_ y: Double, _ length: Int) {
        let s = style.spineWidth, row = Int(y.rounded(.down)) - (s - 1) / 2
        canvas.fillPixels(PixelRect(x0: g.box.x0 - s - length, y0: row, x1: g.box.x0 - s, y1: row + s), .black)
    }

    /// Axis labels sit outside this axes' own tick labels; the title sits above the box.
    private func drawLabels() {
        let font = FontRenderer.shared
        let b = g.box
        let tickSpace = axes.axisVisible ? style.majorTickLength + style.tickPad + Double(style.spineWidth) : 0
        if let label = axes.xLabel {
            let h = axes.axisVisible ? (g.xTicks.map { font.measure($0.label, style.tickFont).height }.max() ?? 0) : 0
            canvas.drawText(RichText(label), at: Point(Double(b.x0 + b.x1) / 2, Double(b.y1) + tickSpace + h + style.labelPad),
                            style: style.labelFont, h: .center, v: .top)
        }
        if let label = axes.yLabel {
            let w = axes.axisVisible ? (g.yTicks.map { font.measure($0.label, style.tickFont).width }.max() ?? 0) : 0
            canvas.drawText(RichText(label), at: Point(Double(b.x0) - tickSpace - w - style.labelPad, Double(b.y0 + b.y1) / 2),
                            style: style.labelFont, h: .right, v: .center, rotated: true)
        }
        if let title = g.title {
            // Fitted by the layout: the last line sits just above the box, earlier ones above it.
            let titleStyle = TextStyle(sizePx: title.sizePx)
            let lineHeight = font.measure(RichText(title.lines[0]), titleStyle).height
            for (k, line) in title.lines.reversed().enumerated() {
                canvas.drawText(RichText(line), at: Point(Double(b.x0 + b.x1) / 2, Double(b.y0) - style.titlePad - Double(k) * lineHeight),
                                style: titleStyle, h: .center, v: .bottom)
            }
        }
    }

    private func drawLegend() {
        guard let location = axes.legendLocation, let legend = Legend(axes: axes, dpi: style.dpi) else { return }
        var loc = location
        if loc == .best {
            let (samples, rects) = obstacles()
            loc = legend.bestLocation(in: g.box, samples: samples, barRects: rects)
        }
        legend.draw(on: canvas, at: legend.frame(loc, in: g.box))
    }

    /// What a legend should avoid: points every ~2 px along lines, markers, and bar rectangles.
    func obstacles() -> ([Point], [(Double, Double, Double, Double)]) { axes.legendObstacles(in: g) }

    private func drawColorbar(_ cb: (box: PixelRect, ticks: [Tick], transform: AxisTransform), _ image: ImageArtist) {
        let b = cb.box
        for y in b.y0..<b.y1 {
            let t = (Double(b.y1) - Double(y) - 0.5) / Double(b.height)
            canvas.fillPixels(PixelRect(x0: b.x0, y0: y, x1: b.x1, y1: y + 1), image.colormap.color(at: t))
        }
        let s = style.spineWidth
        canvas.fillPixels(PixelRect(x0: b.x0 - s, y0: b.y0 - s, x1: b.x1 + s, y1: b.y0), .black)
        canvas.fillPixels(PixelRect(x0: b.x0 - s, y0: b.y1, x1: b.x1 + s, y1: b.y1 + s), .black)
        canvas.fillPixels(PixelRect(x0: b.x0 - s, y0: b.y0, x1: b.x0, y1: b.y1), .black)
        canvas.fillPixels(PixelRect(x0: b.x1, y0: b.y0, x1: b.x1 + s, y1: b.y1), .black)
        let length = Int(style.majorTickLength.rounded())
        for t in cb.ticks {
            guard let y = cb.transform.pixel(t.value) else { continue }
            let row = Int(y.rounded(.down))
            canvas.fillPixels(PixelRect(x0: b.x1 + s, y0: row, x1: b.x1 + s + length, y1: row + s), .black)
            canvas.drawText(t.label, at: Point(Double(b.x1 + s) + style.majorTickLength + style.tickPad, y),
                            style: style.tickFont, h: .left, v: .center)
        }
    }
}
