import Layers

/// ResNet-18 of the lesson: 11,172,810 parameters.
public func ResNet18(numClasses: Int = 10) -> ResNet {
    ResNet(channels: [64, 128, 256, 512], blocks: [2, 2, 2, 2], numClasses: numClasses, name: "ResNet18")
}
