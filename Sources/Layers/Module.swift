import Autograd

/// A network layer or a whole network, as PyTorch's `nn.Module`.
///
/// A module declares its own parameters, buffers and child modules (with the attribute names
/// PyTorch uses); everything recursive (`namedParameters()`, `stateDict()`, `train()`, printing)
/// comes from the protocol extensions, so a new layer only describes itself.
public protocol Module: AnyObject, CustomStringConvertible {
    /// The computation, called as `model(x)`.
    func forward(_ input: Tensor) -> Tensor

    /// Class name PyTorch prints (`Conv2d`, `ResidualBlock`, `VGG16_MNIST`).
    var typeName: String { get }
    /// PyTorch's `extra_repr`: the arguments shown inside the parentheses.
    var extraDescription: String { get }
    /// Direct children in registration order, with their attribute names.
    var children: [(name: String, module: any Module)] { get }
    /// Parameters owned by this module itself, in registration order.
    var ownParameters: [(name: String, tensor: Tensor)] { get }
    /// Buffers owned by this module itself (running statistics), with their saved dtype.
    var ownBuffers: [(name: String, tensor: Tensor, dtype: DType)] { get }
    /// Training mode (dropout active, batch statistics) or evaluation mode.
    var isTraining: Bool { get set }
}

extension Module {
    public var extraDescription: String { "" }
    public var children: [(name: String, module: any Module)] { [] }
    public var ownParameters: [(name: String, tensor: Tensor)] { [] }
    public var ownBuffers: [(name: String, tensor: Tensor, dtype: DType)] { [] }

    /// `model(x)`: runs `forward`, and tells a watching `ForwardObserver` (PyTorch's forward hooks).
    ///
    /// Inside a forward pass the layers may hand each other deferred outputs, which the engine
    /// fuses (`relu(bn(conv(x)))` in one pass: Autograd's DeferredOutput.swift). What the outermost
    /// module returns, and what a watched module reports, is always written.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        if let observer = ForwardHooks.current?.observer {
            observer.willRun(self, input: input)
            let output = forward(input).materialized()
            observer.didRun(self, output: output)
            return output
        }
        if Deferral.isAllowed { return forward(input) }
        return Deferral.allowed { forward(input) }.materialized()
    }

    /// Every parameter with its dotted PyTorch name (`layer1.0.conv1.weight`), depth first.
    public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        ownParameters.map { (prefix + $0.name, $0.tensor) }
            + children.flatMap { $0.module.namedParameters(prefix: prefix + $0.name + ".") }
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Every buffer with its dotted name.
    public func namedBuffers(prefix: String = "") -> [(name: String, tensor: Tensor, dtype: DType)] {
        ownBuffers.map { (prefix + $0.name, $0.tensor, $0.dtype) }
            + children.flatMap { $0.module.namedBuffers(prefix: prefix + $0.name + ".") }
    }

    /// Every module below this one with its dotted name (this one first, with name "").
    public func namedModules(prefix: String = "") -> [(name: String, module: any Module)] {
        [(prefix, self)] + children.flatMap { child in
            child.module.namedModules(prefix: prefix.isEmpty ? child.name : prefix + "." + child.name)
        }
    }

    /// Number of parameter values, `sum(p.numel() for p in model.parameters())`.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Switches this module and all below it to training mode.
    public func train() { setTraining(true) }
    /// Switches this module and all below it to evaluation mode.
    public func eval() { setTraining(false) }

    private func setTraining(_ on: Bool) {
        let module = self   // a class: setting the flag through a constant reference is enough
        module.isTraining = on
        for child in children { child.module.setTraining(on) }
    }

    /// Clears every parameter's gradient (PyTorch's default `set_to_none=True`).
    public func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }

    /// The module tree printed the way PyTorch's `print(model)` does.
    public var description: String {
        let childLines = children.map { "(\($0.name)): " + indentContinuationLines($0.module.description) }
        let extra = extraDescription.isEmpty ? [] : extraDescription.split(separator: "\n").map(String.init)
        if childLines.isEmpty && extra.count == 1 { return "\(typeName)(\(extra[0]))" }
        if childLines.isEmpty && extra.isEmpty { return "\(typeName)()" }
        return "\(typeName)(\n  " + (extra + childLines).joined(separator: "\n  ") + "\n)"
    }
}

/// Indents every line but the first by two spaces (PyTorch's `_addindent`).
private func indentContinuationLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false)
        .enumerated()
        .map { $0.offset == 0 ? String($0.element) : "  " + $0.element }
        .joined(separator: "\n")
}
