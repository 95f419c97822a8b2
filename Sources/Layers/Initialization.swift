import Foundation
import Autograd

/// PyTorch's default initialisation of `Conv2d` and `Linear`: kaiming_uniform_ with a = sqrt(5)
/// for the weight and uniform(±1/sqrt(fan_in)) for the bias, which both come to
/// uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
public enum Initialization {
    public static func defaultUniform(_ shape: [Int], fanIn: Int, generator: Generator = Random.global) -> Tensor {
        let bound = fanIn > 0 ? Float(1 / Double(fanIn).squareRoot()) : 0
        return Tensor.uniform(shape, low: -bound, high: bound, requiresGrad: true, generator: generator)
    }

    /// He-normal with fan-out (`kaiming_normal_(mode="fan_out", nonlinearity="relu")`), as
    /// torchvision's VGG and ResNet initialise their convolutions.
    public static func kaimingNormalFanOut(_ tensor: Tensor, fanOut: Int, generator: Generator = Random.global) {
        let std = (2.0 / Double(fanOut)).squareRoot()
        for i in 0..<tensor.count { tensor.data[i] = Float(generator.nextNormal() * std) }
    }
}
