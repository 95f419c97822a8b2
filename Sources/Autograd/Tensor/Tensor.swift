import Kernels

/// A float32 tensor with a shape, stored row-major (NCHW for images, as PyTorch presents it),
/// that can record the operations made on it so that `backward()` can compute gradients.
///
/// Tensors are reference types, as in PyTorch: a parameter updated by the optimiser is the same
/// object the layer holds, and `x.grad` fills in on the tensor the learner created.
public final class Tensor {
    /// The size along each axis, e.g. `[64, 1, 32, 32]`.
    public let shape: [Int]
    /// Whether gradients should flow to this tensor. Set it on inputs and parameters (leaves).
    public var requiresGrad: Bool
    /// The accumulated gradient of a leaf tensor after `backward()`, as PyTorch's `.grad`.
    public var grad: Tensor?

    /// The memory once written; nil only while this is a deferred output (DeferredOutput.swift).
    private var writtenStorage: Storage?
    /// The operation that will write this tensor when it is first read, if it is deferred.
    private(set) var pendingOutput: DeferredOutput?
    private var recordedFn: GradFn?

    /// The memory, possibly shared with other tensors (views).
    public var storage: Storage {
        if let writtenStorage { return writtenStorage }
        return writePendingOutput()
    }

    /// The operation that produced this tensor, when it was recorded for autograd.
    var gradFn: GradFn? {
        get {
            if writtenStorage == nil { writePendingOutput() }
            return recordedFn
        }
        set { recordedFn = newValue }
    }

    /// Wraps existing storage (used by views and kernels).
    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        precondition(Shape.count(shape) <= storage.count,
                     "shape \(Shape.text(shape)) needs \(Shape.count(shape)) elements, storage has \(storage.count)")
        self.shape = shape
        self.writtenStorage = storage
        self.requiresGrad = requiresGrad
    }

    /// An output to be written when first read.
    init(deferred: DeferredOutput, shape: [Int], requiresGrad: Bool) {
        self.shape = shape
        self.pendingOutput = deferred
        self.requiresGrad = requiresGrad
    }

    /// Computes a deferred output, with what was folded into it, and becomes that output.
    @discardableResult
    private func writePendingOutput() -> Storage {
        guard let pending = pendingOutput else { preconditionFailure("a tensor has neither storage nor an operation to write it") }
        pendingOutput = nil   // also releases the inputs the operation held
        let written = pending.scope.run { pending.compute(pending.epilogue) }
        precondition(written.shape == shape && written.requiresGrad == requiresGrad,
                     "a deferred operation wrote \(Shape.text(written.shape)) for \(Shape.text(shape))")
        writtenStorage = written.storage
        recordedFn = written.recordedFn
        return written.storage
    }

    /// A new tensor of this shape with uninitialised contents (kernels fill it).
    public convenience init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: Storage(count: Shape.count(shape)))
    }

    /// A tensor holding `values` in row-major order.
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(values.count == Shape.count(shape),
                     "Tensor: \(values.count) values do not fill shape \(Shape.text(shape))")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { data.update(from: base, count: values.count) }
        }
        self.requiresGrad = requiresGrad
    }

    /// A 1-D tensor from an array, like `torch.tensor([...])`.
    public convenience init(_ values: [Float]) {
        self.init(values, shape: [values.count])
    }

    /// Number of elements.
    public var count: Int { Shape.count(shape) }
    /// Number of axes.
    public var rank: Int { shape.count }
    /// Direct access to the elements (row-major).
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    /// The elements as a Swift array (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    /// A read-only view of the elements without copying.
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: data, count: count) }

    /// `tensor.size(axis)`, with negative axes counting from the end.
    public func size(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

    /// Turns `-1` into the last axis and checks bounds.
    func normalizedAxis(_ axis: Int) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < rank, "axis \(axis) is out of range for shape \(Shape.text(shape))")
        return resolved
    }

    /// The single value of a one-element tensor, as `loss.item()`.
    public func item() -> Float {
        precondition(count == 1, "item(): the tensor has shape \(Shape.text(shape)), not a single element")
        return data[0]
    }

    /// Whether this tensor was created by the user rather than by an operation.
    public var isLeaf: Bool { gradFn == nil }

    /// A copy that shares nothing and records nothing, like `tensor.detach().clone()`.
    public func clone() -> Tensor {
        let copy = Tensor(uninitialized: shape)
        copy.data.update(from: data, count: count)
        return copy
    }

    /// The same values, cut off from the graph (shares memory), like `tensor.detach()`.
    public func detach() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Fills with a constant in place.
    public func fill(_ value: Float) {
        data.update(repeating: value, count: count)
    }

    /// Sets every element to zero in place, as `x.grad.zero_()`.
    public func zero() { fill(0) }

    /// Copies another tensor's values into this one (same number of elements).
    public func copy(from other: Tensor) {
        precondition(other.count == count,
                     "copy: source shape \(Shape.text(other.shape)) does not match \(Shape.text(shape))")
        data.update(from: other.data, count: count)
    }
}

extension Tensor: CustomStringConvertible {
    /// A short PyTorch-like rendering: values for small tensors, a summary for large ones.
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: ", ")
        let more = count > 8 ? ", ..." : ""
        let grad = gradFn.map { ", grad_fn=<\($0.name)>" } ?? (requiresGrad ? ", requires_grad=True" : "")
        return "tensor([\(shown)\(more)], shape=\(Shape.text(shape))\(grad))"
    }
}
