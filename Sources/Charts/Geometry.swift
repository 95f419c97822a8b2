import Foundation

/// Maps data values on one axis to pixel coordinates.
///
/// `p0` is the pixel of `lo` and `p1` the pixel of `hi`; for a y axis p0 > p1 because pixel
/// rows grow downwards (and for an image the y axis is flipped so row 0 is at the top).
struct AxisTransform: Equatable {
    var lo: Double, hi: Double
    var scale: Scale
    var p0: Double, p1: Double

    /// The scale-space coordinate: log10 for a log axis (non-positive values have none).
    func scaled(_ v: Double) -> Double? {
        switch scale {
        case .linear: return v
        case .log: return v > 0 ? log10(v) : nil
        }
    }

    /// The pixel coordinate of a data value, or nil for values a log axis cannot show.
    func pixel(_ v: Double) -> Double? {
        guard let s = scaled(v), let a = scaled(lo), let b = scaled(hi), b != a else { return nil }
        return p0 + (s - a) / (b - a) * (p1 - p0)
    }

    /// Like `pixel`, but non-positive values on a log axis go far past the low end, which is
    /// what a bar from 0 should do: run off the bottom of the axes and be clipped there.
    func pixelClamped(_ v: Double) -> Double {
        if let p = pixel(v) { return p }
        return p0 + (p0 - p1) * 10
    }

    /// The data value at a pixel coordinate (the inverse of `pixel`).
    func value(atPixel p: Double) -> Double {
        let a = scaled(lo) ?? 0, b = scaled(hi) ?? 1
        let s = a + (p - p0) / (p1 - p0) * (b - a)
        return scale == .log ? pow(10, s) : s
    }

    func contains(_ v: Double) -> Bool {
        let (a, b) = (min(lo, hi), max(lo, hi))
        let tol = (b - a) * 1e-9
        return v >= a - tol && v <= b + tol
    }
}

/// Everything the layout decides for one axes: where it is and what its ticks are.
struct AxesGeometry {
    /// The plot area; spines are drawn just outside it.
    var box: PixelRect
    var x: AxisTransform
    var y: AxisTransform
    var xTicks: [Tick], xMinor: [Double]
    var yTicks: [Tick], yMinor: [Double]
    /// The colour scale next to an image, if any, with its ticks.
    var colorbar: (box: PixelRect, ticks: [Tick], transform: AxisTransform)?
    /// The title as it fits above the box: one or two lines, possibly smaller than 12 pt.
    var title: FittedTitle?

    /// The pixel for a data point (for tests and artists).
    func pixel(x vx: Double, y vy: Double) -> Point? {
        guard let px = x.pixel(vx), let py = y.pixel(vy) else { return nil }
        return Point(px, py)
    }
}

extension PixelRect {
    var width: Int { x1 - x0 }
    var height: Int { y1 - y0 }
    func contains(_ p: Point) -> Bool {
        p.x >= Double(x0) && p.x <= Double(x1) && p.y >= Double(y0) && p.y <= Double(y1)
    }
}
