// Exercise 1: VGG blocks and the VGG-16 architecture
//
// Day 13, Modern Architectures. This lesson builds VGG's repeated block, counts what stacking 3x3
// convolutions saves, assembles the lesson's VGG-16 for MNIST, looks at what a freshly initialised
// VGG-16 does to a real batch, and trains it, watching for the stall this deep plain network is prone to.
// Run it with `swift run Exercise1_VGG` (or `--quick` for a short version); `--help` lists the flags.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

/// `--init`: how the convolutions start.
enum InitChoice: String, ExpressibleByArgument, CaseIterable {
    case `default`, kaiming
}

let ln10 = log(10.0)

struct Exercise1: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Exercise1_VGG",
        abstract: "VGG: 3x3 blocks, the VGG-16 architecture, and training it on MNIST.",
        discussion: """
        With the original settings (PyTorch's default initialisation, no BatchNorm, Adam 1e-3) this 16-layer plain network can sit at chance, loss ln 10 = 2.303. The lesson watches for that and measures the cures, each a flag: --lr 0.0001, --init kaiming, --batchnorm.

        Each variant is saved under its own name in <output>/checkpoints/ (vgg16, vgg16_kaiming, vgg16_bn, ...) with its history; a saved run with exactly these settings is reused.

        Examples:
          swift run Exercise1_VGG --quick
          swift run Exercise1_VGG                 (original schedule: \(OriginalSchedule.vgg16Epochs) epochs)
          swift run Exercise1_VGG --quick --init kaiming
          swift run Exercise1_VGG --quick --batchnorm
          swift run Exercise1_VGG --quick --lr 0.0001
          swift run Exercise1_VGG --dataset fashion-mnist --epochs 1
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    @Option(help: "Initialisation of the convolutions: default (PyTorch's, as the original lesson) or kaiming (He-normal, fan-out).")
    var `init`: InitChoice = .default

    @Flag(help: "Add a BatchNorm after every convolution (VGG-16-BN).")
    var batchnorm = false

    func run() throws {
        runLesson(common) {
            let lesson = try common.apply(lesson: "Exercise1_VGG", training)
            let data = try LessonData.load(training)
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
        (MNIST's 28x28 digits padded by 2 pixels): five blocks with 64, 128, 256, 512 and 512 channels
        (2, 2, 3, 3 and 3 convolutions, 13 in all) bring 32x32 down to 1x1, and three fully connected
        layers with dropout classify. 13 + 3 = 16 layers with weights.
        """)
        Random.manualSeed(common.seed)
        let vgg = VGG16()
        lesson.output("VGG-16 Architecture (MNIST version):\n\(vgg)")
        let total = vgg.parameterCount
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
        lesson.say("Five halvings take 32 to 1: the last block sees the whole digit in each of its 512 channels.")

        // MARK: 4. A fresh VGG-16 and one real batch
        lesson.section("4. Before training: what a fresh VGG-16 does to a real batch")
        lesson.say("""
        Sixteen layers without BatchNorm or skip connections are deep enough for the start of training to
        matter. Here are 64 real training images sent through freshly initialised networks (seed \(common.seed)):
        the mean ReLU output after each of the 13 convolutions, then one backward pass of the
        cross-entropy loss and the norm of each convolution's weight gradient.
        """)
        let batch = data.train.gather(Array(0..<min(64, data.train.count)))
        var probes: [(variant: Variant, probe: InitProbe)] = []
        for variant in Variant.probed {
            Random.manualSeed(common.seed)
            probes.append((variant, InitProbe(model: variant.make(), images: batch.images, labels: batch.labels)))
        }
        let thisVariant = Variant(kaiming: self.`init` == .kaiming, batchNorm: batchnorm, lr: training.lr)
        let shown = probes.first { $0.variant.sameNetwork(as: thisVariant) } ?? probes[0]
        lesson.say("\nThis run's network (\(shown.variant.networkLabel)):")
        var table = ["conv  layer            mean ReLU output   weight-gradient norm"]
        for index in shown.probe.convNames.indices {
            table.append(String(format: "%3d   %-15@  %16.3g   %20.3g", index + 1, shown.probe.convNames[index] as NSString,
                                shown.probe.reluMeans[index], shown.probe.gradNorms[index]))
        }
        lesson.output(table.joined(separator: "\n"))
        describeProbe(lesson, shown.probe, variant: shown.variant)
        lesson.say("\nThe same seed, three ways to start (first conv -> last conv):")
        lesson.output(probes.map { variant, probe in
            let label = variant.networkLabel.padding(toLength: 36, withPad: " ", startingAt: 0)
            return "\(label) ReLU output \(Format.fixed(probe.reluMeans.first!, 3)) -> \(String(format: "%.3g", probe.reluMeans.last!))"
                + "   gradient norm \(String(format: "%.2g", probe.gradNorms.first!)) -> \(String(format: "%.2g", probe.gradNorms.last!))"
                + "   loss \(Format.fixed(probe.loss, 3))"
        }.joined(separator: "\n"))
        let initChart = lesson.chartURL("vgg16_init.png")
        try drawProbes(probes, to: initChart)
        lesson.chart(initChart, caption: "A fresh VGG-16 on one real batch: mean ReLU output and weight-gradient norm per convolution")
        func ratios(_ probe: InitProbe) -> (shrink: Double, gradient: Double) {
            (probe.reluMeans.first! / max(probe.reluMeans.last!, 1e-30), probe.gradNorms.last! / max(probe.gradNorms.first!, 1e-30))
        }
        func fold(_ value: Double) -> String {
            value >= 1 ? "shrinks \(Format.fixed(value, 1))-fold" : "grows \(Format.fixed(1 / value, 1))-fold"
        }
        let (plain, he, bn) = (ratios(probes[0].probe), ratios(probes[1].probe), ratios(probes[2].probe))
        lesson.say("""
        Why: PyTorch's default initialisation draws each weight from uniform(-1/sqrt(fan_in), +1/sqrt(fan_in)),
        a variance of 1/(3 fan_in), while a layer followed by a ReLU needs about 2/fan_in to keep the size of
        its output (the ReLU drops half of the signal). Every convolution shrinks the signal a little and
        thirteen of them compound it: here the ReLU output \(fold(plain.shrink)) from the first to the last convolution,
        and the first convolution's gradient is \(Format.fixed(plain.gradient, 0)) times smaller than the last one's.
        He initialisation (--init kaiming) draws with variance 2/fan_out, made for ReLUs: the output \(fold(he.shrink)) \
        and the gradient ratio drops to \(Format.fixed(he.gradient, 1)). BatchNorm (--batchnorm) re-scales every
        convolution's output to zero mean and unit variance whatever the weights: the output \(fold(bn.shrink)), \
        gradient ratio \(Format.fixed(bn.gradient, 1)).
        """)

        // MARK: 5. Training
        lesson.section("5. Training VGG-16 on \(data.kind.displayName)")
        let epochs = data.epochs(default: OriginalSchedule.vgg16Epochs)
        lesson.say("""
        Data: \(data.description)
        Network: \(thisVariant.networkLabel). Adam, learning rate \(training.lr), cross-entropy, \(epochs) epoch\(epochs == 1 ? "" : "s") \
        (the original lesson trains \(OriginalSchedule.vgg16Epochs) epochs with PyTorch's default initialisation, no BatchNorm and learning rate 0.001).
        """)
        if data.quick {
            lesson.say("""
            This is the quick version: \(LessonData.quickBatches * epochs) batches instead of the full run's \(Format.thousands(data.fullScheduleBatches(epochs: OriginalSchedule.vgg16Epochs))). That is enough to see whether
            the network starts learning, not to reach the full run's accuracy, and too few to tell a late start
            from a permanent stall.
            """)
        }
        lesson.say("""
        While it trains, the lesson watches the loss. A network that ignores its input and guesses uniformly
        over the 10 digits has loss ln 10 = \(Format.fixed(ln10, 3)); a loss that stays there means nothing is being learned.
        """)
        var outcomes: [Outcome] = []
        for offset in 0..<training.seeds {
            let seed = common.seed &+ UInt64(offset)
            if training.seeds > 1 { lesson.say("\n--- seed \(seed) ---") }
            outcomes.append(try train(seed: seed, variant: thisVariant, epochs: epochs, data: data, lesson: lesson,
                                      vanishing: vanishes(shown.probe)))
        }
        let main = outcomes[0]

        // MARK: 6. What happened
        lesson.section("6. What happened in this run")
        let testAccuracy = main.history.testAccuracy ?? 0
        lesson.output(main.history.epochs.map {
            "Epoch \($0.epoch)/\(main.history.epochs.count): Accuracy = \(Format.fixed($0.accuracy, 4))"
        }.joined(separator: "\n") + "\n\n🎯 VGG-16 Test Accuracy: \(Format.fixed(testAccuracy, 4))\nParameters: \(Format.thousands(total))")
        let verdict = Verdict(main.history.batchLosses, quick: data.quick)
        narrateVerdict(lesson, verdict, outcome: main, variant: thisVariant, probe: shown.probe, data: data)
        if training.seeds > 1 {
            let accuracies = outcomes.map { $0.history.testAccuracy ?? 0 }
            let stalled = outcomes.filter { Verdict($0.history.batchLosses, quick: data.quick).stalled }.count
            let spread = Spread(accuracies)
            lesson.say("""

            Over \(training.seeds) seeds: test accuracy \(Format.fixed(100 * spread.mean, 2))% on average, standard deviation \
            \(Format.fixed(100 * spread.std, 2)) points (\(Format.fixed(100 * spread.min, 2))% to \(Format.fixed(100 * spread.max, 2))%); \
            \(stalled) of \(training.seeds) runs never left the plateau.
            """)
        }

        // MARK: 7. Curves, and the cures side by side
        lesson.section("7. Training curves")
        let others = savedVariants(like: main.run, data: data).filter { $0.name != main.run.name }
        let curveChart = lesson.chartURL("vgg16_training.png")
        try drawCurves(main, others: others, batchesPerEpoch: data.batchesPerEpoch(), dataset: data.kind.displayName,
                       label: thisVariant.shortLabel, to: curveChart)
        lesson.chart(curveChart, caption: "VGG-16: training loss and accuracy per batch (moving average of 20 batches)")
        compareVariants(lesson, current: (thisVariant.shortLabel, main.history), others: others, data: data,
                        perBatchAccuracy: !main.batchAccuracies.isEmpty)

        // MARK: 8. Where it goes wrong
        lesson.section("8. Where VGG-16 goes wrong, and what its first layer sees")
        try lesson.errorAnalysis(model: main.model, name: "VGG-16", test: data.test, filePrefix: "vgg16_")
        if verdict.stalled {
            lesson.say("""
            A network that never left the plateau predicts (nearly) one class for everything: its confusion
            matrix is a single bright column, and its "mistakes" are simply every image of the other classes.
            """)
        }

        // MARK: 9. Saved
        lesson.section("9. Checkpoint")
        lesson.say("""
        Weights: \(lesson.displayPath(URL(fileURLWithPath: main.run.checkpointPath)))
        History (per-batch losses, per-epoch accuracy, test accuracy, settings): \(lesson.displayPath(URL(fileURLWithPath: main.run.historyPath)))
        Running the lesson again with the same flags reuses them instead of training again.
        """)

        lesson.section("Takeaway")
        lesson.say("""
        VGG's recipe is small 3x3 convolutions stacked into blocks, the channels doubling as the resolution
        halves. Its weakness is the same depth that gives it power: thirteen plain convolutions are a long way
        for a gradient to travel, and with a poor initialisation the signal fades on the way in and the
        gradient on the way back. Careful initialisation and BatchNorm fix that; ResNet's skip connections
        (Exercises 2 and 3) fix it for networks ten times deeper.

        ✓ VGG implementation complete
        """)
    }

    // MARK: - Training one seed, with the live watch

    struct Outcome {
        let run: TrainingRun
        let history: TrainingHistory
        /// Each training batch's accuracy (empty when the run was reused: histories keep losses only).
        let batchAccuracies: [Double]
        /// How many test images were predicted as each class.
        let predictedCounts: [Int]
        let reused: Bool
        /// The trained (or reloaded) network.
        let model: any Module
    }

    func train(seed: UInt64, variant: Variant, epochs: Int, data: LessonData, lesson: Narrator,
               vanishing: Bool) throws -> Outcome {
        let name = seed == common.seed ? variant.checkpointName : "\(variant.checkpointName)-seed\(seed)"
        var run = TrainingRun(name: name, displayName: "VGG-16", seed: seed, epochs: epochs, data: data,
                              output: URL(fileURLWithPath: common.output, isDirectory: true))
        let checkEvery = data.quick ? 20 : 100
        let stallAfter = data.quick ? 40 : 300
        var losses: [Double] = [], accuracies: [Double] = []
        var learning = false, stallAnnounced = false
        let terminal = isatty(STDOUT_FILENO) == 1
        let live: (String) -> Void = { text in
            if terminal { print("\r\u{1B}[2K", terminator: "") }
            lesson.say(text)
        }
        // The watch: every `checkEvery` batches, is the loss still at ln 10 (a uniform guess)?
        run.onBatch = { report in
            losses.append(report.loss)
            accuracies.append(report.accuracy)
            let batch = losses.count   // steps watched in this process (a resumed run starts again at 1)
            guard batch % checkEvery == 0, !learning else { return }
            let recent = windowMean(losses, end: batch, window: checkEvery)
            let accuracy = windowMean(accuracies, end: batch, window: checkEvery)
            let where_ = "  [watch] batches \(batch - checkEvery + 1)-\(batch): mean loss \(Format.fixed(recent, 4)), accuracy \(Format.fixed(100 * accuracy, 1))%"
            if recent < ln10 - 0.1 {
                learning = true
                live(where_ + (stallAnnounced ? ". The loss has left the plateau at last: the network is learning."
                                              : ". Below ln 10: the network is learning."))
            } else if abs(recent - ln10) < 0.02 {
                if batch >= stallAfter && !stallAnnounced {
                    stallAnnounced = true
                    live(where_ + (vanishing ? """
                    .
                        Still ln 10 after \(batch) batches: the network gives the same answer for every image and
                        almost no gradient reaches its early layers. This is the vanishing-gradient stall that
                        section 4 measured; section 6 says more. The cures are flags: --init kaiming, --batchnorm, --lr 0.0001.
                    """ : """
                    .
                        At ln 10 after \(batch) batches: the network gives the same answer for every image. Section 4
                        showed the gradient reaching every layer at the start, so this is not the vanishing gradient;
                        section 6 looks at what happened.
                    """))
                } else if !stallAnnounced {
                    live(where_ + ": still at ln 10, a uniform guess.")
                }
            } else {
                live(where_ + ".")
            }
        }
        let (model, history, reused) = try run.run({ variant.make() }, narrate: { sentence in lesson.say(sentence) })
        if reused {
            lesson.say("""
            Reusing the saved run \(lesson.displayPath(URL(fileURLWithPath: run.checkpointPath))): it was trained with exactly these
            settings (delete it to train again). Its history has every batch's loss and the test predictions.
            """)
        } else {
            lesson.say("Trained in \(Format.duration(history.wallSeconds)).")
        }
        let predicted = Inspection.testPredictions(of: model, history: history, test: data.test)
        var counts = [Int](repeating: 0, count: 10)
        for p in predicted where p < counts.count { counts[p] += 1 }
        return Outcome(run: run, history: history, batchAccuracies: reused ? [] : accuracies,
                       predictedCounts: counts, reused: reused, model: model)
    }

    // MARK: - Narration that follows the numbers

    /// Whether a fresh network's gradient fades on the way back: the first convolution's weight
    /// gradient more than 100 times smaller than the last one's.
    func vanishes(_ probe: InitProbe) -> Bool {
        probe.gradNorms.last! / max(probe.gradNorms.first!, 1e-30) > 100
    }

    func describeProbe(_ lesson: Narrator, _ probe: InitProbe, variant: Variant) {
        let shrink = probe.reluMeans.first! / max(probe.reluMeans.last!, 1e-30)
        let gradRatio = probe.gradNorms.last! / max(probe.gradNorms.first!, 1e-30)
        var text = "The mean ReLU output goes from \(Format.fixed(probe.reluMeans.first!, 3)) after the first convolution to "
            + "\(String(format: "%.3g", probe.reluMeans.last!)) after the thirteenth: "
        text += shrink > 3 ? "it shrinks \(Format.fixed(shrink, 0))-fold on the way in. "
            : (shrink < 1 / 3 ? "it grows \(Format.fixed(1 / shrink, 0))-fold. " : "it keeps roughly its size. ")
        text += "On the way back, the first convolution's weight gradient has norm \(String(format: "%.2g", probe.gradNorms.first!)), "
            + "the last one's \(String(format: "%.2g", probe.gradNorms.last!))"
        text += gradRatio > 10 ? ": \(Format.fixed(gradRatio, 0)) times smaller at the bottom of the network. That is the vanishing gradient, measured."
            : (gradRatio < 0.1 ? ": the gradient is larger at the bottom." : ": the same order of magnitude, so every layer gets to learn.")
        lesson.say(text)
    }

    func narrateVerdict(_ lesson: Narrator, _ verdict: Verdict, outcome: Outcome, variant: Variant,
                        probe: InitProbe, data: LessonData) {
        let test = outcome.history.testAccuracy ?? 0
        let n = verdict.losses.count
        lesson.say("""

        Mean loss of batches 1-20: \(Format.fixed(verdict.early, 4)); of the last 20 (up to batch \(n)): \(Format.fixed(verdict.final, 4)) \
        (ln 10 = \(Format.fixed(ln10, 4))).
        """)
        // Which digits the network predicts on the test set.
        let predictions = outcome.predictedCounts
        let predictedTotal = max(predictions.reduce(0, +), 1)
        if let top = predictions.indices.max(by: { predictions[$0] < predictions[$1] }) {
            let share = Double(predictions[top]) / Double(predictedTotal)
            let trainShare = Double(data.train.labels.filter { $0 == top }.count) / Double(max(data.train.count, 1))
            let mostCommon = (0..<10).max { a, b in data.train.labels.filter { $0 == a }.count < data.train.labels.filter { $0 == b }.count }!
            if share > 0.9 {
                lesson.say("""
                On the \(Format.thousands(predictedTotal)) test images it predicts class \(top) \(Format.fixed(100 * share, 1))% of the time. \
                \(top == mostCommon ? "Class \(top) is the most common one in the training set (\(Format.fixed(100 * trainShare, 1))%): the best answer for a network that ignores its input." : "The network ignores its input and answers the same class for almost everything.")
                """)
            } else if share > 0.3 {
                lesson.say("It predicts class \(top) for \(Format.fixed(100 * share, 1))% of the test images, but not for all of them: it has started to use its input.")
            } else {
                lesson.say("Its test predictions spread over the classes (the most frequent, \(top), takes \(Format.fixed(100 * share, 1))%): it uses its input.")
            }
        }
        let cures = "--init kaiming, --batchnorm or --lr 0.0001"
        if verdict.stalled && !vanishes(probe) {
            let (bestEnd, bestLoss) = verdict.bestWindow
            lesson.say("""
            The test accuracy is \(Format.fixed(100 * test, 1))%, chance level, and the loss is back at ln 10. This is not the
            vanishing gradient of section 4: at initialisation this network passed the gradient to every layer (the
            first convolution's only \(Format.fixed(probe.gradNorms.last! / max(probe.gradNorms.first!, 1e-30), 1)) times smaller than the last one's). It did move: the
            20-batch mean loss got down to \(Format.fixed(bestLoss, 4)) (batches \(max(1, bestEnd - 19))-\(bestEnd)) before returning to ln 10 and a
            single answer. Adam moves every weight by roughly the learning rate at each step, whatever the size of
            its gradient; in a deep ReLU network without BatchNorm such early steps can switch units off for every
            input, and then only the output layer's biases keep learning. A smaller step (--lr 0.0001) or BatchNorm
            (--batchnorm) are the cures to try with this initialisation.
            """)
        } else if verdict.stalled {
            lesson.say("""
            The loss never left ln 10 and the test accuracy is \(Format.fixed(100 * test, 1))%, chance level. The network stalled:
            the signal fades through thirteen convolutions (section 4: the ReLU output shrinks \(Format.fixed(probe.reluMeans.first! / max(probe.reluMeans.last!, 1e-30), 0))-fold), so
            the classifier sees almost the same features for every image, and the gradient reaching the first
            convolution is \(Format.fixed(probe.gradNorms.last! / max(probe.gradNorms.first!, 1e-30), 0)) times smaller than at the last one. The only thing that can still learn
            is the bias of the output layer: it learns how often each class occurs, which gives a loss of
            about ln 10 and one answer for every image. Adam makes it worse: it moves every weight by about the
            learning rate whatever its gradient, and early on those steps can switch whole layers of ReLUs off.
            """)
            if data.quick {
                lesson.say("""
                In the quick version \(n) batches are all there is, so this run cannot tell a late start from a
                permanent stall. (In PyTorch, one seed of this network sat at 2.303 and 11% for 200 batches and then
                predicted "1" for every test image.)
                """)
            }
            lesson.say("The cures, each a flag of this lesson: \(cures). Run one and this lesson measures what it changes.")
        } else if let start = verdict.learningStart {
            let late = start > (data.quick ? 40 : 200)
            if late {
                lesson.say("""
                The loss sat on the ln 10 plateau for about \(start) batches before the 20-batch mean fell below \(Format.fixed(ln10 - 0.1, 2)) \
                (at batch \(start)). That wait is the vanishing gradient of section 4: until the weights happen to
                grow enough for a signal to get through, almost nothing reaches the early layers. This time it got out;
                another seed may not. The cures (\(cures)) shorten or remove the wait.
                """)
            } else {
                lesson.say("""
                The loss left ln 10 quickly: its 20-batch mean fell below \(Format.fixed(ln10 - 0.1, 2)) by batch \(start), and the \
                test accuracy is \(Format.fixed(100 * test, 1))%.
                """)
                if variant.isOriginal {
                    lesson.say("""
                    This run escaped the stall even with the original settings. It is not guaranteed: section 4 shows the
                    gradient at the first convolution \(Format.fixed(probe.gradNorms.last! / max(probe.gradNorms.first!, 1e-30), 0)) times smaller than at the last, and in PyTorch
                    one seed of this very network sat at 2.303 for 200 batches and never learned. Try other seeds
                    (--seed 5, or --seeds 3) to see how often it happens here, and the cures (\(cures)).
                    """)
                } else {
                    lesson.say("That is what the cure is for: \(variant.cureExplanation)")
                }
            }
            if test < 0.5 {
                lesson.say("The test accuracy (\(Format.fixed(100 * test, 1))%) shows it has only begun\(data.quick ? "; the quick version stops early" : "").")
            }
        } else {
            lesson.say("""
            The loss moved off ln 10 only a little (last 20 batches: \(Format.fixed(verdict.final, 4))) and the test accuracy is \
            \(Format.fixed(100 * test, 1))%: the network is just beginning to learn\(data.quick ? ", and the quick version stops here" : ""). \
            If it is slow to start, the cures (\(cures)) help.
            """)
        }
    }

    /// Table of this run and the saved runs of other variants with the same data and schedule.
    func compareVariants(_ lesson: Narrator, current: (String, TrainingHistory), others: [(name: String, history: TrainingHistory)],
                         data: LessonData, perBatchAccuracy: Bool) {
        let checkAt = min(80, current.1.batchLosses.count)
        lesson.say(perBatchAccuracy
            ? "Left: the loss of every batch (grey) and its 20-batch moving average, against ln 10 (dashed). Right: the training accuracy of each batch, averaged the same way, against chance (10%)."
            : "Left: the loss of every batch (grey) and its 20-batch moving average, against ln 10 (dashed). Right: the accuracy of each epoch (a reused run keeps no per-batch accuracy), against chance (10%).")
        guard !others.isEmpty else {
            lesson.say("""
            Run the lesson again with --init kaiming, --batchnorm or --lr 0.0001 (same other flags): each variant is
            saved under its own name, and this section then compares the saved runs side by side.
            """)
            return
        }
        lesson.say("\nThis run beside the saved runs of the other variants (same seed, data and schedule):")
        var lines = ["variant                             loss, batches \(max(1, checkAt - 19))-\(checkAt)   learning from batch   test accuracy"]
        for (label, history) in [current] + others.map({ (Variant.label(forCheckpoint: $0.name, history: $0.history), $0.history) }) {
            let verdict = Verdict(history.batchLosses, quick: data.quick)
            lines.append(label.padding(toLength: 36, withPad: " ", startingAt: 0)
                         + Format.fixed(windowMean(history.batchLosses, end: min(checkAt, history.batchLosses.count), window: 20), 4)
                            .padding(toLength: 25, withPad: " ", startingAt: 0)
                         + (verdict.learningStart.map(String.init) ?? "never").padding(toLength: 22, withPad: " ", startingAt: 0)
                         + Format.fixed(history.testAccuracy ?? 0, 4))
        }
        lesson.output(lines.joined(separator: "\n"))
        lesson.say("\"Learning from batch\" is where the 20-batch mean loss first fell below \(Format.fixed(ln10 - 0.1, 2)).")
    }

    /// Saved VGG-16 runs (any variant, any learning rate) with this run's seed, data and schedule.
    func savedVariants(like run: TrainingRun, data: LessonData) -> [(name: String, history: TrainingHistory)] {
        let folder = URL(fileURLWithPath: common.output).appendingPathComponent("checkpoints")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let keys = ["seed", "epochs", "batch_size", "dataset", "quick", "batches_per_epoch", "test_images"]
        return files.filter { $0.hasPrefix("vgg16") && $0.hasSuffix(".history.json") && !$0.contains("-seed") }
            .sorted()
            .compactMap { file in
                guard let history = try? TrainingHistory.load(from: folder.appendingPathComponent(file).path),
                      keys.allSatisfy({ history.settings[$0] == run.settings[$0] }) else { return nil }
                return (history.model, history)
            }
    }

    // MARK: - Charts

    func drawProbes(_ probes: [(variant: Variant, probe: InitProbe)], to url: URL) throws {
        let figure = Figure(width: 14, height: 5)
        let axes = figure.subplots(rows: 1, cols: 2)
        let markers: [Marker] = [.circle, .square, .triangleUp]
        for (index, (variant, probe)) in probes.enumerated() {
            let x = probe.reluMeans.indices.map { Double($0 + 1) }
            axes[0].plot(x, probe.reluMeans, label: variant.networkLabel, marker: markers[index % 3], lineWidth: 2)
            axes[1].plot(x, probe.gradNorms, label: variant.networkLabel, marker: markers[index % 3], lineWidth: 2)
        }
        axes[0].setYLim(1e-3, nil)
        axes[0].legend(location: .lowerLeft)
        axes[1].legend(location: .lowerRight)
        for ax in axes {
            ax.setYScale(.log)
            ax.setXLabel("Convolution (1 = nearest the input)")
            ax.setXTicks((1...13).map(Double.init), labels: (1...13).map(String.init))
            ax.grid(alpha: 0.3)
        }
        axes[0].setYLabel("Mean ReLU output")
        axes[0].setTitle("Signal on the way in")
        axes[1].setYLabel("Weight-gradient norm")
        axes[1].setTitle("Gradient on the way back")
        figure.suptitle("A fresh VGG-16 on one batch of 64 training images")
        try figure.savefig(url.path)
    }

    func drawCurves(_ outcome: Outcome, others: [(name: String, history: TrainingHistory)], batchesPerEpoch: Int,
                    dataset: String, label: String, to url: URL) throws {
        let figure = Figure(width: 14, height: 5)
        let axes = figure.subplots(rows: 1, cols: 2)
        let losses = outcome.history.batchLosses
        let x = losses.indices.map { Double($0 + 1) }
        axes[0].plot(x, losses, color: "lightgray", lineWidth: 0.8)
        axes[0].plot(x, movingAverage(losses, window: 20), label: "\(label) (this run)", color: "tab:blue", lineWidth: 2)
        let colors: [Color] = ["tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink"]
        for (index, other) in others.enumerated() {
            let otherLosses = other.history.batchLosses
            axes[0].plot(otherLosses.indices.map { Double($0 + 1) }, movingAverage(otherLosses, window: 20),
                         label: Variant.label(forCheckpoint: other.name, history: other.history),
                         color: colors[index % colors.count], lineWidth: 1.5, lineStyle: .dashed)
        }
        axes[0].axhline(ln10, color: "red", lineStyle: .dashed, lineWidth: 1, label: "ln 10 = 2.303 (uniform guess)")
        let highest = ([losses.max() ?? ln10] + others.compactMap { $0.history.batchLosses.max() }).max()!
        axes[0].setYLim(nil, min(highest + 0.05, max(3.0, ln10 + 0.3)))
        axes[0].setXLabel("Batch")
        axes[0].setYLabel("Loss")
        axes[0].setTitle("Training Loss")
        axes[0].legend()
        axes[0].grid(alpha: 0.3)

        let accuracies = outcome.batchAccuracies
        if !accuracies.isEmpty {
            axes[1].plot(accuracies.indices.map { Double($0 + 1) }, movingAverage(accuracies, window: 20),
                         label: "training accuracy (20-batch mean)", color: "tab:blue", lineWidth: 2)
        }
        let epochEnds = outcome.history.epochs.map { Double($0.epoch * batchesPerEpoch) }
        axes[1].plot(epochEnds, outcome.history.epochAccuracies, label: "training accuracy of the epoch", color: "tab:green",
                     marker: .circle, lineStyle: nil)
        if let test = outcome.history.testAccuracy {
            axes[1].axhline(test, color: "tab:purple", lineStyle: .dashed, label: "test accuracy \(Format.fixed(test, 4))")
        }
        axes[1].axhline(0.1, color: "red", lineStyle: .dotted, lineWidth: 1, label: "chance (10%)")
        axes[1].setYLim(0, 1)
        axes[1].setXLabel("Batch")
        axes[1].setYLabel("Accuracy")
        axes[1].setTitle("Training Accuracy")
        axes[1].legend()
        axes[1].grid(alpha: 0.3)
        figure.suptitle("VGG-16 on \(dataset): \(label)")
        try figure.savefig(url.path)
    }
}

