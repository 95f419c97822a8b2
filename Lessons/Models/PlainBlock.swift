import Autograd
import Layers

/// The same two conv + BatchNorm layers without the skip connection: relu(bn2(conv2(relu(bn1(conv1(x)))))).
public final class PlainBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public var isTraining = true

    /// `stride` > 1 downsamples in the first convolution (used by `Plain18`; the lesson's block has stride 1).
    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1) {
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(outChannels)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(outChannels)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let out = relu(bn1(conv1(x)))
        return relu(bn2(conv2(out)))
    }

    public var typeName: String { "PlainBlock" }
    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
    }
}
