// Writes one PNG per chart kind to output/gallery/, to look at after changing Charts.
import Charts
import Core
import Foundation

let dir = "output/gallery"

/// The first `count` MNIST test images (28x28, 0...1) and their labels, read through Core's IDX
/// reader, or nil when the dataset is missing.
func loadMNIST(count: Int) -> (images: [[Double]], labels: [Int])? {
    guard let images = try? IDX.read("data/MNIST/raw/t10k-images-idx3-ubyte.gz", rank: 3),
          let labels = try? IDX.read("data/MNIST/raw/t10k-labels-idx1-ubyte.gz", rank: 1),
          images.dims[0] >= count else { return nil }
    let pixels = images.dims[1] * images.dims[2]
    return ((0..<count).map { i in (0..<pixels).map { Double(images.values[i * pixels + $0]) / 255 } },
            (0..<count).map { Int(labels.values[$0]) })
}

func lineChart() throws {
    let fig = Figure(width: 8, height: 5)
    let ax = fig.singleAxes()
    let epochs = (1...20).map(Double.init)
    ax.plot(epochs, epochs.map { 2.3 * exp(-$0 / 6) + 0.15 }, label: "PlainNet-20", marker: .circle)
    ax.plot(epochs, epochs.map { 2.3 * exp(-$0 / 3.5) + 0.05 }, label: "ResNet-20", marker: .square, lineStyle: .dashed)
    ax.setXLabel("Epoch"); ax.setYLabel("Training loss"); ax.setTitle("Training Loss: Plain vs Residual")
    ax.legend(); ax.grid(alpha: 0.3)
    try fig.savefig("\(dir)/line.png")
}

func sideBySide() throws {
    let fig = Figure(width: 14, height: 5)
    let axes = fig.subplots(rows: 1, cols: 2)
    let epochs = [1.0, 2, 3, 4, 5]
    axes[0].plot(epochs, [0.9, 0.5, 0.3, 0.2, 0.15], label: "PlainNet", marker: .circle, lineWidth: 2)
    axes[0].plot(epochs, [0.8, 0.35, 0.18, 0.1, 0.06], label: "ResNet", marker: .triangleUp, lineWidth: 2)
    axes[0].setXLabel("Epoch"); axes[0].setYLabel("Loss"); axes[0].setTitle("Training Loss: Plain vs Residual")
    axes[0].legend(); axes[0].grid(alpha: 0.3)
    axes[1].plot(epochs, [62, 78, 85, 88, 90], label: "PlainNet", color: .coral, marker: .circle)
    axes[1].plot(epochs, [70, 86, 92, 95, 96.5], label: "ResNet", color: .steelblue, marker: .circle)
    axes[1].setXLabel("Epoch"); axes[1].setYLabel("Accuracy (%)"); axes[1].setTitle("Test Accuracy")
    axes[1].legend(location: .lowerRight); axes[1].grid(alpha: 0.3)
    fig.suptitle("Plain vs Residual Networks")
    try fig.savefig("\(dir)/subplots.png")
}

func logBars() throws {
    let fig = Figure(width: 14, height: 5)
    let axes = fig.subplots(rows: 1, cols: 2)
    let layers = Array(0..<20).map(Double.init)
    let plain = layers.map { 1e-1 * pow(0.45, 19 - $0) }
    let residual = layers.map { 0.05 * (1 + 0.3 * sin($0)) }
    axes[0].bar(layers, plain, color: .coral, alpha: 0.7)
    axes[0].setYScale(.log); axes[0].axhline(1e-5, color: .red, lineStyle: .dashed, label: "Very small gradient")
    axes[0].setXLabel("Layer"); axes[0].setYLabel("Gradient norm"); axes[0].setTitle("PlainNet-20: Vanishing Gradients")
    axes[0].legend(); axes[0].grid(axis: .y, alpha: 0.3)
    axes[1].bar(layers, residual, color: .steelblue, alpha: 0.7)
    axes[1].setYScale(.log); axes[1].axhline(1e-5, color: .red, lineStyle: .dashed, label: "Very small gradient")
    axes[1].setXLabel("Layer"); axes[1].setYLabel("Gradient norm"); axes[1].setTitle("ResNet-20: Healthy Gradients")
    axes[1].legend(); axes[1].grid(axis: .y, alpha: 0.3)
    fig.suptitle("Gradient Flow Comparison")
    try fig.savefig("\(dir)/log_bars.png")
}

