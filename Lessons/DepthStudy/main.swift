// Depth study: the experiment behind the ResNet paper's Figures 1 and 6
//
// Day 13, Modern Architectures. Plain and residual networks of the paper's CIFAR family (6n + 2
// layers; three stages of 16, 32 and 64 channels) at several depths, trained with identical
// settings; training and test error against iterations, final error against depth, and the
// gradient reaching the first layer, so the run itself shows whether deeper plain networks train
// worse (the degradation problem) and whether that is vanishing gradients.
// Run it with `swift run DepthStudy --quick`; `--help` lists the flags.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

struct DepthStudy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "DepthStudy",
        abstract: "Plain vs residual networks at depths 8 to 32: the degradation problem, measured.",
        discussion: """
        Trains a plain and a residual network at each depth (6n + 2 layers: 8, 14, 20, 32, ...) with the \
        same data order, optimiser and number of iterations, then charts training and test error \
        against iterations (the paper's Figure 6) and against depth. The default schedule is a fixed \
        \(Format.thousands(DepthStudy.defaultIterations)) iterations per network, so the same seed gives the same \
        numbers on any machine; the lesson prints how long that should take here, measured before it starts. \
        --minutes instead sizes the schedule to a time budget on this machine. Here --quick means depths 8 and \
        20, 120 iterations of 32 images, test error on 250 images (1,000 at the end); --dataset defaults to \
        fashion-mnist (MNIST is too easy to show much).

        Examples:
          swift run DepthStudy --quick              (depths 8 and 20, a few minutes)
          swift run DepthStudy                      (depths 8, 14, 20, 32, 1,720 iterations each)
          swift run DepthStudy --no-batchnorm --quick
          swift run DepthStudy --depths 8,20,32,44,56 --minutes 120
          swift run DepthStudy --dataset mnist --iterations 2000 --threads 2
        """)

    @OptionGroup var common: RunOptions

    /// The shared flags: --dataset (fashion-mnist by default here: MNIST is too easy to show much),
    /// --data-dir, --batch-size (64; 32 with --quick), --lr, --quick.
    @OptionGroup var training: TrainingOptions

    @Option(help: "Depths to compare, 6n + 2 each, separated by commas (default 8,14,20,32; 8,20 with --quick).")
    var depths: String?

    @Option(help: "Training iterations per network (default \(DepthStudy.defaultIterations); 120 with --quick).")
    var iterations: Int?

    @Option(help: "Instead of the fixed schedule, size the iterations to train all networks in about this many minutes on this machine (the numbers then depend on its speed).")
    var minutes: Double?

    @Option(name: .customLong("eval-every"), help: "Measure test error on a fixed test subset every this many iterations (default: 20 points per run; 6 with --quick).")
    var evalEvery: Int?

    @Option(name: .customLong("eval-images"), help: "Size of the fixed test subset measured during training (default 500; 250 with --quick).")
    var evalImages: Int?

    @Flag(name: .customLong("no-batchnorm"), help: "Build every network without BatchNorm, to see how the picture changes.")
    var noBatchNorm = false

    /// The schedule of the recorded run in docs/results.md: 1,720 iterations of 64 images (1.83
    /// epochs of Fashion-MNIST) per network.
    static let defaultIterations = 1_720

    var quick: Bool { training.quick }
    var batch: Int { training.batchSizeFlag ?? (quick ? 32 : 64) }
    var dataset: DatasetChoice { training.datasetFlag ?? .fashionMnist }
    var settings: DepthSettings { DepthSettings(lr: training.lr, batchSize: batch) }

    /// The depths of this run, parsed and checked in `validate`.
    var depthList: [Int] {
        (try? DepthStudy.parseDepths(depths ?? (quick ? "8,20" : "8,14,20,32"))) ?? []
    }

    static func parseDepths(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var values: [Int] = []
        for part in parts {
            guard let depth = Int(part), CifarResNet.blocksPerStage(depth: depth) != nil else {
                throw ValidationError("--depths: '\(part)' is not a depth of the form 6n + 2 "
                                      + "(choose from \(CifarResNet.validDepths(upTo: 56).map(String.init).joined(separator: ", ")), ...).")
            }
            values.append(depth)
        }
        guard !values.isEmpty else { throw ValidationError("--depths: give at least one depth, e.g. --depths 8,20.") }
        return Array(Set(values)).sorted()
    }

    mutating func validate() throws {
        _ = try DepthStudy.parseDepths(depths ?? "8")
        if let depthsText = depths, let deepest = try DepthStudy.parseDepths(depthsText).last, deepest > 110 {
            throw ValidationError("--depths: \(deepest) is deeper than this study supports (at most 110).")
        }
        if let iterations, iterations < 10 { throw ValidationError("--iterations must be at least 10 (got \(iterations)).") }
        if let minutes, !(minutes > 0 && minutes.isFinite) { throw ValidationError("--minutes must be a positive number (got \(minutes)).") }
        if iterations != nil && minutes != nil { throw ValidationError("give --iterations or --minutes, not both.") }
        if batch < 2 { throw ValidationError("--batch-size must be at least 2 (got \(batch)); BatchNorm needs two images.") }
        if let evalEvery, evalEvery < 1 { throw ValidationError("--eval-every must be at least 1 (got \(evalEvery)).") }
        if let evalImages, evalImages < 10 { throw ValidationError("--eval-images must be at least 10 (got \(evalImages)).") }
        if training.epochs != nil { throw ValidationError("DepthStudy counts iterations, not epochs: use --iterations instead of --epochs.") }
        if training.seeds != 1 { throw ValidationError("DepthStudy trains one seed per network; --seeds is not supported here (use --seed).") }
        if training.resume { throw ValidationError("DepthStudy does not save resume checkpoints; --resume is not supported here (run it again, or with --quick).") }
    }

    func run() throws {
        runLesson(common) {
            // The variant without BatchNorm gets its own folder and report, so both can be compared.
            let lesson = try common.apply(lesson: noBatchNorm ? "DepthStudy_noBN" : "DepthStudy", training,
                                          defaultDataset: .fashionMnist)
            try runLessonBody(lesson)
            try lesson.writeReport()
        }
    }

    func runLessonBody(_ lesson: Narrator) throws {
        let settings = self.settings
        let batchNorm = !noBatchNorm
        let suffix = batchNorm ? "" : "_nobn"
        let depthList = self.depthList

        // MARK: 1. The question
        lesson.title("DEPTH STUDY: PLAIN VS RESIDUAL NETWORKS" + (batchNorm ? "" : " (WITHOUT BATCHNORM)"))
        lesson.say("""
        The ResNet paper opens with a puzzle (its Figure 1): a 56-layer plain network has *higher training
        error* than a 20-layer one. Overfitting would raise only the test error; here the deeper network
        fails to fit the training data it could in principle fit at least as well (copy the shallow one,
        make the extra layers identities). The paper calls this the degradation problem, and argues (section
        4.1) that it is not vanishing gradients: its plain networks use BatchNorm, and it checked that the
        forward signals and the backward gradients keep healthy norms. Residual networks of the same depths
        (Figure 6, right) get *better* with depth instead.

        This lesson repeats the experiment on a laptop scale and lets this run decide what it shows.
        """)

        // MARK: 2. Data and networks
        lesson.section("1. Data and networks")
        let root = training.dataDir ?? LessonData.defaultDataRoot()
        let kind = dataset.kind
        let train = try MNISTDataset(root: root, kind: kind, train: true)
        let fullTest = try MNISTDataset(root: root, kind: kind, train: false)
        let probeSize = min(evalImages ?? (quick ? 250 : 500), fullTest.count)
        let probe = fullTest.subset(limit: probeSize)
        let finalTest = quick ? fullTest.subset(limit: 1_000) : fullTest
        lesson.say("""
        \(kind.displayName): \(Format.thousands(train.count)) training images of \(kind.classNames.count) classes \
        (\(kind.classNames.joined(separator: ", "))), padded to 32x32. Every network sees the same batches of \
        \(batch) in the same order, starts from the same seed (\(common.seed)) and is trained with Adam at lr \(training.lr).
        """)
        let depthText = depthList.map { d in "\(d) (n = \(CifarResNet.blocksPerStage(depth: d)!))" }.joined(separator: ", ")
        lesson.say("""
        The CIFAR family of the paper: a 3x3 convolution to 16 channels, three stages of n blocks (16, 32, 64 \
        channels; stride 2 at the start of stages 2 and 3), global average pooling and a linear layer: \
        6n + 2 weighted layers. Depths \(depthText). A residual block is the lesson's ResidualBlock (a 1x1 \
        projection where the shape changes, "option B"); a plain block is the same two convolutions without \
        the shortcut. \(batchNorm ? "Every convolution is followed by BatchNorm." : "With --no-batchnorm there is no BatchNorm anywhere; the convolutions have biases instead.")
        """)
        Random.manualSeed(common.seed)
        let example = CifarResNet(depth: depthList.contains(20) ? 20 : depthList.last!, residual: true, batchNorm: batchNorm)
        lesson.say("The residual network of depth \(example.depth), as torchinfo would summarise it (blocks collapsed):")
        lesson.output(printSummary(model: example, input: [1, 1, 32, 32], depth: 2))
        var sizes: [String] = []
        for depth in depthList {
            let plain = CifarResNet(depth: depth, residual: false, batchNorm: batchNorm)
            let residual = CifarResNet(depth: depth, residual: true, batchNorm: batchNorm)
            let macs = ModelSummary(model: residual).totalMultAdds
            sizes.append("depth \(String(depth).leftPad(3)): plain \(Format.thousands(plain.parameterCount).leftPad(7)) parameters, "
                         + "residual \(Format.thousands(residual.parameterCount).leftPad(7)) (projections), "
                         + "\(Format.fixed(Double(macs) / 1e6, 1)) M mult-adds per image")
        }
        lesson.output(sizes.joined(separator: "\n"))

        // MARK: 3. The schedule, from a measured time per iteration
        lesson.section("2. The schedule")
        var secondsPerIteration: [Int: Double] = [:]   // by depth, residual (the slower of the two)
        for depth in depthList {
            secondsPerIteration[depth] = measureIteration(depth: depth, batchNorm: batchNorm, data: train, settings: settings)
        }
        let perRound = depthList.reduce(0) { $0 + 2 * secondsPerIteration[$1]! }   // one iteration of every network
        let windowBatches = quick ? 20 : 50
        let iterationCount = scheduledIterations(perRound: perRound, probeSize: probeSize, finalTestCount: finalTest.count)
        let every = evalEvery ?? max(1, iterationCount / (quick ? 6 : 20))
        let estimate = expectedSeconds(perRound: perRound, iterations: iterationCount, every: every,
                                       probeSize: probeSize, finalTestCount: finalTest.count)
        let timings = depthList.map { "\(Format.fixed(secondsPerIteration[$0]!, 3)) s at depth \($0)" }.joined(separator: ", ")
        let threadsText = common.threads == 1 ? "1 thread" : "\(common.threads) threads"
        lesson.say("""
        Measured here (\(threadsText)): one training iteration takes \(timings) (residual network; the plain \
        one is a little cheaper). \(scheduleReason) every network trains \(Format.thousands(iterationCount)) iterations \
        (\(Format.fixed(Double(iterationCount * batch) / Double(train.count), 2)) epochs), test error is measured on the \
        first \(Format.thousands(probeSize)) test images every \(every) iterations, and training error is the running \
        error of the last \(windowBatches) batches. Expected time on this machine, from the timings above: \
        \(Format.duration(estimate)) for all \(2 * depthList.count) networks.
        """)
        if !quick && estimate > PlanSummary.quickHintSeconds {
            lesson.say("For a first look in a few minutes: \(Interrupt.command(adding: "--quick"))")
        }
        if training.planOnly {
            try printPlan(depths: depthList, secondsPerIteration: secondsPerIteration, share: estimate / perRound)
        }
        if !quick && iterationCount * batch < train.count {
            lesson.say("That is less than one pass over the training data, so expect a faint picture: more --iterations (or --minutes), or fewer --depths, give each network more.")
        }
        if quick {
            lesson.say("This is the quick version: too short for the curves to settle, so read the numbers as a first glimpse. Drop --quick for the study.")
        }

        // MARK: 4. Training every network
        lesson.section("3. Training \(2 * depthList.count) networks")
        var runs: [DepthRun] = []
        let started = Date()
        for residual in [false, true] {
            for depth in depthList {
                Random.manualSeed(common.seed)
                let model = CifarResNet(depth: depth, residual: residual, batchNorm: batchNorm)
                let run = try trainNetwork(model, data: train, probe: probe, finalTest: finalTest, iterations: iterationCount,
                                           every: every, window: windowBatches, settings: settings)
                runs.append(run)
                lesson.say("\(model.displayName.padding(toLength: 12, withPad: " ", startingAt: 0)) final training error \(percent(run.finalTrainError)), "
                           + "test error \(percent(run.finalTestError)) on \(Format.thousands(finalTest.count)) test images "
                           + "(\(Format.duration(run.seconds)))")
            }
        }
        lesson.say("All \(runs.count) networks trained in \(Format.duration(Date().timeIntervalSince(started))).")
        try saveResults(runs, to: lesson.chartURL("results\(suffix).json"))

        // MARK: 5. Figure 6: error against iterations
        lesson.section("4. Error during training (the paper's Figure 6)")
        let curves = lesson.chartURL("error_curves\(suffix).png")
        let curvesRange = try drawCurves(runs, depths: depthList, batchNorm: batchNorm, to: curves)
        lesson.chart(curves, caption: "Training error (dashed) and test error (solid) against iterations: plain networks left, residual right; "
                     + "the error axis shows \(Format.fixed(curvesRange.lo * 100, 0))-\(Format.fixed(curvesRange.hi * 100, 0))%, where the curves have settled "
                     + "(the first iterations run off the top); each curve's last value is written at its end "
                     + "(test curves: the fixed \(Format.thousands(probe.count))-image subset; the table gives the test error on all \(Format.thousands(finalTest.count)))")

        let plain = runs.filter { !$0.residual }, residual = runs.filter(\.residual)
        var rows = ["depth   plain train  plain test   resid train  resid test"]
        for depth in depthList {
            let p = plain.first { $0.depth == depth }!, r = residual.first { $0.depth == depth }!
            rows.append(String(depth).leftPad(5) + "   " + percent(p.finalTrainError).leftPad(11) + percent(p.finalTestError).leftPad(12)
                        + percent(r.finalTrainError).leftPad(13) + percent(r.finalTestError).leftPad(12))
        }
        lesson.output(rows.joined(separator: "\n"))

        // MARK: 6. Final error against depth
        let byDepth = lesson.chartURL("error_vs_depth\(suffix).png")
        try drawErrorVsDepth(plain: plain, residual: residual, batchNorm: batchNorm, to: byDepth)
        lesson.chart(byDepth, caption: "Final training and test error against depth, plain and residual")

        // MARK: 7. What this run shows about degradation
        lesson.section("5. What this run shows")
        // The running training error averages window x batch images, so its noise is about
        // sqrt(p (1 - p) / (window x batch)); differences below twice that are not evidence.
        let shallow = depthList.first!, deep = depthList.last!
        let p0 = plain.first { $0.depth == shallow }!, p1 = plain.first { $0.depth == deep }!
        let r0 = residual.first { $0.depth == shallow }!, r1 = residual.first { $0.depth == deep }!
        func noise(_ a: Double, _ b: Double) -> Double {
            let images = Double(windowBatches * batch)
            return 2 * (a * (1 - a) / images + b * (1 - b) / images).squareRoot()
        }
        lesson.say("Differences smaller than about twice the sampling noise of the running training error are not counted as effects.")
        var findings: [String] = []
        if depthList.count < 2 {
            findings.append("With a single depth there is nothing to compare; give --depths with two or more.")
        } else {
            let plainGap = p1.finalTrainError - p0.finalTrainError, plainNoise = noise(p0.finalTrainError, p1.finalTrainError)
            if plainGap > plainNoise {
                findings.append("Degradation is visible: the plain \(deep)-layer network ends with a *higher training error* than the plain \(shallow)-layer one (\(percent(p1.finalTrainError)) against \(percent(p0.finalTrainError)), a gap of \(points(plainGap)) where noise is about \(points(plainNoise))). More layers made the training set harder to fit, as in the paper's Figure 1.")
            } else if plainGap < -plainNoise {
                findings.append("No degradation in this run: the plain \(deep)-layer network fits the training data *better* than the \(shallow)-layer one (\(percent(p1.finalTrainError)) against \(percent(p0.finalTrainError))). At these depths and with this schedule extra plain layers still help; the paper's effect appears at 20 layers and beyond on CIFAR-10 after 64,000 iterations, so try --depths 8,20,32,44,56 with more --minutes.")
            } else {
                findings.append("The effect is weak in this run: the plain \(deep)- and \(shallow)-layer networks end with training errors within the noise (\(percent(p1.finalTrainError)) against \(percent(p0.finalTrainError)), noise about \(points(plainNoise))). A longer run or deeper networks (--depths 8,20,32,44,56) make the comparison sharper.")
            }
            let earlyPlain = (trainingError(p1, at: 0.25), trainingError(p0, at: 0.25))
            if earlyPlain.0 > earlyPlain.1 + noise(earlyPlain.0, earlyPlain.1) {
                findings.append("Early in training the gap is clearer: a quarter of the way in, plain-\(deep) is at \(percent(earlyPlain.0)) training error and plain-\(shallow) at \(percent(earlyPlain.1)). The deeper plain network is slower to optimise.")
            }
            let resGap = r1.finalTrainError - r0.finalTrainError, resNoise = noise(r0.finalTrainError, r1.finalTrainError)
            if resGap < -resNoise {
                findings.append("The residual networks improve with depth: ResNet-\(deep) reaches \(percent(r1.finalTrainError)) training error against \(percent(r0.finalTrainError)) for ResNet-\(shallow), and \(percent(r1.finalTestError)) test error against \(percent(r0.finalTestError)), the paper's Figure 6 (right).")
            } else if resGap > resNoise {
                findings.append("Even the residual networks train worse with depth in this run (ResNet-\(deep) \(percent(r1.finalTrainError)) against ResNet-\(shallow) \(percent(r0.finalTrainError))): the schedule is too short for the deeper one to catch up.")
            } else {
                findings.append("The residual networks of depth \(shallow) and \(deep) end within the noise of each other (\(percent(r0.finalTrainError)) and \(percent(r1.finalTrainError)) training error): depth neither hurt nor clearly helped them here.")
            }
            let deepGap = p1.finalTrainError - r1.finalTrainError, deepNoise = noise(p1.finalTrainError, r1.finalTrainError)
            if deepGap > deepNoise {
                findings.append("At depth \(deep) the shortcuts make the difference: residual \(percent(r1.finalTrainError)) against plain \(percent(p1.finalTrainError)) training error, with the same layers and parameters (plus \(Format.thousands(CifarResNet(depth: deep, residual: true, batchNorm: batchNorm).parameterCount - CifarResNet(depth: deep, residual: false, batchNorm: batchNorm).parameterCount)) in the two projections).")
            } else {
                findings.append("At depth \(deep) the residual and plain networks end close together (\(percent(r1.finalTrainError)) and \(percent(p1.finalTrainError)) training error): at this depth and schedule the shortcuts are not yet decisive.")
            }
            let gapTest = (p1.finalTestError - p1.finalTrainError, r1.finalTestError - r1.finalTrainError)
            findings.append("The comparison rests on training error, which overfitting cannot raise. For the record, the deepest networks' test error is \(signedGap(gapTest.0)) (plain) and \(signedGap(gapTest.1)) (residual) their training error.")
        }
        for finding in findings { lesson.say(finding) }
        recordResults(lesson.results, plain: plain, residual: residual, iterations: iterationCount, findings: findings)

        // MARK: 8. Gradients at the first layer
        lesson.section("6. Is it vanishing gradients?")
        lesson.say("""
        Every \(every) iterations the run recorded the norm of the gradient of the first convolution's weights \
        (the 16x1x3x3 stem, the same shape at every depth) and of the last layer's weights (the 64x10 linear \
        layer). If gradients vanished, the first-layer norm would shrink with depth, and shrink relative to \
        the last layer's.
        """)
        let gradients = lesson.chartURL("first_layer_gradients\(suffix).png")
        try drawGradients(runs, depths: depthList, batchNorm: batchNorm, to: gradients)
        lesson.chart(gradients, caption: "Gradient norm at the first convolution during training, per depth: plain left, residual right")
        var gradientRows = ["depth   plain |g1|   plain |g1|/|gL|   resid |g1|   resid |g1|/|gL|   (medians over the run)"]
        for depth in depthList {
            let p = plain.first { $0.depth == depth }!, r = residual.first { $0.depth == depth }!
            gradientRows.append(String(depth).leftPad(5) + "   " + Format.sci(p.medianFirstGradient).leftPad(10) + Format.sci(p.medianGradientRatio).leftPad(18)
                                + Format.sci(r.medianFirstGradient).leftPad(13) + Format.sci(r.medianGradientRatio).leftPad(18))
        }
        lesson.output(gradientRows.joined(separator: "\n"))
        if depthList.count >= 2 {
            let shrink = p1.medianGradientRatio / p0.medianGradientRatio
            let resShrink = r1.medianGradientRatio / r0.medianGradientRatio
            if shrink > 0.1 {
                let batchNormNote = batchNorm ? "With BatchNorm the backward signal does not vanish, as the paper's section 4.1 reports. " : ""
                let plainDegrades = p1.finalTrainError - p0.finalTrainError > noise(p0.finalTrainError, p1.finalTrainError)
                let plainVerb = plainDegrades ? "makes the deeper plain network train worse" : "limits the deeper plain network"
                let residualDropsMore = resShrink < 1 && resShrink < shrink && r1.finalTrainError < p1.finalTrainError
                let residualNote = residualDropsMore ? ", a larger drop than the plain networks' although the residual \(deep)-layer network trains better: the size of the gradient at the first layer is not what decides" : ""
                let pathNote = min(shrink, resShrink) < 1 ? " (At depth \(deep) there are many more layers between the first one and the loss; a ratio that falls by a factor of a few is a longer path's normal share, not a vanishing signal.)" : ""
                lesson.say("""
                The plain \(deep)-layer network's first layer receives \(Format.fixed(shrink, 2))x the relative gradient \
                (first/last) of the \(shallow)-layer one: \(shrinkWords(shrink)). \
                \(batchNormNote)So whatever \(plainVerb) here \
                is not a gradient too small to reach its early layers: the difficulty lies in the optimisation landscape \
                of the stacked layers, which is what the paper calls degradation. For the residual networks the same \
                ratio is \(Format.fixed(resShrink, 2))x from depth \(shallow) to \(deep)\(residualNote).\(pathNote)
                """)
            } else {
                let preventedBy = batchNorm ? "" : ", which is what BatchNorm prevents"
                let separateHint = batchNorm ? "" : "Without BatchNorm, vanishing gradients and degradation come together; the paper's point is that with BatchNorm the first goes away and the second remains. Run without --no-batchnorm to separate them."
                lesson.say("""
                The plain \(deep)-layer network's first layer receives only \(Format.sci(shrink)) times the relative gradient \
                (first/last) of the \(shallow)-layer one: here the gradients *do* vanish with depth\
                \(preventedBy). The residual networks keep \(Format.fixed(resShrink, 2))x: \
                their shortcuts carry the gradient past the blocks. \(separateHint)
                """)
            }
        }

        // MARK: 9. Error analysis of the deepest residual network
        lesson.section("7. Where the deepest networks go wrong")
        let deepestPlain = plain.last!.model, deepestResidual = residual.last!.model
        let report = try Inspection.inspect(model: deepestResidual, name: "ResNet-\(deep)\(batchNorm ? "" : " (no BN)")",
                                            dataset: finalTest, folder: lesson.folder, filePrefix: "resnet\(deep)\(suffix)_")
        lesson.chart(report.confusionChart, caption: "Confusion matrix of ResNet-\(deep) on \(Format.thousands(finalTest.count)) test images")
        if let mistakes = report.mistakesChart {
            lesson.chart(mistakes, caption: "The test images ResNet-\(deep) misclassifies most confidently")
        }
        let mapsURL = lesson.chartURL("feature_maps\(suffix).png")
        let maps = try Inspection.featureMaps(models: [("Plain-\(deep)", deepestPlain), ("ResNet-\(deep)", deepestResidual)],
                                              dataset: finalTest, imageIndex: 0, to: mapsURL)
        lesson.chart(mapsURL, caption: "First convolution's feature maps for one test image, plain and residual side by side")
        lesson.say(report.narration)
        lesson.say("Both networks were built from the same seed, so their first layers started identical: where the two sets of maps differ, training made them differ.")
        lesson.say("In the first layer, \(maps.map { "\($0.modelName) has \($0.inactiveChannels) of \($0.shape[1]) channels all zero for this image" }.joined(separator: "; ")).")

        lesson.section("Takeaway")
        lesson.say("""
        The paper's claim: depth is not free, because stacking plain layers makes a network harder to optimise \
        even when (with BatchNorm) its gradients are healthy; shortcuts let each block start from the identity \
        and learn only a residual, so deeper residual networks use their extra layers instead of fighting them. \
        The charts above are this run's evidence for or against it; section 5 says how strong that evidence is.

        ✓ Depth study complete
        """)
    }
}

