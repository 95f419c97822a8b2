// Section 6 of Exercise 2: stacks of 1 to 32 blocks at initialisation, and how much of the
// gradient arriving at the top of the stack reaches its input.

import Charts
import Core
import Foundation
import LessonKit

/// One of the four kinds of block the sweep stacks: with or without the skip connection, with or
/// without BatchNorm after each convolution.
struct SweepVariant: Hashable {
    let residual: Bool
    let batchNorm: Bool

    static let all = [SweepVariant(residual: false, batchNorm: true), SweepVariant(residual: true, batchNorm: true),
                      SweepVariant(residual: false, batchNorm: false), SweepVariant(residual: true, batchNorm: false)]

    var name: String { (residual ? "residual" : "plain") + (batchNorm ? " with BN" : " without BN") }
    /// The key under which results.json records this variant's ratios.
    var key: String { (residual ? "residual" : "plain") + (batchNorm ? "_bn" : "_no_bn") }
    var color: Color { residual ? (batchNorm ? .steelblue : .mediumseagreen) : (batchNorm ? .coral : .mediumpurple) }
}

/// Two 3x3 convolutions (PyTorch's default initialisation), each optionally followed by BatchNorm
/// in training mode, and the skip connection when `residual`.
struct SweepBlock {
    let conv1: Conv2d, conv2: Conv2d
    let bn1: BatchNorm2d?, bn2: BatchNorm2d?
    let residual: Bool

    init(channels: Int, variant: SweepVariant) {
        conv1 = Conv2d(channels, channels, kernelSize: 3, padding: 1, bias: false)
        conv2 = Conv2d(channels, channels, kernelSize: 3, padding: 1, bias: false)
        bn1 = variant.batchNorm ? BatchNorm2d(channels) : nil
        bn2 = variant.batchNorm ? BatchNorm2d(channels) : nil
        residual = variant.residual
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var out = conv1(x)
        if let bn1 { out = bn1(out) }
        out = conv2(relu(out))
        if let bn2 { out = bn2(out) }
        return residual ? relu(out + x) : relu(out)
    }
}

/// The sweep's fixed sizes: small, so that the 4 x 6 stacks take seconds.
enum SweepSize {
    static let depths = [1, 2, 4, 8, 16, 32]
    static let batch = 8, channels = 16, side = 8
}

/// ||dL/dx_in|| / ||dL/dx_out|| for a stack of `depth` fresh blocks, where L = sum(g * x_out) for a
/// fixed random upstream gradient g, so that dL/dx_out = g exactly.
func inputToOutputGradientRatio(depth: Int, variant: SweepVariant, input: Tensor, upstream: Tensor) -> Double {
    let blocks = (0..<depth).map { _ in SweepBlock(channels: SweepSize.channels, variant: variant) }
    let x = input.detach()
    x.requiresGrad = true
    let out = blocks.reduce(x) { $1($0) }
    (out * upstream).sum().backward()
    return Double(x.grad!.norm().item()) / Double(upstream.norm().item())
}

/// The ratio for every variant and depth, the blocks drawn from the generator seeded `seed`.
func depthSweep(seed: UInt64) -> [SweepVariant: [Double]] {
    Random.manualSeed(seed)
    let input = Tensor.randn([SweepSize.batch, SweepSize.channels, SweepSize.side, SweepSize.side])
    let upstream = Tensor.randn([SweepSize.batch, SweepSize.channels, SweepSize.side, SweepSize.side])
    var ratios: [SweepVariant: [Double]] = [:]
    for variant in SweepVariant.all {
        ratios[variant] = SweepSize.depths.map { inputToOutputGradientRatio(depth: $0, variant: variant, input: input, upstream: upstream) }
    }
    return ratios
}

/// The ratios as printed in the report: one row per variant, one column per depth, "%.2e".
func depthSweepTable(_ ratios: [SweepVariant: [Double]]) -> String {
    ComparisonTable(headers: ["blocks"] + SweepSize.depths.map(String.init),
                    rows: SweepVariant.all.map { [$0.name] + ratios[$0]!.map(Format.sci) }).render()
}


/// Ratio against depth, both axes logarithmic, with the vanishing threshold dashed.
func drawDepthSweep(_ ratios: [SweepVariant: [Double]], to url: URL) throws {
    let figure = Figure(width: 9, height: 6)
    let ax = figure.subplots(rows: 1, cols: 1)[0]
    let depths = SweepSize.depths.map(Double.init)
    let markers: [Marker] = [.circle, .square, .triangleUp, .diamond]
    for (index, variant) in SweepVariant.all.enumerated() {
        ax.plot(depths, ratios[variant]!, label: variant.name, color: variant.color, marker: markers[index], lineWidth: 2)
    }
    ax.axhline(Exercise2Verdicts.vanishedBelow, color: .red, lineStyle: .dashed, label: "vanished (ratio \(Format.sci(Exercise2Verdicts.vanishedBelow)))")
    ax.setXScale(.log)
    ax.setYScale(.log)
    ax.setXTicks(depths, labels: SweepSize.depths.map(String.init))
    ax.setXLabel("Blocks in the stack")
    ax.setYLabel("||dL/dx_in|| / ||dL/dx_out||")
    ax.setTitle("Gradient reaching the input of a stack, at initialisation")
    ax.grid(alpha: 0.3)
    ax.legend()
    try figure.savefig(url.path)
}
