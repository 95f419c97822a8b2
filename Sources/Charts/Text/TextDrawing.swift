extension CoverageMask {
    /// The mask turned 90° counter-clockwise about the origin (for y-axis labels), so text
    /// reads bottom-to-top. A pixel at (x, y) moves to (y, -x - 1).
    func rotatedCounterClockwise() -> CoverageMask {
        var out = CoverageMask(originX: originY, originY: -(originX + width),
                               width: height, height: width)
        for my in 0..<height {
            for mx in 0..<width {
                let v = values[my * width + mx]
                guard v > 0 else { continue }
                out.values[(width - 1 - mx) * out.width + my] = v
            }
        }
        return out
    }

    /// The same mask moved by whole pixels.
    func offset(by dx: Int, _ dy: Int) -> CoverageMask {
        var m = CoverageMask(originX: originX + dx, originY: originY + dy, width: width, height: height)
        m.values = values
        return m
    }
}

extension Canvas {
    /// Draws a label anchored at `point`. With `rotated`, the label reads bottom-to-top and the
    /// alignments refer to the rotated box (h along x, v along y of the canvas).
    @discardableResult
    func drawText(_ text: RichText, at point: Point, style: TextStyle,
                  h: HorizontalAlignment = .left, v: VerticalAlignment = .baseline, rotated: Bool = false) -> TextExtent {
        let renderer = FontRenderer.shared
        guard !text.isEmpty else { return TextExtent(width: 0, ascent: 0, descent: 0) }
        let (mask, e) = renderer.rasterize(text, style)
        guard renderer.hasFont else { return e }
        if !rotated {
            let dx: Double = h == .left ? 0 : h == .center ? -e.width / 2 : -e.width
            let dy: Double
            switch v {
            case .top: dy = e.ascent
            case .center: dy = (e.ascent - e.descent) / 2
            case .baseline: dy = 0
            case .bottom: dy = -e.descent
            }
            composite(mask.offset(by: Int((point.x + dx).rounded()), Int((point.y + dy).rounded())), style.color)
        } else {
            // After rotation the baseline is a vertical line at x = 0 running upward from y = 0.
            let dx: Double
            switch h {
            case .left: dx = e.ascent
            case .center: dx = (e.ascent - e.descent) / 2
            case .right: dx = -e.descent
            }
            let dy: Double = v == .top ? e.width : v == .center ? e.width / 2 : 0
            composite(mask.rotatedCounterClockwise().offset(by: Int((point.x + dx).rounded()),
                                                             Int((point.y + dy).rounded())), style.color)
        }
        return e
    }
}
