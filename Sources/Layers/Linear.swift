import Autograd

/// `nn.Linear`: y = x W^T + b.
public final class Linear: Module {
    public let inFeatures: Int, outFeatures: Int
    /// [out, in], as PyTorch stores it.
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator = Random.global) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear(\(inFeatures), \(outFeatures)): sizes must be positive")
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        weight = Initialization.defaultUniform([outFeatures, inFeatures], fanIn: inFeatures, generator: generator)
        self.bias = bias ? Initialization.defaultUniform([outFeatures], fanIn: inFeatures, generator: generator) : nil
    }

    public func forward(_ input: Tensor) -> Tensor { linear(input, weight: weight, bias: bias) }

    public var typeName: String { "Linear" }
    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
    public var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True")"
    }
}
