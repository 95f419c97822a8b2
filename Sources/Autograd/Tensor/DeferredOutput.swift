import Kernels

/// How the engine fuses operations that a model writes one after another.
///
/// A model reads as the original lesson writes it, `relu(bn1(conv1(x)))` and `relu(out + shortcut(x))`;
/// the engine finds the fusions. A BatchNorm or a sum returns its output *deferred*: shaped, recorded
/// in the graph when first used, but not yet written. A `relu()` that receives such an output does not
/// read it: it asks the operation for its output with the ReLU applied as it is written, one pass
/// over memory instead of two, and one activation fewer kept for the backward pass. In evaluation
/// without gradients a convolution defers too, so the BatchNorm's per-channel map and the ReLU after
/// it are applied while the convolution writes (see `OutputMap`).
///
/// Anything else that reads a deferred output (its `data`, `storage` or graph) writes it first, with
/// what was folded into it, so a deferred tensor behaves exactly like a computed one. The fused and
/// the plain computations give the same numbers and gradients (tested in `FusionTests`).
///
/// Outputs are deferred only inside a module's forward pass (`Deferral.isAllowed`, set by the
/// outermost `Module.callAsFunction`, which writes what it returns): nothing outside a forward pass
/// holds a deferred tensor, so no input can change between the operation and its writing.
public enum Deferral {
    @TaskLocal public static var isAllowed = false

    /// Runs `body` with deferred outputs allowed, unless the kernel options turn fusion off.
    public static func allowed<T>(_ body: () throws -> T) rethrows -> T {
        try $isAllowed.withValue(KernelOptions.current.fusion) { try body() }
    }
}

/// What an operation may still apply to its output as it writes it.
public struct Epilogue {
    /// BatchNorm's evaluation-mode map per channel, y = (x - mean) * scale + shift.
    public var affine: (mean: [Float], scale: [Float], shift: [Float])?
    /// max(y, 0) after everything else.
    public var relu = false

    public init(affine: (mean: [Float], scale: [Float], shift: [Float])? = nil, relu: Bool = false) {
        (self.affine, self.relu) = (affine, relu)
    }

    /// This epilogue followed by `next`, when the order of the steps allows it (a map after a ReLU
    /// does not fold: it would have to run after the clamp).
    func then(_ next: Epilogue) -> Epilogue? {
        if relu && (next.relu || next.affine != nil) { return nil }
        if affine != nil && next.affine != nil { return nil }
        return Epilogue(affine: affine ?? next.affine, relu: relu || next.relu)
    }
}

/// An operation's output that is not written yet.
struct DeferredOutput {
    /// What is folded in so far.
    var epilogue: Epilogue
    /// Whether the operation can apply this epilogue as it writes.
    let canApply: (Epilogue) -> Bool
    /// The output with `epilogue` applied, computed and recorded as an eager operation would.
    let compute: (Epilogue) -> Tensor
    /// The scopes in force when the operation was called, restored while it writes.
    let scope = CallScope()
}

/// The task-local settings an operation reads: recording, kernel paths, thread count.
struct CallScope {
    let gradMode = GradMode.isEnabled
    let options = KernelOptions.current
    let threads = Threads.count

    func run<T>(_ body: () -> T) -> T {
        GradMode.$isEnabled.withValue(gradMode) { KernelOptions.with(options) { Threads.using(threads, body) } }
    }
}

extension Tensor {
    /// `compute(Epilogue())` deferred when fusion is allowed here, else computed now.
    /// `requiresGrad` says whether the output will be recorded (it must be known before it is written).
    /// The `inputs` that `compute` reads are written now: a deferred output then never waits on
    /// another, so only one layer's output is pending at a time. (Writing a chain of pending outputs
    /// at the end would allocate every layer's output before any was freed, and recurse once per layer.)
    static func deferring(shape: [Int], requiresGrad: Bool, inputs: [Tensor],
                          canApply: @escaping (Epilogue) -> Bool,
                          compute: @escaping (Epilogue) -> Tensor) -> Tensor {
        guard Deferral.isAllowed else { return compute(Epilogue()) }
        for input in inputs { input.materialized() }
        return Tensor(deferred: DeferredOutput(epilogue: Epilogue(), canApply: canApply, compute: compute),
                      shape: shape, requiresGrad: requiresGrad)
    }

    /// This deferred output with `next` applied as well, or nil when it is written already or its
    /// operation cannot apply `next` (the caller then computes `next` on the written values).
    func folding(_ next: Epilogue) -> Tensor? {
        guard var deferred = pendingOutput, deferred.scope.gradMode == GradMode.isEnabled,
              let combined = deferred.epilogue.then(next), deferred.canApply(combined) else { return nil }
        deferred.epilogue = combined
        return Tensor(deferred: deferred, shape: shape, requiresGrad: requiresGrad)
    }

    /// Whether an operation on `inputs` would be recorded here.
    static func wouldRecord(_ inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }

    /// This tensor with its values written (a no-op for every tensor but a deferred output).
    @discardableResult
    public func materialized() -> Tensor {
        _ = storage
        return self
    }
}
