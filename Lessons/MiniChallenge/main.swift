// Mini-Challenge: design a deeper ResNet
//
// Day 13, Modern Architectures. The lesson's DeepResNet ([3, 4, 6, 3] blocks, ResNet-34's layout)
// or your own variant from the flags, trained beside a small plain CNN of the day-12 kind on the
// same data, so "beat your day-12 CNN" is measured rather than hoped for. Ends with the day's
// reflection prompts, each with the evidence this run gathered.
// Run it with `swift run MiniChallenge`; `--help` lists the flags.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

extension BlockKind: ExpressibleByArgument {}
extension Stem: ExpressibleByArgument {}
extension Downsample: ExpressibleByArgument {}

struct MiniChallenge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "MiniChallenge",
        abstract: "Design a deeper ResNet and train it against a small plain CNN.",
        discussion: """
        Examples:
          swift run MiniChallenge --quick
          swift run MiniChallenge                                   (DeepResNet [3,4,6,3], 3 epochs)
          swift run MiniChallenge --quick --block bottleneck --stem 7x7
          swift run MiniChallenge --quick --channels 64,128,256,512,1024 --blocks 2,2,2,2,2
          swift run MiniChallenge --quick --downsample avgpool --seeds 3
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    @Option(help: "Residual blocks per stage, comma-separated.")
    var blocks: String = "3,4,6,3"

    @Option(help: "Output channels per stage, comma-separated (as many stages as --blocks).")
    var channels: String = "64,128,256,512"

    @Option(help: "Block type: basic (two 3x3 convolutions) or bottleneck (1x1, 3x3, 1x1 at a quarter of the width).")
    var block: BlockKind = .basic

    @Option(help: "Stem: 3x3 (stride 1, keeps 32x32) or 7x7 (stride 2 + max-pool, ImageNet style, 32x32 -> 8x8).")
    var stem: Stem = .small

    @Option(help: "Shortcut downsampling: conv (1x1, stride 2) or avgpool (2x2 average pool, then 1x1).")
    var downsample: Downsample = .conv

    var blockList: [Int] { blocks.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    var channelList: [Int] { channels.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    mutating func validate() throws {
        let b = blockList, c = channelList
        guard b.count == blocks.split(separator: ",").count, !b.isEmpty, b.allSatisfy({ $0 >= 1 && $0 <= 64 }) else {
            throw ValidationError("--blocks must be positive whole numbers separated by commas, like 3,4,6,3 (got \(blocks)).")
        }
        guard c.count == channels.split(separator: ",").count, c.allSatisfy({ $0 >= 4 && $0 <= 2048 }) else {
            throw ValidationError("--channels must be whole numbers from 4 to 2048 separated by commas, like 64,128,256,512 (got \(channels)).")
        }
        guard b.count == c.count else {
            throw ValidationError("--blocks has \(b.count) stages and --channels \(c.count); give both the same number of entries.")
        }
        guard b.count <= 5 else {
            throw ValidationError("at most 5 stages: each stage after the first halves the 32x32 image (got \(b.count)).")
        }
    }

    var isDefaultDesign: Bool {
        blockList == [3, 4, 6, 3] && channelList == [64, 128, 256, 512] && block == .basic && stem == .small && downsample == .conv
    }

    /// The design as a checkpoint name, so different designs never share a saved run.
    var designName: String {
        isDefaultDesign ? "deepresnet"
            : "resnet-b\(blockList.map(String.init).joined(separator: "-"))-c\(channelList.map(String.init).joined(separator: "-"))"
                + "-\(block.rawValue)-\(stem.rawValue)-\(downsample.rawValue)"
    }

    func makeDesign(residual: Bool = true) -> any Module {
        if isDefaultDesign && residual { return DeepResNet() }
        return ChallengeResNet(channels: channelList, blocks: blockList, block: block, stem: stem, downsample: downsample,
                               residual: residual)
    }

    func run() throws {
        runLesson(common) {
            let data = try LessonData.load(training)
            let lesson = try common.apply(lesson: "MiniChallenge", training)
            try announcePlan(lesson, data: data)
            try runLessonBody(lesson, data: data)
            try lesson.writeReport()
        }
    }

    func runLessonBody(_ lesson: Narrator, data: LessonData) throws {
        let output = URL(fileURLWithPath: common.output, isDirectory: true)
        let epochs = data.epochs(default: 3)
        let seeds = training.seeds

        // MARK: The challenge (the introduction, before section 1)
        lesson.title("MINI-CHALLENGE: DEEPER RESNET")
        lesson.say("""
        Your challenge: design a deeper ResNet variant and beat a plain CNN of the kind you built on day 12.
        The options the original suggests are flags of this program:
          1. more blocks per stage, e.g. ResNet-34's [3,4,6,3]     --blocks 3,4,6,3
          2. more channels or a fifth stage, 64 -> ... -> 1024     --channels 64,128,256,512,1024 --blocks 2,2,2,2,2
          3. bottleneck blocks (1x1, 3x3, 1x1)                     --block bottleneck
          4. a different first convolution                         --stem 7x7
          5. another way to downsample the shortcut                --downsample avgpool

        Data: \(data.description)
        Schedule: \(epochs) epoch\(epochs == 1 ? "" : "s") of \(Format.thousands(data.batchesPerEpoch())) batches for both networks\
        \(seeds > 1 ? ", each with \(seeds) seeds" : "").
        """)
        if data.quick {
            lesson.say("""
            This is the quick version: both networks see \(LessonData.quickBatches) batches per epoch and are tested on \
            \(Format.thousands(data.test.count)) images. The deep network dominates the time; it says how long it expects \
            to take after its first batches.
            """)
        }

        // MARK: 1. Your design
        lesson.section("1. Your Deep ResNet")
        Random.manualSeed(common.seed)
        let design = makeDesign()
        let designParams = design.parameterCount
        let convCount = design.namedModules().filter { $0.module is Conv2d && !$0.name.contains("shortcut") }.count
        lesson.output("""
        Your Deep ResNet:
        Parameters: \(Format.thousands(designParams))
        Architecture: [\(blockList.map(String.init).joined(separator: ","))] \(block.rawValue) blocks, channels \
        [\(channelList.map(String.init).joined(separator: ","))], \(stem.rawValue) stem, \(downsample.rawValue) downsampling
        Depth: \(convCount) convolutions on the main path + 1 linear layer = \(convCount + 1) weight layers
        """)
        if isDefaultDesign {
            lesson.say("These are the original's settings: ResNet-34's layout of blocks with the lesson's 3x3 stem for 32x32 images.")
        } else {
            Random.manualSeed(common.seed)
            let reference = DeepResNet().parameterCount
            lesson.say("The original's DeepResNet ([3,4,6,3] basic blocks) has \(Format.thousands(reference)) parameters; "
                       + "yours has \(Format.fixed(Double(designParams) / Double(reference), 2))x as many.")
        }
        lesson.say("What each stage does to one 1x32x32 image:")
        lesson.output(shapeTrace(design))

        // MARK: 2. The baseline
        lesson.section("2. The day-12 baseline")
        Random.manualSeed(common.seed)
        let baselineProbe = SmallCNN()
        lesson.say("""
        The day-12 custom CNN is not at hand, so we train its like here on the same data: three conv + BatchNorm + \
        ReLU + max-pool stages and one linear layer, \(Format.thousands(baselineProbe.parameterCount)) parameters \
        (\(Format.fixed(Double(designParams) / Double(baselineProbe.parameterCount), 0))x fewer than your design).
        """)
        lesson.output("baseline = \(baselineProbe)")

        // MARK: 3. Training both
        lesson.section("3. Training")
        // One training step, written out: what the trainer below repeats for every batch. It is taken here
        // on a fresh DeepResNet (its own seed scope, so the training run is unchanged) and the first batch (at most
        // 64 images: the memory check for the full batch size comes with the trainer).
        let oneStep = Random.withSeed(common.seed) { () -> (before: Float, after: Float, images: Int) in
            let model = makeDesign()
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
        lesson.reportOneStep(network: "DeepResNet", images: oneStep.images,
                             lossBefore: oneStep.before, lossAfter: oneStep.after)
        let trainer = ComparisonTrainer(data: data, output: output, narrator: lesson, baseSeed: common.seed, seeds: seeds)
        let baseline = try trainer.run(name: "smallcnn", displayName: "SmallCNN", epochs: epochs) { SmallCNN() }
        let deep = try trainer.run(name: designName, displayName: "DeepResNet", epochs: epochs) { AnyModule(makeDesign()) }
        lesson.say("\n🎯 Your Deep ResNet Accuracy: \(deep.testAccuracies.text(4))")

        // MARK: 4. Chart and table of every model run
        lesson.section("4. Comparison")
        let entries: [(String, TrainingHistory, SeedSpread, Int, Double)] = [
            ("SmallCNN", baseline.history, baseline.testAccuracies, baseline.parameterCount,
             baseline.histories.map(\.wallSeconds).reduce(0, +) / Double(seeds)),
            ("DeepResNet", deep.history, deep.testAccuracies, deep.parameterCount,
             deep.histories.map(\.wallSeconds).reduce(0, +) / Double(seeds)),
        ]
        let chartURL = lesson.chartURL("mini_challenge.png")
        try drawChallenge(entries.map { ($0.0, $0.1, $0.2) }, to: chartURL)
        lesson.chart(chartURL, caption: "Training loss and accuracy per epoch, and test accuracy, of every model run")
        lesson.say("(The chart is in this lesson's folder, beside report.md.)")
        let reusedAny = baseline.reused.contains(true) || deep.reused.contains(true)
        let table = ComparisonTable(
            headers: ["Model", "Parameters", "Train time", "Test Accuracy", "Difference"],
            rows: entries.enumerated().map { index, e in
                [e.0, Format.thousands(e.3), Format.duration(e.4), e.2.text(4),
                 index == 0 ? "baseline" : signedFixed(e.2.mean - entries[0].2.mean, 4)]
            })
        lesson.output(table.render(title: "MINI-CHALLENGE RESULTS"))
        if reusedAny { lesson.say("(Train time of a reused run is the time it took when it was first trained.)") }

        // MARK: 5. Did it beat the baseline?
        lesson.section("5. Did your ResNet beat the baseline?")
        // With one seed, the two networks' answers are compared image by image (see PairedComparison).
        let paired = deep.models.count == 1
            ? PairedComparison(labels: data.test.labels, predictedA: baseline.testPredictions(on: data.test),
                               predictedB: deep.testPredictions(on: data.test)) : nil
        let verdict = NoiseVerdict.compare("SmallCNN", baseline.testAccuracies, "DeepResNet", deep.testAccuracies,
                                           testImages: data.test.count, paired: paired)
        lesson.say(verdict.sentence)
        let gap = deep.testAccuracies.mean - baseline.testAccuracies.mean
        let level = ChallengeVerdicts.level(verdict)
        lesson.say(ChallengeVerdicts.beatSentence(gap: gap, level: level))
        let timeRatio = entries[1].4 / max(entries[0].4, 1e-9)
        lesson.say("The price: \(Format.fixed(Double(designParams) / Double(baselineProbe.parameterCount), 0))x the parameters and "
                   + "\(Format.fixed(timeRatio, 1))x the training time.")

        // MARK: 6. Evidence for the reflection: gradients of your design with and without shortcuts
        lesson.section("6. One more measurement: your design without its shortcuts")
        lesson.say("""
        For the reflection below, one batch goes through your design at initialisation, once as built and once \
        with every shortcut removed (same layers), and we compare the gradient norm reaching the first \
        convolution with that of the last.
        """)
        let loader = DataLoader(data.train, batchSize: training.batchSize, shuffle: true, generator: Generator(seed: common.seed &+ 7))
        var iterator = loader.makeIterator()
        guard let (images, labels) = iterator.next() else { throw CoreError("the training set is empty") }
        Random.manualSeed(common.seed)
        let withShortcuts = firstAndLastConvGradients(makeDesign(residual: true), images, labels)
        Random.manualSeed(common.seed)
        let withoutShortcuts = firstAndLastConvGradients(makeDesign(residual: false), images, labels)
        lesson.output("""
        with shortcuts:    first conv \(Format.sci(withShortcuts.first)), last conv \(Format.sci(withShortcuts.last)), ratio \(Format.sci(withShortcuts.first / withShortcuts.last))
        without shortcuts: first conv \(Format.sci(withoutShortcuts.first)), last conv \(Format.sci(withoutShortcuts.last)), ratio \(Format.sci(withoutShortcuts.first / withoutShortcuts.last))
        """)
        let ratioWith = withShortcuts.first / withShortcuts.last, ratioWithout = withoutShortcuts.first / withoutShortcuts.last

        // MARK: Reflection (unnumbered, as printed)
        lesson.section("Reflection")
        lesson.say("Choose 2-3 prompts and write your answers. Under each, what this run measured that bears on it.\n")
        let deepLast = deep.history.epochs.last!, baseLast = baseline.history.epochs.last!
        let threeByThree = 2 * 9 * 64 * 64, fiveByFive = 25 * 64 * 64
        let prompts: [(String, String)] = [
            ("What was the most important concept you learned today?",
             ChallengeVerdicts.trainedEvidence(layers: convCount + 1, accuracy: deep.testAccuracies.mean, epochs: epochs, lastLoss: deepLast.loss)),
            ("Why do skip connections solve the vanishing gradient problem?",
             ChallengeVerdicts.shortcutEvidence(withShortcuts: ratioWith, withoutShortcuts: ratioWithout)),
            ("How does VGG's design philosophy differ from AlexNet?",
             "VGG stacks 3x3 convolutions instead of AlexNet's 11x11 and 5x5. Two 3x3 layers see as far as one 5x5; at 64 channels they cost "
             + "\(Format.thousands(threeByThree)) weights against \(Format.thousands(fiveByFive)) (\(Format.fixed(100 * (1 - Double(threeByThree) / Double(fiveByFive)), 0))% fewer), with an extra ReLU in between."),
            ("What makes ResNet such a breakthrough?",
             ChallengeVerdicts.breakthroughEvidence(layers: convCount + 1, deep: deep.testAccuracies.mean,
                                                    baseline: baseline.testAccuracies.mean, level: level)),
            ("How do gradients flow differently in plain vs residual networks?",
             "In a residual block the gradient reaches x twice: through F and directly through the sum. Removing the shortcuts from your design "
             + "changed the first-to-last gradient ratio from \(Format.sci(ratioWith)) to \(Format.sci(ratioWithout))."),
            ("What would you consider when choosing network depth?",
             "Here the deep network cost \(Format.fixed(Double(designParams) / Double(baselineProbe.parameterCount), 0))x the parameters and \(Format.fixed(timeRatio, 1))x the training time "
             + "for \(signedFixed(100 * gap, 2)) points of test accuracy (last-epoch training loss \(Format.fixed(deepLast.loss, 4)) vs \(Format.fixed(baseLast.loss, 4)))."),
            ("What questions do you have about modern architectures?",
             ChallengeVerdicts.openQuestion(quick: data.quick, seeds: seeds, gap: gap, standardError: verdict.standardError)),
        ]
        for (prompt, evidence) in prompts {
            lesson.say("- \(prompt)\n  Evidence from this run: \(evidence)")
        }
        let takeaway = ChallengeVerdicts.takeaway(gap: gap, level: level, withShortcuts: ratioWith, withoutShortcuts: ratioWithout)
        lesson.results.takeaway = takeaway
        recordChallenge(lesson.results, design: designParams, baseline: baselineProbe.parameterCount, layers: convCount + 1,
                        deep: deep.testAccuracies, small: baseline.testAccuracies, verdict: verdict, timeRatio: timeRatio,
                        ratios: (ratioWith, ratioWithout), trained: deep.testAccuracies.mean > ChallengeVerdicts.trainedAbove)
        lesson.say("\nTakeaway: \(takeaway)")
        lesson.say("\n✓ Deep ResNet challenge complete!")
    }

    /// Shapes after the stem and each stage for one 1x32x32 image, read off one watched forward pass.
    func shapeTrace(_ model: any Module) -> String {
        let x = Tensor.randn([1, 1, 32, 32])
        let trace = ForwardTrace(of: model)
        model.eval()
        noGrad { _ = trace.run(model, x) }
        model.train()
        let stages = trace.records.filter { $0.depth == 1 && $0.name.hasPrefix("layer") }
        guard let first = stages.first else { return "" }
        var lines = ["Input: \(Format.torchSize(x.shape))",
                     "After the \(stem.rawValue) stem: \(Format.torchSize(first.inputShape))"]
        for stage in stages {
            let blocks = (stage.module as? Sequential)?.layers.count ?? 0
            lines.append("After \(stage.name) (\(blocks) blocks): \(Format.torchSize(stage.output!.shape))")
        }
        return lines.joined(separator: "\n")
    }
}

/// The numbers the challenge states and its verdicts, into results.json.
func recordChallenge(_ results: LessonResults, design: Int, baseline: Int, layers: Int, deep: SeedSpread, small: SeedSpread,
                     verdict: NoiseVerdict, timeRatio: Double, ratios: (with: Double, without: Double), trained: Bool) {
    results.record("design_parameters", design)
    results.record("baseline_parameters", baseline)
    results.record("design_weight_layers", layers)
    results.record("deepresnet_test_accuracy", deep.mean)
    results.record("smallcnn_test_accuracy", small.mean)
    results.record("deepresnet_test_accuracy_per_seed", deep.values)
    results.record("smallcnn_test_accuracy_per_seed", small.values)
    results.record("difference", verdict.difference)
    results.record("difference_standard_error", verdict.standardError)
    results.record("noise_level", ChallengeVerdicts.level(verdict).rawValue)
    results.record("training_time_ratio", timeRatio)
    results.record("first_to_last_conv_with_shortcuts", ratios.with)
    results.record("first_to_last_conv_without_shortcuts", ratios.without)
    results.verdict("larger_than_noise", verdict.isLargerThanNoise)
    results.verdict("exceeds_sampling_error", verdict.exceedsSamplingError)
    results.verdict("deep_network_trained", trained)
    results.verdict("shortcuts_raise_first_layer_gradient", ratios.with > ratios.without)
}

/// Lets `ComparisonTrainer` train a design whose concrete type depends on the flags.
final class AnyModule: Module {
    let base: any Module
    var isTraining: Bool {
        get { base.isTraining }
        set { let b = base; b.isTraining = newValue }
    }
    init(_ base: any Module) { self.base = base }
    func forward(_ input: Tensor) -> Tensor { base.forward(input) }
    var typeName: String { base.typeName }
    var extraDescription: String { base.extraDescription }
    var children: [(name: String, module: any Module)] { base.children }
    var ownParameters: [(name: String, tensor: Tensor)] { base.ownParameters }
    var ownBuffers: [(name: String, tensor: Tensor, dtype: DType)] { base.ownBuffers }
}

/// Gradient norms of the first and the last main-path convolution after one batch in train mode.
func firstAndLastConvGradients(_ model: any Module, _ images: Tensor, _ labels: [Int]) -> (first: Double, last: Double) {
    model.train()
    model.zeroGrad()
    CrossEntropyLoss()(model(images), labels).backward()
    let convs = model.namedModules().filter { $0.module is Conv2d && !$0.name.contains("shortcut") }.map { $0.module as! Conv2d }
    let norm = { (c: Conv2d) in Double(c.weight.grad?.norm().item() ?? 0) }
    let result = (norm(convs.first!), norm(convs.last!))
    model.zeroGrad()
    return result
}


/// Loss and accuracy per epoch, and test accuracy, for every model run.
func drawChallenge(_ entries: [(String, TrainingHistory, SeedSpread)], to url: URL) throws {
    let figure = Figure(width: 18, height: 5)
    let axes = figure.subplots(rows: 1, cols: 3)
    let markers: [Marker] = [.circle, .square]
    for (index, entry) in entries.enumerated() {
        let x = entry.1.epochs.map { Double($0.epoch) }
        axes[0].plot(x, entry.1.epochLosses, label: entry.0, marker: markers[index % 2], lineWidth: 2)
        axes[1].plot(x, entry.1.epochAccuracies, label: entry.0, marker: markers[index % 2], lineWidth: 2)
    }
    let epochs = entries.map { $0.1.epochs.count }.max() ?? 1
    for (ax, (name, title)) in zip(axes, [("Loss", "Training Loss"), ("Accuracy", "Training Accuracy")]) {
        ax.setXLabel("Epoch"); ax.setYLabel(name); ax.setTitle(title)
        ax.setXTicks((1...epochs).map(Double.init))
        ax.legend(); ax.grid(alpha: 0.3)
    }
    let accuracies = entries.map { $0.2.mean }
    axes[2].bar(entries.map(\.0), accuracies, color: "steelblue", alpha: 0.8)
    for (index, value) in accuracies.enumerated() {
        axes[2].text(Double(index), value, Format.fixed(value, 4), fontSize: 10, horizontalAlignment: .center, verticalAlignment: .bottom)
    }
    let low = accuracies.min() ?? 0
    axes[2].setYLim(max(0, low - 0.05), 1.0)
    axes[2].setYLabel("Test Accuracy"); axes[2].setTitle("Test Accuracy")
    axes[2].grid(axis: .y, alpha: 0.3)
    figure.suptitle("Mini-Challenge: Deep ResNet vs Small CNN")
    try figure.savefig(url.path)
}

MiniChallenge.main()
