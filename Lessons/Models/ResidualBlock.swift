import Autograd
import Layers

/// The basic residual block: two 3x3 conv + BatchNorm layers computing F(x), and the output
/// relu(F(x) + shortcut(x)). The shortcut is the identity (an empty `Sequential`) when the shape
/// is unchanged, and a 1x1 convolution + BatchNorm (a projection) when the stride or the number
/// of channels changes.
public final class ResidualBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let shortcut: Sequential
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1) {
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(outChannels)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, stride: 1, padding: 1, bias: false)
        bn2 = BatchNorm2d(outChannels)
        if stride != 1 || inChannels != outChannels {
            shortcut = Sequential(Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false),
                                  BatchNorm2d(outChannels))
        } else {
            shortcut = Sequential()
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        // Main path: F(x)
        var out = relu(bn1(conv1(x)))
        out = bn2(conv2(out))
        // The skip connection: F(x) + x, then the ReLU
        out += shortcut(x)
        return relu(out)
    }

    public var typeName: String { "ResidualBlock" }
    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("shortcut", shortcut)]
    }
}
