import Foundation

/// One plotting area of a figure, like matplotlib's `Axes`: add data with `plot`, `bar`,
/// `scatter`, `hist`, `imshow`, decorate with titles, labels, limits, grid and legend.
///
/// Sizes (`lineWidth`, `markerSize`, `fontSize`) are in points, as in matplotlib. Colours are
/// `Color` values and can be written as strings (`"coral"`, `"tab:blue"`, `"#1f77b4"`); series
/// without a colour take the next colour of the tab10 cycle.
public final class Axes {
    var artists: [Artist] = []
    var title: String?
    var xLabel: String?
    var yLabel: String?
    var xScale: Scale = .linear
    var yScale: Scale = .linear
    var xLimits: (lo: Double?, hi: Double?) = (nil, nil)
    var yLimits: (lo: Double?, hi: Double?) = (nil, nil)
    var gridAxis: GridAxis?
    var gridStyle = GridStyle()
    var legendLocation: LegendLocation?
    var axisVisible = true
    var xTickOverride: [Tick]?
    var yTickOverride: [Tick]?
    private var cycleIndex = 0

    /// Geometry computed by the figure's layout: the plot box and the data-to-pixel transforms.
    var geometry: AxesGeometry?

    init() {}

    private func nextColor() -> Color {
        defer { cycleIndex += 1 }
        return Color.cycle[cycleIndex % Color.cycle.count]
    }

    // MARK: - Data

    /// Draws `y` against `x` as a line, optionally with markers (matplotlib's `ax.plot`).
    /// Pass `lineStyle: nil` for markers only. `endLabel` writes a small label in the line's
    /// colour just right of its last point (e.g. the final value); labels of neighbouring lines
    /// are spread apart so they never overlap, and the layout leaves room for them.
    public func plot(_ x: [Double], _ y: [Double], label: String? = nil, color: Color? = nil,
                     marker: Marker = .none, markerSize: Double = 6, lineWidth: Double = 1.5,
                     lineStyle: LineStyle? = .solid, alpha: Double = 1, endLabel: String? = nil) {
        let n = min(x.count, y.count)
        if x.count != y.count { Warnings.emit("plot: x has \(x.count) values and y \(y.count); using the first \(n)") }
        artists.append(.line(LineArtist(x: Array(x.prefix(n)), y: Array(y.prefix(n)),
                                        color: (color ?? nextColor()).withAlpha(alpha), lineWidth: lineWidth,
                                        lineStyle: lineStyle ?? .solid, marker: marker, markerSize: markerSize,
                                        label: label, drawsLine: lineStyle != nil, endLabel: endLabel)))
    }

    /// Draws `y` against 0, 1, 2, ... (matplotlib's `ax.plot(y)`).
    public func plot(_ y: [Double], label: String? = nil, color: Color? = nil, marker: Marker = .none,
                     markerSize: Double = 6, lineWidth: Double = 1.5, lineStyle: LineStyle? = .solid,
                     alpha: Double = 1, endLabel: String? = nil) {
        plot(y.indices.map(Double.init), y, label: label, color: color, marker: marker, markerSize: markerSize,
             lineWidth: lineWidth, lineStyle: lineStyle, alpha: alpha, endLabel: endLabel)
    }

    /// Vertical bars centred at `x` with the given heights (matplotlib's `ax.bar`).
    public func bar(_ x: [Double], _ heights: [Double], width: Double = 0.8, bottom: Double = 0,
                    label: String? = nil, color: Color? = nil, edgeColor: Color? = nil, alpha: Double = 1) {
        let n = min(x.count, heights.count)
        artists.append(.bars(BarArtist(x: Array(x.prefix(n)), heights: Array(heights.prefix(n)),
                                       bottoms: Array(repeating: bottom, count: n), width: width,
                                       color: (color ?? nextColor()).withAlpha(alpha),
                                       edgeColor: edgeColor?.withAlpha(alpha), label: label)))
    }

    /// Bars for named categories: one bar per name, with the names as x tick labels.
    public func bar(_ categories: [String], _ heights: [Double], width: Double = 0.8, label: String? = nil,
                    color: Color? = nil, edgeColor: Color? = nil, alpha: Double = 1) {
        let x = categories.indices.map(Double.init)
        bar(x, heights, width: width, label: label, color: color, edgeColor: edgeColor, alpha: alpha)
        setXTicks(x, labels: categories)
    }

