/// Maps a value in 0...1 to a colour, like matplotlib's colormaps.
public struct Colormap: Sendable {
    public let name: String
    /// Evenly spaced anchor colours; values between anchors are linearly interpolated.
    let anchors: [Color]

    public init(name: String, anchors: [Color]) {
        precondition(anchors.count >= 2, "a colormap needs at least two anchor colours")
        self.name = name
        self.anchors = anchors
    }

    /// The colour for `t`, clamped to 0...1 (NaN maps to the low end).
    public func color(at t: Double) -> Color {
        let u = t.isNaN ? 0 : min(max(t, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(u), anchors.count - 2)
        let f = u - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return Color(red: a.red + (b.red - a.red) * f,
                     green: a.green + (b.green - a.green) * f,
                     blue: a.blue + (b.blue - a.blue) * f)
    }

    /// matplotlib's default perceptually uniform map (16 evenly spaced samples of its table).
    public static let viridis = Colormap(name: "viridis", anchors: [
        "#440154", "#481a6c", "#472f7d", "#414487", "#39568c", "#31688e", "#2a788e", "#23888e",
        "#1f988b", "#22a884", "#35b779", "#54c568", "#7ad151", "#a5db36", "#d2e21b", "#fde725",
    ].map { Color(hex: $0)! })

    /// Black (low) to white (high): MNIST digits as matplotlib shows them with `cmap='gray'`.
    public static let gray = Colormap(name: "gray", anchors: [.black, .white])

    /// White (low) to black (high): digits as ink on paper (`cmap='gray_r'`).
    public static let grayReversed = Colormap(name: "gray_r", anchors: [.white, .black])

    /// White to dark blue, the usual choice for confusion matrices (`cmap='Blues'`).
    public static let blues = Colormap(name: "Blues", anchors: [
        "#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c",
        "#08306b",
    ].map { Color(hex: $0)! })
}
