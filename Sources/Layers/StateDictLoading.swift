import Kernels
import Autograd

/// Saving and loading a module's parameters and buffers under PyTorch's key names.
extension Module {
    /// Parameters then buffers of each module, depth first: the order of PyTorch's `state_dict()`.
    public func stateDict() -> StateDict {
        var dict = StateDict()
        collectState(into: &dict, prefix: "")
        return dict
    }

    private func collectState(into dict: inout StateDict, prefix: String) {
        for p in ownParameters { dict.set(prefix + p.name, p.tensor) }
        for b in ownBuffers { dict.set(prefix + b.name, b.tensor, dtype: b.dtype) }
        for child in children { child.module.collectState(into: &dict, prefix: prefix + child.name + ".") }
    }

    /// Copies values from `dict` into this module's parameters and buffers.
    ///
    /// Strict loading (the default, as in PyTorch) fails on a missing key, an unexpected key, or a
    /// shape mismatch, with one message naming the key and both shapes; nothing is changed then.
    public func loadStateDict(_ dict: StateDict, strict: Bool = true) throws {
        let own = stateDict()
        var problems: [String] = []
        for (key, tensor, _) in own.entries {
            guard let source = dict[key] else {
                if strict { problems.append("missing key '\(key)' (expected shape \(Shape.text(tensor.shape)))") }
                continue
            }
            if source.shape != tensor.shape {
                problems.append("shape mismatch for '\(key)': the checkpoint has \(Shape.text(source.shape)), the model expects \(Shape.text(tensor.shape))")
            }
        }
        if strict {
            for key in dict.keys where own[key] == nil { problems.append("unexpected key '\(key)'") }
        }
        guard problems.isEmpty else {
            throw CoreError("cannot load the state dict into \(typeName): " + problems.prefix(5).joined(separator: "; ")
                            + (problems.count > 5 ? "; and \(problems.count - 5) more" : ""))
        }
        for (key, tensor, _) in own.entries {
            if let source = dict[key] { tensor.copy(from: source) }
        }
    }
}
