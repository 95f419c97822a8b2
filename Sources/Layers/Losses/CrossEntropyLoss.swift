import Autograd

/// `nn.CrossEntropyLoss()`: mean over the batch of -log softmax(logits)[label].
public struct CrossEntropyLoss {
    public init() {}
    public func callAsFunction(_ logits: Tensor, _ labels: [Int]) -> Tensor { crossEntropy(logits, labels) }
}