// MARK: - Variants and verdicts

/// One way to set up VGG-16: initialisation, BatchNorm, learning rate.
struct Variant {
    let kaiming: Bool
    let batchNorm: Bool
    let lr: Double

    /// The three networks the initialisation probe compares (the learning rate does not change them).
    static let probed = [Variant(kaiming: false, batchNorm: false, lr: 0.001),
                         Variant(kaiming: true, batchNorm: false, lr: 0.001),
                         Variant(kaiming: false, batchNorm: true, lr: 0.001)]

    func make() -> VGG16 {
        let model = VGG16(batchNorm: batchNorm)
        if kaiming { model.kaimingInit() }
        return model
    }

    func sameNetwork(as other: Variant) -> Bool { kaiming == other.kaiming && batchNorm == other.batchNorm }
    var isOriginal: Bool { !kaiming && !batchNorm && lr == 0.001 }

    var networkLabel: String {
        (kaiming ? "He (kaiming) init" : "PyTorch default init") + (batchNorm ? " + BatchNorm" : ", no BatchNorm")
    }
    var shortLabel: String {
        var parts = [kaiming ? "kaiming init" : "default init"]
        if batchNorm { parts.append("BatchNorm") }
        parts.append("lr \(String(format: "%g", lr))")
        return parts.joined(separator: ", ")
    }
    var checkpointName: String {
        "vgg16" + (batchNorm ? "_bn" : "") + (kaiming ? "_kaiming" : "") + (lr == 0.001 ? "" : "_lr\(String(format: "%g", lr))")
    }
    var cureExplanation: String {
        var reasons: [String] = []
        if kaiming { reasons.append("He initialisation keeps the signal's size through the 13 convolutions, so the gradient reaches the first ones") }
        if batchNorm { reasons.append("BatchNorm re-scales every convolution's output, so no layer's signal can fade") }
        if lr != 0.001 { reasons.append("a learning rate of \(String(format: "%g", lr)) moves the weights gently enough that the first steps do not switch the ReLUs off") }
        return reasons.joined(separator: "; ") + "."
    }

