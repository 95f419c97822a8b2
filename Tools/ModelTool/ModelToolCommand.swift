import ArgumentParser
import Core
import Foundation

struct ModelToolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ModelTool",
        abstract: "Use PyTorch-trained weights here, and these weights in PyTorch (safetensors state_dicts).",
        discussion: """
            Weights are safetensors files with PyTorch's state_dict keys, as written by
            safetensors.torch.save_file(model.state_dict(), path) or by model.save(to:) here.

            Models (--model): \(ModelSpec.usage).

            Examples:
              ModelTool evaluate --model resnet18 --weights resnet18.safetensors
              ModelTool step --model resnet:8,16,32,64:1,1,1,1 \\
                --weights init.safetensors --batch batch.safetensors \\
                --grads-out grads.safetensors --weights-out after.safetensors
              ModelTool summary --model resnet18
              ModelTool inspect --model resnet18 --weights output/checkpoints/resnet18.safetensors
              ModelTool train --model resnet18 --batches 20 \\
                --weights-out here.safetensors
            (run as `swift run -c release ModelTool ...` from the package)
            """,
        subcommands: [Evaluate.self, Step.self, Train.self, Summary.self, Inspect.self])
}

/// `--model`, parsed through `ModelSpec` so that a wrong name gives one clear line.
extension ModelSpec: ExpressibleByArgument {
    public init?(argument: String) {
        guard let spec = try? ModelSpec(parsing: argument) else { return nil }
        self = spec
    }
}

struct ModelOption: ParsableArguments {
    @Option(help: ArgumentHelp("The network: \(ModelSpec.usage).", valueName: "model"))
    var model: String

    @Option(help: "CPU threads (default: all cores). The same thread count gives the same numbers.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        _ = try spec()
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    }

    func spec() throws -> ModelSpec {
        do { return try ModelSpec(parsing: model) } catch let error as CoreError { throw ValidationError(error.message) }
    }
}

/// Checks that an input file exists, with a sentence naming the flag.
func requireFile(_ path: String, flag: String) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw CoreError("\(flag) \(path): no such file")
    }
    guard !isFolder.boolValue else { throw CoreError("\(flag) \(path) is a folder, not a safetensors file") }
}

/// Builds the model and loads weights into it (strictly: every key and shape must match).
func loadModel(_ spec: ModelSpec, weights: String) throws -> any Module {
    try requireFile(weights, flag: "--weights")
    let model = spec.makeModel()
    do {
        try model.load(from: weights)
    } catch let error as CoreError {
        throw CoreError("\(error.message) (is --model \(spec.name) the network these weights belong to?)")
    }
    return model
}

func checkDataDir(_ dataDir: String?) throws {
    guard let dataDir else { return }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isFolder), isFolder.boolValue else {
        throw ValidationError("--data-dir \(dataDir) is not a folder. Point it at a folder with the MNIST files, or leave it out to use data/.")
    }
}

func sixDecimals(_ value: Double) -> String { String(format: "%.6f", value) }
