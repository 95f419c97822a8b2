/// What torchinfo's `summary(model, input_size=...)` measures, counted without printing: one row per
/// module with its output shape, parameters and multiply-adds, and the totals.
///
///     let summary = ModelSummary(model: ResNet18(), input: [1, 1, 32, 32])
///     summary.totalParameters      // 11_172_810
///     summary.totalMultAdds        // 554_243_072 (convolution and linear weights only)
///
/// Output shapes come from one forward pass in evaluation mode without gradients (the model's
/// training mode is restored afterwards). `Module` has no forward hooks, so the pass mirrors the
/// forward of every container type this project defines (`SummaryTraceable`); a module of another
/// type is run as one unit and shown as one row (its name is listed in `unexpandedModules`).
///
/// Multiply-adds count what dominates the cost: for a `Conv2d`, out_channels x H_out x W_out x
/// in_channels x k x k per image; for a `Linear`, in_features x out_features per row. Biases,
/// BatchNorm, ReLU and pooling are not counted (torchinfo adds BatchNorm's and biases' few
/// thousand, which is why it prints 554.25 M for ResNet-18 where this prints 554.24 M).
public struct ModelSummary: Sendable {
    /// One module of the network, in the order its forward first reaches it.
    public struct Row: Sendable {
        /// Dotted name as in the state_dict (`layer1.0.conv1`); "" for the model itself.
        public var name: String
        /// The class name PyTorch prints (`Conv2d`, `ResidualBlock`).
        public var typeName: String
        /// 0 for the model, 1 for its children, ...
        public var depth: Int
        /// torchinfo's running index at this depth (the `3` in `Conv2d: 2-3`), counted from 1.
        public var index: Int
        /// The output shape including the batch dimension.
        public var outputShape: [Int]
        /// Parameters of this module and everything below it.
        public var parameters: Int
        /// Parameters the module holds itself (what torchinfo shows for a leaf).
        public var ownParameters: Int
        /// Multiply-adds of this module and everything below it (0 for modules that are not counted).
        public var multAdds: Int
        /// No children, or children this summary could not walk.
        public var isLeaf: Bool
        /// An empty `Sequential` (an identity shortcut): it computes nothing and stores nothing new.
        public var isIdentity: Bool
    }

    public let modelName: String
    public let inputShape: [Int]
    public let rows: [Row]
    public let totalParameters: Int
    public let trainableParameters: Int
    public var nonTrainableParameters: Int { totalParameters - trainableParameters }
    public let totalMultAdds: Int
    /// Modules of types the summary cannot look inside (shown as one row each).
    public let unexpandedModules: [String]
    /// Bytes per stored value (float32).
    public static let bytesPerValue = 4

    /// The input tensor's size in bytes.
    public var inputBytes: Int { inputShape.reduce(1, *) * ModelSummary.bytesPerValue }
    /// torchinfo's "Forward/backward pass size": every leaf module's output is kept for the backward
    /// pass and gets a gradient of the same size, so 2 x 4 bytes per output value (identity
    /// shortcuts excluded, as they store nothing).
    public var forwardBackwardBytes: Int {
        rows.filter { $0.isLeaf && !$0.isIdentity && $0.depth > 0 }
            .reduce(0) { $0 + $1.outputShape.reduce(1, *) } * 2 * ModelSummary.bytesPerValue
    }
    /// The parameters' size in bytes (float32).
    public var parameterBytes: Int { totalParameters * ModelSummary.bytesPerValue }
    /// Input + forward/backward + parameters, torchinfo's "Estimated Total Size". Adam would add two
    /// more copies of the parameters and the gradients one more.
    public var estimatedTotalBytes: Int { inputBytes + forwardBackwardBytes + parameterBytes }

    /// The output shape of the whole model.
    public var outputShape: [Int] { rows.first?.outputShape ?? [] }

    /// Runs one forward pass of `model` on zeros of shape `input` (default one 1x32x32 image) and
    /// records every module.
    public init(model: any Module, input: [Int] = [1, 1, 32, 32]) {
        self.init(model: model, input: Tensor.zeros(input))
    }

    /// The same on a given input tensor (for example one real image).
    public init(model: any Module, input: Tensor) {
        let modules = model.namedModules().map(\.module)
        let modes = modules.map(\.isTraining)
        model.eval()
        let tracer = SummaryTracer()
        noGrad { _ = tracer.call(model, name: "", input) }
        for (module, mode) in zip(modules, modes) {
            module.isTraining = mode
        }
        modelName = model.typeName
        inputShape = input.shape
        rows = tracer.rows
        let parameters = model.parameters()
        totalParameters = parameters.reduce(0) { $0 + $1.count }
        trainableParameters = parameters.filter(\.requiresGrad).reduce(0) { $0 + $1.count }
        totalMultAdds = tracer.rows.first?.multAdds ?? 0
        unexpandedModules = tracer.unexpanded
    }

    /// Multiply-adds of one leaf module given its input and output shapes (0 for layers not counted).
    public static func multAdds(of module: any Module, output: [Int]) -> Int {
        if let conv = module as? Conv2d {
            return output.reduce(1, *) * conv.inChannels * conv.kernelSize * conv.kernelSize
        }
        if let linear = module as? Linear {
            return output.reduce(1, *) * linear.inFeatures
        }
        return 0
    }
}