    /// Points at (x, y) (matplotlib's `ax.scatter`); `size` is the marker area in points².
    /// Give `values` and a `colormap` to colour each point by a value instead of one colour.
    public func scatter(_ x: [Double], _ y: [Double], label: String? = nil, color: Color? = nil,
                        size: Double = 36, marker: Marker = .circle, alpha: Double = 1,
                        values: [Double]? = nil, colormap: Colormap = .viridis) {
        let n = min(x.count, y.count)
        var colors: [Color]
        if let values, let lo = values.min(), let hi = values.max() {
            colors = values.prefix(n).map { colormap.color(at: hi > lo ? ($0 - lo) / (hi - lo) : 0.5).withAlpha(alpha) }
            colors += Array(repeating: colormap.color(at: 0.5), count: max(0, n - colors.count))
        } else {
            colors = [(color ?? nextColor()).withAlpha(alpha)]
        }
        artists.append(.scatter(ScatterArtist(x: Array(x.prefix(n)), y: Array(y.prefix(n)), colors: colors,
                                              size: size, marker: marker, label: label)))
    }

    /// A histogram of `values` in `bins` equal bins over `range` (default: the data's range).
    /// Returns the counts (or densities) and the bin edges, like matplotlib.
    @discardableResult
    public func hist(_ values: [Double], bins: Int = 10, range: ClosedRange<Double>? = nil,
                     density: Bool = false, label: String? = nil, color: Color? = nil,
                     edgeColor: Color? = nil, alpha: Double = 1) -> (counts: [Double], edges: [Double]) {
        let finite = values.filter(\.isFinite)
        let nb = max(bins, 1)
        var lo = range?.lowerBound ?? finite.min() ?? 0, hi = range?.upperBound ?? finite.max() ?? 1
        if hi <= lo { lo -= 0.5; hi += 0.5 }
        let w = (hi - lo) / Double(nb)
        var counts = [Double](repeating: 0, count: nb)
        for v in finite where v >= lo && v <= hi {
            counts[min(Int((v - lo) / w), nb - 1)] += 1   // the last bin is closed, as in numpy
        }
        if density, !finite.isEmpty { counts = counts.map { $0 / (Double(finite.count) * w) } }
        let edges = (0...nb).map { lo + Double($0) * w }
        bar(edges.dropLast().map { $0 + w / 2 }, counts, width: w, label: label, color: color,
            edgeColor: edgeColor, alpha: alpha)
        return (counts, edges)
    }

    /// A horizontal line across the axes at `y` (matplotlib's `ax.axhline`), e.g. a threshold.
    public func axhline(_ y: Double, color: Color = .black, lineStyle: LineStyle = .solid,
                        lineWidth: Double = 1.5, alpha: Double = 1, label: String? = nil) {
        artists.append(.referenceLine(ReferenceLineArtist(value: y, vertical: false, color: color.withAlpha(alpha),
                                                          lineWidth: lineWidth, lineStyle: lineStyle, label: label)))
    }

    /// A vertical line across the axes at `x` (matplotlib's `ax.axvline`).
    public func axvline(_ x: Double, color: Color = .black, lineStyle: LineStyle = .solid,
                        lineWidth: Double = 1.5, alpha: Double = 1, label: String? = nil) {
        artists.append(.referenceLine(ReferenceLineArtist(value: x, vertical: true, color: color.withAlpha(alpha),
                                                          lineWidth: lineWidth, lineStyle: lineStyle, label: label)))
    }

    /// Text at data coordinates (x, y) (matplotlib's `ax.text`).
    public func text(_ x: Double, _ y: Double, _ text: String, fontSize: Double = 10, color: Color = .black,
                     bold: Bool = false, horizontalAlignment: HorizontalAlignment = .left,
                     verticalAlignment: VerticalAlignment = .baseline) {
        artists.append(.text(TextArtist(x: x, y: y, text: text, fontSize: fontSize, color: color, bold: bold,
                                        horizontal: horizontalAlignment, vertical: verticalAlignment)))
    }

