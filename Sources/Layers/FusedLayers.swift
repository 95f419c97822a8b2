import Autograd

/// The layers' side of the fused operations (`Autograd/Ops/FusedOps.swift`): a convolution that
/// applies the BatchNorm and ReLU after it as it writes its output, and a BatchNorm with its ReLU.

/// A layer that knows how to run some of the layers that follow it together with itself.
/// `Sequential` asks each layer; the layer, not the container, knows its fusions.
public protocol FusesFollowingLayers: Module {
    /// This layer and as many of `next` as it absorbs, as one operation; nil when it absorbs none.
    func forward(_ input: Tensor, fusing next: ArraySlice<any Module>) -> (output: Tensor, absorbed: Int)?
}

extension Conv2d: FusesFollowingLayers {
    /// Absorbs a following BatchNorm2d, ReLU, or BatchNorm2d then ReLU.
    public func forward(_ input: Tensor, fusing next: ArraySlice<any Module>) -> (output: Tensor, absorbed: Int)? {
        let norm = next.first as? BatchNorm2d
        let relu = next.dropFirst(norm == nil ? 0 : 1).first is ReLU
        guard norm != nil || relu else { return nil }
        return (self(input, then: norm, relu: relu), (norm == nil ? 0 : 1) + (relu ? 1 : 0))
    }
}

extension BatchNorm2d: FusesFollowingLayers {
    /// Absorbs a following ReLU.
    public func forward(_ input: Tensor, fusing next: ArraySlice<any Module>) -> (output: Tensor, absorbed: Int)? {
        guard next.first is ReLU else { return nil }
        return (self(input, relu: true), 1)
    }
}
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
