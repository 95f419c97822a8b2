import Autograd
import Layers

/// The lesson's `PlainNet`: the stem and four stages of ResNet-18's widths, but each "block" is
/// a single conv + BatchNorm + ReLU and there are no shortcuts (9 convolutions in all against
/// ResNet-18's 17 + 3 projections). 4,728,266 parameters.
public final class PlainNet: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let stages: [Sequential]
    public let avgPool = AdaptiveAvgPool2d((1, 1))
    public let fc: Linear
    public var isTraining = true

    public init(channels: [Int] = [64, 128, 256, 512], blocks: [Int] = [2, 2, 2, 2],
                inChannels: Int = 1, numClasses: Int = 10) {
        conv1 = Conv2d(inChannels, channels[0], kernelSize: 3, padding: 1, bias: false)
        bn1 = BatchNorm2d(channels[0])
        var stages: [Sequential] = []
        var previous = channels[0]
        for (index, (width, count)) in zip(channels, blocks).enumerated() {
            stages.append(Self.makeLayer(previous, width, numBlocks: count, stride: index == 0 ? 1 : 2))
            previous = width
        }
        self.stages = stages
        fc = Linear(previous, numClasses)
    }

    /// One stage, as the original's `_make_layer`: conv + BatchNorm + ReLU, `numBlocks` times, the
    /// first with the stride and the change of channels.
    static func makeLayer(_ inChannels: Int, _ outChannels: Int, numBlocks: Int, stride: Int) -> Sequential {
        var layers: [any Module] = []
        for block in 0..<numBlocks {
            layers += [Conv2d(block == 0 ? inChannels : outChannels, outChannels, kernelSize: 3,
                              stride: block == 0 ? stride : 1, padding: 1, bias: false),
                       BatchNorm2d(outChannels), ReLU(inplace: true)]
        }
        return Sequential(layers)
    }

    public func forward(_ input: Tensor) -> Tensor {
        var x = relu(bn1(conv1(input)))
        for stage in stages { x = stage(x) }
        x = avgPool(x)
        return fc(x.view(x.size(0), -1))
    }

    public var typeName: String { "PlainNet" }
    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1)]
            + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
            + [("avg_pool", avgPool), ("fc", fc)]
    }
}
