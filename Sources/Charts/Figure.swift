import Foundation

/// A figure: a canvas of `width` x `height` inches at `dpi` holding a grid of `Axes`,
/// modelled on matplotlib's `plt.subplots` / `fig.savefig`.
///
/// ```swift
/// let fig = Figure(width: 14, height: 5)            // 1400 x 500 px at dpi 100
/// let axes = fig.subplots(rows: 1, cols: 2)
/// axes[0].plot(epochs, losses, label: "PlainNet", marker: .circle)
/// axes[0].legend()
/// fig.suptitle("Gradient Flow Comparison")
/// try fig.savefig("output/plain_vs_residual.png")
/// ```
/// Layout is automatic ("tight"): call `savefig` when done.
public final class Figure {
    /// Size in inches.
    public let width: Double
    public let height: Double
    /// Pixels per inch; also stored in the PNG so viewers know its physical size.
    public let dpi: Double
    /// The axes in row-major order.
    public private(set) var axes: [Axes] = []
    /// How many axes each row holds, top to bottom (all equal for `subplots(rows:cols:)`).
    var rowLengths: [Int] = []
    var suptitleText: String?
    var suptitleSize: Double = 14

    public init(width: Double = 6.4, height: Double = 4.8, dpi: Double = 100) {
        self.width = width
        self.height = height
        self.dpi = dpi
    }

    public var pixelWidth: Int { max(1, Int((width * dpi).rounded())) }
    public var pixelHeight: Int { max(1, Int((height * dpi).rounded())) }

    /// Creates a `rows` x `cols` grid of axes and returns them in row-major order
    /// (`axes[r * cols + c]`). Calling it again replaces the previous axes.
    @discardableResult
    public func subplots(rows: Int = 1, cols: Int = 1) -> [Axes] {
        subplots(perRow: Array(repeating: max(cols, 1), count: max(rows, 1)))
    }

    /// Rows holding different numbers of axes, each row splitting the full width among its own
    /// axes, so no grid cell is left empty (e.g. `[3, 5]`: three wide panels above five).
    /// Returns the axes in row-major order; axes in rows of the same length stay aligned.
    @discardableResult
    public func subplots(perRow counts: [Int]) -> [Axes] {
        rowLengths = counts.map { max($0, 1) }
        if rowLengths.isEmpty { rowLengths = [1] }
        axes = (0..<rowLengths.reduce(0, +)).map { _ in Axes() }
        return axes
    }

    /// A single axes filling the figure (`fig.subplots()[0]`).
    public func singleAxes() -> Axes { subplots(rows: 1, cols: 1)[0] }

    /// A bold title centred above all axes.
    public func suptitle(_ text: String, fontSize: Double = 14) {
        suptitleText = text
        suptitleSize = fontSize
    }

    /// Kept for familiarity: layout is always tight, so this does nothing.
    public func tightLayout() {}

    func suptitleStyle(_ style: Style) -> TextStyle {
        TextStyle(sizePx: style.px(suptitleSize), weight: .bold)
    }

    /// Vertical space taken by the suptitle, including the gap below it.
    func suptitleHeight(_ style: Style) -> Double {
        guard let text = suptitleText else { return 0 }
        return FontRenderer.shared.measure(RichText(text), suptitleStyle(style)).height + style.px(6)
    }

    /// Lays out and draws the figure into a new canvas.
    func render() -> Canvas {
        let style = Style(dpi: dpi)
        Layout.apply(to: self)
        let canvas = Canvas(width: pixelWidth, height: pixelHeight)
        for axes in axes { AxesRenderer(axes: axes, style: style, canvas: canvas).draw() }
        if let text = suptitleText {
            canvas.drawText(RichText(text), at: Point(Double(pixelWidth) / 2, style.figurePad),
                            style: suptitleStyle(style), h: .center, v: .top)
        }
        return canvas
    }

    /// Renders the figure and writes it as a PNG (8-bit RGB, with its dpi and title).
    /// The file appears atomically; missing directories are created.
    /// - Throws: `ChartsError.cannotWrite` naming the path and what to do when it is not writable.
    public func savefig(_ path: String) throws {
        let canvas = render()
        let title = suptitleText ?? axes.compactMap(\.title).first ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        try PNGWriter.write(canvas, to: path, metadata: .init(dpi: dpi, title: title))
    }
}