// MARK: - The schedule

extension DepthStudy {
    /// Iterations per network: --iterations; else 120 with --quick; else, with --minutes, as many as
    /// fit that budget at the measured speed; else the fixed default (the same on every machine).
    func scheduledIterations(perRound: Double, probeSize: Int, finalTestCount: Int) -> Int {
        if let iterations { return iterations }
        if quick { return 120 }
        guard let minutes else { return DepthStudy.defaultIterations }
        // Evaluation of the probe subset costs about a third of a training step per image.
        let evaluation = perRound * (20.0 * Double(probeSize) + Double(finalTestCount)) / Double(batch) / 3.0
        let budget = minutes * 60 - evaluation
        return max(40, Int(max(budget, 0) / perRound) / 20 * 20)
    }

    /// The start of the schedule sentence: where the iteration count comes from.
    var scheduleReason: String {
        if iterations != nil { return "As asked with --iterations," }
        if quick { return "In the quick version" }
        if let minutes { return "To fit about \(Format.fixed(minutes, 0)) min of training (--minutes)," }
        return "In the fixed schedule of this study (the one docs/results.md records),"
    }

    /// Seconds to train and test every network: `perRound` per iteration of all of them, plus the
    /// probe and final tests at about a third of a training step per image.
    func expectedSeconds(perRound: Double, iterations: Int, every: Int, probeSize: Int, finalTestCount: Int) -> Double {
        let testedImages = Double(iterations / every) * Double(probeSize) + Double(finalTestCount)
        return perRound * Double(iterations) + perRound / 3 * testedImages / Double(batch)
    }

