import ArgumentParser
import Core
import LessonKit
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate weights on the MNIST test set (eval mode, file order, the lesson's preprocessing).",
        discussion: """
            The last line printed is the accuracy with four decimals and correct/total:
              Test accuracy: 0.9871 (9871/10000)

            Examples:
              swift run -c release ModelTool evaluate --model resnet18 --weights resnet18.safetensors
              swift run -c release ModelTool evaluate --model resnet:8,16,32,64:1,1,1,1 --weights tiny.safetensors \\
                  --limit 16 --predictions-out predictions.txt
            """)

    @OptionGroup var common: ModelOption

    @Option(help: "The state_dict to evaluate (safetensors).")
    var weights: String

    @Option(name: .customLong("data-dir"), help: "Folder holding the MNIST files (default: data/).")
    var dataDir: String?

    @Option(help: "Evaluate only the first N test images.")
    var limit: Int?

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    var batchSize: Int = 64

    @Option(name: .customLong("predictions-out"), help: "Write each image's predicted class, one per line, in file order.")
    var predictionsOut: String?

    @Option(name: .customLong("logits-out"), help: "Write the logits [N,10] and labels [N] as safetensors.")
    var logitsOut: String?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1 (got \(limit)).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
        try checkDataDir(dataDir)
    }

    func run() throws {
        try Threads.using(common.threads) {
            let spec = try common.spec()
            let model = try loadModel(spec, weights: weights)
            let test = try MNISTDataset(root: dataDir ?? LessonData.defaultDataRoot(), kind: .mnist, train: false)
            let count = min(limit ?? test.count, test.count)
            print("\(spec.displayName): \(weights), \(count) test images, batches of \(batchSize), \(common.threads) threads")
            let start = Date()
            let result = Evaluation.run(model: model, dataset: test, limit: limit, batchSize: batchSize,
                                           keepLogits: logitsOut != nil)
            print("Evaluated in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            if let predictionsOut {
                try AtomicFile.write(Data(result.predictions.map { "\($0)\n" }.joined().utf8), to: predictionsOut)
                print("Predictions written to \(predictionsOut)")
            }
            if let logitsOut, let logits = result.logits {
                var dict = StateDict()
                dict.set("logits", logits)
                dict.set("labels", Tensor(result.labels.map(Float.init), shape: [result.total]), dtype: .int64)
                try Safetensors.write(dict, metadata: ["model": spec.name, "weights": weights], to: logitsOut)
                print("Logits written to \(logitsOut)")
            }
            print(result.summary)
        }
    }
}