/// Deterministic pseudo-normal samples (Box-Muller on a simple LCG) so the gallery is stable.
func normalSamples(_ n: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
    var s = seed
    func uniform() -> Double { s = s &* 6364136223846793005 &+ 1442695040888963407; return Double(s >> 11) / Double(1 << 53) + 1e-12 }
    return (0..<n).map { _ in mean + sd * (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
}

func histogram() throws {
    let fig = Figure(width: 8, height: 5)
    let ax = fig.singleAxes()
    ax.hist(normalSamples(2000, mean: 0, sd: 0.05, seed: 1), bins: 40, label: "Initial weights", color: .steelblue, edgeColor: .white, alpha: 0.7)
    ax.hist(normalSamples(2000, mean: 0.02, sd: 0.09, seed: 2), bins: 40, label: "After training", color: .coral, edgeColor: .white, alpha: 0.6)
    ax.axvline(0, color: .black, lineStyle: .dotted, lineWidth: 1)
    ax.setXLabel("Weight value"); ax.setYLabel("Count"); ax.setTitle("Weight Distribution, conv2")
    ax.legend(); ax.grid(alpha: 0.3)
    try fig.savefig("\(dir)/histogram.png")
}

func scatterPlot() throws {
    let fig = Figure(width: 7, height: 6)
    let ax = fig.singleAxes()
    let params = [0.27, 0.46, 0.66, 0.85, 1.7, 11.2, 21.3, 23.5, 138, 60]
    let acc = [91.3, 92.5, 93.0, 93.4, 93.6, 94.5, 95.0, 95.6, 92.6, 94.1]
    ax.scatter(Array(params.prefix(5)), Array(acc.prefix(5)), label: "ResNet (CIFAR)", color: .steelblue, size: 60)
    ax.scatter(Array(params.suffix(5)), Array(acc.suffix(5)), label: "ImageNet-scale", color: .orange, size: 60, marker: .diamond)
    ax.text(138, 92.6, "VGG-16   ", fontSize: 9, horizontalAlignment: .right, verticalAlignment: .center)
    ax.setXScale(.log)
    ax.setXLabel("Parameters (millions)"); ax.setYLabel("Accuracy (%)"); ax.setTitle("Accuracy vs Model Size")
    ax.legend(); ax.grid(alpha: 0.3)
    try fig.savefig("\(dir)/scatter.png")
}

func confusionMatrix() throws {
    let fig = Figure(width: 8, height: 7)
    let ax = fig.singleAxes()
    var m = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 10)
    for i in 0..<10 { for j in 0..<10 { m[i][j] = i == j ? Double(950 + (i * 7) % 40) : Double((i * 3 + j * 5) % 9 == 0 ? 12 : (i + j) % 4) } }
    ax.imshow(m, colormap: .blues, colorbar: true, annotationFormat: "%.0f")
    ax.setXTicks((0..<10).map(Double.init)); ax.setYTicks((0..<10).map(Double.init))
    ax.setXLabel("Predicted label"); ax.setYLabel("True label"); ax.setTitle("Confusion Matrix (ResNet-20, MNIST test)")
    try fig.savefig("\(dir)/confusion_matrix.png")
}

func digitGrid() throws {
    let fig = Figure(width: 8, height: 8.5)
    let axes = fig.subplots(rows: 4, cols: 4)
    let data = loadMNIST(count: 16)
    if data == nil { FileHandle.standardError.write(Data("MNIST not found under data/MNIST/raw; drawing blank digits\n".utf8)) }
    for i in 0..<16 {
        let pixels = data?.images[i] ?? [Double](repeating: 0, count: 784)
        axes[i].imshow(pixels, rows: 28, cols: 28, colormap: .gray, vmin: 0, vmax: 1)
        axes[i].setTitle("Label: \(data?.labels[i] ?? -1)  Pred: \(data?.labels[i] ?? -1)")
        axes[i].setAxisOff()
    }
    fig.suptitle("MNIST Test Digits")
    try fig.savefig("\(dir)/mnist_digits.png")
}

/// Rows with different numbers of panels (no empty cells), a long title fitted to its panel,
/// and lines labelled at their ends.
func rowsAndEndLabels() throws {
    let fig = Figure(width: 14, height: 8)
    let axes = fig.subplots(perRow: [2, 3])
    let steps = (0...20).map { Double($0) * 50 }
    for (panel, gap) in [0.8, 3.0].enumerated() {
        let ax = axes[panel]
        for (index, (name, final)) in [("depth-8", 9.7), ("depth-32", 9.7 + gap)].enumerated() {
            let curve = steps.map { final + 80 * exp(-$0 / 60) + 4 * exp(-$0 / 400) }
            ax.plot(steps, curve, label: name, color: Color.cycle[index], lineWidth: 2,
                    endLabel: "\(name) " + String(format: "%.1f%%", curve.last!))
        }
        ax.setYLim(0, 20)
        ax.setXLabel("Iteration"); ax.setYLabel("Error (%)")
        ax.setTitle(panel == 0 ? "Residual networks" : "Plain networks")
        ax.legend(); ax.grid(alpha: 0.3)
    }
    let names = ["PlainNet", "ResNet-18", "VGG-16 + BN (untrained): Gradient Magnitudes"]
    for (i, name) in names.enumerated() {
        let ax = axes[2 + i]
        let norms = (0..<16).map { pow(10, -Double(16 - $0) / Double(3 + 2 * i)) }
        ax.bar((0..<16).map(Double.init), norms, label: "conv / linear weight", color: [Color.coral, .steelblue, .goldenrod][i], alpha: 0.7)
        ax.setYScale(.log)
        ax.axhline(1e-5, color: .red, lineStyle: .dashed, label: "Very small gradient")
        ax.setTitle(name); ax.setXLabel("Layer"); ax.legend()
    }
    fig.suptitle("Rows of different lengths, end labels, fitted titles")
    try fig.savefig("\(dir)/rows_end_labels.png")
}

func timeOneFigure() throws {
    let start = Date()
    try logBars()
    print(String(format: "1400x500 figure rendered and written in %.0f ms", Date().timeIntervalSince(start) * 1000))
}

do {
    try lineChart(); try sideBySide(); try logBars(); try histogram(); try scatterPlot()
    try confusionMatrix(); try digitGrid(); try rowsAndEndLabels()
    try timeOneFigure()
    print("Wrote the gallery to \(dir)/")
} catch {
    FileHandle.standardError.write(Data("ChartsGallery: \(error)\n".utf8))
    exit(1)
}
