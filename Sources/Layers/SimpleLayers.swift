import Autograd

/// Layers without parameters: activations, pooling, dropout, flattening.

/// `nn.ReLU`. (`inplace` is only shown when printing, to match the lesson's modules; the
/// engine never overwrites its input.)
public final class ReLU: Module {
    public let inplace: Bool
    public var isTraining = true
    public init(inplace: Bool = false) { self.inplace = inplace }
    public func forward(_ input: Tensor) -> Tensor { input.relu() }
    public var typeName: String { "ReLU" }
    public var extraDescription: String { inplace ? "inplace=True" : "" }
}

/// `nn.MaxPool2d`.
public final class MaxPool2d: Module {
    public let kernelSize: Int, stride: Int, padding: Int
    public var isTraining = true
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
    }
    public func forward(_ input: Tensor) -> Tensor {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding)
    }
    public var typeName: String { "MaxPool2d" }
    public var extraDescription: String {
        "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), dilation=1, ceil_mode=False"
    }
}

/// `nn.AdaptiveAvgPool2d`: averages each channel down to a fixed output size.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)
    public var isTraining = true
    public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize }
    public func forward(_ input: Tensor) -> Tensor { adaptiveAvgPool2d(input, outputSize: outputSize) }
    public var typeName: String { "AdaptiveAvgPool2d" }
    public var extraDescription: String { "output_size=(\(outputSize.0), \(outputSize.1))" }
}

/// `nn.Dropout`: active in training, the identity in evaluation.
public final class Dropout: Module {
    public let p: Float
    public var isTraining = true
    public init(p: Float = 0.5) {
        precondition(p >= 0 && p <= 1, "Dropout(p: \(p)): p must be in [0, 1]")
        self.p = p
    }
    public func forward(_ input: Tensor) -> Tensor { dropout(input, p: p, training: isTraining) }
    public var typeName: String { "Dropout" }
    public var extraDescription: String { "p=\(p), inplace=False" }
}

/// `nn.Flatten`: keeps the batch axis, merges the rest.
public final class Flatten: Module {
    public var isTraining = true
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { input.flatten(startDim: 1) }
    public var typeName: String { "Flatten" }
    public var extraDescription: String { "start_dim=1, end_dim=-1" }
}
