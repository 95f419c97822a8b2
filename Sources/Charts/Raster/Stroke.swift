import Foundation

/// Anti-aliased thick polylines (optionally dashed) rasterised into coverage masks.
extension CoverageMask {
    /// Adds a segment of the given full `width`: a pixel's coverage falls off linearly over
    /// one pixel at the edge of the stroke, which is what makes lines look smooth.
    mutating func addSegment(_ a: Point, _ b: Point, width stroke: Double) {
        let r = max(stroke, 1) / 2
        let fade = Float(min(stroke, 1))   // hairlines: thinner than a pixel means fainter
        let dx = b.x - a.x, dy = b.y - a.y
        let len2 = dx * dx + dy * dy
        let yLo = max(Int((min(a.y, b.y) - r - 1).rounded(.down)), originY)
        let yHi = min(Int((max(a.y, b.y) + r + 1).rounded(.up)), originY + height - 1)
        guard yLo <= yHi else { return }
        for y in yLo...yHi {
            let cy = Double(y) + 0.5
            // Only the x-range where the segment passes near this row needs visiting.
            var (xa, xb) = (min(a.x, b.x), max(a.x, b.x))
            if abs(dy) > 1e-9 {
                let t0: Double = min(max((cy - r - 1 - a.y) / dy, 0), 1)
                let t1: Double = min(max((cy + r + 1 - a.y) / dy, 0), 1)
                let xt0: Double = a.x + dx * t0, xt1: Double = a.x + dx * t1
                xa = min(xt0, xt1); xb = max(xt0, xt1)
            }
            let xLo = max(Int((xa - r - 1).rounded(.down)), originX)
            let xHi = min(Int((xb + r + 1).rounded(.up)), originX + width - 1)
            guard xLo <= xHi else { continue }
            for x in xLo...xHi {
                let cx = Double(x) + 0.5
                var t = len2 > 0 ? ((cx - a.x) * dx + (cy - a.y) * dy) / len2 : 0
                t = min(max(t, 0), 1)
                let ex: Double = cx - (a.x + t * dx)
                let ey: Double = cy - (a.y + t * dy)
                let d: Double = (ex * ex + ey * ey).squareRoot()
                let c = Float(min(max(r + 0.5 - d, 0), 1)) * fade
                if c > 0 { raise(x, y, to: c) }
            }
        }
    }

    mutating func addPolyline(_ points: [Point], width stroke: Double) {
        guard points.count > 1 else { return }
        for i in 1..<points.count { addSegment(points[i - 1], points[i], width: stroke) }
    }
}

/// Splits a polyline into its "on" pieces for a dash pattern (alternating on/off lengths in px).
/// The phase carries across vertices so dashes flow around corners like matplotlib's.
func dashPieces(_ points: [Point], pattern: [Double]) -> [[Point]] {
    guard pattern.count >= 2, pattern.allSatisfy({ $0 > 0 }), points.count > 1 else { return [points] }
    var pieces: [[Point]] = []
    var current: [Point] = [points[0]]
    var index = 0, remaining = pattern[0]
    var on = true
    for i in 1..<points.count {
        var a = points[i - 1]
        let b = points[i]
        var segLen = hypot(b.x - a.x, b.y - a.y)
        while segLen > 0 {
            let step = min(remaining, segLen)
            let f = step / segLen
            let p = Point(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f)
            if on { current.append(p) }
            segLen -= step; remaining -= step; a = p
            if remaining <= 1e-9 {
                if on { pieces.append(current); current = [] } else { current = [p] }
                on.toggle()
                index = (index + 1) % pattern.count
                remaining = pattern[index]
            }
        }
        if on && current.last != b { current.append(b) }
    }
    if on && current.count > 1 { pieces.append(current) }
    return pieces.filter { $0.count > 1 }
}

extension Canvas {
    /// Strokes a polyline with round joins and caps, optionally dashed.
    func strokePolyline(_ points: [Point], width: Double, color: Color, dash: [Double]? = nil) {
        guard points.count > 1 else { return }
        let pieces = dash.map { dashPieces(points, pattern: $0) } ?? [points]
        var mask = CoverageMask(covering: points, margin: width / 2 + 2, bounds: clip)
        guard mask.width > 0, mask.height > 0 else { return }
        for piece in pieces { mask.addPolyline(piece, width: width) }
        composite(mask, color)
    }

    /// Strokes one straight line.
    func strokeLine(_ a: Point, _ b: Point, width: Double, color: Color, dash: [Double]? = nil) {
        strokePolyline([a, b], width: width, color: color, dash: dash)
    }
}
