// Exercise 1: VGG blocks and the VGG-16 architecture
//
// Day 13, Modern Architectures. This lesson builds VGG's repeated block, counts what stacking 3x3
// convolutions saves, assembles the lesson's VGG-16 for MNIST, looks at what a fresh VGG-16 does to
// a real batch, takes one training step by hand, and trains it while a watch measures, inside the
// training steps, what each convolution does: dead units, update sizes, gradients.
// Run it with `swift run Exercise1_VGG` (or `--quick` for a short version); `--help` lists the flags.
// The narration's decisions are the small functions of Verdicts.swift; the measurements are in Watch.swift.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

/// `--init`: how the convolutions start.
enum InitChoice: String, ExpressibleByArgument, CaseIterable {
    case `default`, kaiming
}

/// `--optimizer`: Adam as the original lesson, or SGD with momentum 0.9.
enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable, Codable {
    case adam, sgd

    /// The learning rate when `--lr` is not given.
    var defaultLR: Double { self == .adam ? 0.001 : 0.01 }
    var label: String { self == .adam ? "Adam" : "SGD (momentum 0.9)" }

    func make(_ parameters: [Tensor], lr: Double) -> any Optimizer {
        self == .adam ? Adam(parameters, lr: lr) : SGD(parameters, lr: Float(lr), momentum: 0.9)
    }
}

/// The focus of the dead-unit narration: the 9th convolution, as in the PyTorch measurement.
let watchedLayer = 9

