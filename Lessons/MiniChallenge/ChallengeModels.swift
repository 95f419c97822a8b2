// The building blocks the challenge's options need that Core does not have: a bottleneck block,
// a 7x7 stem, average-pooling shortcuts, and the day-12 style small CNN used as the baseline.
// Each is a Module composed from Core layers, with PyTorch's attribute names.

import Core

/// `nn.AvgPool2d(2, stride=2, ceil_mode=True)`: halves height and width by averaging 2x2 windows
/// (a 1-pixel map stays 1 pixel).
final class AvgPool2d: Module {
    var isTraining = true
    func forward(_ input: Tensor) -> Tensor {
        let (h, w) = (input.shape[2], input.shape[3])
        return adaptiveAvgPool2d(input, outputSize: ((h + 1) / 2, (w + 1) / 2))
    }
    var typeName: String { "AvgPool2d" }
    var extraDescription: String { "kernel_size=2, stride=2, padding=0, ceil_mode=True" }
}

/// How a block's shortcut changes shape when it must.
enum Downsample: String, CaseIterable {
    /// A 1x1 convolution with stride 2 (the original ResNet; it skips 3 of every 4 pixels).
    case conv
    /// 2x2 average pooling, then a 1x1 convolution with stride 1 (ResNet-D; every pixel counts).
    case avgpool
}

/// The shortcut: identity when shapes match, else a projection built as `downsample` says.
func makeShortcut(_ inChannels: Int, _ outChannels: Int, stride: Int, downsample: Downsample) -> Sequential {
    guard stride != 1 || inChannels != outChannels else { return Sequential() }
    switch downsample {
    case .conv:
        return Sequential(Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false), BatchNorm2d(outChannels))
    case .avgpool:
        let pool: [any Module] = stride == 1 ? [] : [AvgPool2d()]
        return Sequential(pool + [Conv2d(inChannels, outChannels, kernelSize: 1, bias: false), BatchNorm2d(outChannels)])
    }
}

/// The basic block (two 3x3 convolutions) with a choice of shortcut; `residual: false` drops the shortcut.
final class BasicBlock: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let shortcut: Sequential
    let residual: Bool
    var isTraining = true

    init(_ inChannels: Int, _ outChannels: Int, stride: Int, downsample: Downsample, residual: Bool) {
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(outChannels)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(outChannels)
        shortcut = residual ? makeShortcut(inChannels, outChannels, stride: stride, downsample: downsample) : Sequential()
        self.residual = residual
    }

    func forward(_ x: Tensor) -> Tensor {
        let out = bn2(conv2(relu(bn1(conv1(x)))))
        return relu(residual ? out + shortcut(x) : out)
    }

    var typeName: String { "BasicBlock" }
    var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)] + (residual ? [("shortcut", shortcut)] : [])
    }
}

/// The bottleneck block of ResNet-50: 1x1 down to a quarter of the output width, 3x3 at that
/// width (with the stride), 1x1 back up. Three convolutions for fewer weights than two 3x3 ones.
final class Bottleneck: Module {
    static let expansion = 4
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let shortcut: Sequential
    let residual: Bool
    var isTraining = true

    init(_ inChannels: Int, _ outChannels: Int, stride: Int, downsample: Downsample, residual: Bool) {
        let width = max(1, outChannels / Bottleneck.expansion)
        conv1 = Conv2d(inChannels, width, kernelSize: 1, bias: false)
        bn1 = BatchNorm2d(width)
        conv2 = Conv2d(width, width, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn2 = BatchNorm2d(width)
        conv3 = Conv2d(width, outChannels, kernelSize: 1, bias: false)
        bn3 = BatchNorm2d(outChannels)
        shortcut = residual ? makeShortcut(inChannels, outChannels, stride: stride, downsample: downsample) : Sequential()
        self.residual = residual
    }

    func forward(_ x: Tensor) -> Tensor {
        var out = relu(bn1(conv1(x)))
        out = relu(bn2(conv2(out)))
        out = bn3(conv3(out))
        return relu(residual ? out + shortcut(x) : out)
    }

    var typeName: String { "Bottleneck" }
    var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3)]
            + (residual ? [("shortcut", shortcut)] : [])
    }
}

