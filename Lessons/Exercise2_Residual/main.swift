// Exercise 2: Understanding residual blocks
//
// Day 13, Modern Architectures. This lesson builds a plain block and a residual block with the
// same layers, sends one input through each, and measures how much gradient reaches the input.
// Run it with `swift run Exercise2_Residual`; `--help` lists the flags.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

struct Exercise2: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Exercise2_Residual",
        abstract: "Residual blocks: why a skip connection keeps gradients strong.",
        discussion: """
        Examples:
          swift run Exercise2_Residual
          swift run Exercise2_Residual --seed 3 --seeds 10
          swift run Exercise2_Residual --threads 1 --output output/one-thread
        """)

    @OptionGroup var common: RunOptions

    @Option(help: "How many seeds (seed, seed+1, ...) to repeat the measurement with, to show its spread.")
    var seeds: Int = 6

    mutating func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1 (got \(seeds)).") }
    }

    func run() throws {
        try common.scoped {
            let lesson = try common.apply(lesson: "Exercise2_Residual")
            try runLessonBody(lesson)
            try lesson.writeReport()
        }
    }

    func runLessonBody(_ lesson: Narrator) throws {
        // MARK: The problem residual blocks solve (the introduction, before section 1)
        lesson.title("EXERCISE 2: RESIDUAL BLOCKS")
        lesson.say("""
        Stacking more layers should never hurt: a deeper network could copy a shallower one and set the
        extra layers to the identity. In practice, before 2015, deeper plain networks trained *worse*,
        with higher training error as well as test error. That is not overfitting; it is the
        degradation problem, an optimisation difficulty. Gradients that must pass back through many
        layers shrink or scatter, so the early layers learn slowly.

        ResNet's answer is the skip connection. A block no longer has to learn the whole mapping H(x);
        it learns the residual F(x) = H(x) - x and outputs F(x) + x. If the best thing a block can do
        is nothing, it only has to push F towards zero, which is easy. And on the way back, the sum
        hands the incoming gradient straight to x, whatever F does.
        """)

        // MARK: 1. Two blocks with the same layers
        lesson.section("1. A plain block and a residual block")
        let plain = PlainBlock(64, 64)
        let residual = ResidualBlock(64, 64)
        lesson.say("""
        Both blocks hold two 3x3 convolutions with BatchNorm (the classes are written in \
        Lessons/Models/PlainBlock.swift and ResidualBlock.swift). Printed as PyTorch would:
        """)
        lesson.output("plain_block = \(plain)\n\nres_block = \(residual)")
        lesson.say("""
        Parameters: plain \(Format.thousands(plain.parameterCount)), residual \(Format.thousands(residual.parameterCount)). \
        The residual block adds no weights at all here: its shortcut is an empty Sequential, the identity.
        """)

        // MARK: 2. Identity and projection shortcuts
        lesson.section("2. When the shortcut needs weights")
        let downsampling = ResidualBlock(64, 128, stride: 2)
        lesson.say("""
        x can only be added to F(x) when both have the same shape. A block that halves the resolution
        and doubles the channels (64 -> 128, stride 2) uses a projection instead: a 1x1 convolution with
        stride 2 and a BatchNorm.
        """)
        lesson.output("ResidualBlock(64, 128, stride=2).shortcut = \(downsampling.shortcut)")
        lesson.say("That projection costs \(Format.thousands(downsampling.shortcut.parameterCount)) parameters.")

        // MARK: 3. The experiment: how much gradient reaches the input?
        lesson.section("3. Gradient reaching the input")
        lesson.say("""
        One random input x of shape (1, 64, 32, 32) with requiresGrad goes through each block (in
        training mode, so BatchNorm normalises with the statistics of this input). We backpropagate
        the sum of each block's output and compare the mean absolute value of x.grad.
        """)
        let measurement = measure(plain: plain, residual: residual, input: Tensor.randn([1, 64, 32, 32], requiresGrad: true))
        lesson.say("\nGradient magnitude comparison:")
        lesson.say("Plain block: \(Format.fixed(measurement.plainMean, 6))")
        lesson.say("Residual block: \(Format.fixed(measurement.residualMean, 6))")
        let oneBlockRatio = measurement.residualMean / measurement.plainMean
        lesson.say("Ratio: \(Format.fixed(oneBlockRatio, 2))x")
        lesson.results.record("plain_block_mean_abs_grad", measurement.plainMean)
        lesson.results.record("residual_block_mean_abs_grad", measurement.residualMean)
        lesson.results.record("residual_to_plain_ratio", oneBlockRatio)

        // MARK: 3 (continued). The same comparison, channel by channel
        // x has 64 channels: averaging |x.grad| over each channel's 32x32 positions shows whether
        // the advantage is spread evenly or comes from a few channels; the histogram shows the
        // whole distribution of gradient sizes.
        let chart = lesson.chartURL("gradient_comparison.png")
        try drawGradientChart(measurement, to: chart)
        lesson.chart(chart, caption: "Mean |x.grad| per input channel, and the distribution of |x.grad|, plain vs residual block")
        let plainChannels = channelMeans(measurement.plainGrad), residualChannels = channelMeans(measurement.residualGrad)
        let channelsAhead = zip(residualChannels, plainChannels).filter { $0 > $1 }.count
        let channelRatios = zip(residualChannels, plainChannels).map { $0 / $1 }
        lesson.say("""
        In \(channelsAhead) of the 64 channels the residual block's input gradient is larger on average \
        (per-channel ratios from \(Format.fixed(channelRatios.min() ?? 0, 2))x to \(Format.fixed(channelRatios.max() ?? 0, 2))x).
        """)
        lesson.results.record("channels_residual_ahead", channelsAhead)
        lesson.results.record("channel_ratio_min", channelRatios.min() ?? 0)
        lesson.results.record("channel_ratio_max", channelRatios.max() ?? 0)

        // MARK: 4. Where the extra gradient comes from
        lesson.section("4. Where the extra gradient comes from")
        lesson.say("""
        For the residual block, out = relu(F(x) + x), so d out / dx = mask * (dF/dx + 1), where mask
        marks the outputs the final ReLU let through. The "+ 1" is the skip connection: every output
        that is active passes its gradient to x unchanged. Splitting this run's x.grad in two:
          through the shortcut alone: mean |grad| = \(Format.fixed(measurement.shortcutMean, 6)) (\(Format.fixed(100 * measurement.activeFraction, 1))% of outputs active)
          through F(x):               mean |grad| = \(Format.fixed(measurement.mainPathMean, 6))
        The plain block has only the second kind of path.
        """)
        lesson.results.record("shortcut_mean_abs_grad", measurement.shortcutMean)
        lesson.results.record("main_path_mean_abs_grad", measurement.mainPathMean)
        lesson.results.record("active_output_fraction", measurement.activeFraction)

        // MARK: 5. One draw or a property of the blocks?
        lesson.section("5. Is it the same for every seed?")
        var trainRatios: [Double] = [], evalRatios: [Double] = []
        for offset in 0..<seeds {
            let generatorSeed = common.seed &+ UInt64(offset)
            Random.manualSeed(generatorSeed)
            let p = PlainBlock(64, 64), r = ResidualBlock(64, 64)
            let x = Tensor.randn([1, 64, 32, 32], requiresGrad: true)
            // Evaluation first, while the running statistics are still the fresh ones (0 and 1).
            p.eval(); r.eval()
            let evaluation = measure(plain: p, residual: r, input: x)
            p.train(); r.train()
            let train = measure(plain: p, residual: r, input: x)
            trainRatios.append(train.residualMean / train.plainMean)
            evalRatios.append(evaluation.residualMean / evaluation.plainMean)
        }
        let table = zip(trainRatios, evalRatios).enumerated().map { index, pair in
            "seed \(common.seed &+ UInt64(index))".padding(toLength: 12, withPad: " ", startingAt: 0)
                + "train mode \(Format.fixed(pair.0, 2))x   eval mode \(Format.fixed(pair.1, 2))x"
        }.joined(separator: "\n")
        lesson.output(table)
        let train = SeedSpread(trainRatios), evaluation = SeedSpread(evalRatios)
        lesson.say("""
        Over \(seeds) seed\(seeds == 1 ? "" : "s") the residual block passes \(Format.fixed(train.mean, 2))x as much gradient in training mode \
        (from \(Format.fixed(train.min, 2)) to \(Format.fixed(train.max, 2)), standard deviation \(Format.fixed(train.std, 2))), \
        and \(Format.fixed(evaluation.mean, 2))x in evaluation mode (from \(Format.fixed(evaluation.min, 2)) to \(Format.fixed(evaluation.max, 2))).
        """)
        lesson.say(Exercise2Verdicts.seedSentence(trainMin: train.min, evalMin: evaluation.min))
        lesson.say(Exercise2Verdicts.modeSentence(trainMean: train.mean, evalMean: evaluation.mean))
        lesson.results.record("seeds", seeds)
        lesson.results.record("train_mode_ratios", trainRatios)
        lesson.results.record("eval_mode_ratios", evalRatios)
        lesson.results.record("train_mode_ratio_mean", train.mean)
        lesson.results.record("train_mode_ratio_std", train.std)
        lesson.results.record("eval_mode_ratio_mean", evaluation.mean)
        lesson.results.verdict("every_seed_favours_residual", train.min > 1 && evaluation.min > 1)
        lesson.results.verdict("eval_mode_wider_gap", evaluation.mean > train.mean)

        // MARK: 6. Many blocks: does the difference compound?
        try depthSection(lesson, oneBlockRatio: oneBlockRatio)

    }

    /// The deepest stacks over every seed: their range, and whether every seed reaches the same verdict.
    func seedSpread(_ lesson: Narrator, runs: [[SweepVariant: [Double]]], deepest: Int) {
        let perVariant = SweepVariant.all.map { variant in (variant: variant.name, ratios: runs.map { $0[variant]!.last! }) }
        lesson.say("At \(deepest) blocks over \(runs.count) seeds (\(common.seed) to \(common.seed &+ UInt64(runs.count - 1))): "
                   + perVariant.map { "\($0.variant) from \(Format.sci($0.ratios.min()!)) to \(Format.sci($0.ratios.max()!))" }.joined(separator: "; ") + ".")
        let disagreeing = Exercise2Verdicts.disagreeing(perVariant)
        lesson.say(Exercise2Verdicts.seedAgreementSentence(depth: deepest, seeds: runs.count, disagreeing: disagreeing))
        lesson.results.record("depth_sweep_deepest_per_seed", .object(Dictionary(uniqueKeysWithValues: zip(SweepVariant.all, perVariant).map {
            ($0.0.key, ResultValue.list($0.1.ratios.map(ResultValue.number)))
        })))
        lesson.results.verdict("depth_sweep_verdicts_agree_across_seeds", disagreeing.isEmpty)
    }

    /// Section 6: the depth sweep, its table, chart, verdicts and the takeaway that follows from them.
    func depthSection(_ lesson: Narrator, oneBlockRatio: Double) throws {
        lesson.section("6. Many blocks: does the difference compound?")
        lesson.say("""
        One block passes more gradient with the shortcut; what happens over many? Stacks of \
        \(SweepSize.depths.map(String.init).joined(separator: ", ")) fresh blocks (PyTorch's default initialisation), \
        in four variants: plain or residual, with BatchNorm after each convolution (training mode) or without it. \
        A batch of \(SweepSize.batch) random inputs of \(SweepSize.channels) channels, \(SweepSize.side)x\(SweepSize.side), \
        goes through each stack, and a fixed random tensor g of the output's shape is sent back as the gradient \
        at the output (L = sum(g * x_out), so dL/dx_out = g). The number reported is ||dL/dx_in|| / ||dL/dx_out||, \
        the size of the gradient that reaches the input relative to the one that left the output (1: unchanged).
        """)
        let started = Date()
        // Every seed draws new blocks, input and upstream gradient; the table shows the first seed's.
        let runs = (0..<seeds).map { depthSweep(seed: common.seed &+ UInt64($0)) }
        let ratios = runs[0]
        let seconds = Date().timeIntervalSince(started)
        lesson.output(depthSweepTable(ratios))
        let chart = lesson.chartURL("depth_sweep.png")
        try drawDepthSweep(ratios, to: chart)
        lesson.chart(chart, caption: "||dL/dx_in|| / ||dL/dx_out|| against the number of blocks, log-log, at initialisation")
        let deepest = SweepSize.depths.last!
        let fates = SweepVariant.all.map { (variant: $0.name, ratio: ratios[$0]!.last!) }
        for fate in fates {
            lesson.say("- " + Exercise2Verdicts.fateSentence(variant: fate.variant, depth: deepest, ratio: fate.ratio))
        }
        if seeds > 1 { seedSpread(lesson, runs: runs, deepest: deepest) }
        lesson.say("(The \(seeds * SweepSize.depths.count * SweepVariant.all.count) stacks took \(Format.fixed(seconds, 1)) seconds.)")

        lesson.results.record("depth_sweep", .object([
            "depths": .list(SweepSize.depths.map(ResultValue.integer)),
            "batch": .integer(SweepSize.batch), "channels": .integer(SweepSize.channels), "side": .integer(SweepSize.side),
            "ratios": .object(Dictionary(uniqueKeysWithValues: SweepVariant.all.map { ($0.key, ResultValue.list(ratios[$0]!.map(ResultValue.number))) })),
        ]))
        for variant in SweepVariant.all {
            lesson.results.verdict("vanishes_at_\(deepest)_\(variant.key)", Exercise2Verdicts.fate(ratio: ratios[variant]!.last!) == .vanishes)
        }

        lesson.section("Takeaway")
        let takeaway = Exercise2Verdicts.takeaway(oneBlockRatio: oneBlockRatio, deepest: deepest, fates: fates)
        lesson.results.takeaway = takeaway
        lesson.say("""
        \(takeaway)

        ✓ Residual blocks understood
        """)
    }
}

