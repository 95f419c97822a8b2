import ArgumentParser
import Core
import Foundation
import LessonKit

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a torchinfo-style table: output shape, parameters and mult-adds of every layer.",
        discussion: """
            Mult-adds count convolution and linear weights only (torchinfo also counts BatchNorm and
            biases: it prints 554.25 M for ResNet-18 where this prints 554.24 M).

            Examples:
              swift run ModelTool summary --model resnet18
              swift run ModelTool summary --model vgg16 --input 1,1,32,32 --depth 2
            """)

    @OptionGroup var common: ModelOption

    @Option(help: "Input shape: batch,channels,height,width.")
    var input: String = "1,1,32,32"

    @Option(help: "Deepest level of modules shown.")
    var depth: Int = 3

    func validate() throws {
        do { _ = try parseInputShape(input) } catch let error as CoreError { throw ValidationError(error.message) }
        guard depth >= 1 else { throw ValidationError("--depth must be at least 1 (got \(depth)).") }
    }

    func run() throws {
        try Threads.using(common.threads) {
            let model = try common.spec().makeModel()
            print(printSummary(model: model, input: try parseInputShape(input), depth: depth))
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Error analysis of trained weights: confusion matrix, most confident mistakes, first-layer feature maps.",
        discussion: """
            Writes confusion_matrix.png, confident_mistakes.png and feature_maps.png to --output.

            Examples:
              swift run -c release ModelTool inspect --model resnet18 --weights output/checkpoints/resnet18.safetensors
              swift run -c release ModelTool inspect --model vgg16 --weights vgg16.safetensors --dataset fashion-mnist --limit 2000
            """)

    @OptionGroup var common: ModelOption

    @Option(help: "The state_dict to inspect (safetensors).")
    var weights: String

    @Option(name: .customLong("data-dir"), help: "Folder holding the dataset files (default: data/).")
    var dataDir: String?

    @Option(help: "Dataset: mnist or fashion-mnist.")
    var dataset: DatasetChoice = .mnist

    @Option(help: "Use only the first N test images.")
    var limit: Int?

    @Option(help: "Folder for the charts.")
    var output: String = "output/inspect"

    @Option(name: .customLong("image"), help: "Test image whose feature maps are shown.")
    var imageIndex: Int = 0

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1 (got \(limit)).") }
        guard imageIndex >= 0 else { throw ValidationError("--image must be 0 or more (got \(imageIndex)).") }
        try checkDataDir(dataDir)
    }

    func run() throws {
        try Threads.using(common.threads) {
            let spec = try common.spec()
            let model = try loadModel(spec, weights: weights)
            var test = try MNISTDataset(root: dataDir ?? LessonData.defaultDataRoot(), kind: dataset.kind, train: false)
            if let limit { test = test.subset(limit: limit) }
            guard imageIndex < test.count else { throw CoreError("--image \(imageIndex) is past the \(test.count) test images") }
            let folder = try OutputFolder.prepare(output, lesson: "")
            let report = try Inspection.inspect(model: model, name: spec.displayName, dataset: test, folder: folder,
                                                imageIndex: imageIndex)
            print(report.narration)
            for chart in [report.confusionChart, report.mistakesChart, report.featureMapsChart].compactMap({ $0 }) {
                print("Chart written: \(chart.path)")
            }
        }
    }
}
