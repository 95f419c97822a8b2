/// Tensor factories, named as in PyTorch (`torch.zeros`, `torch.randn`, ...).
extension Tensor {
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.fill(0)
        t.requiresGrad = requiresGrad
        return t
    }

    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.fill(value)
        t.requiresGrad = requiresGrad
        return t
    }

    /// Standard normal values, as `torch.randn`.
    public static func randn(_ shape: [Int], requiresGrad: Bool = false,
                             generator: Generator = Random.global) -> Tensor {
        let t = Tensor(uninitialized: shape)
        let values = t.data   // one read of the storage, not one per element
        for i in 0..<t.count { values[i] = Float(generator.nextNormal()) }
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniform values in [low, high), as `torch.empty(shape).uniform_(low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, requiresGrad: Bool = false,
                               generator: Generator = Random.global) -> Tensor {
        let t = Tensor(uninitialized: shape)
        let values = t.data
        for i in 0..<t.count { values[i] = Float(generator.uniform(Double(low), Double(high))) }
        t.requiresGrad = requiresGrad
        return t
    }

    /// A 0-d tensor holding one number (shape `[]`), as `torch.tensor(3.0)`.
    public static func scalar(_ value: Float) -> Tensor {
        Tensor([value], shape: [])
    }
}