    static func label(forCheckpoint name: String, history: TrainingHistory) -> String {
        let lr = Double(history.settings["lr"] ?? "") ?? 0.001
        return Variant(kaiming: name.contains("_kaiming"), batchNorm: name.contains("_bn"), lr: lr).shortLabel
    }
}

/// What a run's per-batch losses say.
struct Verdict {
    let losses: [Double]
    /// Mean loss of the first and of the last 20 batches.
    let early: Double, final: Double
    /// First batch where the 20-batch mean loss was below ln 10 - 0.1.
    let learningStart: Int?
    /// Never left ln 10 (the 20-batch mean stayed within 0.05 of it to the end).
    let stalled: Bool

    init(_ losses: [Double], quick: Bool) {
        self.losses = losses
        early = windowMean(losses, end: min(20, losses.count), window: 20)
        final = windowMean(losses, end: losses.count, window: 20)
        learningStart = losses.indices.first { windowMean(losses, end: $0 + 1, window: 20) < ln10 - 0.1 && $0 + 1 >= min(20, losses.count) }
            .map { $0 + 1 }
        stalled = learningStart == nil && abs(final - ln10) < 0.05
    }

    /// The 20-batch window with the lowest mean loss: (its last batch, its mean).
    var bestWindow: (end: Int, loss: Double) {
        let means = (min(20, losses.count)...max(1, losses.count)).map { ($0, windowMean(losses, end: $0, window: 20)) }
        return means.min { $0.1 < $1.1 } ?? (losses.count, final)
    }
}