/// A module whose forward the summary can follow step by step: it sends every child through
/// `tracer.call(_:name:_:)` exactly as `forward` applies it. Models defined outside Core (in a
/// lesson) can conform to be summarised layer by layer.
public protocol SummaryTraceable: Module {
    func traceForward(_ input: Tensor, _ tracer: SummaryTracer) -> Tensor
}

/// Walks a forward pass and records a `ModelSummary.Row` per module.
public final class SummaryTracer {
    public private(set) var rows: [ModelSummary.Row] = []
    private(set) var unexpanded: [String] = []
    private var path: [String] = []
    private var counters: [Int: Int] = [:]

    init() {}

    /// Applies `module` (named `name` inside the current one) to `x`, recording it and, when it is
    /// `SummaryTraceable`, everything inside it. Returns the module's output.
    public func call(_ module: any Module, name: String, _ x: Tensor) -> Tensor {
        let depth = path.count
        counters[depth, default: 0] += 1
        let dotted = (path + [name]).filter { !$0.isEmpty }.joined(separator: ".")
        let row = rows.count
        let own = module.ownParameters.reduce(0) { $0 + $1.tensor.count }
        rows.append(ModelSummary.Row(name: dotted, typeName: module.typeName, depth: depth,
                                     index: counters[depth]!, outputShape: [], parameters: module.parameterCount,
                                     ownParameters: own, multAdds: 0, isLeaf: true,
                                     isIdentity: (module as? Sequential)?.isEmpty ?? false))
        let output: Tensor
        if let traceable = module as? any SummaryTraceable, !module.children.isEmpty {
            rows[row].isLeaf = false
            path.append(name)
            output = traceable.traceForward(x, self)
            path.removeLast()
            // Children are deeper; their rows follow this one.
            rows[row].multAdds = rows[(row + 1)...].prefix { $0.depth > depth }
                .filter(\.isLeaf).reduce(0) { $0 + $1.multAdds }
        } else {
            output = module(x)
            if !module.children.isEmpty { unexpanded.append(dotted.isEmpty ? module.typeName : dotted) }
            rows[row].multAdds = ModelSummary.multAdds(of: module, output: output.shape)
        }
        rows[row].outputShape = output.shape
        return output
    }
}

// MARK: - The project's containers, mirrored

extension Sequential: SummaryTraceable {
    public func traceForward(_ input: Tensor, _ tracer: SummaryTracer) -> Tensor {
        layers.enumerated().reduce(input) { x, item in tracer.call(item.element, name: String(item.offset), x) }
    }
}

extension ResNet: SummaryTraceable {
    public func traceForward(_ input: Tensor, _ tracer: SummaryTracer) -> Tensor {
        var x = relu(tracer.call(bn1, name: "bn1", tracer.call(conv1, name: "conv1", input)))
        for (index, stage) in stages.enumerated() { x = tracer.call(stage, name: "layer\(index + 1)", x) }
        x = tracer.call(avgPool, name: "avg_pool", x)
        return tracer.call(fc, name: "fc", x.view(x.size(0), -1))
    }
}

extension PlainNet: SummaryTraceable {
    public func traceForward(_ input: Tensor, _ tracer: SummaryTracer) -> Tensor {
        var x = relu(tracer.call(bn1, name: "bn1", tracer.call(conv1, name: "conv1", input)))
        for (index, stage) in stages.enumerated() { x = tracer.call(stage, name: "layer\(index + 1)", x) }
        x = tracer.call(avgPool, name: "avg_pool", x)
        return tracer.call(fc, name: "fc", x.view(x.size(0), -1))
    }
}

extension VGG16: SummaryTraceable {
    public func traceForward(_ input: Tensor, _ tracer: SummaryTracer) -> Tensor {
        let x = tracer.call(features, name: "features", input)
        return tracer.call(classifier, name: "classifier", x.view(x.size(0), -1))
    }
}

extension ResidualBlock: SummaryTraceable {
    public func traceForward(_ x: Tensor, _ tracer: SummaryTracer) -> Tensor {
        var out = relu(tracer.call(bn1, name: "bn1", tracer.call(conv1, name: "conv1", x)))
        out = tracer.call(bn2, name: "bn2", tracer.call(conv2, name: "conv2", out))
        return relu(out + tracer.call(shortcut, name: "shortcut", x))
    }
}

extension PlainBlock: SummaryTraceable {
    public func traceForward(_ x: Tensor, _ tracer: SummaryTracer) -> Tensor {
        let out = relu(tracer.call(bn1, name: "bn1", tracer.call(conv1, name: "conv1", x)))
        return relu(tracer.call(bn2, name: "bn2", tracer.call(conv2, name: "conv2", out)))
    }
}

extension CifarResNet: SummaryTraceable {
    public func traceForward(_ input: Tensor, _ tracer: SummaryTracer) -> Tensor {
        var x = tracer.call(conv1, name: "conv1", input)
        if let bn1 { x = tracer.call(bn1, name: "bn1", x) }
        x = relu(x)
        for (index, stage) in stages.enumerated() { x = tracer.call(stage, name: "layer\(index + 1)", x) }
        x = tracer.call(avgPool, name: "avg_pool", x)
        return tracer.call(fc, name: "fc", x.view(x.size(0), -1))
    }
}

extension CifarBlockNoBN: SummaryTraceable {
    public func traceForward(_ x: Tensor, _ tracer: SummaryTracer) -> Tensor {
        let out = tracer.call(conv2, name: "conv2", relu(tracer.call(conv1, name: "conv1", x)))
        guard let shortcut else { return relu(out) }
        return relu(out + tracer.call(shortcut, name: "shortcut", x))
    }
}
