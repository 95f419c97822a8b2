import Autograd
import Layers

/// The lesson's VGG-16 for MNIST (`VGG16_MNIST`): five VGG blocks (64, 128, 256, 512, 512
/// channels; 2, 2, 3, 3, 3 convolutions) take 1x32x32 down to 512x1x1, then three fully
/// connected layers with dropout. 33,637,066 parameters.
public final class VGG16: Module {
    public let features: Sequential
    public let classifier: Sequential
    public var isTraining = true

    /// - Parameters:
    ///   - batchNorm: a BatchNorm after every convolution (not in the original lesson: one of
    ///     the cures for its vanishing gradients).
    public init(numClasses: Int = 10, inChannels: Int = 1, batchNorm: Bool = false) {
        features = Sequential(
            vggBlock(2, inChannels, 64, batchNorm: batchNorm),   // 32x32 -> 16x16
            vggBlock(2, 64, 128, batchNorm: batchNorm),          // 16x16 -> 8x8
            vggBlock(3, 128, 256, batchNorm: batchNorm),         // 8x8 -> 4x4
            vggBlock(3, 256, 512, batchNorm: batchNorm),         // 4x4 -> 2x2
            vggBlock(3, 512, 512, batchNorm: batchNorm))         // 2x2 -> 1x1
        classifier = Sequential(
            Linear(512, 4096), ReLU(inplace: true), Dropout(p: 0.5),
            Linear(4096, 4096), ReLU(inplace: true), Dropout(p: 0.5),
            Linear(4096, numClasses))
    }

    public func forward(_ input: Tensor) -> Tensor {
        let x = features(input)
        return classifier(x.view(x.size(0), -1))
    }

    /// He-normal (fan-out) for every convolution, zero biases: torchvision's VGG initialisation.
    public func kaimingInit(generator: Generator = Random.global) {
        for case let conv as Conv2d in namedModules().map(\.module) {
            Initialization.kaimingNormalFanOut(conv.weight, fanOut: conv.outChannels * conv.kernelSize * conv.kernelSize,
                                               generator: generator)
            conv.bias?.zero()
        }
    }

    public var typeName: String { "VGG16_MNIST" }
    public var children: [(name: String, module: any Module)] {
        [("features", features), ("classifier", classifier)]
    }
}
