import Foundation

/// Automatic axis limits, as matplotlib's autoscale: the data range plus a 5% margin on each
/// side, except at "sticky" edges (the 0 at the foot of bars, an image's border) where the
/// margin would only show empty space.
extension Axes {
    struct DataRange {
        var lo = Double.infinity, hi = -Double.infinity
        var sticky: [Double] = []

        mutating func include(_ v: Double, scale: Scale) {
            guard v.isFinite, scale == .linear || v > 0 else { return }
            lo = Swift.min(lo, v); hi = Swift.max(hi, v)
        }
        var isEmpty: Bool { lo > hi }
    }

    /// The x (or y) range the data asks for, before margins.
    func dataRange(vertical: Bool) -> DataRange {
        let scale = vertical ? yScale : xScale
        var r = DataRange()
        for artist in artists {
            switch artist {
            case .line(let a):
                for v in vertical ? a.y : a.x { r.include(v, scale: scale) }
            case .scatter(let a):
                for v in vertical ? a.y : a.x { r.include(v, scale: scale) }
            case .bars(let a):
                for i in a.x.indices {
                    if vertical {
                        r.include(a.bottoms[i] + a.heights[i], scale: scale)
                        r.include(a.bottoms[i], scale: scale)
                        if scale == .linear { r.sticky.append(a.bottoms[i]) }
                    } else {
                        r.include(a.x[i] - a.width / 2, scale: scale)
                        r.include(a.x[i] + a.width / 2, scale: scale)
                    }
                }
            case .referenceLine(let a):
                // axhline is a y value, axvline an x value; like matplotlib's, it widens
                // automatic limits so the line it names in a legend is always drawn.
                if a.vertical == vertical { continue }
                r.include(a.value, scale: scale)
            case .image(let a):
                let n = Double(vertical ? a.rows : a.cols)
                r.include(-0.5, scale: scale); r.include(n - 0.5, scale: scale)
                r.sticky += [-0.5, n - 0.5]
            case .text:
                continue
            }
        }
        return r
    }

    /// Final limits: data range, margins, sticky edges, then the user's `setXLim`/`setYLim`.
    func limits(vertical: Bool) -> (lo: Double, hi: Double) {
        let scale = vertical ? yScale : xScale
        let user = vertical ? yLimits : xLimits
        let r = dataRange(vertical: vertical)
        var (lo, hi) = r.isEmpty ? (scale == .log ? (1.0, 10.0) : (0.0, 1.0)) : (r.lo, r.hi)
        let f: (Double) -> Double = scale == .log ? { log10($0) } : { $0 }
        let g: (Double) -> Double = scale == .log ? { pow(10, $0) } : { $0 }
        var (a, b) = (f(lo), f(hi))
        if b - a < 1e-12 * Swift.max(abs(a), 1) {
            // A single value: centre it in a unit (or one-decade) window.
            (a, b) = (a - 0.5, b + 0.5)
        } else {
            let m = (b - a) * 0.05
            let stickyLo = r.sticky.contains { abs($0 - lo) < 1e-12 }
            let stickyHi = r.sticky.contains { abs($0 - hi) < 1e-12 }
            if !stickyLo { a -= m }
            if !stickyHi { b += m }
        }
        (lo, hi) = (g(a), g(b))
        if let u = user.lo, scale == .linear || u > 0 { lo = u }
        if let u = user.hi, scale == .linear || u > 0 { hi = u }
        if hi == lo { hi = lo + 1 }
        return (lo, hi)
    }

    /// True when the axes shows an image: square cells and the y axis pointing down.
    var hasImage: Bool {
        artists.contains { if case .image = $0 { return true } else { return false } }
    }

    var image: ImageArtist? {
        for a in artists { if case .image(let i) = a { return i } }
        return nil
    }
}
