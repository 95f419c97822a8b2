import ArgumentParser
import Core
import Foundation

struct Step: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Training steps exactly as PyTorch takes them: gradients and weights after Adam.",
        discussion: """
            Train mode; forward on the batch file's x (float32 [B,1,32,32]) and labels (int64 [B]),
            CrossEntropyLoss, backward, one Adam step. With x [S,B,1,32,32] and labels [S,B] it takes S
            consecutive steps with one optimiser and prints `step k: loss L` for each.
            --grads-out gets every parameter's gradient (of the last step) under its parameter name;
            --weights-out the full state_dict after the step(s), BatchNorm buffers included.
            The last line printed is the (last) loss with six decimals, e.g. `loss: 2.313783`.

            Example:
              swift run -c release ModelTool step --model resnet:8,16,32,64:1,1,1,1 \\
                  --weights tiny_resnet.init.safetensors --batch batch.safetensors --lr 0.001 \\
                  --grads-out grads.safetensors --weights-out after.safetensors
            """)

    @OptionGroup var common: ModelOption

    @Option(help: "The initial state_dict (safetensors).")
    var weights: String

    @Option(help: "Safetensors file with x and labels.")
    var batch: String

    @Option(help: "Adam learning rate.")
    var lr: Double = 0.001

    @Option(name: .customLong("grads-out"), help: "Where to write the gradients (safetensors).")
    var gradsOut: String?

    @Option(name: .customLong("weights-out"), help: "Where to write the state_dict after the step(s) (safetensors).")
    var weightsOut: String?

    func validate() throws {
        guard lr >= 0, lr.isFinite else { throw ValidationError("--lr must be a non-negative number (got \(lr)).") }
    }

    func run() throws {
        try Threads.using(common.threads) {
            let spec = try common.spec()
            let model = try loadModel(spec, weights: weights)
            try requireFile(batch, flag: "--batch")
            let batches = try Stepping.batches(from: try Safetensors.read(batch).0, file: batch)
            let multi = batches.count > 1
            let result = try Stepping.runSteps(model: model, batches: batches, lr: lr) { step, loss in
                if multi { print("step \(step): loss \(sixDecimals(loss))") }
            }
            if let gradsOut {
                try Safetensors.write(result.gradients, metadata: ["model": spec.name, "steps": String(batches.count)], to: gradsOut)
            }
            if let weightsOut {
                try model.save(to: weightsOut, metadata: ["model": spec.name, "steps": String(batches.count)])
            }
            guard let last = result.losses.last else { throw CoreError("\(batch) holds no batches") }
            if !last.isFinite { throw CoreError("the loss is \(last): the step diverged (try a smaller --lr)") }
            print("loss: \(sixDecimals(last))")
        }
    }
}
