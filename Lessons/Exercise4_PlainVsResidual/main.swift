// Exercise 4: Plain versus residual networks
//
// Day 13, Modern Architectures. This lesson trains the lesson's PlainNet beside ResNet-18 (reused
// from Exercise 3 when it saved one with the same settings), adds Plain18 (ResNet-18 with its
// shortcuts removed) as the like-for-like control, and compares their curves and test accuracies.
// Run it with `swift run Exercise4_PlainVsResidual`; `--help` lists the flags.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

struct Exercise4: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Exercise4_PlainVsResidual",
        abstract: "Plain versus residual networks: train PlainNet, ResNet-18 and Plain18 and compare them.",
        discussion: """
        Examples:
          swift run Exercise4_PlainVsResidual --quick
          swift run Exercise4_PlainVsResidual                  (the original schedule: \(OriginalSchedule.resnetEpochs) epochs each)
          swift run Exercise4_PlainVsResidual --plain18        (add the like-for-like control to the full run)
          swift run Exercise4_PlainVsResidual --quick --seeds 3
          swift run Exercise4_PlainVsResidual --dataset fashion-mnist --epochs 3
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    @Flag(inversion: .prefixedNo,
          help: "Also train Plain18, ResNet-18 without its shortcuts (default: on with --quick, off otherwise, where it adds about a ResNet-18's training time).")
    var plain18: Bool?

    func run() throws {
        // Data and output folder are checked before the lesson says anything; a problem is one line on stderr.
        runLesson(common) {
            let data = try LessonData.load(training)
            let lesson = try common.apply(lesson: "Exercise4_PlainVsResidual", training)
            try announcePlan(lesson, data: data)
            try runLessonBody(lesson, data: data)
            try lesson.writeReport()
        }
    }

    func runLessonBody(_ lesson: Narrator, data: LessonData) throws {
        let output = URL(fileURLWithPath: common.output, isDirectory: true)
        let epochs = data.epochs(default: OriginalSchedule.resnetEpochs)
        let withPlain18 = plain18 ?? data.quick
        let seeds = training.seeds

        // MARK: The question (the introduction, before section 1)
        lesson.title("EXERCISE 4: PLAIN VS RESIDUAL COMPARISON")
        lesson.say("""
        Exercise 2 showed that one residual block passes more gradient to its input than the same block
        without the skip connection. Does that matter for whole networks? Here we train networks with and
        without shortcuts on the same data, with the same optimiser (Adam, learning rate \(training.lr)),
        and compare their training curves and test accuracies.

        Data: \(data.description)
        Schedule: \(epochs) epoch\(epochs == 1 ? "" : "s") of \(Format.thousands(data.batchesPerEpoch())) batches for every network\
        \(seeds > 1 ? ", repeated with \(seeds) seeds (\(common.seed) to \(common.seed &+ UInt64(seeds - 1)))" : "").
        """)
        if data.quick {
            lesson.say("""
            This is the quick version: every network sees only \(LessonData.quickBatches * data.options.batchSize) training \
            images per epoch and is tested on \(Format.thousands(data.test.count)) images, so accuracies are lower and noisier \
            than in the full lesson, and the curves have just \(epochs) points. It trains \(withPlain18 ? 3 : 2) networks \
            (fewer if saved runs match) per seed; each says how long it expects to take after its first batches.
            """)
        } else {
            lesson.say("""
            The full lesson trains \(withPlain18 ? 3 : 2) networks per seed (fewer if saved runs match); each one says how \
            long it expects to take after its first batches. `--quick` runs the same lesson on a subset in a few minutes.
            """)
        }

        // MARK: 1. PlainNet and where its parameters differ from ResNet-18's
        lesson.section("1. PlainNet against ResNet-18")
        Random.manualSeed(common.seed)
        let plainProbe = PlainNet()
        let resnetProbe = ResNet18()
        let plain18Probe = Plain18()
        lesson.say("""
        PlainNet is written in Lessons/Models/PlainNet.swift; Plain18() in Lessons/Models/Plain18.swift \
        builds ResNet-18's layout from PlainBlocks (Lessons/Models/PlainBlock.swift), the blocks without shortcuts.
        """)
        let plainParams = plainProbe.parameterCount, resnetParams = resnetProbe.parameterCount
        let difference = abs(plainParams - resnetParams)
        lesson.output("""
        PlainNet parameters: \(Format.thousands(plainParams))
        ResNet-18 parameters: \(Format.thousands(resnetParams))
        Difference: \(Format.thousands(difference)) (\(Format.fixed(100 * Double(difference) / Double(resnetParams), 1))%)
        """)
        let plainCensus = LayerCensus(plainProbe), resnetCensus = LayerCensus(resnetProbe), plain18Census = LayerCensus(plain18Probe)
        lesson.say("""
        The original describes PlainNet as "the same structure as ResNet but no skip connections". Counting its
        layers says otherwise. Each of its "blocks" is a single convolution, where a residual block has two:
        """)
        lesson.output(LayerCensus.table([("PlainNet", plainCensus), ("ResNet-18", resnetCensus), ("Plain18", plain18Census)]))
        let extraConvs = resnetCensus.mainConvolutions - plainCensus.mainConvolutions
        let convGap = resnetCensus.mainConvolutionParameters - plainCensus.mainConvolutionParameters
        let shortcutGap = resnetCensus.shortcutParameters
        let normGap = resnetCensus.batchNormParameters - plainCensus.batchNormParameters
        lesson.results.record("parameter_difference", difference)
        lesson.results.record("extra_convolution_parameters", convGap)
        lesson.results.record("shortcut_parameters", shortcutGap)
        lesson.results.record("extra_batchnorm_parameters", normGap)
        lesson.results.record("plainnet_main_convolutions", plainCensus.mainConvolutions)
        lesson.results.record("resnet18_main_convolutions", resnetCensus.mainConvolutions)
        lesson.say("""
        So the \(Format.thousands(difference)) parameters ResNet-18 has on top of PlainNet are \(Format.thousands(convGap)) in its \
        \(extraConvs) extra 3x3 convolutions (the second convolution of each of its 8 blocks), \(Format.thousands(shortcutGap)) in its \
        \(resnetCensus.shortcutConvolutions) shortcut projections (1x1 convolution + BatchNorm where the shape changes) and \
        \(Format.thousands(normGap)) in the extra BatchNorms of the main path \
        (\(Format.thousands(convGap)) + \(Format.thousands(shortcutGap)) + \(Format.thousands(normGap)) = \(Format.thousands(convGap + shortcutGap + normGap))).

        PlainNet has \(plainCensus.mainConvolutions) convolutions on its main path against ResNet-18's \(resnetCensus.mainConvolutions): it \
        is shallower as well as shortcut-free. If PlainNet does worse, we cannot tell whether the missing shortcuts or the \
        missing depth is to blame. The like-for-like control is Plain18: ResNet-18 with every shortcut removed, the same \
        \(plain18Census.mainConvolutions) convolutions and \(Format.thousands(plain18Census.total)) parameters (ResNet-18 minus its \
        projections). \(withPlain18 ? "This run trains it too." : "This run leaves it out; add --plain18 to train it (it adds roughly one more ResNet-18 training time).")
        """)

        // MARK: 2. Training (or reusing) every network
        lesson.section("2. Training")
        // One training step, written out: what the trainer below repeats for every batch. It is taken here
        // on a fresh PlainNet (its own seed scope, so the training run is unchanged) and the first batch (at most
        // 64 images: the memory check for the full batch size comes with the trainer).
        let oneStep = Random.withSeed(common.seed) { () -> (before: Float, after: Float, images: Int) in
            let model = PlainNet()
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
        lesson.reportOneStep(network: "PlainNet", images: oneStep.images,
                             lossBefore: oneStep.before, lossAfter: oneStep.after)
        let trainer = ComparisonTrainer(data: data, output: output, narrator: lesson, baseSeed: common.seed, seeds: seeds)
        let resnet = try trainer.run(name: "resnet18", displayName: "ResNet-18", epochs: epochs, savedBy: "Exercise 3") { ResNet18() }
        let plain = try trainer.run(name: "plainnet", displayName: "PlainNet", epochs: epochs, savedBy: "an earlier run of this lesson") { PlainNet() }
        var entries = [Entry(plain, test: data.test), Entry(resnet, test: data.test)]
        if withPlain18 {
            let control = try trainer.run(name: "plain18", displayName: "Plain18", epochs: epochs, savedBy: "an earlier run of this lesson") { Plain18() }
            entries.append(Entry(control, test: data.test))
        }
        let reusedNames = entries.filter { $0.reusedAny }.map(\.name)
        if reusedNames.isEmpty {
            lesson.say("\nNo saved run matched these settings, so every network was trained here (and saved for Exercise 5).")
        } else {
            lesson.say("\nReused from earlier runs with identical settings: \(reusedNames.joined(separator: ", ")). The rest were trained here and saved for Exercise 5.")
        }

        // MARK: 3. The curves, as in the original's figure
        lesson.section("3. Training curves")
        let chartURL = lesson.chartURL("plain_vs_residual.png")
        try drawCurves(entries, to: chartURL)
        lesson.chart(chartURL, caption: "Training loss and accuracy per epoch: " + entries.map(\.name).joined(separator: ", "))
        lesson.say("(The chart is in this lesson's folder, beside report.md, rather than directly in \(common.output)/.)")
        lesson.output(epochTable(entries))

        // MARK: 4. The final comparison table of the original
        lesson.section("4. Final comparison")
        let baseline = entries[0].accuracies
        let rows = entries.enumerated().map { index, entry -> [String] in
            [entry.name, Format.thousands(entry.parameters), entry.accuracies.text(4),
             index == 0 ? "baseline" : signedFixed(entry.accuracies.mean - baseline.mean, 4)]
        }
        lesson.output(ComparisonTable(headers: ["Model", "Parameters", "Test Accuracy", "Difference"], rows: rows,
                                      widths: [15, 12, seeds > 1 ? 16 : 14, 12]).render(title: "FINAL COMPARISON"))
        if seeds > 1 {
            lesson.say("Test accuracy is the mean ± standard deviation over \(seeds) seeds; the difference is between means.")
        }

        // MARK: 5. Bigger than the noise?
        lesson.section("5. Is the difference larger than the noise?")
        let resnetEntry = entries[1]
        func verdict(_ a: Entry, _ b: Entry) -> NoiseVerdict {
            NoiseVerdict.compare(a.name, a.accuracies, b.name, b.accuracies, testImages: data.test.count,
                                 paired: PairedComparison(labels: data.test.labels, predictedA: a.testPredictions,
                                                          predictedB: b.testPredictions))
        }
        var verdicts = [verdict(entries[0], resnetEntry)]
        if withPlain18 {
            verdicts.append(verdict(entries[2], resnetEntry))
            verdicts.append(verdict(entries[0], entries[2]))
        }
        for verdict in verdicts { lesson.say("- " + verdict.sentence) }
        if seeds > 1 {
            lesson.output(entries.map { entry in
                entry.name.padding(toLength: 10, withPad: " ", startingAt: 0) + "per seed: "
                    + entry.accuracies.values.map { Format.fixed($0, 4) }.joined(separator: "  ")
            }.joined(separator: "\n"))
        }

        // MARK: 6. Observations computed from the curves
        lesson.section("6. Observations from this run")
        observe(entries, verdicts: verdicts, lesson: lesson, data: data)
        compareWithMNIST(plain: entries[0], resnet: resnetEntry, trainer: trainer, epochs: epochs, lesson: lesson, data: data)

        // MARK: 7. Where each goes wrong
        lesson.section("7. Where each network goes wrong")
        lesson.say("Test accuracy is one number; the confusion matrices show whether the two networks fail on the same classes.")
        let plainReport = try lesson.errorAnalysis(model: plain.model, name: "PlainNet", test: data.test, filePrefix: "plainnet_")
        let resnetReport = try lesson.errorAnalysis(model: resnet.model, name: "ResNet-18", test: data.test, filePrefix: "resnet18_")
        let bothWrong = PairedComparison(labels: data.test.labels, predictedA: plainReport.predictions.predicted,
                                         predictedB: resnetReport.predictions.predicted).bothWrong
        let plainWrong = plainReport.predictions.labels.count - plainReport.predictions.correct
        let resnetWrong = resnetReport.predictions.labels.count - resnetReport.predictions.correct
        lesson.say("""
        PlainNet got \(Format.thousands(plainWrong)) test images wrong, ResNet-18 \(Format.thousands(resnetWrong)); \
        \(Format.thousands(bothWrong)) of them fooled both\(min(plainWrong, resnetWrong) > 0 ? " (\(Format.fixed(100 * Double(bothWrong) / Double(min(plainWrong, resnetWrong)), 0))% of the smaller set)" : ""). \
        The rest were missed by one of the two only (the grids of confident mistakes above show examples).
        """)
        lesson.results.record("plainnet_test_errors", plainWrong)
        lesson.results.record("resnet18_test_errors", resnetWrong)
        lesson.results.record("both_wrong", bothWrong)

        lesson.section("Takeaway")
        let controlPart = withPlain18
            ? (resnetMinusPlain18: resnetEntry.accuracies.mean - entries[2].accuracies.mean,
               level: Exercise4Verdicts.level(verdicts[1]),
               lossRatio: lastLoss(entries[2]) / max(lastLoss(resnetEntry), 1e-9)) : nil
        let takeaway = Exercise4Verdicts.takeaway(resnetMinusPlain: resnetEntry.accuracies.mean - entries[0].accuracies.mean,
                                                  plainLevel: Exercise4Verdicts.level(verdicts[0]), control: controlPart)
        lesson.results.takeaway = takeaway
        lesson.say("""
        A fair comparison changes one thing at a time: PlainNet differs from ResNet-18 in depth as well as in shortcuts,
        Plain18 only in the shortcuts. \(takeaway)

        In the ResNet paper, plain networks trained worse the deeper they were (20, 32, 44 and 56 layers on CIFAR-10;
        34 against 18 layers on ImageNet), while the residual versions did better with depth, up to 152 layers
        on ImageNet. That is background from the paper; this run measured only the networks above.

        ✓ Comparison complete
        """)
    }
}

/// What the lesson needs of one trained network, whatever its Swift type.
struct Entry {
    let name: String
    let parameters: Int
    let history: TrainingHistory
    let accuracies: SeedSpread
    let reusedAny: Bool
    let allHistories: [TrainingHistory]
    /// The first seed's predicted class for every test image: the noise check compares the networks
    /// image by image.
    let testPredictions: [Int]

    init<M: Module>(_ run: ComparedRun<M>, test: MNISTDataset) {
        name = run.displayName
        parameters = run.parameterCount
        history = run.history
        accuracies = run.testAccuracies
        reusedAny = run.reused.contains(true)
        allHistories = run.histories
        testPredictions = run.testPredictions(on: test)
    }
}

/// The layers of a network, counted by role from its modules.
struct LayerCensus {
    var mainConvolutions = 0, mainConvolutionParameters = 0
    var shortcutConvolutions = 0, shortcutParameters = 0
    var batchNorms = 0, batchNormParameters = 0
    var linearParameters = 0
    var total = 0

    init(_ model: any Module) {
        for (name, module) in model.namedModules() {
            let own = module.ownParameters.reduce(0) { $0 + $1.tensor.count }
            if name.contains("shortcut") {
                if module is Conv2d { shortcutConvolutions += 1 }
                shortcutParameters += own
            } else if module is Conv2d {
                mainConvolutions += 1
                mainConvolutionParameters += own
            } else if module is BatchNorm2d {
                batchNorms += 1
                batchNormParameters += own
            } else if module is Linear {
                linearParameters += own
            }
        }
        total = model.parameterCount
    }

    static func table(_ models: [(String, LayerCensus)]) -> String {
        let rows: [[String]] = [
            ["3x3 convolutions (stem + stages)"] + models.map { "\($0.1.mainConvolutions) = \(Format.thousands($0.1.mainConvolutionParameters))" },
            ["BatchNorm on the main path"] + models.map { "\($0.1.batchNorms) = \(Format.thousands($0.1.batchNormParameters))" },
            ["shortcut projections (1x1 + BN)"] + models.map { "\($0.1.shortcutConvolutions) = \(Format.thousands($0.1.shortcutParameters))" },
            ["final linear layer"] + models.map { Format.thousands($0.1.linearParameters) },
            ["total"] + models.map { Format.thousands($0.1.total) },
        ]
        return ComparisonTable(headers: ["layers: count = parameters"] + models.map(\.0), rows: rows).render()
    }
}

/// The original's figure: training loss and training accuracy per epoch, one line per network.
func drawCurves(_ entries: [Entry], to url: URL) throws {
    let figure = Figure(width: 14, height: 5)
    let axes = figure.subplots(rows: 1, cols: 2)
    let markers: [Marker] = [.circle, .square, .triangleUp, .diamond]
    for (index, entry) in entries.enumerated() {
        let x = entry.history.epochs.map { Double($0.epoch) }
        axes[0].plot(x, entry.history.epochLosses, label: entry.name, marker: markers[index % markers.count], lineWidth: 2)
        axes[1].plot(x, entry.history.epochAccuracies, label: entry.name, marker: markers[index % markers.count], lineWidth: 2)
    }
    let epochs = entries.map { $0.history.epochs.count }.max() ?? 1
    for (ax, (name, title)) in zip(axes, [("Loss", "Training Loss: Plain vs Residual"), ("Accuracy", "Training Accuracy: Plain vs Residual")]) {
        ax.setXLabel("Epoch")
        ax.setYLabel(name)
        ax.setTitle(title)
        ax.setXTicks((1...epochs).map(Double.init))
        ax.legend()
        ax.grid(alpha: 0.3)
    }
    try figure.savefig(url.path)
}

/// Loss and accuracy per epoch for every network, side by side.
func epochTable(_ entries: [Entry]) -> String {
    let epochs = entries.map { $0.history.epochs.count }.max() ?? 0
    let rows = (0..<epochs).map { e -> [String] in
        ["epoch \(e + 1)"] + entries.map { entry in
            e < entry.history.epochs.count
                ? "\(Format.fixed(entry.history.epochs[e].loss, 4)) / \(Format.fixed(entry.history.epochs[e].accuracy, 4))" : "-"
        }
    }
    return ComparisonTable(headers: ["train loss / acc"] + entries.map(\.name), rows: rows).render()
}

/// First batch at which the mean of the last `window` batch losses fell below `threshold`.
func batchesToReach(_ losses: [Double], threshold: Double, window: Int = 10) -> Int? {
    guard losses.count >= window else { return nil }
    var sum = losses.prefix(window).reduce(0, +)
    if sum / Double(window) < threshold { return window }
    for i in window..<losses.count {
        sum += losses[i] - losses[i - window]
        if sum / Double(window) < threshold { return i + 1 }
    }
    return nil
}

/// Observations decided by this run's numbers (the sentences are `Exercise4Verdicts`'), recorded in results.json.
func observe(_ entries: [Entry], verdicts: [NoiseVerdict], lesson: Narrator, data: LessonData) {
    let plain = entries[0], resnet = entries[1], control = entries.count > 2 ? entries[2] : nil
    let speeds = entries.map { entry in
        Exercise4Verdicts.Speed(name: entry.name, batches: batchesToReach(entry.history.batchLosses, threshold: Exercise4Verdicts.runningLossTarget),
                                firstEpochLoss: entry.history.epochs[0].loss)
    }
    lesson.output(zip(entries, speeds).map { entry, speed in
        "\(entry.name.padding(toLength: 10, withPad: " ", startingAt: 0)) first-epoch loss \(Format.fixed(speed.firstEpochLoss, 4)), "
            + "last-epoch loss \(Format.fixed(lastLoss(entry), 4)), 10-batch running loss under \(Exercise4Verdicts.runningLossTarget) "
            + (speed.batches.map { "after \($0) batches" } ?? "never (within \(entry.history.batchLosses.count) batches)")
    }.joined(separator: "\n"))
    lesson.say("- " + Exercise4Verdicts.speedSentence(speeds[1], speeds[0]))
    if control != nil { lesson.say("- Like for like: " + Exercise4Verdicts.speedSentence(speeds[1], speeds[2])) }

    let lowest = entries.min { lastLoss($0) < lastLoss($1) }!
    lesson.say("- Lowest training loss in the last epoch: \(lowest.name) (\(Format.fixed(lastLoss(lowest), 4))). "
               + entries.filter { $0.name != lowest.name }.map { "\($0.name) \(Format.fixed(lastLoss($0), 4))" }.joined(separator: ", ") + ".")
    if let control {
        lesson.say("  " + Exercise4Verdicts.degradationSentence(control: lastLoss(control), resnet: lastLoss(resnet), dataset: data.kind.displayName))
        lesson.results.verdict("plain18_harder_to_fit", Exercise4Verdicts.harderToFit(control: lastLoss(control), resnet: lastLoss(resnet)))
    }

    let gap = resnet.accuracies.mean - plain.accuracies.mean
    lesson.say("- " + Exercise4Verdicts.accuracySentence(gap: gap, level: Exercise4Verdicts.level(verdicts[0])))
    if let control {
        lesson.say("- Shortcuts alone (ResNet-18 vs Plain18): \(signedFixed(100 * (resnet.accuracies.mean - control.accuracies.mean), 2)) points "
                   + Exercise4Verdicts.noiseTag(Exercise4Verdicts.level(verdicts[1])))
        lesson.say("- Depth alone, without shortcuts (Plain18 vs PlainNet): \(signedFixed(100 * (control.accuracies.mean - plain.accuracies.mean), 2)) points "
                   + Exercise4Verdicts.noiseTag(Exercise4Verdicts.level(verdicts[2])))
    }
    if data.kind == .mnist {
        lesson.say("- The original expects the gap to grow on harder datasets. This run used MNIST; `--dataset fashion-mnist` puts that to the test.")
    }
    if data.quick {
        lesson.say("- Quick version: \(data.batchesPerEpoch()) batches per epoch and \(Format.thousands(data.test.count)) test images, so every number above is rougher than in the full lesson.")
    }
    record(entries, speeds: speeds, verdicts: verdicts, in: lesson.results)
}

func lastLoss(_ entry: Entry) -> Double { entry.history.epochs.last!.loss }

/// Every number section 6 states, per network, and the noise verdicts of section 5.
func record(_ entries: [Entry], speeds: [Exercise4Verdicts.Speed], verdicts: [NoiseVerdict], in results: LessonResults) {
    for (entry, speed) in zip(entries, speeds) {
        let key = entry.name.lowercased().replacingOccurrences(of: "-", with: "")
        results.record("\(key)_parameters", entry.parameters)
        results.record("\(key)_test_accuracy", entry.accuracies.mean)
        results.record("\(key)_test_accuracy_per_seed", entry.accuracies.values)
        results.record("\(key)_first_epoch_loss", speed.firstEpochLoss)
        results.record("\(key)_last_epoch_loss", lastLoss(entry))
        if let batches = speed.batches { results.record("\(key)_batches_to_running_loss_\(Exercise4Verdicts.runningLossTarget)", batches) }
    }
    let pairs = ["resnet18_minus_plainnet", "resnet18_minus_plain18", "plain18_minus_plainnet"]
    for (name, verdict) in zip(pairs, verdicts) {
        results.record("\(name)_test_accuracy_difference", verdict.difference)
        results.record("\(name)_standard_error", verdict.standardError)
        results.record("\(name)_noise_level", Exercise4Verdicts.level(verdict).rawValue)
        results.verdict("\(name)_larger_than_noise", verdict.isLargerThanNoise)
        results.verdict("\(name)_exceeds_sampling_error", verdict.exceedsSamplingError)
    }
}

/// The original expects the residual advantage to grow on harder data. With a saved MNIST run of
/// both networks (same seed, epochs, batch size, learning rate), compare the two gaps, and judge
/// the change against the sampling error of the two test sets (each gap's paired error, combined).
func compareWithMNIST(plain: Entry, resnet: Entry, trainer: ComparisonTrainer, epochs: Int, lesson: Narrator, data: LessonData) {
    guard data.kind != .mnist else { return }
    guard let plainMNIST = trainer.savedHistory(name: "plainnet", epochs: epochs, on: .mnist),
          let resnetMNIST = trainer.savedHistory(name: "resnet18", epochs: epochs, on: .mnist),
          let mnistTest = try? data.testSet(of: .mnist),
          let onMNIST = PairedComparison(plainMNIST, resnetMNIST, labels: mnistTest.labels) else {
        lesson.say("""
        - Does the gap grow on harder data, as the original expects? There is no saved MNIST run of both networks with \
        these settings (and their test predictions) to compare with: run `Exercise4_PlainVsResidual` with the same flags \
        but without `--dataset`, then this one again (it reuses both saved runs).
        """)
        return
    }
    let here = PairedComparison(labels: data.test.labels, predictedA: plain.testPredictions, predictedB: resnet.testPredictions)
    let change = here.difference - onMNIST.difference
    // Two separate test sets: the two gaps' sampling errors add in quadrature.
    let se = (here.standardError * here.standardError + onMNIST.standardError * onMNIST.standardError).squareRoot()
    // Seed-to-seed spread can only add to the sampling error: a change within the sampling error
    // alone stays within the noise whatever the seeds do; a larger one still needs seeds.
    let verdict = Exercise4Verdicts.datasetChangeClause(change: change, standardError: se, oneSeed: trainer.seeds == 1, baseSeed: trainer.baseSeed)
    lesson.results.record("gap_change_from_mnist", change)
    lesson.results.record("gap_change_standard_error", se)
    lesson.results.verdict("gap_change_beyond_noise", abs(change) > Exercise4Verdicts.standardErrors * se)
    lesson.say("""
    - Does the gap grow on harder data? ResNet-18 minus PlainNet (seed \(trainer.baseSeed)): \(signedFixed(100 * onMNIST.difference, 2)) points on \
    MNIST (saved run, same settings), \(signedFixed(100 * here.difference, 2)) points on \(data.kind.displayName). \
    \(change == 0 ? "The difference did not move (0.00 points)" : "The difference moved \(Format.fixed(100 * abs(change), 2)) points in \(change > 0 ? "ResNet-18" : "PlainNet")'s favour"); \
    drawing the two test sets gives that change a standard error of \(Format.fixed(100 * se, 2)) points (each gap's paired \
    error, ±\(Format.fixed(100 * onMNIST.standardError, 2)) on MNIST and ±\(Format.fixed(100 * here.standardError, 2)) here, combined), \
    so the change is \(verdict).
    """)
}

Exercise4.main()