/// Mean absolute input gradients of the two blocks for the same input, and the split of the
/// residual block's gradient into its shortcut and main-path parts.
struct GradientMeasurement {
    let plainGrad: Tensor, residualGrad: Tensor
    let plainMean: Double, residualMean: Double
    let shortcutMean: Double, mainPathMean: Double, activeFraction: Double
}

func measure(plain: PlainBlock, residual: ResidualBlock, input x: Tensor) -> GradientMeasurement {
    x.grad = nil
    plain(x).sum().backward()
    let plainGrad = x.grad!.clone()
    x.grad = nil

    let out = residual(x)
    out.sum().backward()
    let residualGrad = x.grad!.clone()
    x.grad = nil

    // The shortcut's share is the ReLU mask itself (gradient 1 where the output is active).
    let mask = out.scalars.map { $0 > 0 ? Float(1) : 0 }
    let maskTensor = Tensor(mask, shape: out.shape)
    let mainPath = noGrad { residualGrad - maskTensor }
    return GradientMeasurement(
        plainGrad: plainGrad, residualGrad: residualGrad,
        plainMean: Double(plainGrad.abs().mean().item()),
        residualMean: Double(residualGrad.abs().mean().item()),
        shortcutMean: Double(maskTensor.mean().item()),
        mainPathMean: Double(mainPath.abs().mean().item()),
        activeFraction: Double(maskTensor.mean().item()))
}

