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
            let stride = index == 0 ? 1 : 2
            let makeBlock: (Int, Int, Int) -> any Module = residual
                ? { ResidualBlock($0, $1, stride: $2) } : { PlainBlock($0, $1, stride: $2) }
            stages.append(Sequential([makeBlock(previous, width, stride)]
                                     + (1..<count).map { _ in makeBlock(width, width, 1) }))
            previous = width
        }
        self.stages = stages
        fc = Linear(previous, numClasses)
        self.name = name
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

/// ResNet-18 of the lesson: 11,172,810 parameters.
public func ResNet18(numClasses: Int = 10) -> ResNet {
    ResNet(channels: [64, 128, 256, 512], blocks: [2, 2, 2, 2], numClasses: numClasses, name: "ResNet18")
}

/// The mini-challenge's deeper ResNet, [3, 4, 6, 3] blocks (ResNet-34's layout): 21,280,970 parameters.
public func DeepResNet(numClasses: Int = 10) -> ResNet {
    ResNet(channels: [64, 128, 256, 512], blocks: [3, 4, 6, 3], numClasses: numClasses, name: "DeepResNet")
}

/// ResNet-18 with every shortcut removed: the same 17 convolutions without skip connections.
public func Plain18(numClasses: Int = 10) -> ResNet {
    ResNet(channels: [64, 128, 256, 512], blocks: [2, 2, 2, 2], numClasses: numClasses, residual: false,
           name: "Plain18")
}
