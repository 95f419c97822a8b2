import CFreeType
import Foundation

/// Rasterises text with FreeType in DejaVu Sans (the font matplotlib ships with).
///
/// One shared instance caches rendered glyphs per (weight, size, character): a figure draws the
/// same digits hundreds of times, and FreeType's rasteriser dominates otherwise. If the font
/// files cannot be found, text is measured with a rough estimate (so layouts keep their space)
/// and not drawn, after a single warning on stderr.
final class FontRenderer: @unchecked Sendable {
    static let shared = FontRenderer()

    private struct GlyphKey: Hashable { let weight: FontWeight; let size: Int; let scalar: UInt32 }
    private struct Glyph {
        let bitmap: [UInt8]
        let width: Int, rows: Int, left: Int, top: Int
        let advance: Double
    }
    private struct Metrics { let ascender: Double; let descender: Double }

    private var library: FT_Library?
    private var faces: [FontWeight: FT_Face] = [:]
    private var glyphs: [GlyphKey: Glyph] = [:]
    private var metrics: [Int: Metrics] = [:]
    private let lock = NSLock()

    /// Directories searched for DejaVuSans.ttf, in order (Debian, Fedora/Arch, Homebrew, macOS).
    /// `CHARTS_FONT_DIR`, when set, is the only place searched (useful to test the fallback).
    static let searchDirectories: [String] = {
        if let custom = ProcessInfo.processInfo.environment["CHARTS_FONT_DIR"] { return [custom] }
        return ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
                    "/usr/share/fonts/TTF", "/usr/share/fonts/dejavu-sans-fonts",
                    "/usr/local/share/fonts", "/opt/homebrew/share/fonts",
                    "/Library/Fonts", NSHomeDirectory() + "/Library/Fonts"]
    }()

    private init() {
        guard FT_Init_FreeType(&library) == 0 else {
            Warnings.emit("FreeType failed to initialise; charts will have no text")
            return
        }
        let files: [FontWeight: String] = [.regular: "DejaVuSans.ttf", .bold: "DejaVuSans-Bold.ttf"]
        for (weight, file) in files {
            guard let path = Self.searchDirectories.map({ $0 + "/" + file })
                    .first(where: { FileManager.default.fileExists(atPath: $0) }) else { continue }
            var face: FT_Face?
            if FT_New_Face(library, path, 0, &face) == 0, let face { faces[weight] = face }
        }
        if faces[.regular] == nil {
            Warnings.emit("DejaVuSans.ttf not found (looked in \(Self.searchDirectories.joined(separator: ", "))); "
                + "charts will be drawn without text. Install fonts-dejavu-core or set CHARTS_FONT_DIR.")
        } else if faces[.bold] == nil {
            Warnings.emit("DejaVuSans-Bold.ttf not found; bold titles use the regular weight")
        }
    }

    var hasFont: Bool { faces[.regular] != nil }

    /// Measures a label without drawing it.
    func measure(_ text: RichText, _ style: TextStyle) -> TextExtent {
        lock.lock(); defer { lock.unlock() }
        var width = 0.0, ascent = 0.0, descent = 0.0
        for run in text.runs {
            let size = style.sizePx * run.scale, rise = style.sizePx * run.rise
            let m = lineMetrics(style.weight, size)
            ascent = max(ascent, m.ascender + rise)
            descent = max(descent, m.descender - rise)
            width += run.text.unicodeScalars.reduce(0) { $0 + glyph(style.weight, size, $1).advance }
        }
        return TextExtent(width: width, ascent: ascent, descent: descent)
    }

    /// Renders a label into a coverage mask whose origin is the left end of the baseline.
    /// Returns the mask (positioned relative to that origin) and the label's extent.
    func rasterize(_ text: RichText, _ style: TextStyle) -> (CoverageMask, TextExtent) {
        let extent = measure(text, style)
        lock.lock(); defer { lock.unlock() }
        let pad = 2
        var mask = CoverageMask(originX: -pad, originY: -Int(extent.ascent.rounded(.up)) - pad,
                                width: Int(extent.width.rounded(.up)) + 2 * pad,
                                height: Int(extent.height.rounded(.up)) + 2 * pad)
        var penX = 0.0
        for run in text.runs {
            let size = style.sizePx * run.scale
            let baseline = -Int((style.sizePx * run.rise).rounded())
            for scalar in run.text.unicodeScalars {
                let g = glyph(style.weight, size, scalar)
                let gx = Int(penX.rounded()) + g.left, gy = baseline - g.top
                for row in 0..<g.rows {
                    for col in 0..<g.width {
                        let v = g.bitmap[row * g.width + col]
                        if v > 0 { mask.raise(gx + col, gy + row, to: Float(v) / 255) }
                    }
                }
                penX += g.advance
            }
        }
        return (mask, extent)
    }

    // MARK: - FreeType access (callers hold the lock)

    /// Sizes are keyed in 1/64 px so that fractional point sizes at any dpi stay distinct.
    private func select(_ weight: FontWeight, _ size: Double) -> FT_Face? {
        guard let face = faces[weight] ?? faces[.regular] else { return nil }
        FT_Set_Char_Size(face, 0, FT_F26Dot6((size * 64).rounded()), 72, 72)
        return face
    }

    private func lineMetrics(_ weight: FontWeight, _ size: Double) -> Metrics {
        let key = Int((size * 64).rounded()) * 2 + (weight == .bold ? 1 : 0)
        if let m = metrics[key] { return m }
        var m = Metrics(ascender: size * 0.93, descender: size * 0.24)   // DejaVu's proportions
        if let face = select(weight, size), let sizeRec = face.pointee.size {
            m = Metrics(ascender: Double(sizeRec.pointee.metrics.ascender) / 64,
                        descender: -Double(sizeRec.pointee.metrics.descender) / 64)
        }
        metrics[key] = m
        return m
    }

    private func glyph(_ weight: FontWeight, _ size: Double, _ scalar: Unicode.Scalar) -> Glyph {
        let key = GlyphKey(weight: weight, size: Int((size * 64).rounded()), scalar: scalar.value)
        if let g = glyphs[key] { return g }
        var g = Glyph(bitmap: [], width: 0, rows: 0, left: 0, top: 0, advance: size * 0.6)
        // FT_LOAD_RENDER (1 << 2) | FT_LOAD_TARGET_LIGHT (1 << 16): light hinting keeps glyph
        // shapes faithful while snapping stems vertically, the look of matplotlib's Agg text.
        let flags = FT_Int32((1 << 2) | (1 << 16))
        if let face = select(weight, size), FT_Load_Char(face, FT_ULong(scalar.value), flags) == 0,
           let slot = face.pointee.glyph {
            let bm = slot.pointee.bitmap
            let w = Int(bm.width), rows = Int(bm.rows), pitch = Int(bm.pitch)
            var pixels = [UInt8](repeating: 0, count: w * rows)
            if let buffer = bm.buffer, pitch >= w {
                for r in 0..<rows { for c in 0..<w { pixels[r * w + c] = buffer[r * pitch + c] } }
            }
            g = Glyph(bitmap: pixels, width: w, rows: rows, left: Int(slot.pointee.bitmap_left),
                      top: Int(slot.pointee.bitmap_top), advance: Double(slot.pointee.advance.x) / 64)
        }
        glyphs[key] = g
        return g
    }
}