/// Mean, standard deviation and range of a few numbers.
struct Spread {
    let mean: Double, std: Double, min: Double, max: Double
    init(_ values: [Double]) {
        mean = values.reduce(0, +) / Double(values.count)
        let m = mean
        std = values.count > 1 ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
        min = values.min() ?? 0
        max = values.max() ?? 0
    }
}

/// Receptive field of one output pixel of two stacked 3x3 convolutions and of one 5x5, measured by
/// backpropagating that pixel to the input and counting the rows with a non-zero gradient.
func measuredReceptiveField() -> (twoThrees: Int, oneFive: Int) {
    func extent(_ layers: [Conv2d]) -> Int {
        let size = 11
        let input = Tensor.randn([1, 4, size, size], requiresGrad: true)
        var x = input
        for layer in layers { x = layer(x) }
        var mask = [Float](repeating: 0, count: x.count)
        mask[(size / 2) * size + size / 2] = 1                  // channel 0, centre pixel
        (x * Tensor(mask, shape: x.shape)).sum().backward()
        let grad = input.grad!.scalars
        let rows = (0..<size).filter { r in (0..<4).contains { c in (0..<size).contains { grad[(c * size + r) * size + $0] != 0 } } }
        return rows.count
    }
    let twoThrees = extent([Conv2d(4, 4, kernelSize: 3, padding: 1), Conv2d(4, 4, kernelSize: 3, padding: 1)])
    let oneFive = extent([Conv2d(4, 4, kernelSize: 5, padding: 2)])
    return (twoThrees, oneFive)
}

Exercise1.main()
