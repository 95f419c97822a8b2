// Exercise 3: Implementing ResNet-18
//
// Day 13, Modern Architectures. This lesson builds the whole ResNet-18 from the residual blocks of
// Exercise 2, follows one image through it stage by stage, trains it on MNIST and saves its weights
// and history, which Exercises 4 and 5 reuse.
// Run it with `swift run Exercise3_ResNet18` (or `--quick` for a short version); `--help` lists the flags.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

struct Exercise3: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Exercise3_ResNet18",
        abstract: "ResNet-18: the architecture, the shape of the data through it, and training it on MNIST.",
        discussion: """
        Saves <output>/checkpoints/resnet18.safetensors and resnet18.history.json (resnet18-fashion-mnist.* with --dataset fashion-mnist, *-quick.* with --quick), which Exercises 4 and 5 reuse with the same settings; a saved run with exactly these settings is reused here too.

        Examples:
          swift run Exercise3_ResNet18 --quick
          swift run Exercise3_ResNet18              (original schedule: \(OriginalSchedule.resnetEpochs) epochs)
          swift run Exercise3_ResNet18 --quick --seeds 3
          swift run Exercise3_ResNet18 --dataset fashion-mnist --epochs 3
          swift run Exercise3_ResNet18 --threads 1 --output output/one-thread
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    func run() throws {
        runLesson(common) {
            let lesson = try common.apply(lesson: "Exercise3_ResNet18", training)
            let data = try LessonData.load(training)
            try announcePlan(lesson, data: data)
            try runLessonBody(lesson, data: data)
            try lesson.writeReport()
        }
    }

    func runLessonBody(_ lesson: Narrator, data: LessonData) throws {
        let output = URL(fileURLWithPath: common.output, isDirectory: true)

        // MARK: The plan (the introduction, before section 1)
        lesson.title("EXERCISE 3: RESNET-18 IMPLEMENTATION")
        lesson.say("""
        ResNet-18 is the residual block of Exercise 2, stacked. Its plan:
          - a stem: one 3x3 convolution (64 channels) with BatchNorm and ReLU. ImageNet's ResNet uses
            a 7x7 stride-2 convolution and a max-pool here; a 32x32 image is too small to shrink that early;
          - four stages of two residual blocks each, with 64, 128, 256 and 512 channels; every stage
            after the first halves the height and width in its first block (stride 2, with a 1x1
            projection on the shortcut);
          - global average pooling, one number per channel, then a single linear layer to 10 classes.
        That is 1 + 4 x 2 x 2 = 17 convolutions and 1 linear layer: the 18 of the name.
        """)

        // MARK: 1. The network, printed
        lesson.section("1. The architecture")
        Random.manualSeed(common.seed)
        let resnet = ResNet18()
        lesson.say("""
        ResNet18() (Lessons/Models/ResNet18.swift) builds the ResNet class of Lessons/Models/ResNet.swift, \
        whose makeLayer stacks the ResidualBlock of Lessons/Models/ResidualBlock.swift. Printed as PyTorch's print(model) would:
        """)
        lesson.output("resnet18 = \(resnet)")
        let parameterCount = resnet.parameterCount
        let convolutions = resnet.namedModules().filter { $0.module is Conv2d }
        let stemAndStages = convolutions.filter { !$0.name.contains("shortcut") }.count
        lesson.say("""

        Total parameters: \(Format.thousands(parameterCount))
        Convolutions on the main path: \(stemAndStages); projection shortcuts (1x1): \(convolutions.count - stemAndStages).
        """)
        lesson.results.record("main_path_convolutions", stemAndStages)
        lesson.results.record("stage_parameters", resnet.stages.map(\.parameterCount))
        let stageShares = resnet.stages.enumerated().map { index, stage in
            "layer\(index + 1): \(Format.thousands(stage.parameterCount)) (\(Format.fixed(100 * Double(stage.parameterCount) / Double(parameterCount), 1))%)"
        }
        lesson.say("""
        Where the parameters sit: \(stageShares.joined(separator: ", ")); the classifier has only \
        \(Format.thousands(resnet.fc.parameterCount)). Most of the weights are in the last, widest stage, which works \
        on a 4x4 grid: the deep layers are wide but cheap to apply, the early ones narrow but applied at every pixel.
        """)

        // MARK: 2. One image through the network
        lesson.section("2. Architecture flow")
        lesson.say("""
        One random 1x32x32 input goes through the layers one after another (in evaluation mode and
        without gradients: only the shapes matter here).
        """)
        resnet.eval()
        let flow: [String] = noGrad {
            var lines: [String] = []
            var x = Tensor.randn([1, 1, 32, 32])
            lines.append("Input: \(Format.torchSize(x.shape))")
            x = relu(resnet.bn1(resnet.conv1(x)))
            lines.append("After initial conv: \(Format.torchSize(x.shape))")
            for (index, stage) in resnet.stages.enumerated() {
                x = stage(x)
                lines.append("After layer\(index + 1) (\(x.size(1)) channels): \(Format.torchSize(x.shape))")
            }
            x = resnet.avgPool(x)
            lines.append("After global avg pool: \(Format.torchSize(x.shape))")
            x = x.view(x.size(0), -1)
            lines.append("After flatten: \(Format.torchSize(x.shape))")
            x = resnet.fc(x)
            lines.append("After fc (the 10 class scores): \(Format.torchSize(x.shape))")
            return lines
        }
        lesson.output(flow.joined(separator: "\n"))
        lesson.say("""
        Each stage doubles the channels while it halves the grid, so every block does a similar amount
        of work. Global average pooling then replaces VGG's large fully connected layers: whatever the
        grid size, each of the 512 channels becomes one number, and only \(Format.thousands(resnet.fc.parameterCount)) \
        weights turn them into class scores.
        """)

        // MARK: 3. Training
        lesson.section("3. Training ResNet-18 on \(data.kind.displayName)")
        let epochs = data.epochs(default: OriginalSchedule.resnetEpochs)
        let seeds = training.seeds
        lesson.say("""
        Data: \(data.description)
        Schedule: \(epochs) epoch\(epochs == 1 ? "" : "s") with Adam (learning rate \(training.lr)) and cross-entropy, \
        batch size \(training.batchSize), as in the original lesson\(data.quick ? "; the full lesson trains \(OriginalSchedule.resnetEpochs) epochs on all \(Format.thousands(data.train.count)) images" : "").
        """)
        if data.quick {
            lesson.say("""
            This is the quick version: the network and the code are the same, only the amount of data shrinks,
            so expect a lower accuracy than the full run's, which trains \(Format.thousands(data.fullScheduleBatches(epochs: OriginalSchedule.resnetEpochs))) batches \
            to this run's \(Format.thousands(data.batchesPerEpoch() * epochs)).
            """)
        }
        if seeds > 1 {
            lesson.say("With --seeds \(seeds) the network is trained \(seeds) times, seeds \(common.seed) to \(common.seed &+ UInt64(seeds - 1)), to show how much the test accuracy varies.")
        }
        // One training step, written out: what the trainer below repeats for every batch. It is taken here
        // on a fresh ResNet-18 (its own seed scope, so the training run is unchanged) and the first batch (at most
        // 64 images: the memory check for the full batch size comes with the trainer).
        let oneStep = Random.withSeed(common.seed) { () -> (before: Float, after: Float, images: Int) in
            let model = ResNet18()
            let optimizer = Adam(model.parameters(), lr: training.lr)
            let criterion = CrossEntropyLoss()
            let (images, labels) = data.firstImages(upTo: training.batchSize)
            model.train()
            let outputs = model(images)              // forward
            let loss = criterion(outputs, labels)    // loss
            optimizer.zeroGrad()                     // zero the gradients
            loss.backward()                          // backward: a gradient for every parameter
            optimizer.step()                         // Adam moves every parameter
            return (loss.item(), noGrad { criterion(model(images), labels).item() }, labels.count)
        }
        lesson.reportOneStep(network: "ResNet-18", images: oneStep.images,
                             lossBefore: oneStep.before, lossAfter: oneStep.after)
        let trainer = ComparisonTrainer(data: data, output: output, narrator: lesson, baseSeed: common.seed, seeds: seeds)
        let result = try trainer.run(name: "resnet18", displayName: "ResNet-18", epochs: epochs) { ResNet18() }
        let history = result.history

        // MARK: 4. What the run shows
        lesson.section("4. What the run shows")
        let losses = history.epochLosses, accuracies = history.epochAccuracies
        let testAccuracy = history.testAccuracy ?? 0
        lesson.output((0..<losses.count).map {
            "Epoch \($0 + 1)/\(losses.count): Loss = \(Format.fixed(losses[$0], 4)), Accuracy = \(Format.fixed(accuracies[$0], 4))"
        }.joined(separator: "\n") + "\n\n🎯 ResNet-18 Test Accuracy: \(Format.fixed(testAccuracy, 4))")
        if let firstBatchLoss = history.batchLosses.first {
            lesson.say(Exercise3Verdicts.lossSentence(firstBatchLoss: firstBatchLoss, epochLosses: losses))
            lesson.results.record("first_batch_loss", firstBatchLoss)
        }
        let lastAccuracy = accuracies.last ?? 0
        lesson.say(Exercise3Verdicts.testVersusTrainSentence(test: testAccuracy, lastTrain: lastAccuracy))
        lesson.say(Exercise3Verdicts.seedSentence(seeds: seeds, spread: seeds > 1 ? result.testAccuracies : nil))
        recordRun(lesson.results, history: history, test: testAccuracy, spread: result.testAccuracies, seeds: seeds)

        // MARK: 5. The curves
        lesson.section("5. Training curves")
        let chart = lesson.chartURL("resnet18_training.png")
        try drawCurves(history, batchesPerEpoch: data.batchesPerEpoch(), dataset: data.kind.displayName, to: chart)
        lesson.chart(chart, caption: "ResNet-18: training loss (per batch and per epoch) and accuracy per epoch")
        lesson.say("""
        The left panel shows every batch's loss in grey: single batches are noisy, the epoch means (dots)
        show the trend. The right panel is the training accuracy per epoch, with the test accuracy as a dashed line.
        """)

        // MARK: 6. Where it goes wrong
        lesson.section("6. Where ResNet-18 goes wrong, and what its first layer sees")
        try lesson.errorAnalysis(model: result.model, name: "ResNet-18", test: data.test, filePrefix: "resnet18_")
        // VGG-16 beside it, when Exercise 1 has been run with the same settings.
        let vgg = VGG16()
        let vggRun = TrainingRun(name: "vgg16", displayName: "VGG-16", seed: common.seed, epochs: data.epochs(default: OriginalSchedule.vgg16Epochs),
                                 data: data, output: output)
        if vggRun.reuse(into: vgg) != nil {
            let chart = lesson.chartURL("feature_maps_vgg16_vs_resnet18.png")
            let maps = try Inspection.featureMaps(models: [("VGG-16", vgg), ("ResNet-18", result.model)],
                                                  dataset: data.test, to: chart)
            lesson.chart(chart, caption: "The first convolution of VGG-16 (Exercise 1's saved run) and of ResNet-18, same test image")
            lesson.say(maps.map { "\($0.modelName): \($0.shape[1]) maps of \($0.shape[2])x\($0.shape[3]), \($0.inactiveChannels) all zero after ReLU for this image." }
                .joined(separator: " ") + " Both first layers are 3x3 convolutions from one input channel to 64; what differs is what training made of them.")
        } else {
            lesson.say("Run Exercise 1 with the same flags first, and this section also shows VGG-16's first-layer maps beside ResNet-18's.")
        }

        // MARK: 7. Saved for later lessons
        lesson.section("7. Saved for the next exercises")
        let run = TrainingRun(name: "resnet18", displayName: "ResNet-18", seed: common.seed, epochs: epochs,
                              data: data, output: output)
        lesson.say("""
        Weights: \(lesson.displayPath(URL(fileURLWithPath: run.checkpointPath)))
        History (per-batch losses, per-epoch loss and accuracy, test accuracy, settings): \(lesson.displayPath(URL(fileURLWithPath: run.historyPath)))
        Exercise 4 (plain versus residual) and Exercise 5 (gradient flow) load this run instead of training
        ResNet-18 again when they are asked for the same settings (seed, epochs, batch size, learning rate, dataset\(data.quick ? ", --quick" : "")).
        """)

        lesson.section("Takeaway")
        let vggParameters = VGG16().parameterCount
        let shareOfVGG = Format.fixed(100 * Double(parameterCount) / Double(vggParameters), 0)
        let takeaway = "ResNet-18's \(Format.thousands(parameterCount)) parameters are \(shareOfVGG)% of the lesson's VGG-16's "
            + "(\(Format.thousands(vggParameters))), with more layers with weights (18 against 16). "
            + Exercise3Verdicts.trainedSentence(test: testAccuracy, lr: training.lr)
        lesson.results.record("parameters", parameterCount)
        lesson.results.record("vgg16_parameters", vggParameters)
        lesson.results.verdict("trained", testAccuracy > Exercise3Verdicts.trainedAbove)
        lesson.results.takeaway = takeaway
        lesson.say("""
        ResNet-18 is a stem, four stages of two residual blocks, global average pooling and one linear layer.
        \(takeaway)

        ✓ ResNet-18 implementation complete
        """)
    }

    /// The numbers section 4 states, and its verdicts, into results.json.
    func recordRun(_ results: LessonResults, history: TrainingHistory, test: Double, spread: SeedSpread, seeds: Int) {
        results.record("epoch_losses", history.epochLosses)
        results.record("epoch_accuracies", history.epochAccuracies)
        results.record("test_accuracy", test)
        results.record("seeds", seeds)
        if seeds > 1 {
            results.record("test_accuracy_per_seed", spread.values)
            results.record("test_accuracy_std", spread.std)
        }
        results.verdict("loss_fell_every_epoch", Exercise3Verdicts.fellEveryEpoch(history.epochLosses))
        let comparison = Exercise3Verdicts.testVersusTrain(test: test, lastTrain: history.epochAccuracies.last ?? 0)
        results.record("test_versus_last_train_accuracy", comparison.rawValue)
    }

    /// Loss per batch and per epoch (left) and accuracy per epoch with the test accuracy (right).
    func drawCurves(_ history: TrainingHistory, batchesPerEpoch: Int, dataset: String, to url: URL) throws {
        let figure = Figure(width: 14, height: 5)
        let axes = figure.subplots(rows: 1, cols: 2)
        let perBatch = history.batchLosses
        let batchX = perBatch.indices.map { Double($0 + 1) / Double(batchesPerEpoch) }
        let epochX = history.epochs.map { Double($0.epoch) }
        axes[0].plot(batchX, perBatch, label: "loss per batch", color: "gray", lineWidth: 0.8, alpha: 0.5)
        axes[0].plot(epochX.map { $0 - 0.5 }, history.epochLosses, label: "mean loss of the epoch (at its middle)", color: "tab:blue",
                     marker: .circle, lineWidth: 2)
        axes[0].setXLabel("Epoch")
        axes[0].setYLabel("Loss")
        axes[0].setTitle("Training Loss")
        axes[0].legend()
        axes[0].grid(alpha: 0.3)

        axes[1].plot(epochX, history.epochAccuracies, label: "training accuracy (epoch)", color: "tab:green",
                     marker: .circle, lineWidth: 2)
        if let test = history.testAccuracy {
            axes[1].axhline(test, color: "tab:red", lineStyle: .dashed,
                            label: "test accuracy \(Format.fixed(test, 4))")
        }
        axes[1].setXLabel("Epoch")
        axes[1].setYLabel("Accuracy")
        axes[1].setTitle("Training Accuracy")
        axes[1].setXTicks(epochX, labels: epochX.map { String(Int($0)) })
        axes[1].legend()
        axes[1].grid(alpha: 0.3)
        figure.suptitle("ResNet-18 on \(dataset)")
        try figure.savefig(url.path)
    }
}

Exercise3.main()