/// Mean |gradient| of each channel of a [1, C, H, W] gradient.
func channelMeans(_ grad: Tensor) -> [Double] {
    grad.abs().mean(dim: 3).mean(dim: 2).scalars.map(Double.init)
}

/// Left: mean |x.grad| per channel for both blocks. Right: histogram of |x.grad|.
func drawGradientChart(_ m: GradientMeasurement, to url: URL) throws {
    let figure = Figure(width: 14, height: 5)
    let axes = figure.subplots(rows: 1, cols: 2)
    let channels = (0..<m.plainGrad.shape[1]).map(Double.init)
    axes[0].plot(channels, channelMeans(m.plainGrad), label: "Plain block", color: "coral", marker: .circle, markerSize: 4)
    axes[0].plot(channels, channelMeans(m.residualGrad), label: "Residual block", color: "steelblue", marker: .square, markerSize: 4)
    axes[0].setXLabel("Input channel")
    axes[0].setYLabel("Mean |x.grad|")
    axes[0].setTitle("Gradient reaching each input channel")
    axes[0].setYLim(0, nil)
    axes[0].legend()
    axes[0].grid(alpha: 0.3)

    let plainValues = m.plainGrad.abs().scalars.map(Double.init)
    let residualValues = m.residualGrad.abs().scalars.map(Double.init)
    let upper = max(plainValues.max() ?? 1, residualValues.max() ?? 1)
    axes[1].hist(plainValues, bins: 60, range: 0...upper, label: "Plain block", color: "coral", alpha: 0.6)
    axes[1].hist(residualValues, bins: 60, range: 0...upper, label: "Residual block", color: "steelblue", alpha: 0.6)
    axes[1].setXLabel("|x.grad|")
    axes[1].setYLabel("Number of input values")
    axes[1].setTitle("Distribution of gradient sizes")
    axes[1].legend()
    axes[1].grid(alpha: 0.3)
    figure.suptitle("Plain vs residual block: gradient at the input")
    try figure.savefig(url.path)
}


Exercise2.main()
