import Autograd

/// `nn.Sequential`: runs its layers one after another; children are named "0", "1", ...
public final class Sequential: Module {
    public private(set) var layers: [any Module]
    public var isTraining = true

    public init(_ layers: [any Module]) { self.layers = layers }
    public convenience init(_ layers: any Module...) { self.init(layers) }

    public func forward(_ input: Tensor) -> Tensor {
        // Watched (ForwardHooks): layer by layer, so every layer reports its own output.
        if ForwardHooks.isObserving { return layers.reduce(input) { x, layer in layer(x) } }
        var x = input
        var index = 0
        while index < layers.count {
            // A layer that can absorb the layers after it (Conv2d -> BatchNorm2d -> ReLU, BatchNorm2d
            // -> ReLU) runs them as one fused operation: the same numbers, fewer passes over memory.
            if let fusing = layers[index] as? any FusesFollowingLayers,
               let (output, absorbed) = fusing.forward(x, fusing: layers[(index + 1)...]) {
                x = output
                index += 1 + absorbed
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
