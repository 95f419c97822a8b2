import Layers

/// ResNet-18 with every shortcut removed: the same 17 convolutions without skip connections.
public func Plain18(numClasses: Int = 10) -> ResNet {
    ResNet(channels: [64, 128, 256, 512], blocks: [2, 2, 2, 2], numClasses: numClasses, residual: false,
           name: "Plain18")
}
