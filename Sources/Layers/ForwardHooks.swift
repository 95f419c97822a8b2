import Autograd

/// PyTorch's forward hooks: a way to watch every module of a network run, without changing the
/// network. The summary table, Exercise 1's look at a fresh VGG-16 and the Mini-Challenge's shape
/// trace all read a model this way, so a model states its structure once, in its `forward`.
///
///     let trace = ForwardTrace(of: model)
///     let logits = trace.run(images)            // every module's call is recorded in trace.records
public protocol ForwardObserver: AnyObject {
    /// Before `module.forward(input)`.
    func willRun(_ module: any Module, input: Tensor)
    /// After it, with the output.
    func didRun(_ module: any Module, output: Tensor)
}

public enum ForwardHooks {
    /// Set for the duration of `observing(_:_:)`, in that task only (as `GradMode`).
    @TaskLocal static var current: ObserverBox?

    /// Runs `body` with `observer` told about every module called inside it.
    public static func observing<T>(_ observer: any ForwardObserver, _ body: () throws -> T) rethrows -> T {
        try $current.withValue(ObserverBox(observer: observer)) { try body() }
    }
}

/// Carries the observer in a task-local value. Unchecked because the observer is mutable: it is
/// only ever called from the task that installed it, since modules run on the calling thread
/// (the kernels' worker threads never call a module).
struct ObserverBox: @unchecked Sendable {
    let observer: any ForwardObserver
}

/// One module's call during a traced forward pass.
public struct ForwardRecord {
    /// Dotted name as in the state_dict (`layer1.0.conv1`); "" for the model itself.
    public let name: String
    public let module: any Module
    /// 0 for the model, 1 for its children, ...
    public let depth: Int
    public let inputShape: [Int]
    /// The module's output (set when its call returns).
    public internal(set) var output: Tensor?
    /// Whether other modules ran inside this one's call.
    public internal(set) var ranChildren = false
}

/// Records every module call of one network's forward passes, in the order the calls begin.
public final class ForwardTrace: ForwardObserver {
    public private(set) var records: [ForwardRecord] = []
    private let names: [ObjectIdentifier: String]
    private var open: [Int] = []

    public init(of model: any Module) {
        var names: [ObjectIdentifier: String] = [:]
        for (name, module) in model.namedModules() where names[ObjectIdentifier(module)] == nil {
            names[ObjectIdentifier(module)] = name
        }
        self.names = names
    }

    /// `model(input)` with every call recorded.
    public func run(_ model: any Module, _ input: Tensor) -> Tensor {
        ForwardHooks.observing(self) { model(input) }
    }

    public func willRun(_ module: any Module, input: Tensor) {
        if let parent = open.last { records[parent].ranChildren = true }
        open.append(records.count)
        records.append(ForwardRecord(name: names[ObjectIdentifier(module)] ?? module.typeName, module: module,
                                     depth: open.count - 1, inputShape: input.shape))
    }

    public func didRun(_ module: any Module, output: Tensor) {
        records[open.removeLast()].output = output
    }
}
