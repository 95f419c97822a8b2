import Autograd
import Layers

/// Saving a module's weights as PyTorch does with `safetensors.torch.save_file(model.state_dict(), path)`,
/// and loading them back, here or in PyTorch.
extension Module {
    /// Writes `stateDict()` to a safetensors file (atomically), with optional metadata.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try Safetensors.write(stateDict(), metadata: metadata, to: path)
    }

    /// Loads weights from a safetensors file (strict by default: every key, every shape).
    /// Returns the file's metadata.
    @discardableResult
    public func load(from path: String, strict: Bool = true) throws -> [String: String] {
        let (dict, metadata) = try Safetensors.read(path)
        do {
            try loadStateDict(dict, strict: strict)
        } catch let error as CoreError {
            throw CoreError("\(path): \(error.message)")
        }
        return metadata
    }
}
