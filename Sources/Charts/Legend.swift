import Foundation

/// Where a legend goes inside the axes (matplotlib's `loc`).
public enum LegendLocation: Sendable, CaseIterable {
    /// Where it hides the fewest data points, trying the other locations in matplotlib's order.
    case best
    case upperRight, upperLeft, lowerLeft, lowerRight, right, centerLeft, centerRight
    case lowerCenter, upperCenter, center
}

/// One row of a legend: a small sample of the series' look and its label.
struct LegendEntry {
    enum Handle {
        case line(color: Color, widthPx: Double, dash: [Double]?, marker: Marker, markerPx: Double, drawsLine: Bool)
        case patch(color: Color, edge: Color?)
        case marker(color: Color, marker: Marker, sizePx: Double)
    }
    var handle: Handle
    var label: String
}

/// Legend layout and placement, sized in multiples of the font size like matplotlib's.
struct Legend {
    let entries: [LegendEntry]
    let style: TextStyle
    var em: Double { style.sizePx }
    var rowHeight: Double { em * 1.17 }   // DejaVu's ascent + descent at this size

    static let borderPad = 0.4, labelSpacing = 0.5, handleLength = 2.0, handleTextPad = 0.8, axesPad = 0.5

    init?(axes: Axes, dpi: Double) {
        let px = dpi / 72
        var list: [LegendEntry] = []
        for artist in axes.artists {
            guard let label = artist.label, !label.isEmpty, !label.hasPrefix("_") else { continue }
            switch artist {
            case .line(let a):
                list.append(LegendEntry(handle: .line(color: a.color, widthPx: a.lineWidth * px,
                                                      dash: a.lineStyle.pattern(lineWidthPx: a.lineWidth * px),
                                                      marker: a.marker, markerPx: a.markerSize * px,
                                                      drawsLine: a.drawsLine), label: label))
            case .referenceLine(let a):
                list.append(LegendEntry(handle: .line(color: a.color, widthPx: a.lineWidth * px,
                                                      dash: a.lineStyle.pattern(lineWidthPx: a.lineWidth * px),
                                                      marker: .none, markerPx: 0, drawsLine: true), label: label))
            case .bars(let a):
                list.append(LegendEntry(handle: .patch(color: a.color, edge: a.edgeColor), label: label))
            case .scatter(let a):
                list.append(LegendEntry(handle: .marker(color: a.colors.first ?? .black, marker: a.marker,
                                                        sizePx: a.size.squareRoot() * px), label: label))
            case .text, .image: continue
            }
        }
        guard !list.isEmpty else { return nil }
        entries = list
        style = TextStyle(sizePx: 10 * px)
    }

    /// The legend box size in pixels.
    var size: (width: Double, height: Double) {
        let textWidth = entries.map { FontRenderer.shared.measure(RichText($0.label), style).width }.max() ?? 0
        let w = (2 * Self.borderPad + Self.handleLength + Self.handleTextPad) * em + textWidth
        let n = Double(entries.count)
        let h = 2 * Self.borderPad * em + n * rowHeight + (n - 1) * Self.labelSpacing * em
        return (w.rounded(.up), h.rounded(.up))
    }

    /// The legend's rectangle for a location inside the axes box.
    func frame(_ location: LegendLocation, in box: PixelRect) -> (x: Double, y: Double, w: Double, h: Double) {
        let (w, h) = size
        let pad = Self.axesPad * em
        let left = Double(box.x0) + pad, right = Double(box.x1) - pad - w, midX = Double(box.x0 + box.x1) / 2 - w / 2
        let top = Double(box.y0) + pad, bottom = Double(box.y1) - pad - h, midY = Double(box.y0 + box.y1) / 2 - h / 2
        switch location {
        case .best, .upperRight: return (right, top, w, h)
        case .upperLeft: return (left, top, w, h)
        case .lowerLeft: return (left, bottom, w, h)
        case .lowerRight: return (right, bottom, w, h)
        case .right, .centerRight: return (right, midY, w, h)
        case .centerLeft: return (left, midY, w, h)
        case .lowerCenter: return (midX, bottom, w, h)
        case .upperCenter: return (midX, top, w, h)
        case .center: return (midX, midY, w, h)
        }
    }

    /// For `.best`: the candidate covering the fewest data samples (points along lines every
    /// couple of pixels, markers, bar area); ties go to the earlier candidate, as in matplotlib.
    func bestLocation(in box: PixelRect, samples: [Point], barRects: [(Double, Double, Double, Double)]) -> LegendLocation {
        var best = LegendLocation.upperRight, bestScore = Double.infinity
        for loc in LegendLocation.allCases where loc != .best {
            let score = Legend.overlap(frame(loc, in: box), samples: samples, barRects: barRects)
            if score < bestScore - 1e-9 { best = loc; bestScore = score }
        }
        return best
    }

    func draw(on canvas: Canvas, at f: (x: Double, y: Double, w: Double, h: Double)) {
        let x0 = f.x.rounded(), y0 = f.y.rounded()
        let frame = PixelRect(x0: Int(x0), y0: Int(y0), x1: Int(x0 + f.w), y1: Int(y0 + f.h))
        canvas.fillPixels(frame, Color.white.withAlpha(0.8))
        let edge = Color(hex: "#cccccc")!
        canvas.fillPixels(PixelRect(x0: frame.x0, y0: frame.y0, x1: frame.x1, y1: frame.y0 + 1), edge)
        canvas.fillPixels(PixelRect(x0: frame.x0, y0: frame.y1 - 1, x1: frame.x1, y1: frame.y1), edge)
        canvas.fillPixels(PixelRect(x0: frame.x0, y0: frame.y0 + 1, x1: frame.x0 + 1, y1: frame.y1 - 1), edge)
        canvas.fillPixels(PixelRect(x0: frame.x1 - 1, y0: frame.y0 + 1, x1: frame.x1, y1: frame.y1 - 1), edge)
        var rowTop = y0 + Self.borderPad * em
        let hx0 = x0 + Self.borderPad * em, hx1 = hx0 + Self.handleLength * em
        for entry in entries {
            let cy = rowTop + rowHeight / 2
            drawHandle(entry.handle, on: canvas, from: hx0, to: hx1, centerY: cy)
            canvas.drawText(RichText(entry.label), at: Point(hx1 + Self.handleTextPad * em, cy), style: style, v: .center)
            rowTop += rowHeight + Self.labelSpacing * em
        }
    }

    private func drawHandle(_ h: LegendEntry.Handle, on canvas: Canvas, from x0: Double, to x1: Double, centerY cy: Double) {
        switch h {
        case let .line(color, width, dash, marker, markerPx, drawsLine):
            if drawsLine { canvas.strokeLine(Point(x0, cy), Point(x1, cy), width: width, color: color, dash: dash) }
            canvas.drawMarker(marker, at: Point((x0 + x1) / 2, cy), size: markerPx, color: color)
        case let .patch(color, edge):
            let hh = 0.7 * em
            canvas.fillRect(x0: x0, y0: cy - hh / 2, x1: x1, y1: cy + hh / 2, color)
            if let edge { canvas.strokePolyline([Point(x0, cy - hh / 2), Point(x1, cy - hh / 2), Point(x1, cy + hh / 2),
                                                 Point(x0, cy + hh / 2), Point(x0, cy - hh / 2)], width: 1, color: edge) }
        case let .marker(color, marker, size):
            canvas.drawMarker(marker, at: Point((x0 + x1) / 2, cy), size: min(size, em), color: color)
        }
    }
}