    /// `--plan-only`: the networks and their expected seconds as one JSON line, then stop.
    func printPlan(depths: [Int], secondsPerIteration: [Int: Double], share: Double) throws -> Never {
        let entries = [false, true].flatMap { residual in
            depths.map { depth in
                let name = (residual ? "ResNet-" : "plain-") + "\(depth)"
                return PlanEntry(stem: "depthstudy-" + name.lowercased(), displayName: name, action: "train",
                                 seconds: secondsPerIteration[depth]! * share, secondsPerBatch: secondsPerIteration[depth])
            }
        }
        let plan = PlanSummary(lesson: noBatchNorm ? "DepthStudy_noBN" : "DepthStudy", entries: entries)
        print(PlanSummary.marker + String(decoding: try plan.json(), as: UTF8.self))
        fflush(nil)
        throw ExitCode.success
    }

    /// The numbers the findings rest on, and the first finding as the takeaway, for results.json.
    func recordResults(_ results: LessonResults, plain: [DepthRun], residual: [DepthRun], iterations: Int, findings: [String]) {
        results.record("iterations_per_network", iterations)
        results.record("depths", plain.map(\.depth))
        results.record("plain_final_train_error", plain.map(\.finalTrainError))
        results.record("plain_final_test_error", plain.map(\.finalTestError))
        results.record("residual_final_train_error", residual.map(\.finalTrainError))
        results.record("residual_final_test_error", residual.map(\.finalTestError))
        results.takeaway = findings.first
    }
}

