import Autograd
import Layers

/// The CIFAR-10 family of the ResNet paper (He et al. 2015, section 4.2), for 1x32x32 inputs:
/// a 3x3 stem convolution to 16 channels, three stages of `n` blocks each (16, 32 and 64 channels;
/// the first block of stages 2 and 3 halves the resolution with stride 2), global average pooling
/// and a linear classifier. Each block holds two 3x3 convolutions, so the network has 6n + 2
/// weighted layers: depth 8, 14, 20, 32, 44, 56 for n = 1, 2, 3, 5, 7, 9.
///
///     let plain20 = CifarResNet(depth: 20, residual: false)    // 20 layers, no shortcuts
///     let res20 = CifarResNet(depth: 20, residual: true)       // the lesson's ResidualBlock
///
/// With BatchNorm (the default) the blocks are the lesson's `ResidualBlock` (projection shortcut,
/// "option B", where the shape changes) and `PlainBlock`. Without BatchNorm they are
/// `CifarBlockNoBN`: the same convolutions, with biases, and no normalisation.
public final class CifarResNet: Module {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d?
    public let stages: [Sequential]
    public let avgPool = AdaptiveAvgPool2d((1, 1))
    public let fc: Linear
    public let depth: Int
    public let residual: Bool
    public let batchNorm: Bool
    public var isTraining = true

    /// The stage widths of the family.
    public static let widths = [16, 32, 64]

    /// Blocks per stage for a depth of 6n + 2, or nil when `depth` is not of that form (or below 8).
    public static func blocksPerStage(depth: Int) -> Int? {
        guard depth >= 8, (depth - 2) % 6 == 0 else { return nil }
        return (depth - 2) / 6
    }

    /// The depths 6n + 2 from 8 up to `limit`, for help texts: 8, 14, 20, 26, 32, ...
    public static func validDepths(upTo limit: Int) -> [Int] {
        Array(stride(from: 8, through: limit, by: 6))
    }

    public init(depth: Int, residual: Bool, batchNorm: Bool = true, inChannels: Int = 1, numClasses: Int = 10) {
        guard let n = CifarResNet.blocksPerStage(depth: depth) else {
            preconditionFailure("CifarResNet: depth \(depth) is not 6n + 2 with n >= 1 (8, 14, 20, 26, 32, ...)")
        }
        (self.depth, self.residual, self.batchNorm) = (depth, residual, batchNorm)
        let widths = CifarResNet.widths
        conv1 = Conv2d(inChannels, widths[0], kernelSize: 3, padding: 1, bias: !batchNorm)
        bn1 = batchNorm ? BatchNorm2d(widths[0]) : nil
        var previous = widths[0]
        var stages: [Sequential] = []
        for (index, width) in widths.enumerated() {
            let blocks: [any Module] = (0..<n).map { block in
                let input = block == 0 ? previous : width
                let stride = index > 0 && block == 0 ? 2 : 1
                if batchNorm {
                    return residual ? ResidualBlock(input, width, stride: stride) as any Module
                                    : PlainBlock(input, width, stride: stride)
                }
                return CifarBlockNoBN(input, width, stride: stride, residual: residual)
            }
            stages.append(Sequential(blocks))
            previous = width
        }
        self.stages = stages
        fc = Linear(previous, numClasses)
    }

    public func forward(_ input: Tensor) -> Tensor {
        var x = conv1(input)
        if let bn1 { x = bn1(x) }
        x = relu(x)
        for stage in stages { x = stage(x) }
        x = avgPool(x)
        return fc(x.view(x.size(0), -1))
    }

    /// `Plain20`, `ResNet32`, `Plain8-noBN`.
    public var displayName: String {
        (residual ? "ResNet" : "Plain") + "\(depth)" + (batchNorm ? "" : "-noBN")
    }

    public var typeName: String { residual ? "CifarResNet" : "CifarPlainNet" }
    public var extraDescription: String { "depth=\(depth), batch_norm=\(batchNorm ? "True" : "False")" }
    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1 as any Module)] + (bn1.map { [("bn1", $0 as any Module)] } ?? [])
            + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element as any Module) }
            + [("avg_pool", avgPool), ("fc", fc)]
    }
}

/// A block of two 3x3 convolutions (with biases) and no BatchNorm: relu(conv2(relu(conv1(x))) + x)
/// when `residual`, with a 1x1 projection shortcut where the shape changes; relu(conv2(relu(conv1(x))))
/// without. The `--no-batchnorm` variant of the depth study.
public final class CifarBlockNoBN: Module {
    public let conv1: Conv2d, conv2: Conv2d
    /// nil for a plain block; an empty `Sequential` (identity) or a 1x1 convolution otherwise.
    public let shortcut: Sequential?
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1, residual: Bool) {
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1)
        if !residual {
            shortcut = nil
        } else if stride != 1 || inChannels != outChannels {
            shortcut = Sequential(Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride))
        } else {
            shortcut = Sequential()
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        var out = conv2(relu(conv1(x)))
        if let shortcut { out += shortcut(x) }
        return relu(out)
    }

    public var typeName: String { shortcut == nil ? "PlainBlockNoBN" : "ResidualBlockNoBN" }
    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1 as any Module), ("conv2", conv2)] + (shortcut.map { [("shortcut", $0 as any Module)] } ?? [])
    }
}