enum BlockKind: String, CaseIterable { case basic, bottleneck }
enum Stem: String, CaseIterable {
    /// 3x3 convolution, stride 1: keeps the 32x32 resolution (the lesson's choice for small images).
    case small = "3x3"
    /// 7x7 convolution with stride 2, then 3x3 max-pooling with stride 2 (ImageNet ResNet): 32x32 -> 8x8.
    case large = "7x7"
}

/// The challenge's configurable ResNet. Names follow the lesson's: conv1, bn1, (maxpool), layer1...,
/// avg_pool, fc.
final class ChallengeResNet: Module {
    let conv1: Conv2d, bn1: BatchNorm2d
    let maxpool: MaxPool2d?
    let stages: [Sequential]
    let avgPool = AdaptiveAvgPool2d((1, 1))
    let fc: Linear
    var isTraining = true

    init(channels: [Int], blocks: [Int], block: BlockKind, stem: Stem, downsample: Downsample,
         residual: Bool = true, numClasses: Int = 10) {
        switch stem {
        case .small:
            conv1 = Conv2d(1, channels[0], kernelSize: 3, stride: 1, padding: 1, bias: false)
            maxpool = nil
        case .large:
            conv1 = Conv2d(1, channels[0], kernelSize: 7, stride: 2, padding: 3, bias: false)
            maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        }
        bn1 = BatchNorm2d(channels[0])
        var previous = channels[0]
        var stages: [Sequential] = []
        for (index, (width, count)) in zip(channels, blocks).enumerated() {
            var layers: [any Module] = []
            for b in 0..<count {
                let stride = index > 0 && b == 0 ? 2 : 1
                let input = b == 0 ? previous : width
                switch block {
                case .basic: layers.append(BasicBlock(input, width, stride: stride, downsample: downsample, residual: residual))
                case .bottleneck: layers.append(Bottleneck(input, width, stride: stride, downsample: downsample, residual: residual))
                }
            }
            stages.append(Sequential(layers))
            previous = width
        }
        self.stages = stages
        fc = Linear(previous, numClasses)
    }

    /// The stem's output, before the stages.
    func stemForward(_ input: Tensor) -> Tensor {
        let x = relu(bn1(conv1(input)))
        return maxpool.map { $0(x) } ?? x
    }

    func forward(_ input: Tensor) -> Tensor {
        var x = stemForward(input)
        for stage in stages { x = stage(x) }
        x = avgPool(x)
        return fc(x.view(x.size(0), -1))
    }

    var typeName: String { "DeepResNet" }
    var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1)] + (maxpool.map { [("maxpool", $0 as any Module)] } ?? [])
            + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element as any Module) }
            + [("avg_pool", avgPool), ("fc", fc)]
    }
}

/// The baseline: a small plain CNN in the style of day 12, three conv + BatchNorm + ReLU + max-pool
/// stages (32, 64, 128 channels, 32x32 -> 4x4) and one linear layer.
final class SmallCNN: Module {
    let features: Sequential
    let fc: Linear
    var isTraining = true

    init(numClasses: Int = 10) {
        features = Sequential(
            Conv2d(1, 32, kernelSize: 3, padding: 1), BatchNorm2d(32), ReLU(inplace: true), MaxPool2d(kernelSize: 2),
            Conv2d(32, 64, kernelSize: 3, padding: 1), BatchNorm2d(64), ReLU(inplace: true), MaxPool2d(kernelSize: 2),
            Conv2d(64, 128, kernelSize: 3, padding: 1), BatchNorm2d(128), ReLU(inplace: true), MaxPool2d(kernelSize: 2))
        fc = Linear(128 * 4 * 4, numClasses)
    }

    func forward(_ input: Tensor) -> Tensor {
        let x = features(input)
        return fc(x.view(x.size(0), -1))
    }

    var typeName: String { "SmallCNN" }
    var children: [(name: String, module: any Module)] { [("features", features), ("fc", fc)] }
}