/// How the plain networks' relative first-layer gradient changed from the shallowest to the deepest.
func shrinkWords(_ shrink: Double) -> String {
    if shrink > 1.5 { return "more, not less" }
    if shrink > 0.5 { return "of the same order" }
    return "smaller, but not by orders of magnitude"
}

// MARK: - Training one network

/// Everything measured while training one network.
struct DepthRun {
    let depth: Int
    let residual: Bool
    let model: CifarResNet
    /// Iteration numbers of the measurements.
    var iterations: [Int] = []
    /// Running training error (fraction) over the last `window` batches, at each measurement.
    var trainError: [Double] = []
    /// Error on the fixed test subset at each measurement.
    var testError: [Double] = []
    /// |grad| of the first convolution's weight and of the last linear layer's weight at each measurement.
    var firstGradient: [Double] = []
    var lastGradient: [Double] = []
    var finalTrainError = 0.0, finalTestError = 0.0
    var seconds = 0.0

    var medianFirstGradient: Double { median(firstGradient) }
    var medianGradientRatio: Double { median(zip(firstGradient, lastGradient).map { $0 / max($1, 1e-30) }) }
}

struct SavedRun: Codable {
    let depth: Int, residual: Bool, batchNorm: Bool
    let iterations: [Int], trainError: [Double], testError: [Double], firstGradient: [Double], lastGradient: [Double]
    let finalTrainError: Double, finalTestError: Double, seconds: Double
}

