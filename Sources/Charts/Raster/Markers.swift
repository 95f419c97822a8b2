import Foundation

/// Marker shapes for `plot` and `scatter` (matplotlib's "o", "s", "^", "v", "D", "x", "+").
public enum Marker: Sendable {
    case none, circle, square, triangleUp, triangleDown, diamond, cross, plus
}

extension Canvas {
    /// Draws a filled marker of the given diameter (px) centred at `p`.
    ///
    /// Filled shapes are rasterised from a signed "inside" distance, clamped to one pixel of
    /// falloff, so markers are anti-aliased without supersampling.
    func drawMarker(_ marker: Marker, at p: Point, size: Double, color: Color) {
        let r = size / 2
        switch marker {
        case .none: return
        case .cross, .plus:
            let d = marker == .plus ? r : r * 0.8
            var mask = CoverageMask(covering: [p], margin: r + 2, bounds: clip)
            let w = max(1, size / 6)
            if marker == .plus {
                mask.addSegment(Point(p.x - d, p.y), Point(p.x + d, p.y), width: w)
                mask.addSegment(Point(p.x, p.y - d), Point(p.x, p.y + d), width: w)
            } else {
                mask.addSegment(Point(p.x - d, p.y - d), Point(p.x + d, p.y + d), width: w)
                mask.addSegment(Point(p.x - d, p.y + d), Point(p.x + d, p.y - d), width: w)
            }
            composite(mask, color)
            return
        default: break
        }
        var mask = CoverageMask(covering: [p], margin: r + 2, bounds: clip)
        for my in 0..<mask.height {
            for mx in 0..<mask.width {
                let dx = Double(mask.originX + mx) + 0.5 - p.x
                let dy = Double(mask.originY + my) + 0.5 - p.y
                let inside = Self.insideDistance(marker, dx: dx, dy: dy, r: r)
                let c = Float(min(max(inside + 0.5, 0), 1))
                if c > 0 { mask.values[my * mask.width + mx] = c }
            }
        }
        composite(mask, color)
    }

    /// Approximately how far (px) a point is inside the shape; negative outside.
    private static func insideDistance(_ m: Marker, dx: Double, dy: Double, r: Double) -> Double {
        switch m {
        case .circle: return r - (dx * dx + dy * dy).squareRoot()
        case .square: return r * 0.89 - max(abs(dx), abs(dy))   // same area as the circle
        case .diamond: return (r - (abs(dx) + abs(dy))) / 2.0.squareRoot()
        case .triangleUp, .triangleDown:
            let y = m == .triangleUp ? dy : -dy
            // matplotlib's "^": apex at the top, base as wide as the marker, so it looks as big as
            // a circle. Edges: the base (y = r) and two sides with outward normals (±2, -1)/√5.
            return min(r - y, (r - 2 * abs(dx) + y) / 5.0.squareRoot())
        default: return -1
        }
    }
}
