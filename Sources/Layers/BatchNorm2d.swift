import Autograd

/// `nn.BatchNorm2d`: normalises each channel, then scales by `weight` and shifts by `bias`.
/// Training uses the batch's statistics and updates the running ones; evaluation uses the running ones.
public final class BatchNorm2d: Module {
    public let numFeatures: Int
    public let eps: Float, momentum: Float
    public let weight: Tensor, bias: Tensor
    public let runningMean: Tensor, runningVar: Tensor
    /// Counts training-mode forwards; saved as int64 like PyTorch's `num_batches_tracked`.
    public let numBatchesTracked: Tensor
    public var isTraining = true

    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        precondition(numFeatures > 0, "BatchNorm2d(\(numFeatures)): the number of channels must be positive")
        (self.numFeatures, self.eps, self.momentum) = (numFeatures, eps, momentum)
        weight = .ones([numFeatures], requiresGrad: true)
        bias = .zeros([numFeatures], requiresGrad: true)
        runningMean = .zeros([numFeatures])
        runningVar = .ones([numFeatures])
        numBatchesTracked = .zeros([])
    }

    public func forward(_ input: Tensor) -> Tensor {
        if isTraining { numBatchesTracked.data[0] += 1 }
        return batchNorm2d(input, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                           training: isTraining, momentum: momentum, eps: eps)
    }

    public var typeName: String { "BatchNorm2d" }
    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(name: String, tensor: Tensor, dtype: DType)] {
        [("running_mean", runningMean, .float32), ("running_var", runningVar, .float32),
         ("num_batches_tracked", numBatchesTracked, .int64)]
    }
    public var extraDescription: String {
        "\(numFeatures), eps=\(pythonFloat(eps)), momentum=\(pythonFloat(momentum)), affine=True, bias=True, track_running_stats=True"
    }
}

/// A float printed the way Python prints it (`1e-05`, `0.1`).
func pythonFloat(_ value: Float) -> String {
    let d = Double(value)
    var text = "\(Float(d))"
    if text.contains("e-") {
        // Swift prints 1e-05 as "1e-05"; keep the two-digit exponent Python uses.
        let parts = text.split(separator: "e")
        let exponent = Int(parts[1])!
        text = "\(parts[0] == "1.0" ? "1" : String(parts[0]))e\(exponent < 0 ? "-" : "+")\(String(format: "%02d", Swift.abs(exponent)))"
    }
    return text
}