/// The lesson's own training loop (forward, loss, zero_grad, backward, step), because it also records
/// the first layer's gradient between backward and step.
func trainNetwork(_ model: CifarResNet, data: MNISTDataset, probe: MNISTDataset, finalTest: MNISTDataset,
                  iterations: Int, every: Int, window: Int, settings: DepthSettings) throws -> DepthRun {
    // Same data order for every network: a loader with its own fixed generator.
    let loader = DataLoader(data, batchSize: settings.batchSize(for: data), shuffle: true, generator: Generator(seed: 0x5eed))
    let optimizer = Adam(model.parameters(), lr: settings.lr)
    let lossFunction = CrossEntropyLoss()
    var run = DepthRun(depth: model.depth, residual: model.residual, model: model)
    var recent: [(wrong: Int, seen: Int)] = []
    let start = Date()
    var iteration = 0
    model.train()
    while iteration < iterations {
        for (images, labels) in loader {
            iteration += 1
            let logits = model(images)
            let loss = lossFunction(logits, labels)
            optimizer.zeroGrad()
            loss.backward()
            let value = Double(loss.item())
            guard value.isFinite else {
                throw CoreError("\(model.displayName): the loss became \(value) at iteration \(iteration); training diverged. Try a smaller --lr (e.g. \(settings.lr / 10)).")
            }
            let wrong = zip(logits.argmax(dim: 1), labels).filter { $0 != $1 }.count
            recent.append((wrong, labels.count))
            if recent.count > window { recent.removeFirst() }
            if iteration == 1 || iteration % every == 0 || iteration == iterations {
                run.iterations.append(iteration)
                run.trainError.append(Double(recent.reduce(0) { $0 + $1.wrong }) / Double(recent.reduce(0) { $0 + $1.seen }))
                run.firstGradient.append(norm(model.conv1.weight.grad))
                run.lastGradient.append(norm(model.fc.weight.grad))
            }
            optimizer.step()
            if iteration == 1 || iteration % every == 0 || iteration == iterations {
                let (correct, total) = Trainer.evaluate(model, DataLoader(probe, batchSize: 250, shuffle: false))
                model.train()
                run.testError.append(1 - Double(correct) / Double(total))
                let elapsed = Date().timeIntervalSince(start)
                print("    \(model.displayName.padding(toLength: 10, withPad: " ", startingAt: 0)) iteration \(String(iteration).leftPad(5))/\(iterations)"
                      + "  train error \(percent(run.trainError.last!).leftPad(6))  test error \(percent(run.testError.last!).leftPad(6))"
                      + "  |grad conv1| \(Format.sci(run.firstGradient.last!))  (\(Format.duration(elapsed * Double(iterations - iteration) / Double(iteration))) left)")
                fflush(nil)
            }
            if iteration == iterations { break }
        }
    }
    let (correct, total) = Trainer.evaluate(model, DataLoader(finalTest, batchSize: 250, shuffle: false))
    run.finalTestError = 1 - Double(correct) / Double(total)
    run.finalTrainError = run.trainError.last ?? 0
    run.seconds = Date().timeIntervalSince(start)
    return run
}

