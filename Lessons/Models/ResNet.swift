import Autograd
import Layers

/// The lesson's ResNet for 1x32x32 inputs: a 3x3 stem convolution + BatchNorm + ReLU, one stage
/// of blocks per entry of `channels` (the first stage keeps the resolution, each later one halves
/// it in its first block), global average pooling and a linear classifier.
///
/// `ResNet18()` is channels [64, 128, 256, 512] with [2, 2, 2, 2] residual blocks;
/// `DeepResNet()` is the mini-challenge's [3, 4, 6, 3].
public final class ResNet: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let stages: [Sequential]
    public let avgPool = AdaptiveAvgPool2d((1, 1))
    public let fc: Linear
    public let name: String
    public var isTraining = true

    /// - Parameters:
    ///   - residual: false builds the same network with every shortcut removed (`PlainBlock`s):
    ///     the like-for-like control for a residual network.
    public init(channels: [Int], blocks: [Int], inChannels: Int = 1, numClasses: Int = 10,
                residual: Bool = true, name: String = "ResNet") {
        precondition(!channels.isEmpty && channels.count == blocks.count && blocks.allSatisfy { $0 > 0 },
                     "ResNet: channels \(channels) and blocks \(blocks) must be non-empty lists of the same length")
        conv1 = Conv2d(inChannels, channels[0], kernelSize: 3, stride: 1, padding: 1, bias: false)
        bn1 = BatchNorm2d(channels[0])
        var stages: [Sequential] = []
        var previous = channels[0]
        for (index, (width, count)) in zip(channels, blocks).enumerated() {
            // Every stage after the first halves the height and width in its first block.
            stages.append(Self.makeLayer(previous, width, numBlocks: count, stride: index == 0 ? 1 : 2,
                                         residual: residual))
            previous = width
        }
        self.stages = stages
        fc = Linear(previous, numClasses)
        self.name = name
    }

    /// One stage, as the original's `_make_layer`: the first block may change the shape (stride and
    /// channels, with a projection shortcut), the others keep it.
    static func makeLayer(_ inChannels: Int, _ outChannels: Int, numBlocks: Int, stride: Int,
                          residual: Bool) -> Sequential {
        func block(_ inChannels: Int, _ outChannels: Int, stride: Int) -> any Module {
            residual ? ResidualBlock(inChannels, outChannels, stride: stride)
                     : PlainBlock(inChannels, outChannels, stride: stride)
        }
        var layers = [block(inChannels, outChannels, stride: stride)]
        for _ in 1..<numBlocks { layers.append(block(outChannels, outChannels, stride: 1)) }
        return Sequential(layers)
    }

    public func forward(_ input: Tensor) -> Tensor {
        var x = relu(bn1(conv1(input)))
        for stage in stages { x = stage(x) }
        x = avgPool(x)
        return fc(x.view(x.size(0), -1))
    }

    public var typeName: String { name }
    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1)]
            + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
            + [("avg_pool", avgPool), ("fc", fc)]
    }
}
