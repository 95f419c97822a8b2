import Autograd

/// The layers' side of the fused operations (`Autograd/Ops/FusedOps.swift`): a convolution that
/// applies the BatchNorm and ReLU after it as it writes its output.
extension Conv2d {
    /// `relu(norm(conv(x)))` (without `relu`: `norm(conv(x))`; without `norm`: `relu(conv(x))`).
    public func callAsFunction(_ input: Tensor, then norm: BatchNorm2d?, relu: Bool = false) -> Tensor {
        if let norm {
            precondition(norm.numFeatures == outChannels,
                         "BatchNorm2d(\(norm.numFeatures)) cannot follow a convolution with \(outChannels) output channels")
        }
        // Fused only when nothing would be recorded (a trainable BatchNorm after a frozen
        // convolution still needs its graph) and nothing watches the layers one by one.
        let trainable = parameters().contains { $0.requiresGrad } || (norm?.parameters().contains { $0.requiresGrad } ?? false)
        let recording = GradMode.isEnabled && (input.requiresGrad || trainable)
        guard !recording, !(norm?.isTraining ?? false), !ForwardHooks.isObserving else {
            let out = self(input)
            if let norm { return norm(out, relu: relu) }
            return relu ? out.relu() : out
        }
        return conv2dFused(input, weight: weight, bias: bias, stride: stride, padding: padding,
                           affine: norm?.evaluationMap, relu: relu)
    }
}
