import Layers

/// The mini-challenge's deeper ResNet, [3, 4, 6, 3] blocks (ResNet-34's layout): 21,280,970 parameters.
public func DeepResNet(numClasses: Int = 10) -> ResNet {
    ResNet(channels: [64, 128, 256, 512], blocks: [3, 4, 6, 3], numClasses: numClasses, name: "DeepResNet")
}
