import Autograd

/// The element type a checkpoint entry is saved as. In memory every tensor is float32;
/// PyTorch keeps `num_batches_tracked` as int64, so that entry is written and read as int64.
public enum DType: String, Sendable {
    case float32 = "F32"
    case int64 = "I64"
}

/// An ordered map from PyTorch key names (`layer1.0.bn1.running_var`) to tensors, like the
/// `OrderedDict` that `model.state_dict()` returns.
public struct StateDict {
    public private(set) var keys: [String] = []
    private var tensors: [String: Tensor] = [:]
    private var dtypes: [String: DType] = [:]

    public init() {}

    public var count: Int { keys.count }

    public subscript(key: String) -> Tensor? { tensors[key] }

    /// The type the entry is saved as (float32 unless set otherwise).
    public func dtype(of key: String) -> DType { dtypes[key] ?? .float32 }

    /// Adds or replaces an entry; a new key goes at the end, as in Python's OrderedDict.
    public mutating func set(_ key: String, _ tensor: Tensor, dtype: DType = .float32) {
        if tensors[key] == nil { keys.append(key) }
        tensors[key] = tensor
        dtypes[key] = dtype
    }

    /// The entries in order.
    public var entries: [(key: String, tensor: Tensor, dtype: DType)] {
        keys.map { ($0, tensors[$0]!, dtype(of: $0)) }
    }
}
