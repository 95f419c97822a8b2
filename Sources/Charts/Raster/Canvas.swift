/// An opaque RGB raster with anti-aliased drawing primitives.
///
/// Pixels are stored as `Float` in 0...1 so that repeated alpha blending does not accumulate
/// rounding error; they are quantised to 8 bits only when the PNG is written. Coordinates are
/// in pixels with y pointing down and (0, 0) at the top-left corner of the top-left pixel, so
/// the centre of pixel (i, j) is (i + 0.5, j + 0.5).
final class Canvas {
    let width: Int
    let height: Int
    /// Interleaved RGB, row-major, top row first.
    var pixels: [Float]
    /// Drawing outside this rectangle is discarded (used to keep data inside the axes box).
    var clip: PixelRect

    init(width: Int, height: Int, background: Color = .white) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: 0, count: width * height * 3)
        clip = PixelRect(x0: 0, y0: 0, x1: width, y1: height)
        for i in 0..<(width * height) {
            pixels[3 * i] = Float(background.red)
            pixels[3 * i + 1] = Float(background.green)
            pixels[3 * i + 2] = Float(background.blue)
        }
    }

    /// Runs `body` with drawing restricted to `rect` (intersected with the current clip).
    func withClip(_ rect: PixelRect, _ body: () -> Void) {
        let saved = clip
        clip = clip.intersection(rect)
        body()
        clip = saved
    }

    /// Blends `color` into one pixel with the given coverage (0...1); ignores clipped pixels.
    @inline(__always)
    func blend(_ x: Int, _ y: Int, _ color: Color, coverage: Double) {
        guard x >= clip.x0, x < clip.x1, y >= clip.y0, y < clip.y1 else { return }
        let a = Float(color.alpha * coverage)
        guard a > 0 else { return }
        let i = (y * width + x) * 3
        pixels[i] += (Float(color.red) - pixels[i]) * a
        pixels[i + 1] += (Float(color.green) - pixels[i + 1]) * a
        pixels[i + 2] += (Float(color.blue) - pixels[i + 2]) * a
    }

    /// The colour of a pixel (for tests and for choosing contrasting text).
    func color(atX x: Int, y: Int) -> Color {
        let i = (y * width + x) * 3
        return Color(red: Double(pixels[i]), green: Double(pixels[i + 1]), blue: Double(pixels[i + 2]))
    }

    /// Fills whole pixels: used for spines and ticks so that they stay crisp 1-pixel lines.
    func fillPixels(_ rect: PixelRect, _ color: Color) {
        let r = rect.intersection(clip)
        guard r.x0 < r.x1, r.y0 < r.y1 else { return }
        for y in r.y0..<r.y1 { for x in r.x0..<r.x1 { blend(x, y, color, coverage: 1) } }
    }

    /// Fills a rectangle with fractional edges: edge pixels get partial coverage, so bars of
    /// non-integer width look smooth instead of jittering by a pixel.
    func fillRect(x0: Double, y0: Double, x1: Double, y1: Double, _ color: Color) {
        let (left, right) = (min(x0, x1), max(x0, x1))
        let (top, bottom) = (min(y0, y1), max(y0, y1))
        let px0 = max(Int(left.rounded(.down)), clip.x0), px1 = min(Int(right.rounded(.up)), clip.x1)
        let py0 = max(Int(top.rounded(.down)), clip.y0), py1 = min(Int(bottom.rounded(.up)), clip.y1)
        guard px0 < px1, py0 < py1 else { return }
        for y in py0..<py1 {
            let cy = min(bottom, Double(y + 1)) - max(top, Double(y))
            for x in px0..<px1 {
                let cx = min(right, Double(x + 1)) - max(left, Double(x))
                blend(x, y, color, coverage: cx * cy)
            }
        }
    }

    /// Composites a coverage mask (values 0...1) whose top-left pixel is at (`ox`, `oy`).
    func composite(_ mask: CoverageMask, _ color: Color) {
        for my in 0..<mask.height {
            let y = mask.originY + my
            guard y >= clip.y0, y < clip.y1 else { continue }
            for mx in 0..<mask.width {
                let c = mask.values[my * mask.width + mx]
                if c > 0 { blend(mask.originX + mx, y, color, coverage: Double(c)) }
            }
        }
    }
}

/// An integer pixel rectangle, half-open: x0..<x1, y0..<y1.
struct PixelRect: Equatable {
    var x0: Int, y0: Int, x1: Int, y1: Int

    func intersection(_ o: PixelRect) -> PixelRect {
        PixelRect(x0: max(x0, o.x0), y0: max(y0, o.y0), x1: min(x1, o.x1), y1: min(y1, o.y1))
    }
}

/// A rectangular patch of coverage values, the common currency of lines, markers and glyphs.
///
/// Shapes are first rasterised into a mask taking the *maximum* coverage, then composited once:
/// this keeps a semi-transparent polyline from looking darker where its segments overlap.
struct CoverageMask {
    let originX: Int, originY: Int, width: Int, height: Int
    var values: [Float]

    init(originX: Int, originY: Int, width: Int, height: Int) {
        self.originX = originX; self.originY = originY
        self.width = max(width, 0); self.height = max(height, 0)
        values = [Float](repeating: 0, count: self.width * self.height)
    }

    /// A mask covering the bounding box of `points` grown by `margin`, limited to `bounds`.
    init(covering points: [Point], margin: Double, bounds: PixelRect) {
        let xs = points.map(\.x), ys = points.map(\.y)
        let x0 = max(Int(((xs.min() ?? 0) - margin).rounded(.down)), bounds.x0)
        let y0 = max(Int(((ys.min() ?? 0) - margin).rounded(.down)), bounds.y0)
        let x1 = min(Int(((xs.max() ?? 0) + margin).rounded(.up)) + 1, bounds.x1)
        let y1 = min(Int(((ys.max() ?? 0) + margin).rounded(.up)) + 1, bounds.y1)
        self.init(originX: x0, originY: y0, width: x1 - x0, height: y1 - y0)
    }

    @inline(__always)
    mutating func raise(_ x: Int, _ y: Int, to c: Float) {
        let mx = x - originX, my = y - originY
        guard mx >= 0, mx < width, my >= 0, my < height else { return }
        let i = my * width + mx
        if c > values[i] { values[i] = c }
    }
}

/// A point in pixel space.
struct Point: Equatable {
    var x: Double, y: Double
    init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}
