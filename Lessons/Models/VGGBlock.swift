import Autograd
import Layers

/// `vgg_block` from the lesson: `numConvs` 3x3 convolutions (padding 1, each followed by a ReLU),
/// then a 2x2 max-pool that halves the height and width.
public func vggBlock(_ numConvs: Int, _ inChannels: Int, _ outChannels: Int,
                     batchNorm: Bool = false) -> Sequential {
    var layers: [any Module] = []
    var channels = inChannels
    for _ in 0..<numConvs {
        layers.append(Conv2d(channels, outChannels, kernelSize: 3, padding: 1))
        if batchNorm { layers.append(BatchNorm2d(outChannels)) }
        layers.append(ReLU(inplace: true))
        channels = outChannels
    }
    layers.append(MaxPool2d(kernelSize: 2, stride: 2))
    return Sequential(layers)
}
