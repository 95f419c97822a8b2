import Autograd

/// `nn.Conv2d`: a 2-D convolution with square kernels, stride and zero padding.
public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    /// [out, in, k, k], as PyTorch stores it.
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, generator: Generator = Random.global) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2d(\(inChannels), \(outChannels), kernelSize: \(kernelSize), stride: \(stride), padding: \(padding)): sizes must be positive")
        (self.inChannels, self.outChannels, self.kernelSize, self.stride, self.padding) =
            (inChannels, outChannels, kernelSize, stride, padding)
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Initialization.defaultUniform([outChannels, inChannels, kernelSize, kernelSize],
                                               fanIn: fanIn, generator: generator)
        self.bias = bias ? Initialization.defaultUniform([outChannels], fanIn: fanIn, generator: generator) : nil
    }

    public func forward(_ input: Tensor) -> Tensor {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    public var typeName: String { "Conv2d" }
    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
    public var extraDescription: String {
        var text = "\(inChannels), \(outChannels), kernel_size=(\(kernelSize), \(kernelSize)), stride=(\(stride), \(stride))"
        if padding != 0 { text += ", padding=(\(padding), \(padding))" }
        if bias == nil { text += ", bias=False" }
        return text
    }
}
