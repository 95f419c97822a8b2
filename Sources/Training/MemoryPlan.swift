import Foundation
import Autograd
import Layers

/// How much memory one training step of a network needs, estimated before anything is allocated,
/// so that a batch too large for the machine is refused with a message instead of growing the
/// process until the system kills it.
///
/// Made once the model and its optimiser exist (as `Trainer.run` does), the estimate adds to what
/// the process holds already (its resident memory: the runtime, the dataset, the weights, Adam's
/// moments) what a step allocates at its peak:
/// - the gradients: one more copy of every weight;
/// - the activations kept for the backward pass and their gradients: twice every layer's output
///   (torchinfo's "Forward/backward pass size") but the ReLUs folded into a BatchNorm, from one
///   traced forward pass of one image, times the batch.
/// Checked against steps measured on the lesson's networks (within 25%; see MemoryPlanTests).
public struct MemoryPlan: Sendable {
    /// The gradients of the weights, in bytes.
    public let gradientBytes: Int
    /// Activations and their gradients for one image, in bytes.
    public let activationBytesPerImage: Int
    /// What the process holds before the step (the weights and the optimiser's state included).
    public let baselineBytes: Int
    public let batchSize: Int

    /// The plan for training `model` on batches of `batchSize` images of shape `imageShape`.
    public init(model: any Module, batchSize: Int, imageShape: [Int],
                baselineBytes: Int = ResidentMemory.bytes() ?? 0) {
        let summary = ModelSummary(model: model, input: [1] + imageShape)
        gradientBytes = summary.parameterBytes
        activationBytesPerImage = MemoryPlan.keptBytesPerImage(summary)
        self.baselineBytes = baselineBytes
        self.batchSize = batchSize
    }

    /// What this engine keeps per image for the backward pass: torchinfo's count, less the ReLU
    /// layers the engine folds into the BatchNorm before them (Autograd's DeferredOutput.swift):
    /// their output takes the place of the BatchNorm's instead of adding to it.
    static func keptBytesPerImage(_ summary: ModelSummary) -> Int {
        let leaves = summary.rows.filter { $0.isLeaf && !$0.isIdentity && $0.depth > 0 }
        let folded = zip(leaves, leaves.dropFirst())
            .filter { previous, row in previous.typeName == "BatchNorm2d" && row.typeName == "ReLU" }
            .reduce(0) { $0 + $1.1.outputShape.reduce(1, *) }
        return summary.forwardBackwardBytes - folded * 2 * ModelSummary.bytesPerValue
    }

    /// The estimated peak of one training step, in bytes.
    public var stepBytes: Int { baselineBytes + gradientBytes + batchSize * activationBytesPerImage }

    /// The largest batch whose step fits in `available` bytes (0 when not even one image fits).
    public func largestBatch(fitting available: Int) -> Int {
        max(0, (available - baselineBytes - gradientBytes) / max(1, activationBytesPerImage))
    }

    /// Throws one clear message when the step would not fit in `available` bytes (default: what
    /// the system reports as available); does nothing when that cannot be read.
    public func check(network: String, available: Int? = MemoryPlan.availableBytes()) throws {
        guard let available, stepBytes > available else { return }
        let fits = largestBatch(fitting: available)
        let advice = fits >= 1 ? "The largest batch that fits is about \(fits): run with --batch-size \(fits) or smaller."
                               : "Not even one image fits: close other programs or use a machine with more memory."
        throw CoreError("a training step of \(network) with batches of \(batchSize) images needs about "
                        + "\(MemoryPlan.text(stepBytes)) of memory (\(MemoryPlan.text(batchSize * activationBytesPerImage)) "
                        + "of activations and their gradients, \(MemoryPlan.text(gradientBytes)) of weight gradients, "
                        + "\(MemoryPlan.text(baselineBytes)) already in use by the model, its optimiser and the data), "
                        + "and this machine has "
                        + "\(MemoryPlan.text(available)) available. \(advice)")
    }

    /// Memory the system can still give this process: MemAvailable, or less where a control group
    /// sets a lower limit (containers). Nil where neither can be read.
    public static func availableBytes() -> Int? {
        let system = meminfoField("MemAvailable").map { $0 * 1024 }
        guard let limit = cgroupRemaining() else { return system }
        return min(system ?? limit, limit)
    }

    /// "1.2 GB", "950 MB".
    static func text(_ bytes: Int) -> String {
        let mb = Double(bytes) / 1_000_000
        return mb >= 1000 ? String(format: "%.1f GB", mb / 1000) : String(format: "%.0f MB", mb)
    }

    private static func meminfoField(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// cgroup v2: memory.max minus memory.current, when a limit is set.
    private static func cgroupRemaining() -> Int? {
        func read(_ file: String) -> Int? {
            (try? String(contentsOfFile: "/sys/fs/cgroup/" + file, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        guard let limit = read("memory.max"), let used = read("memory.current") else { return nil }
        return max(0, limit - used)
    }
}