/// Seconds per training iteration of the residual network of this depth: 1 warm-up and 3 timed steps
/// on a throwaway copy (the study's networks are built afresh from the seed).
func measureIteration(depth: Int, batchNorm: Bool, data: MNISTDataset, settings: DepthSettings) -> Double {
    let model = CifarResNet(depth: depth, residual: true, batchNorm: batchNorm)
    let optimizer = Adam(model.parameters(), lr: settings.lr)
    let lossFunction = CrossEntropyLoss()
    let (images, labels) = data.gather(Array(0..<settings.batchSize(for: data)))
    var start = Date()
    for step in 0..<4 {
        if step == 1 { start = Date() }
        let loss = lossFunction(model(images), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
    }
    return Date().timeIntervalSince(start) / 3
}

/// The training settings every network of the study shares, from the flags.
struct DepthSettings {
    let lr: Double
    let batchSize: Int

    /// The batch size, or the whole dataset when it is smaller.
    func batchSize(for data: MNISTDataset) -> Int { min(batchSize, data.count) }
}


func saveResults(_ runs: [DepthRun], to url: URL) throws {
    let saved = runs.map { SavedRun(depth: $0.depth, residual: $0.residual, batchNorm: $0.model.batchNorm,
                                    iterations: $0.iterations, trainError: $0.trainError, testError: $0.testError,
                                    firstGradient: $0.firstGradient, lastGradient: $0.lastGradient,
                                    finalTrainError: $0.finalTrainError, finalTestError: $0.finalTestError, seconds: $0.seconds) }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(try encoder.encode(saved), to: url.path)
}

// MARK: - Charts

let depthColors: [Color] = [.tabBlue, .tabOrange, .tabGreen, .tabRed, .tabPurple, .tabBrown, .tabPink, .tabGray]

/// Figure 6's error range, from the data: the errors the curves show once each has made 90% of its
/// initial drop (its fall from its peak to its final value), with a 5% margin. The paper's figure
/// is zoomed the same way (0-20% for errors that start far higher), so the gaps between the final
/// errors, a few points, are not squeezed under the first hundred iterations. The range starts at
/// 0, as the paper's does, unless every settled value is well above it (a short run). A curve that
/// never drops keeps its whole range in view.
func settledErrorRange(_ curves: [[Double]]) -> (lo: Double, hi: Double) {
    var settled: [Double] = []
    for curve in curves where !curve.isEmpty {
        let final = curve.last!, peak = curve.max()!
        let start = curve.firstIndex { $0 <= final + 0.1 * (peak - final) } ?? 0
        settled += curve[start...]
    }
    guard let low = settled.min(), let high = settled.max() else { return (0, 1) }
    let margin = max(high - low, 0.01) * 0.05
    let hi = min(1, high + margin)
    let lo = low - margin < 0.25 * hi ? 0 : low - margin
    return (lo, hi)
}

/// The paper's Figure 6: per depth, training error dashed and test error solid; plain left,
/// residual right, both zoomed to the same range where the curves separate, each curve's final
/// value written at its end. Returns the error axis's range (fractions).
@discardableResult
func drawCurves(_ runs: [DepthRun], depths: [Int], batchNorm: Bool, to url: URL) throws -> (lo: Double, hi: Double) {
    let figure = Figure(width: 14, height: 5.5)
    let axes = figure.subplots(rows: 1, cols: 2)
    let range = settledErrorRange(runs.flatMap { [$0.trainError, $0.testError] })
    for (panel, residual) in [false, true].enumerated() {
        let ax = axes[panel]
        for (index, depth) in depths.enumerated() {
            guard let run = runs.first(where: { $0.depth == depth && $0.residual == residual }) else { continue }
            let x = run.iterations.map(Double.init), color = depthColors[index % depthColors.count]
            let name = (residual ? "ResNet-" : "plain-") + "\(depth)"
            let train = run.trainError.map { $0 * 100 }, test = run.testError.map { $0 * 100 }
            // Each label gives the value where its curve ends, so it agrees with the axis (the training
            // error is also the table's; the test curve is measured on the smaller fixed subset).
            ax.plot(x, train, label: "\(name) train", color: color, lineWidth: 1.5, lineStyle: .dashed,
                    endLabel: train.last.map { "train " + Format.fixed($0, 1) + "%" })
            ax.plot(x, test, label: "\(name) test", color: color, lineWidth: 2,
                    endLabel: test.last.map { "test " + Format.fixed($0, 1) + "%" })
        }
        ax.setXLabel("Iteration")
        ax.setYLabel("Error (%)")
        ax.setTitle(residual ? "Residual networks" : "Plain networks")
        ax.setYLim(range.lo * 100, range.hi * 100)
        ax.grid(alpha: 0.3)
        ax.legend()
    }
    figure.suptitle("Training error (dashed) and test error (solid)" + (batchNorm ? "" : ", without BatchNorm"))
    try figure.savefig(url.path)
    return range
}

/// Final training and test error against depth for both families.
func drawErrorVsDepth(plain: [DepthRun], residual: [DepthRun], batchNorm: Bool, to url: URL) throws {
    let figure = Figure(width: 12, height: 5)
    let axes = figure.subplots(rows: 1, cols: 2)
    for (panel, (title, pick)) in [("Final training error", { (r: DepthRun) in r.finalTrainError }),
                                   ("Final test error", { (r: DepthRun) in r.finalTestError })].enumerated() {
        let ax = axes[panel]
        ax.plot(plain.map { Double($0.depth) }, plain.map { pick($0) * 100 }, label: "Plain", color: .coral, marker: .circle, lineWidth: 2)
        ax.plot(residual.map { Double($0.depth) }, residual.map { pick($0) * 100 }, label: "Residual", color: .steelblue, marker: .square, lineWidth: 2)
        let depths = plain.map { Double($0.depth) }
        ax.setXTicks(depths, labels: depths.map { String(Int($0)) })
        ax.setXLabel("Depth (layers)")
        ax.setYLabel("Error (%)")
        ax.setTitle(title)
        ax.setYLim(0, nil)
        ax.grid(alpha: 0.3)
        ax.legend()
    }
    figure.suptitle("Error against depth" + (batchNorm ? "" : ", without BatchNorm"))
    try figure.savefig(url.path)
}

/// The first layer's gradient norm during training, log scale; plain left, residual right, same y range.
func drawGradients(_ runs: [DepthRun], depths: [Int], batchNorm: Bool, to url: URL) throws {
    let figure = Figure(width: 14, height: 5)
    let axes = figure.subplots(rows: 1, cols: 2)
    let values = runs.flatMap(\.firstGradient).filter { $0 > 0 }
    let lo = (values.min() ?? 1e-6) / 2, hi = (values.max() ?? 1) * 2
    for (panel, residual) in [false, true].enumerated() {
        let ax = axes[panel]
        for (index, depth) in depths.enumerated() {
            guard let run = runs.first(where: { $0.depth == depth && $0.residual == residual }) else { continue }
            ax.plot(run.iterations.map(Double.init), run.firstGradient.map { max($0, lo) },
                    label: (residual ? "ResNet-" : "plain-") + "\(depth)", color: depthColors[index % depthColors.count],
                    marker: .circle, markerSize: 3, lineWidth: 1.5)
        }
        ax.setYScale(.log)
        ax.setYLim(lo, hi)
        ax.setXLabel("Iteration")
        ax.setYLabel("||grad of first conv weight||")
        ax.setTitle(residual ? "Residual networks" : "Plain networks")
        ax.grid(alpha: 0.3)
        ax.legend()
    }
    figure.suptitle("Gradient reaching the first layer" + (batchNorm ? "" : ", without BatchNorm"))
    try figure.savefig(url.path)
}

// MARK: - Small helpers

func norm(_ tensor: Tensor?) -> Double {
    guard let tensor else { return 0 }
    return tensor.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// The training error at a fraction of the run (nearest measurement).
func trainingError(_ run: DepthRun, at fraction: Double) -> Double {
    guard let last = run.iterations.last else { return 0 }
    let target = Double(last) * fraction
    let index = run.iterations.indices.min { abs(Double(run.iterations[$0]) - target) < abs(Double(run.iterations[$1]) - target) }!
    return run.trainError[index]
}

func percent(_ fraction: Double) -> String { Format.fixed(100 * fraction, 2) + "%" }
func signedGap(_ fraction: Double) -> String {
    Format.fixed(100 * abs(fraction), 2) + " points " + (fraction >= 0 ? "above" : "below")
}
func points(_ fraction: Double) -> String { Format.fixed(100 * fraction, 2) + " points" }

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

DepthStudy.main()
