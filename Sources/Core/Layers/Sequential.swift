/// `nn.Sequential`: runs its layers one after another; children are named "0", "1", ...
public final class Sequential: Module {
    public private(set) var layers: [any Module]
    public var isTraining = true

    public init(_ layers: [any Module]) { self.layers = layers }
    public convenience init(_ layers: any Module...) { self.init(layers) }

    public func forward(_ input: Tensor) -> Tensor {
        var x = input
        var index = 0
        while index < layers.count {
            // A BatchNorm2d followed by a ReLU runs as one fused operation: the same numbers in
            // one pass over memory (see Autograd/FusedOps.swift).
            if let norm = layers[index] as? BatchNorm2d, index + 1 < layers.count, layers[index + 1] is ReLU {
                x = norm(x, relu: true)
                index += 2
            } else {
                x = layers[index](x)
                index += 1
            }
        }
        return x
    }

    public var isEmpty: Bool { layers.isEmpty }
    public subscript(index: Int) -> any Module { layers[index] }

    public var typeName: String { "Sequential" }
    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }
}
