import Foundation

extension Axes {
    /// What a legend should avoid, in pixels: points every ~2 px along lines and reference
    /// lines, markers, and bar rectangles.
    func legendObstacles(in g: AxesGeometry) -> ([Point], [(Double, Double, Double, Double)]) {
        var samples: [Point] = [], rects: [(Double, Double, Double, Double)] = []
        for artist in artists {
            switch artist {
            case .line(let a):
                let pts = a.x.indices.compactMap { g.pixel(x: a.x[$0], y: a.y[$0]) }
                samples += pts
                for (p, q) in zip(pts, pts.dropFirst()) {
                    let n = Int(hypot(q.x - p.x, q.y - p.y) / 2)
                    if n > 1 { for k in 1..<n { let f = Double(k) / Double(n); samples.append(Point(p.x + (q.x - p.x) * f, p.y + (q.y - p.y) * f)) } }
                }
            case .scatter(let a):
                samples += a.x.indices.compactMap { g.pixel(x: a.x[$0], y: a.y[$0]) }
            case .bars(let a):
                for i in a.x.indices where a.heights[i].isFinite {
                    let x0 = g.x.pixelClamped(a.x[i] - a.width / 2), x1 = g.x.pixelClamped(a.x[i] + a.width / 2)
                    let y0 = g.y.pixelClamped(a.bottoms[i]), y1 = g.y.pixelClamped(a.bottoms[i] + a.heights[i])
                    rects.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
                }
            case .referenceLine(let a):
                let b = g.box
                if a.vertical, let x = g.x.pixel(a.value) {
                    samples += stride(from: Double(b.y0), through: Double(b.y1), by: 2).map { Point(x, $0) }
                } else if !a.vertical, let y = g.y.pixel(a.value) {
                    samples += stride(from: Double(b.x0), through: Double(b.x1), by: 2).map { Point($0, y) }
                }
            case .text, .image: continue
            }
        }
        return (samples, rects)
    }
}

extension Legend {
    /// How much of the data a legend frame hides: one per covered sample, and a bar's covered
    /// area in units of 16 px² (so a 4 x 4 px corner of a bar weighs as much as one sample).
    static func overlap(_ f: (x: Double, y: Double, w: Double, h: Double), samples: [Point],
                        barRects: [(Double, Double, Double, Double)]) -> Double {
        var score = 0.0
        for p in samples where p.x >= f.x && p.x <= f.x + f.w && p.y >= f.y && p.y <= f.y + f.h { score += 1 }
        for r in barRects {
            let ox = max(0, min(r.2, f.x + f.w) - max(r.0, f.x)), oy = max(0, min(r.3, f.y + f.h) - max(r.1, f.y))
            score += ox * oy / 16
        }
        return score
    }

    /// When every place hides some data and the top of the y axis is automatic: the smallest
    /// raise of the y axis's top (as a factor on its span in scale space, e.g. 1.3 for 30% more)
    /// that frees an upper corner (or the upper centre) for the legend, the way one would make
    /// room by hand with `set_ylim`. Nil when a free place exists already, or when making room
    /// would take more than `maxGrowth` (then `.best` settles for the least-covered place).
    func headroom(in box: PixelRect, samples: [Point], barRects: [(Double, Double, Double, Double)],
                  maxGrowth: Double = 1.6) -> Double? {
        let candidates = LegendLocation.allCases.filter { $0 != .best }
        if candidates.contains(where: { Legend.overlap(frame($0, in: box), samples: samples, barRects: barRects) == 0 }) {
            return nil
        }
        let height = Double(box.y1 - box.y0), gap = Self.axesPad * em
        var best: Double?
        for location in [LegendLocation.upperRight, .upperLeft, .upperCenter] {
            let f = frame(location, in: box)
            // The highest data (smallest pixel row) under the legend's columns.
            var top = Double(box.y1)
            for p in samples where p.x >= f.x && p.x <= f.x + f.w { top = min(top, p.y) }
            for r in barRects where r.2 > f.x && r.0 < f.x + f.w { top = min(top, r.1) }
            let below = f.y + f.h + gap - Double(box.y0)       // the room the legend needs at the top
            guard height - below > 1 else { continue }
            // Data at `top` must move down to `box.y0 + below`, with the bottom of the axis fixed.
            let growth = (Double(box.y1) - top) / (height - below)
            if growth > 1, growth < (best ?? maxGrowth) { best = growth }
        }
        return best
    }
}
