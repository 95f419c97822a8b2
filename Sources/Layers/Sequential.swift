import Autograd

/// `nn.Sequential`: runs its layers one after another; children are named "0", "1", ...
public final class Sequential: Module {
    public private(set) var layers: [any Module]
    public var isTraining = true

    public init(_ layers: [any Module]) { self.layers = layers }
    public convenience init(_ layers: any Module...) { self.init(layers) }

    /// Each layer in turn. (Fusions such as Conv2d -> BatchNorm2d -> ReLU are found by the engine
    /// from the layers' own operations, not by this container.)
    public func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in layer(x) }
    }

    public var isEmpty: Bool { layers.isEmpty }
    public subscript(index: Int) -> any Module { layers[index] }

    public var typeName: String { "Sequential" }
    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }
}
