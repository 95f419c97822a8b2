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
            // Conv2d -> BatchNorm2d -> ReLU (and the shorter runs of these) run as fused
            // operations: the same numbers with fewer passes over memory (Autograd/FusedOps.swift).
            func follows<T>(_ offset: Int, _ type: T.Type) -> Bool {
                index + offset < layers.count && layers[index + offset] is T
            }
            if let conv = layers[index] as? Conv2d, follows(1, BatchNorm2d.self) || follows(1, ReLU.self) {
                let norm = layers[index + 1] as? BatchNorm2d
                let relu = norm == nil || follows(2, ReLU.self)
                x = conv(x, then: norm, relu: relu)
                index += 1 + (norm == nil ? 0 : 1) + (relu ? 1 : 0)
            } else if let norm = layers[index] as? BatchNorm2d, follows(1, ReLU.self) {
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
