import Kernels

/// `F.conv2d`: a 2-D convolution of a batch [N, C, H, W] with weights [O, C, kh, kw].
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: Int = 1, padding: Int = 0) -> Tensor {
    let geometry = convolutionGeometry(input, weight, stride: stride, padding: padding)
    let shape = [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth]
    // Evaluation without gradients: the output is deferred, so that a BatchNorm (its fixed
    // evaluation map) and a ReLU after it are applied as the convolution writes (OutputMap).
    guard GradMode.isEnabled else {
        return Tensor.deferring(shape: shape, requiresGrad: false, inputs: [input, weight] + (bias.map { [$0] } ?? []),
                                canApply: { _ in true }) { epilogue in
            let out = Tensor(uninitialized: shape)
            Kernels.convForward(input.data, weight.data,
                                map: OutputMap(bias: bias?.data, affine: epilogue.affine, relu: epilogue.relu),
                                out.data, geometry, recording: false)
            return out
        }
    }
    let out = Tensor(uninitialized: shape)
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    // While gradients are recorded, a backward pass may follow (through this convolution or a
    // trainable layer after it), so the forward keeps Winograd's more exact tile (see `convForward`).
    Kernels.convForward(input.data, weight.data, map: OutputMap(bias: bias?.data), out.data, geometry,
                        recording: true)

    return out.recorded("ConvolutionBackward0", inputs: inputs) { gradOut in
        let gx = input.requiresGrad ? Tensor(uninitialized: input.shape) : nil
        let gw = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
        let gb = (bias?.requiresGrad ?? false) ? Tensor.zeros(bias!.shape) : nil
        Kernels.convBackward(input.data, weight.data, gradOut.data,
                             gx: gx?.data, gw: gw?.data, gb: gb?.data, geometry)
        return [gx, gw] + (bias == nil ? [] : [gb])
    }
}

/// The shapes of a convolution, after checking that input and weight fit together.
private func convolutionGeometry(_ input: Tensor, _ weight: Tensor, stride: Int, padding: Int) -> ConvGeometry {
    precondition(input.rank == 4, "conv2d: expected input [N, C, H, W], got \(Shape.text(input.shape))")
    precondition(weight.rank == 4 && weight.shape[1] == input.shape[1],
                 "conv2d: weight \(Shape.text(weight.shape)) does not fit input \(Shape.text(input.shape)) (channels differ)")
    let geometry = ConvGeometry(batch: input.shape[0], inChannels: input.shape[1],
                                height: input.shape[2], width: input.shape[3],
                                outChannels: weight.shape[0], kernelH: weight.shape[2], kernelW: weight.shape[3],
                                stride: stride, padding: padding)
    precondition(geometry.outHeight > 0 && geometry.outWidth > 0,
                 "conv2d: input \(Shape.text(input.shape)) is smaller than the kernel \(Shape.text(weight.shape))")
    return geometry
}
