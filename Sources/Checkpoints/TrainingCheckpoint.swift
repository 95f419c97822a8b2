import Foundation
import Kernels
import Autograd
import Layers

/// Everything needed to resume a training run where it stopped: the model's state_dict, Adam's state,
/// the position in the schedule, the random generator's state, and free-form metadata; one safetensors file.
///
/// Layout of the file:
/// - the model's state_dict under its own keys (`conv1.weight`, `layer1.0.bn1.running_var`, ...);
/// - Adam's moments as `optimizer.exp_avg.<parameter name>` and `optimizer.exp_avg_sq.<parameter name>`;
/// - metadata (strings): `format` = `training-checkpoint`, `format_version` = `1`, `optimizer` = `Adam`,
///   `optimizer.step`, `optimizer.lr`, `optimizer.betas`, `optimizer.eps`, `optimizer.weight_decay`,
///   `epoch`, `batch`, and `generator_state` (four decimal UInt64 words separated by commas) when given;
///   the caller's own entries are stored as they are and may not use these names.
///
/// Resuming bit for bit: the data order of an epoch is drawn from the generator when the epoch starts, so
/// save the generator's state *at the start of the current epoch* (before `epochOrder()`), with `batch` = the
/// batches of that epoch already taken. On resume, set the generator to that state, draw the order again,
/// skip `batch` batches, and continue: the same thread count then gives bit-identical weights. (A model with
/// Dropout draws masks from a generator too; give it its own generator and save that one's current state in
/// the metadata.)
///
/// The file is written atomically (a crash mid-save leaves the previous checkpoint intact). Loading is strict:
/// every model key and shape, every moment tensor, and the reserved metadata must be present and consistent,
/// or it throws one message naming the problem, and then neither the model nor the optimiser is changed.
public struct TrainingCheckpoint {
    /// Epoch the run was in (the caller's convention; the lessons count from 1).
    public var epoch: Int
    /// Batches of `epoch` already taken.
    public var batch: Int
    /// Adam's step count when saved.
    public var optimizerStep: Int
    /// The learning rate Adam had (informational; `load` does not change the optimiser's rate).
    public var learningRate: Double
    /// The generator state saved with the checkpoint, if any (four words).
    public var generatorState: [UInt64]?
    /// The caller's own metadata (without the reserved entries).
    public var metadata: [String: String]

    public static let formatName = "training-checkpoint"
    public static let formatVersion = "1"
    static let expAvgPrefix = "optimizer.exp_avg."
    static let expAvgSqPrefix = "optimizer.exp_avg_sq."
    static let reservedKeys: Set<String> = [
        "format", "format_version", "optimizer", "optimizer.step", "optimizer.lr", "optimizer.betas", "optimizer.eps",
        "optimizer.weight_decay", "epoch", "batch", "generator_state",
    ]

    /// Saves `model` and `optimizer` (an Adam built over `model.parameters()`, in that order) atomically.
    public static func save(model: any Module, optimizer: Adam, epoch: Int, batch: Int, generatorState: [UInt64]? = nil,
                            metadata: [String: String] = [:], to path: String) throws {
        let named = model.namedParameters()
        guard named.count == optimizer.parameters.count,
              zip(named, optimizer.parameters).allSatisfy({ $0.tensor === $1 }) else {
            throw CoreError("cannot save a training checkpoint to \(path): the optimiser was not built over this model's "
                            + "parameters (Adam(model.parameters()))")
        }
        if let clash = metadata.keys.first(where: { reservedKeys.contains($0) }) {
            throw CoreError("cannot save a training checkpoint to \(path): metadata key '\(clash)' is reserved for the checkpoint itself")
        }
        if let generatorState, generatorState.count != 4 {
            throw CoreError("cannot save a training checkpoint to \(path): a generator state is 4 words, not \(generatorState.count)")
        }
        var dict = model.stateDict()
        for (index, (name, _)) in named.enumerated() {
            if dict[expAvgPrefix + name] != nil || dict[expAvgSqPrefix + name] != nil {
                throw CoreError("cannot save a training checkpoint to \(path): the model itself has a key starting with 'optimizer.'")
            }
            dict.set(expAvgPrefix + name, optimizer.expAvg[index])
            dict.set(expAvgSqPrefix + name, optimizer.expAvgSq[index])
        }
        var meta = metadata
        meta["format"] = formatName
        meta["format_version"] = formatVersion
        meta["optimizer"] = "Adam"
        meta["optimizer.step"] = String(optimizer.stepCount)
        meta["optimizer.lr"] = "\(optimizer.lr)"
        meta["optimizer.betas"] = "\(optimizer.beta1),\(optimizer.beta2)"
        meta["optimizer.eps"] = "\(optimizer.eps)"
        meta["optimizer.weight_decay"] = "\(optimizer.weightDecay)"
        meta["epoch"] = String(epoch)
        meta["batch"] = String(batch)
        if let generatorState { meta["generator_state"] = generatorState.map(String.init).joined(separator: ",") }
        try Safetensors.write(dict, metadata: meta, to: path)
    }

