import Autograd

/// What torchinfo's `summary(model, input_size=...)` measures, counted without printing: one row per
/// module with its output shape, parameters and multiply-adds, and the totals.
///
///     let summary = ModelSummary(model: ResNet18(), input: [1, 1, 32, 32])
///     summary.totalParameters      // 11_172_810
///     summary.totalMultAdds        // 554_243_072 (convolution and linear weights only)
///
/// Output shapes come from one forward pass in evaluation mode without gradients (the model's
/// training mode is restored afterwards), watched through the forward hooks (`ForwardTrace`): every
/// module the forward calls is a row, in the order the calls begin. A module with children whose
/// forward does not call them as modules is shown as one row (listed in `unexpandedModules`).
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
        let trace = ForwardTrace(of: model)
        noGrad { _ = trace.run(model, input) }
        for (module, mode) in zip(modules, modes) {
            module.isTraining = mode
        }
        modelName = model.typeName
        inputShape = input.shape
        rows = ModelSummary.rows(trace.records)
        let parameters = model.parameters()
        totalParameters = parameters.reduce(0) { $0 + $1.count }
        trainableParameters = parameters.filter(\.requiresGrad).reduce(0) { $0 + $1.count }
        totalMultAdds = rows.first?.multAdds ?? 0
        unexpandedModules = trace.records.filter { !$0.ranChildren && !$0.module.children.isEmpty }
            .map { $0.name.isEmpty ? $0.module.typeName : $0.name }
    }

    /// One row per recorded call; a container's multiply-adds are its leaves' sum.
    private static func rows(_ records: [ForwardRecord]) -> [Row] {
        var counters: [Int: Int] = [:]
        var rows = records.map { record -> Row in
            counters[record.depth, default: 0] += 1
            let module = record.module
            let output = record.output?.shape ?? []
            return Row(name: record.name, typeName: module.typeName, depth: record.depth,
                       index: counters[record.depth]!, outputShape: output, parameters: module.parameterCount,
                       ownParameters: module.ownParameters.reduce(0) { $0 + $1.tensor.count },
                       multAdds: record.ranChildren ? 0 : multAdds(of: module, output: output),
                       isLeaf: !record.ranChildren, isIdentity: (module as? Sequential)?.isEmpty ?? false)
        }
        // Children follow their container, deeper; a container adds up its leaves.
        for (index, row) in rows.enumerated() where !row.isLeaf {
            rows[index].multAdds = rows[(index + 1)...].prefix { $0.depth > row.depth }
                .filter(\.isLeaf).reduce(0) { $0 + $1.multAdds }
        }
        return rows
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
