/// Line dash patterns, as matplotlib's `linestyle` ("-", "--", ":", "-.").
public enum LineStyle: Sendable {
    case solid, dashed, dotted, dashDot

    /// On/off lengths in multiples of the line width (matplotlib's scaled dash patterns).
    func pattern(lineWidthPx w: Double) -> [Double]? {
        let unit = max(w, 1)
        switch self {
        case .solid: return nil
        case .dashed: return [3.7, 1.6].map { $0 * unit }
        case .dotted: return [1.0, 1.65].map { $0 * unit }
        case .dashDot: return [6.4, 1.6, 1.0, 1.6].map { $0 * unit }
        }
    }
}

/// Which axis a grid (or other per-axis setting) applies to.
public enum GridAxis: Sendable { case x, y, both }

/// What an axes draws. Sizes are in points (1/72 inch) like matplotlib's, converted to
/// pixels with the figure's dpi at render time, so a figure looks the same at any dpi.
enum Artist {
    case line(LineArtist)
    case bars(BarArtist)
    case scatter(ScatterArtist)
    case referenceLine(ReferenceLineArtist)
    case text(TextArtist)
    case image(ImageArtist)

    var label: String? {
        switch self {
        case .line(let a): return a.label
        case .bars(let a): return a.label
        case .scatter(let a): return a.label
        case .referenceLine(let a): return a.label
        case .text, .image: return nil
        }
    }
}

struct LineArtist {
    var x: [Double], y: [Double]
    var color: Color
    var lineWidth: Double
    var lineStyle: LineStyle
    var marker: Marker
    var markerSize: Double
    var label: String?
    /// `plot(..., lineStyle: nil)` draws markers only.
    var drawsLine: Bool
    /// A label written just right of the last point, in the line's colour.
    var endLabel: String? = nil
}

struct BarArtist {
    /// Bar centres, heights and bottoms in data units.
    var x: [Double], heights: [Double], bottoms: [Double]
    var width: Double
    var color: Color
    var edgeColor: Color?
    var label: String?
}

struct ScatterArtist {
    var x: [Double], y: [Double]
    var colors: [Color]
    /// Marker area in points², like matplotlib's `s`.
    var size: Double
    var marker: Marker
    var label: String?
}

struct ReferenceLineArtist {
    var value: Double
    var vertical: Bool
    var color: Color
    var lineWidth: Double
    var lineStyle: LineStyle
    var label: String?
}

struct TextArtist {
    var x: Double, y: Double
    var text: String
    var fontSize: Double
    var color: Color
    var bold: Bool
    var horizontal: HorizontalAlignment
    var vertical: VerticalAlignment
}

struct ImageArtist {
    /// Rows top to bottom, like a matrix printed on paper.
    var values: [[Double]]
    var colormap: Colormap
    var vmin: Double, vmax: Double
    /// A `String(format:)` pattern for cell annotations (confusion matrices), or nil.
    var annotationFormat: String?
    var colorbar: Bool
    var rows: Int { values.count }
    var cols: Int { values.map(\.count).max() ?? 0 }
}