    /// Shows a matrix as an image, row 0 at the top, with square cells (matplotlib's `ax.imshow`).
    ///
    /// - Parameters:
    ///   - colormap: `.viridis` by default; `.gray` for MNIST digits, `.blues` for confusion matrices.
    ///   - vmin, vmax: the values mapped to the ends of the colormap (default: the data's range).
    ///   - colorbar: draws a colour scale to the right of the image.
    ///   - annotationFormat: writes each cell's value with this `String(format:)` pattern
    ///     (e.g. `"%.0f"` for counts), in black or white, whichever contrasts with the cell.
    public func imshow(_ matrix: [[Double]], colormap: Colormap = .viridis, vmin: Double? = nil,
                       vmax: Double? = nil, colorbar: Bool = false, annotationFormat: String? = nil) {
        let flat = matrix.flatMap { $0 }.filter(\.isFinite)
        var lo = vmin ?? flat.min() ?? 0, hi = vmax ?? flat.max() ?? 1
        if hi <= lo { hi = lo + 1 }
        if vmin != nil, vmax == nil, hi < lo { lo = hi - 1 }
        artists.append(.image(ImageArtist(values: matrix, colormap: colormap, vmin: lo, vmax: hi,
                                          annotationFormat: annotationFormat, colorbar: colorbar)))
    }

    /// `imshow` for a flat row-major buffer (e.g. a 28x28 MNIST image as 784 values).
    public func imshow(_ pixels: [Double], rows: Int, cols: Int, colormap: Colormap = .gray,
                       vmin: Double? = nil, vmax: Double? = nil, colorbar: Bool = false) {
        let matrix = (0..<rows).map { r in Array(pixels[(r * cols)..<min((r + 1) * cols, pixels.count)]) }
        imshow(matrix, colormap: colormap, vmin: vmin, vmax: vmax, colorbar: colorbar)
    }

    // MARK: - Decoration

    /// The title above the axes (12 pt).
    public func setTitle(_ title: String) { self.title = title }
    public func setXLabel(_ label: String) { xLabel = label }
    public func setYLabel(_ label: String) { yLabel = label }
    public func setXScale(_ scale: Scale) { xScale = scale }
    public func setYScale(_ scale: Scale) { yScale = scale }

    /// Fixes the x range; pass nil for an end to keep it automatic.
    public func setXLim(_ lo: Double?, _ hi: Double?) { xLimits = (lo, hi) }
    /// Fixes the y range; pass nil for an end to keep it automatic.
    public func setYLim(_ lo: Double?, _ hi: Double?) { yLimits = (lo, hi) }

    /// Puts x ticks at `positions`, labelled with `labels` (default: the formatted values).
    public func setXTicks(_ positions: [Double], labels: [String]? = nil) {
        xTickOverride = Self.ticks(positions, labels)
    }
    /// Puts y ticks at `positions`, labelled with `labels` (default: the formatted values).
    public func setYTicks(_ positions: [Double], labels: [String]? = nil) {
        yTickOverride = Self.ticks(positions, labels)
    }

    private static func ticks(_ positions: [Double], _ labels: [String]?) -> [Tick] {
        let step = zip(positions.dropFirst(), positions).map { abs($0 - $1) }.filter { $0 > 0 }.min() ?? 1
        let auto = TickFormatter.linearLabels(positions, step: step)
        return positions.indices.map { i in
            Tick(value: positions[i], label: labels.map { i < $0.count ? RichText($0[i]) : "" } ?? auto[i])
        }
    }

    /// Grid lines at the major ticks, drawn above bars and below lines (matplotlib's default
    /// order). `alpha: 0.3` gives the light grid lessons usually ask for.
    public func grid(_ visible: Bool = true, axis: GridAxis = .both, alpha: Double = 1,
                     color: Color = Color(rgb: 0xb0b0b0), lineStyle: LineStyle = .solid, lineWidth: Double = 0.8) {
        gridAxis = visible ? axis : nil
        gridStyle = GridStyle(color: color.withAlpha(alpha), lineStyle: lineStyle, lineWidth: lineWidth)
    }

    /// Shows a legend of the labelled series; `.best` puts it where it hides the least data.
    public func legend(location: LegendLocation = .best) { legendLocation = location }

    /// Hides spines, ticks and tick labels (matplotlib's `ax.axis("off")`), e.g. for images.
    public func setAxisOff() { axisVisible = false }
}

struct GridStyle {
    var color: Color = Color(hex: "#b0b0b0")!
    var lineStyle: LineStyle = .solid
    var lineWidth: Double = 0.8
}