    /// Loads a checkpoint into `model` and `optimizer` (strictly), and returns its schedule position,
    /// generator state and metadata.
    @discardableResult
    public static func load(from path: String, into model: any Module, optimizer: Adam) throws -> TrainingCheckpoint {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CoreError("training checkpoint \(path) does not exist")
        }
        let (dict, meta) = try Safetensors.read(path)
        func fail(_ why: String) -> CoreError { CoreError("\(path) is not a usable training checkpoint: \(why)") }

        guard meta["format"] == formatName else {
            throw fail(meta["format"] == nil
                       ? "it has no 'format' metadata (a plain state_dict? load it with model.load(from:))"
                       : "its format is '\(meta["format"]!)', not '\(formatName)'")
        }
        guard meta["format_version"] == formatVersion else {
            throw fail("format version '\(meta["format_version"] ?? "none")' is not supported (this build reads \(formatVersion))")
        }
        guard meta["optimizer"] == "Adam" else { throw fail("it holds '\(meta["optimizer"] ?? "no")' optimiser state, not Adam's") }
        func integer(_ key: String) throws -> Int {
            guard let text = meta[key], let value = Int(text), value >= 0 else {
                throw fail("metadata '\(key)' is \(meta[key].map { "'\($0)'" } ?? "missing"); expected a non-negative integer")
            }
            return value
        }
        let step = try integer("optimizer.step"), epoch = try integer("epoch"), batch = try integer("batch")
        var generatorState: [UInt64]?
        if let text = meta["generator_state"] {
            let words = text.split(separator: ",").compactMap { UInt64($0) }
            guard words.count == 4, text.split(separator: ",").count == 4, words.contains(where: { $0 != 0 }) else {
                throw fail("generator_state '\(text)' is not four comma-separated UInt64 words (not all zero)")
            }
            generatorState = words
        }
        let lr = meta["optimizer.lr"].flatMap(Double.init) ?? optimizer.lr
        if let betas = meta["optimizer.betas"] {
            let values = betas.split(separator: ",").compactMap { Double($0) }
            guard values.count == 2 else { throw fail("optimizer.betas '\(betas)' is not two numbers") }
            guard values[0] == optimizer.beta1, values[1] == optimizer.beta2 else {
                throw fail("it was saved with Adam betas (\(values[0]), \(values[1])) but this optimiser uses "
                           + "(\(optimizer.beta1), \(optimizer.beta2)); the moments would not mean the same")
            }
        }

        // Split the model's entries from the optimiser's, and check the optimiser's completely.
        let named = model.namedParameters()
        guard named.count == optimizer.parameters.count,
              zip(named, optimizer.parameters).allSatisfy({ $0.tensor === $1 }) else {
            throw CoreError("cannot load \(path): the optimiser was not built over this model's parameters (Adam(model.parameters()))")
        }
        var modelDict = StateDict()
        var expAvg: [String: Tensor] = [:], expAvgSq: [String: Tensor] = [:]
        for (key, tensor, dtype) in dict.entries {
            if key.hasPrefix(expAvgSqPrefix) {
                expAvgSq[String(key.dropFirst(expAvgSqPrefix.count))] = tensor
            } else if key.hasPrefix(expAvgPrefix) {
                expAvg[String(key.dropFirst(expAvgPrefix.count))] = tensor
            } else if key.hasPrefix("optimizer.") {
                throw fail("unexpected optimiser entry '\(key)'")
            } else {
                modelDict.set(key, tensor, dtype: dtype)
            }
        }
        var problems: [String] = []
        for (name, parameter) in named {
            for (label, moments) in [("exp_avg", expAvg), ("exp_avg_sq", expAvgSq)] {
                guard let moment = moments[name] else {
                    problems.append("missing optimizer.\(label).\(name)")
                    continue
                }
                if moment.shape != parameter.shape {
                    problems.append("optimizer.\(label).\(name) is \(Shape.text(moment.shape)), the parameter is \(Shape.text(parameter.shape))")
                }
            }
        }
        let names = Set(named.map(\.name))
        for name in Set(expAvg.keys).union(expAvgSq.keys) where !names.contains(name) {
            problems.append("optimiser state for '\(name)', which this model does not have")
        }
        guard problems.isEmpty else {
            throw fail(problems.prefix(5).joined(separator: "; ") + (problems.count > 5 ? "; and \(problems.count - 5) more" : ""))
        }
        do {
            try model.loadStateDict(modelDict, strict: true)   // checks everything before changing anything
        } catch let error as CoreError {
            throw CoreError("\(path): \(error.message)")
        }
        optimizer.restore(stepCount: step, expAvg: named.map { expAvg[$0.name]! }, expAvgSq: named.map { expAvgSq[$0.name]! })
        let own = meta.filter { !reservedKeys.contains($0.key) }
        return TrainingCheckpoint(epoch: epoch, batch: batch, optimizerStep: step, learningRate: lr,
                                  generatorState: generatorState, metadata: own)
    }
}