struct Exercise1: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Exercise1_VGG",
        abstract: "VGG: 3x3 blocks, the VGG-16 architecture, and training it on MNIST.",
        discussion: """
        With the original settings (PyTorch's default initialisation, no BatchNorm, Adam 1e-3) this 16-layer plain network can sit at chance, loss ln 10 = 2.303. While it trains, a watch measures in each convolution the dead units, the size of each update and the gradient, and section 6 explains the run from those numbers. Variants, each a flag: --lr 0.0001, --init kaiming, --batchnorm, --optimizer sgd.

        Each variant is saved under its own name in <output>/checkpoints/ (vgg16, vgg16_kaiming, vgg16_bn, vgg16_sgd, ...) with its history and what the watch saw (.watch.json); a saved run with exactly these settings is reused.

        Examples:
          swift run Exercise1_VGG --quick
          swift run Exercise1_VGG                 (original schedule: \(OriginalSchedule.vgg16Epochs) epochs)
          swift run Exercise1_VGG --quick --optimizer sgd
          swift run Exercise1_VGG --stop-on-stall (finish the lesson as soon as the watch confirms a stall)
          swift run Exercise1_VGG --quick --init kaiming
          swift run Exercise1_VGG --quick --batchnorm
          swift run Exercise1_VGG --dataset fashion-mnist --epochs 1
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    @Option(help: "Initialisation of the convolutions: default (PyTorch's, as the original lesson) or kaiming (He-normal, fan-out).")
    var `init`: InitChoice = .default

    @Flag(help: "Add a BatchNorm after every convolution (VGG-16-BN).")
    var batchnorm = false

    @Option(help: "Optimiser: adam (the original lesson's; default --lr 0.001) or sgd (momentum 0.9; default --lr 0.01).")
    var optimizer: OptimizerChoice = .adam

    @Flag(name: .customLong("stop-on-stall"), help: "When the watch confirms the stall, save the run so far and finish the lesson with it (--resume continues it later; Adam only).")
    var stopOnStall = false

    func run() throws {
        runLesson(common) {
            let lesson = try common.apply(lesson: "Exercise1_VGG", training)
            var options = training
            // TrainingOptions' default --lr is Adam's; SGD gets its own unless --lr was typed.
            if !CommandLine.arguments.contains(where: { $0 == "--lr" || $0.hasPrefix("--lr=") }) { options.lr = optimizer.defaultLR }
            let data = try LessonData.load(options)
            try announcePlan(lesson, data: data)
            try runLessonBody(lesson, data: data)
            try lesson.writeReport()
        }
    }
    func runLessonBody(_ lesson: Narrator, data: LessonData) throws {
        // MARK: 1. The VGG block
        lesson.title("EXERCISE 1: VGG ARCHITECTURE")
        lesson.say("""
        VGG (Simonyan and Zisserman, 2014) showed that depth built from one simple, repeated piece goes a
        long way. The piece is the VGG block: a few 3x3 convolutions with padding 1 (the height and width
        stay the same), each followed by a ReLU, then a 2x2 max-pool that halves the height and width.
        The block's three numbers are how many convolutions, how many channels come in, how many go out.
        """)
        lesson.section("1. The VGG block")
        let exampleBlock = vggBlock(2, 64, 128)
        lesson.output("vgg_block(2, 64, 128) = \(exampleBlock)")
        lesson.say("This block alone has \(Format.thousands(exampleBlock.parameterCount)) parameters.")

        // MARK: 2. Why 3x3?
        lesson.section("2. Why 3x3 convolutions?")
        lesson.say("""
        VGG uses no larger kernels at all. Two stacked 3x3 convolutions see as far as one 5x5 does, and
        they are cheaper. Both claims can be checked on real layers.
        """)
        let receptive = measuredReceptiveField()
        lesson.results.record("receptive_field_two_3x3", receptive.twoThrees)
        lesson.results.record("receptive_field_one_5x5", receptive.oneFive)
        lesson.say("""
        Receptive field, measured: one output pixel in the middle of an 11x11 map is backpropagated to the
        input, and the input pixels with a non-zero gradient are counted.
          two 3x3 convolutions: the pixel depends on a \(receptive.twoThrees)x\(receptive.twoThrees) patch of the input
          one 5x5 convolution:  \(receptive.oneFive)x\(receptive.oneFive)
        """)
        var rows = ["channels     two 3x3: weights (with biases)   one 5x5: weights (with biases)   fewer"]
        for channels in [64, 512] {
            let stacked = [Conv2d(channels, channels, kernelSize: 3, padding: 1),
                           Conv2d(channels, channels, kernelSize: 3, padding: 1)]
            let single = Conv2d(channels, channels, kernelSize: 5, padding: 2)
            let stackedWeights = stacked.map(\.weight.count).reduce(0, +)
            let stackedAll = stacked.map(\.parameterCount).reduce(0, +)
            let saving = 100 * (1 - Double(stackedWeights) / Double(single.weight.count))
            let savingAll = 100 * (1 - Double(stackedAll) / Double(single.parameterCount))
            rows.append("\(channels) -> \(channels)".padding(toLength: 13, withPad: " ", startingAt: 0)
                        + "\(Format.thousands(stackedWeights)) (\(Format.thousands(stackedAll)))".padding(toLength: 33, withPad: " ", startingAt: 0)
                        + "\(Format.thousands(single.weight.count)) (\(Format.thousands(single.parameterCount)))".padding(toLength: 33, withPad: " ", startingAt: 0)
                        + "\(Format.fixed(saving, 1))% (\(Format.fixed(savingAll, 1))%)")
        }
        lesson.output(rows.joined(separator: "\n"))
        lesson.say("""
        Per pair of input and output channels that is 2 x 9 = 18 weights against 25, whatever the width:
        \(Format.fixed(100 * (1 - 18.0 / 25.0), 0))% fewer. And the pair has two ReLUs where the 5x5 has one: two non-linear
        steps instead of one, so the same 5x5 window can compute a more complex function. (Three 3x3 layers likewise replace a 7x7: 27 weights against 49.)
        """)

        // MARK: 3. VGG-16 for MNIST
        lesson.section("3. VGG-16 for MNIST")
        lesson.say("""
        ImageNet's VGG-16 takes 224x224 colour images. The lesson's version takes one 32x32 grey channel
        (28x28 images padded by 2 pixels): five blocks with 64, 128, 256, 512 and 512 channels
        (2, 2, 3, 3 and 3 convolutions, 13 in all) bring 32x32 down to 1x1, and three fully connected
        layers with dropout classify. 13 + 3 = 16 layers with weights.
        """)
        Random.manualSeed(common.seed)
        let vgg = VGG16()
        lesson.say("vggBlock and VGG16 are written in Lessons/Models/VGGBlock.swift and VGG16.swift, as the original's Python classes.")
        lesson.output("VGG-16 Architecture (MNIST version):\n\(vgg)")
        let total = vgg.parameterCount
        lesson.results.record("parameters", total)
        let classifierShare = Double(vgg.classifier.parameterCount) / Double(total)
        lesson.say("""

        Total parameters: \(Format.thousands(total))
        The 13 convolutions hold \(Format.thousands(vgg.features.parameterCount)); the three fully connected layers hold \
        \(Format.thousands(vgg.classifier.parameterCount)), \(Format.fixed(100 * classifierShare, 0))% of the network, most of it in the 4096x4096 layer.
        """)
        lesson.say("\nVGG Block Analysis (one random 1x32x32 input):")
        let shapes: [String] = noGrad {
            vgg.eval()
            var x = Tensor.randn([1, 1, 32, 32])
            var lines: [String] = []
            for (index, block) in vgg.features.layers.enumerated() {
                x = block(x)
                lines.append("After Block \(index + 1): \(Format.torchSize(x.shape))")
            }
            lines.append("After Flatten: \(Format.torchSize(x.view(x.size(0), -1).shape))")
            return lines
        }
        lesson.output(shapes.joined(separator: "\n"))
        lesson.say("Five halvings take 32 to 1: the last block sees the whole image in each of its 512 channels.")


        // MARK: 4. A fresh VGG-16 and one real batch
        lesson.section("4. Before training: what a fresh VGG-16 does to a real batch")
        lesson.say("""
        Sixteen layers without BatchNorm or skip connections are deep enough for the start of training to
        matter. Here are 64 real training images sent through freshly initialised networks (seed \(common.seed)):
        the mean ReLU output after each of the 13 convolutions, then one backward pass of the
        cross-entropy loss and the norm of each convolution's weight gradient.
        """)
        let batch = data.firstImages(upTo: 64)
        let thisVariant = Variant(kaiming: self.`init` == .kaiming, batchNorm: batchnorm, lr: data.options.lr, optimizer: optimizer)
        let probes: [(variant: Variant, probe: InitProbe)] = Variant.probed.map { variant in
            Random.manualSeed(common.seed)
            return (variant, InitProbe(model: variant.make(), images: batch.images, labels: batch.labels))
        }
        let shown = probes.first { $0.variant.sameNetwork(as: thisVariant) }!
        lesson.say("\nThis run's network (\(shown.variant.networkLabel)):")
        lesson.output((["conv   mean ReLU output   weight-gradient norm"] + shown.probe.reluMeans.indices.map { index in
            String(format: "%3d   %16.3g   %20.3g", index + 1, shown.probe.reluMeans[index], shown.probe.gradNorms[index])
        }).joined(separator: "\n"))
        let fresh = (first: shown.probe.gradNorms.first!, last: shown.probe.gradNorms.last!)
        let vanishingAtStart = vanishes(firstNorm: fresh.first, lastNorm: fresh.last)
        lesson.say(gradientSentence(firstNorm: fresh.first, lastNorm: fresh.last))
        lesson.results.record("init_grad_norm_first_conv", fresh.first)
        lesson.results.record("init_grad_norm_last_conv", fresh.last)
        lesson.results.record("init_relu_mean_first_conv", shown.probe.reluMeans.first!)
        lesson.results.record("init_relu_mean_last_conv", shown.probe.reluMeans.last!)
        lesson.results.verdict("vanishes", vanishingAtStart)
        lesson.results.record("init_relu_means", shown.probe.reluMeans)
        lesson.results.record("init_grad_norms", shown.probe.gradNorms)
        for (variant, probe) in probes {
            lesson.results.record("init_gradient_ratio_\(variant.checkpointName)", gradientRatio(firstNorm: probe.gradNorms.first!, lastNorm: probe.gradNorms.last!))
        }
        lesson.say("\nThe same seed, three ways to start (first conv -> last conv):")
        lesson.output(probes.map { variant, probe in
            variant.networkLabel.padding(toLength: 36, withPad: " ", startingAt: 0)
                + " ReLU output \(Format.fixed(probe.reluMeans.first!, 3)) -> \(String(format: "%.3g", probe.reluMeans.last!))"
                + "   gradient norm \(sci(probe.gradNorms.first!)) -> \(sci(probe.gradNorms.last!))"
                + "   ratio \(String(format: "%.1f", gradientRatio(firstNorm: probe.gradNorms.first!, lastNorm: probe.gradNorms.last!)))"
        }.joined(separator: "\n"))
        let initChart = lesson.chartURL("vgg16_init.png")
        try drawProbes(probes, to: initChart)
        lesson.chart(initChart, caption: "A fresh VGG-16 on one real batch: mean ReLU output and weight-gradient norm per convolution")
        lesson.say("""
        Why the default start differs: PyTorch draws each weight from uniform(-1/sqrt(fan_in), +1/sqrt(fan_in)),
        a variance of 1/(3 fan_in), while a layer followed by a ReLU needs about 2/fan_in to keep the size of its
        output. He initialisation (--init kaiming) draws with variance 2/fan_out; BatchNorm (--batchnorm)
        re-scales every convolution's output whatever the weights. The table above shows what each does here.
        """)

        // MARK: 5. Training: one step by hand, then the epochs
        lesson.section("5. Training VGG-16 on \(data.kind.displayName)")
        lesson.say("""
        One training step is five lines: forward, loss, zero the gradients, backward, optimiser step. Here it
        is, taken by hand on the batch of section 4, once with Adam (lr 0.001) and once with SGD (lr 0.01,
        momentum 0.9), each on a fresh copy of this run's network, measuring how far the step moves each
        convolution's weights: ||W after - W before|| / ||W before||.
        """)
        var firstStep: [OptimizerChoice: [Double]] = [:]
        for choice in OptimizerChoice.allCases {
            Random.manualSeed(common.seed)
            let model = thisVariant.make()
            let stepper = choice.make(model.parameters(), lr: choice.defaultLR)
            let before = noGrad { convolutions(of: model).map { $0.weight.clone() } }
            model.train()
            let logits = model(batch.images)                   // forward
            let loss = crossEntropy(logits, batch.labels)      // loss
            stepper.zeroGrad()                                 // zero the gradients
            loss.backward()                                    // backward
            stepper.step()                                     // optimiser step
            firstStep[choice] = noGrad {
                zip(convolutions(of: model), before).map { conv, old in Double((conv.weight - old).norm().item() / old.norm().item()) }
            }
            lesson.results.record("first_step_update_\(choice.rawValue)", firstStep[choice]!)
        }
        lesson.output(OptimizerChoice.allCases.map { choice in
            choice.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                + "first conv moved by \(sci(firstStep[choice]!.first!)) of its norm, last conv by \(sci(firstStep[choice]!.last!))"
        }.joined(separator: "\n"))
        lesson.say(firstStepSentence(adam: (firstStep[.adam]!.first!, firstStep[.adam]!.last!),
                                     sgd: (firstStep[.sgd]!.first!, firstStep[.sgd]!.last!)))

        let epochs = data.epochs(default: OriginalSchedule.vgg16Epochs)
        lesson.say("""

        Now the shared trainer repeats that step. Data: \(data.description)
        Network: \(thisVariant.networkLabel). \(optimizer.label), learning rate \(String(format: "%g", data.options.lr)), cross-entropy, \
        \(epochs) epoch\(epochs == 1 ? "" : "s") (the original lesson: \(OriginalSchedule.vgg16Epochs) epochs, default initialisation, no BatchNorm, Adam 0.001).
        """)
        if data.quick {
            lesson.say("""
            This is the quick version: \(LessonData.quickBatches * epochs) batches instead of the full run's \(Format.thousands(data.fullScheduleBatches(epochs: OriginalSchedule.vgg16Epochs))): enough to
            see whether the network starts learning, too few to tell a late start from a permanent stall.
            """)
        }
        lesson.say("""
        A network that ignores its input and guesses uniformly over the 10 classes has loss ln 10 = \(Format.fixed(ln10, 3)).
        The watch prints the mean loss every \(LossWatch.every(quick: data.quick)) batches. On batch 1 and every \(watchEvery(quick: data.quick))th batch it also
        runs the training step under forward hooks and measures, per convolution: the fraction of dead units
        (a unit is one channel at one position of the convolution's ReLU output; it is dead when it is zero
        for every image of the batch), how far the step moved the weights, and the weight-gradient norm.
        """)
        var outcomes: [Outcome] = []
        for offset in 0..<training.seeds {
            let seed = common.seed &+ UInt64(offset)
            if training.seeds > 1 { lesson.say("\n--- seed \(seed) ---") }
            outcomes.append(try train(seed: seed, variant: thisVariant, epochs: epochs, data: data, lesson: lesson))
        }
        let main = outcomes[0]

        // MARK: 6. What happened: read from the watch's numbers
        lesson.section("6. What happened in this run")
        let history = main.history, testAccuracy = main.history.testAccuracy ?? 0
        lesson.output(history.epochs.map { "Epoch \($0.epoch)/\(epochs): Accuracy = \(Format.fixed($0.accuracy, 4))" }.joined(separator: "\n")
                      + "\n\n🎯 VGG-16 Test Accuracy: \(Format.fixed(testAccuracy, 4))\nParameters: \(Format.thousands(total))")
        if let stopped = main.stoppedAt {
            lesson.say("The run stopped after batch \(stopped) (--stop-on-stall); everything below is the network as it stood then.")
            lesson.results.record("stopped_at_batch", stopped)
        }
        let verdict = LossVerdict(history.batchLosses)
        lesson.say(lossSentence(verdict, testAccuracy: testAccuracy, lateAfter: LossWatch.stallAfter(quick: data.quick)))
        lesson.results.record("test_accuracy", testAccuracy)
        lesson.results.record("batches_trained", history.batchLosses.count)
        lesson.results.record("loss_first_20", verdict.early)
        lesson.results.record("loss_last_20", verdict.final)
        lesson.results.record("lowest_20_batch_loss", verdict.bestWindow.loss)
        if let start = verdict.learningStart { lesson.results.record("learning_from_batch", start) }
        lesson.results.verdict("stalled", verdict.stalled)
        lesson.results.verdict("escaped", verdict.learningStart != nil)
        lesson.results.verdict("came_back", verdict.cameBack)
        let counts = main.predictedCounts, top = counts.indices.max { counts[$0] < counts[$1] }!
        let trainCounts = (0..<10).map { k in data.train.labels.filter { $0 == k }.count }
        let topShare = Double(counts[top]) / Double(max(counts.reduce(0, +), 1))
        lesson.say(predictionSentence(topShare: topShare, topClass: className(top, data.kind),
                                      mostCommonInTraining: trainCounts[top] == trainCounts.max(), total: counts.reduce(0, +)))
        lesson.results.record("top_prediction_share", topShare)
        lesson.results.record("top_prediction_class", top)
        lesson.results.record("test_predicted_counts", counts)
        if let stall = main.stallConfirmedAt { lesson.results.record("stall_confirmed_at_batch", stall) }

        let checks = main.checks
        var deadRising = false, frozen = false, lastFrozen = false
        if checks.isEmpty {
            lesson.say("This saved run has no record of the watch (it was trained before the watch existed); delete its checkpoint to train it again.")
        } else {
            lesson.say("\nWhat the watch measured (dead: units zero for every image of the batch; update: ||W after - W before|| / ||W before||):")
            lesson.output(watchTable(checks))
            let layer = watchedLayer - 1
            let peak = checks.max { $0.dead[layer] < $1.dead[layer] }!
            let dead = deadUnitSentence(layer: watchedLayer, first: (checks.first!.step, checks.first!.dead[layer]),
                                        peak: (peak.step, peak.dead[layer]), last: (checks.last!.step, checks.last!.dead[layer]))
            let updates = (first: median(checks.map { $0.update.first! }), last: median(checks.map { $0.update.last! }))
            let moved = updateSentence(optimizer: optimizer.label, firstConv: updates.first, lastConv: updates.last)
            (deadRising, frozen, lastFrozen) = (dead.rising, moved.frozen, moved.lastFrozen)
            lesson.say(dead.text)
            lesson.say(moved.text)
            lesson.say(trainingGradientSentence(firstCheck: (checks.first!.step, checks.first!.gradientRatio),
                                                lastCheck: (checks.last!.step, checks.last!.gradientRatio)))
            if let start = verdict.learningStart, start > LossWatch.stallAfter(quick: data.quick),
               let before = checks.last(where: { $0.step <= start - Threshold.window }), let after = checks.first(where: { $0.step >= start }) {
                lesson.say(escapeSentence(layer: watchedLayer, start: start, before: (before.step, before.dead[layer]), after: (after.step, after.dead[layer])))
                lesson.results.record("escape_dead_before", before.dead[layer])
                lesson.results.record("escape_dead_after", after.dead[layer])
            }
            lesson.results.record("watch_batches", checks.map(\.step))
            for conv in [1, 5, watchedLayer, 13] { lesson.results.record("watch_dead_conv\(conv)", checks.map { $0.dead[conv - 1] }) }
            lesson.results.record("watch_grad_norm_first_conv", checks.map { $0.gradNorm.first! })
            lesson.results.record("watch_grad_norm_last_conv", checks.map { $0.gradNorm.last! })
            lesson.results.record("dead_conv\(watchedLayer)_peak", peak.dead[layer])
            lesson.results.record("dead_conv\(watchedLayer)_peak_batch", peak.step)
            lesson.results.record("watch_update_first_conv", checks.map { $0.update.first! })
            lesson.results.record("watch_update_last_conv", checks.map { $0.update.last! })
            lesson.results.record("watch_gradient_ratio", checks.map(\.gradientRatio))
            lesson.results.record("median_update_first_conv", updates.first)
            lesson.results.record("median_update_last_conv", updates.last)
            lesson.results.verdict("dead_units_rising", deadRising)
            lesson.results.verdict("first_conv_frozen", frozen)
            lesson.results.verdict("last_conv_frozen", lastFrozen)
            lesson.results.verdict("vanishes_during_training", checks.contains { $0.gradientRatio > Threshold.vanishingRatio })
        }
        lesson.say("""

        For reference, measured in PyTorch on the lesson's VGG-16 (seed 0, batch 64, the original's data pipeline):
        trained as the original does (Adam 0.001, 3 epochs = 2,814 batches), the loss stayed at 2.30 and the test
        accuracy was 11.35% (1,135 of 10,000), every test image predicted "1". At initialisation the first
        convolution's weight gradient was about 13,700 times smaller than the last one's; Adam's first step still
        moved the first convolution by 0.24% of its norm and the last by 4.1% (0.4% at lr 0.0001), while SGD
        (lr 0.01, momentum 0.9) moved the first convolution by 1e-10 to 1e-9 of its norm per step. In the 9th
        convolution the dead units rose from 47% at batch 1 to 99.7% by batch 60 at lr 0.001, and stayed near 57%
        at lr 0.0001, which started learning later (another seed: loss 2.20 at batch 75, 1.98 at batch 100).
        """)
        if training.seeds > 1 {
            let accuracies = SeedSpread(outcomes.map { $0.history.testAccuracy ?? 0 })
            let stalledRuns = outcomes.filter { LossVerdict($0.history.batchLosses).stalled }.count
            lesson.say("""

            Over \(training.seeds) seeds: test accuracy \(Format.fixed(100 * accuracies.mean, 2))% on average, standard deviation \
            \(Format.fixed(100 * accuracies.std, 2)) points (\(Format.fixed(100 * accuracies.min, 2))% to \(Format.fixed(100 * accuracies.max, 2))%); \
            \(stalledRuns) of \(training.seeds) runs stalled.
            """)
            lesson.results.record("seed_test_accuracies", accuracies.values)
            lesson.results.record("seeds_stalled", stalledRuns)
        }

        // MARK: 7. Curves, the watch, and the saved variants side by side
        lesson.section("7. Training curves and the watch")
        let others = savedVariants(like: main.run).filter { $0.name != main.run.name }
        let curveChart = lesson.chartURL("vgg16_training.png")
        try drawCurves(main, others: others, batchesPerEpoch: data.batchesPerEpoch(), dataset: data.kind.displayName,
                       label: thisVariant.shortLabel, to: curveChart)
        lesson.chart(curveChart, caption: "VGG-16: training loss and accuracy per batch (moving average of 20 batches)")
        if !checks.isEmpty {
            let watchChart = lesson.chartURL("vgg16_watch.png")
            try drawWatch(checks, label: thisVariant.shortLabel, others: others, to: watchChart)
            lesson.chart(watchChart, caption: "Dead units per convolution and relative update of the first and last convolution at the watched batches"
                         + (others.contains { !$0.checks.isEmpty } ? ", beside the saved variants (dashed)" : ""))
        }
        compareVariants(lesson, current: (name: main.run.name, history: history, checks: checks), others: others)

        // MARK: 8. Where it goes wrong
        lesson.section("8. Where VGG-16 goes wrong, and what its first layer sees")
        try lesson.errorAnalysis(model: main.model, name: "VGG-16", test: data.test, filePrefix: "vgg16_")
        if topShare > Threshold.oneAnswer {
            lesson.say("With \(percent(topShare)) of its answers \(className(top, data.kind)), the confusion matrix is one bright column and every \"mistake\" is an image of another class.")
        }

        // MARK: 9. Saved
        lesson.section("9. Checkpoint")
        if main.stoppedAt != nil {
            lesson.say(optimizer == .adam
                ? "The interrupted run is saved in \(lesson.displayPath(URL(fileURLWithPath: main.run.resumePath))); run the same command with --resume (without --stop-on-stall) to continue it."
                : "SGD runs cannot be resumed (the resume file holds Adam's state), so nothing was saved.")
        } else {
            lesson.say("""
            Weights: \(lesson.displayPath(URL(fileURLWithPath: main.run.checkpointPath)))
            History (per-batch losses, per-epoch accuracy, test accuracy, settings): \(lesson.displayPath(URL(fileURLWithPath: main.run.historyPath)))
            The watch's measurements: \(lesson.displayPath(watchFile(of: main.run)))
            Running the lesson again with the same flags reuses them instead of training again.
            """)
        }

        lesson.section("Takeaway")
        let conclusion = takeaway(stalled: verdict.stalled, cameBack: verdict.cameBack, learningStart: verdict.learningStart, vanishes: vanishingAtStart,
                                  frozen: frozen, lastFrozen: lastFrozen, deadRising: deadRising, optimizer: optimizer.label)
        lesson.results.takeaway = conclusion
        lesson.say("""
        VGG's recipe is small 3x3 convolutions stacked into blocks, the channels doubling as the resolution halves.
        \(conclusion)

        ✓ VGG implementation complete
        """)
    }

    // MARK: - Training one seed, with the watch

    struct Outcome {
        let run: TrainingRun
        let history: TrainingHistory
        /// Each training batch's accuracy (empty when the run was reused: histories keep losses only).
        let batchAccuracies: [Double]
        /// How many test images were predicted as each class.
        let predictedCounts: [Int]
        /// The trained (or reloaded) network.
        let model: any Module
        /// What the watch measured (loaded from the saved file when the run was reused).
        let checks: [WatchCheck]
        /// The batch where `--stop-on-stall` stopped the run, if it did.
        let stoppedAt: Int?
        /// The batch where the live watch confirmed the stall, if it did (this process only).
        let stallConfirmedAt: Int?
    }

    func train(seed: UInt64, variant: Variant, epochs: Int, data: LessonData, lesson: Narrator) throws -> Outcome {
        let name = seed == common.seed ? variant.checkpointName : "\(variant.checkpointName)-seed\(seed)"
        var run = TrainingRun(name: name, displayName: "VGG-16", seed: seed, epochs: epochs, data: data,
                              output: URL(fileURLWithPath: common.output, isDirectory: true))
        run.makeOptimizer = { variant.optimizer.make($0, lr: variant.lr) }
        if variant.optimizer != .adam { run.extraSettings = ["optimizer": variant.optimizer.rawValue] }
        try FileManager.default.createDirectory(at: watchFile(of: run).deletingLastPathComponent(), withIntermediateDirectories: true)
        let mechanism = MechanismWatch(every: watchEvery(quick: data.quick), file: watchFile(of: run), resuming: data.options.resume)
        let losses = LossWatch(quick: data.quick)
        var accuracies: [Double] = []
        let terminal = isatty(STDOUT_FILENO) == 1
        run.aroundStep = { step, body in mechanism.around(step: step, body) }
        run.stopEarly = stopOnStall ? { losses.stallConfirmed } : nil
        run.onBatch = { report in
            accuracies.append(report.accuracy)
            guard let event = losses.observe(step: report.step, loss: report.loss, accuracy: report.accuracy) else { return }
            if terminal { print("\r\u{1B}[2K", terminator: "") }   // clear the progress bar's line
            lesson.say(watchLine(event, latest: mechanism.checks.last, stopping: stopOnStall))
        }
        let (model, history, reused) = try run.run({ () -> VGG16 in
            let model = variant.make()
            mechanism.model = model
            return model
        }, narrate: { lesson.say($0) })
        lesson.say(reused ? "Reusing the saved run \(lesson.displayPath(URL(fileURLWithPath: run.checkpointPath))), trained with exactly these settings (delete it to train again)."
                          : "Trained in \(Format.duration(history.wallSeconds)).")
        let predicted = Inspection.testPredictions(of: model, history: history, test: data.test)
        var counts = [Int](repeating: 0, count: 10)
        for p in predicted where p < counts.count { counts[p] += 1 }
        let stopped = !reused && losses.stallConfirmed && history.batchLosses.count < epochs * data.batchesPerEpoch()
        return Outcome(run: run, history: history, batchAccuracies: reused ? [] : accuracies, predictedCounts: counts, model: model,
                       checks: reused ? MechanismWatch.load(watchFile(of: run)) : mechanism.checks,
                       stoppedAt: stopped ? history.batchLosses.count : nil, stallConfirmedAt: losses.stallConfirmedAt)
    }

    /// Saved VGG-16 runs (any variant) with this run's seed, data and schedule, with their watch records.
    func savedVariants(like run: TrainingRun) -> [(name: String, history: TrainingHistory, checks: [WatchCheck])] {
        let folder = URL(fileURLWithPath: common.output).appendingPathComponent("checkpoints")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let keys = ["seed", "epochs", "batch_size", "dataset", "quick", "batches_per_epoch", "test_images"]
        return files.filter { $0.hasPrefix("vgg16") && $0.hasSuffix(".history.json") && !$0.contains("-seed") }.sorted().compactMap { file in
            let path = folder.appendingPathComponent(file)
            guard let history = try? TrainingHistory.load(from: path.path),
                  keys.allSatisfy({ history.settings[$0] == run.settings[$0] }) else { return nil }
            let watch = URL(fileURLWithPath: String(path.path.dropLast(".history.json".count)) + ".watch.json")
            return (history.model, history, MechanismWatch.load(watch))
        }
    }

    /// This run beside the saved variants: when they learned, how far the first convolution moved, dead units.
    func compareVariants(_ lesson: Narrator, current: (name: String, history: TrainingHistory, checks: [WatchCheck]),
                         others: [(name: String, history: TrainingHistory, checks: [WatchCheck])]) {
        guard !others.isEmpty else {
            lesson.say("""
            Run the lesson again with --optimizer sgd, --init kaiming, --batchnorm or --lr 0.0001 (same other flags): each
            variant is saved under its own name, and this section then compares the saved runs side by side.
            """)
            return
        }
        lesson.say("\nThis run beside the saved runs of the other variants (same seed, data and schedule):")
        var lines = ["variant                                  learning from   first conv update   conv \(watchedLayer) dead (last)   test accuracy"]
        for run in [current] + others {
            let checks = run.checks
            lines.append(Variant.label(forCheckpoint: run.name, history: run.history).padding(toLength: 41, withPad: " ", startingAt: 0)
                         + (LossVerdict(run.history.batchLosses).learningStart.map { "batch \($0)" } ?? "never").padding(toLength: 16, withPad: " ", startingAt: 0)
                         + (checks.isEmpty ? "-" : sci(median(checks.map { $0.update.first! }))).padding(toLength: 20, withPad: " ", startingAt: 0)
                         + (checks.isEmpty ? "-" : percent(checks.last!.dead[watchedLayer - 1])).padding(toLength: 21, withPad: " ", startingAt: 0)
                         + Format.fixed(run.history.testAccuracy ?? 0, 4))
        }
        lesson.output(lines.joined(separator: "\n"))
        lesson.say("\"Learning from\" is where the 20-batch mean loss first fell below \(Format.fixed(ln10 - Threshold.learning, 2)); the update is the median over the watched steps.")
        // Adam against SGD, only when both runs of the same network exist with the watch's numbers.
        let runs = [current] + others
        let network = Variant.parse(current.name, history: current.history)
        func firstConvUpdate(_ optimizer: OptimizerChoice) -> Double? {
            runs.first { let v = Variant.parse($0.name, history: $0.history)
                return v.optimizer == optimizer && v.sameNetwork(as: network) && v.lr == optimizer.defaultLR && !$0.checks.isEmpty
            }.map { median($0.checks.map { $0.update.first! }) }
        }
        if let adam = firstConvUpdate(.adam), let sgd = firstConvUpdate(.sgd) {
            lesson.say(optimizerComparisonSentence(adamFirstConv: adam, sgdFirstConv: sgd))
            lesson.results.record("compared_adam_first_conv_update", adam)
            lesson.results.record("compared_sgd_first_conv_update", sgd)
        }
    }
}

Exercise1.main()
