// Exercise 5: Visualising gradient flow
//
// Day 13, Modern Architectures. One batch goes forward and backward through each network of
// Exercises 3 and 4 (trained, and untrained for contrast) and through VGG-16, which has no
// BatchNorm; the lesson charts the gradient norm of every weight, layer by layer, on a log axis.
// Run it with `swift run Exercise5_GradientFlow`; `--help` lists the flags.

import ArgumentParser
import Charts
import Core
import Foundation
import LessonKit

struct Exercise5: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Exercise5_GradientFlow",
        abstract: "Gradient flow: per-layer gradient norms of PlainNet, ResNet-18, Plain18 and VGG-16.",
        discussion: """
        Reuses the networks Exercises 3 and 4 saved in <output>/checkpoints/ when their settings match
        (same seed, epochs, batch size, learning rate, dataset, --quick); trains the missing ones.

        Examples:
          swift run Exercise5_GradientFlow --quick
          swift run Exercise5_GradientFlow                     (after Exercises 3 and 4, reuses their networks)
          swift run Exercise5_GradientFlow --quick --seeds 5   (untrained measurements repeated with 5 seeds)
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    @Flag(inversion: .prefixedNo,
          help: "Include Plain18 (default: on with --quick or when Exercise 4 saved it, off otherwise, where training it here would take as long as a ResNet-18).")
    var plain18: Bool?

    func run() throws {
        runLesson(common) {
            let data = try LessonData.load(training)
            let lesson = try common.apply(lesson: "Exercise5_GradientFlow", training)
            try announcePlan(lesson, data: data)
            try runLessonBody(lesson, data: data)
            try lesson.writeReport()
        }
    }

    func runLessonBody(_ lesson: Narrator, data: LessonData) throws {
        let output = URL(fileURLWithPath: common.output, isDirectory: true)
        let epochs = data.epochs(default: OriginalSchedule.resnetEpochs)
        let trainer = ComparisonTrainer(data: data, output: output, narrator: lesson, baseSeed: common.seed, seeds: 1)
        let withPlain18 = plain18 ?? (data.quick || trainer.hasSaved(name: "plain18", epochs: epochs))

        // MARK: What we measure (the introduction, before section 1)
        lesson.title("EXERCISE 5: GRADIENT FLOW VISUALIZATION")
        lesson.say("""
        A network learns through the gradients that reach each layer. If they shrink on the way back from the
        loss to the first layers ("vanishing gradients"), the early layers barely change. Here we look at them
        directly: one training batch goes forward through a network in training mode, the loss goes backward,
        and for every parameter whose name contains "weight" we record the norm of its gradient, ‖grad‖, from
        the input side to the output side.

        Note what "weight" catches: convolution and linear weights, and also BatchNorm's scale parameters
        (bn1.weight, the γ of each BatchNorm). The charts draw those in grey; the tables also give the
        convolution weights alone.

        Data: \(data.description)
        """)
        if data.quick {
            lesson.say("""
            Quick version: the trained networks are the quick ones (\(epochs) epoch\(epochs == 1 ? "" : "s") of \(data.batchesPerEpoch()) \
            batches), reused from Exercises 3 and 4 when they saved them with --quick, else trained here (each says how long \
            it expects to take). The measurements themselves are one batch per network.
            """)
        }

        // MARK: 1. The trained networks of Exercises 3 and 4
        lesson.section("1. The networks")
        lesson.say("Trained networks come from the checkpoints of Exercises 3 and 4 when they match this run's settings; missing ones are trained now.")
        let resnet = try trainer.run(name: "resnet18", displayName: "ResNet-18", epochs: epochs, savedBy: "Exercise 3") { ResNet18() }
        let plain = try trainer.run(name: "plainnet", displayName: "PlainNet", epochs: epochs, savedBy: "Exercise 4") { PlainNet() }
        var trained: [Network] = [Network(name: "PlainNet", model: plain.model, color: .coral),
                                  Network(name: "ResNet-18", model: resnet.model, color: .steelblue)]
        if withPlain18 {
            let control = try trainer.run(name: "plain18", displayName: "Plain18", epochs: epochs, savedBy: "Exercise 4") { Plain18() }
            trained.append(Network(name: "Plain18", model: control.model, color: .mediumseagreen))
        } else {
            lesson.say("\nPlain18 (ResNet-18 without shortcuts) is left out: no saved run matches. Run Exercise 4 with --plain18, or pass --plain18 here, to include it.")
        }
        // VGG-16 is trained in Exercise 1 for OriginalSchedule.vgg16Epochs epochs; use it if that lesson saved it with these settings.
        let vggRun = TrainingRun(name: "vgg16", displayName: "VGG-16", seed: common.seed, epochs: data.epochs(default: OriginalSchedule.vgg16Epochs),
                                 data: data, output: output)
        Random.manualSeed(common.seed)
        let savedVGG = VGG16()
        if vggRun.reuse(into: savedVGG) != nil {
            lesson.say("\nVGG-16 trained by Exercise 1 found (\(lesson.displayPath(URL(fileURLWithPath: vggRun.checkpointPath)))); it joins the trained row.")
            trained.append(Network(name: "VGG-16", model: savedVGG, color: .mediumpurple))
        } else {
            lesson.say("\nNo VGG-16 saved by Exercise 1 with these settings, so VGG-16 appears untrained only (training it here would take longer than everything else together).")
        }

        // The same architectures untrained, plus VGG-16 with and without BatchNorm.
        func untrained(seed: UInt64) -> [Network] {
            Random.manualSeed(seed)
            var list = [Network(name: "PlainNet", model: PlainNet(), color: .coral),
                        Network(name: "ResNet-18", model: ResNet18(), color: .steelblue)]
            if withPlain18 { list.append(Network(name: "Plain18", model: Plain18(), color: .mediumseagreen)) }
            list.append(Network(name: "VGG-16", model: VGG16(), color: .mediumpurple))
            list.append(Network(name: "VGG-16 + BN", model: VGG16(batchNorm: true), color: .goldenrod))
            return list
        }
        lesson.say("""

        For contrast, the same architectures straight after initialisation (seed \(common.seed)), and VGG-16 twice: as in \
        Exercise 1, with no BatchNorm at all, and with a BatchNorm after each of its 13 convolutions.
        """)

        // MARK: 2. One batch through each network
        lesson.section("2. One batch, forward and backward")
        let loader = DataLoader(data.train, batchSize: training.batchSize, shuffle: true, generator: Generator(seed: common.seed &+ 0xba7c))
        var iterator = loader.makeIterator()
        guard let (images, labels) = iterator.next() else { throw CoreError("the training set is empty") }
        lesson.say("The same batch of \(labels.count) training images goes through every network, in train mode (BatchNorm uses the batch's statistics, dropout is on).")
        let trainedProfiles = trained.map { GradientProfile($0, images: images, labels: labels) }
        let freshNetworks = untrained(seed: common.seed)
        let freshProfiles = freshNetworks.map { GradientProfile($0, images: images, labels: labels) }

        lesson.say("\nTrained networks:")
        lesson.output(GradientProfile.table(trainedProfiles))
        lesson.say("\nAt initialisation:")
        lesson.output(GradientProfile.table(freshProfiles))
        lesson.say("""
        first/last conv: the first convolution's gradient norm divided by the last convolution's (1 would be perfectly \
        even; 0.001 means the first layer gets a thousandth). "< 1e-5" counts weights under the chart's dashed line, among \
        all "weight" parameters and among convolutions alone. "conv spread" is how many powers of ten lie \
        between the largest and the smallest convolution gradient.
        """)

        // MARK: 3. The chart
        lesson.section("3. The chart")
        let chartURL = lesson.chartURL("gradient_flow.png")
        try drawGradientFlow(trained: trainedProfiles, untrained: freshProfiles, to: chartURL)
        lesson.chart(chartURL, caption: "Gradient norm of every weight, input side on the left; top row trained, bottom row at initialisation")
        lesson.say("(The chart is in this lesson's folder, beside report.md.)")

        // MARK: 4. What the numbers say
        lesson.section("4. What the numbers say")
        let vggRescued = narrate(trained: trainedProfiles, untrained: freshProfiles, lesson: lesson)
        record(trained: trainedProfiles, untrained: freshProfiles, in: lesson.results)

        // MARK: 5. The same for other seeds
        if training.seeds > 1 {
            lesson.section("5. Other seeds")
            lesson.say("The untrained measurements repeated for seeds \(common.seed) to \(common.seed &+ UInt64(training.seeds - 1)) (new weights, same batch):")
            var ratios: [String: [Double]] = [:], under: [String: [Double]] = [:]
            for p in freshProfiles {
                ratios[p.name, default: []].append(p.firstToLastConv)
                under[p.name, default: []].append(Double(p.convUnderThreshold))
            }
            for offset in 1..<training.seeds {
                for p in untrained(seed: common.seed &+ UInt64(offset)).map({ GradientProfile($0, images: images, labels: labels) }) {
                    ratios[p.name, default: []].append(p.firstToLastConv)
                    under[p.name, default: []].append(Double(p.convUnderThreshold))
                }
            }
            for p in freshProfiles {
                lesson.results.record("\(resultKey(p.name))_untrained_first_to_last_conv_per_seed", ratios[p.name]!)
            }
            lesson.output(freshProfiles.map { p -> String in
                let r = SeedSpread(ratios[p.name]!), u = SeedSpread(under[p.name]!)
                return p.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + "first/last conv \(Format.sci(r.mean)) (from \(Format.sci(r.min)) to \(Format.sci(r.max)));  convs < 1e-5: \(Format.fixed(u.mean, 1)) on average"
            }.joined(separator: "\n"))
        }

        lesson.section("Takeaway")
        let all = trainedProfiles.map { ("\($0.name) (trained)", $0) } + freshProfiles.map { ("\($0.name) (untrained)", $0) }
        let vanishing = all.filter { $0.1.flow == .vanishes }.map(\.0)
        let takeaway = Exercise5Verdicts.takeaway(vanished: vanishing, notVanished: all.filter { $0.1.flow != .vanishes }.map(\.0),
                                                  batchNormRescuedVGG: vggRescued)
        lesson.results.takeaway = takeaway
        lesson.say("""
        \(takeaway)

        Background from the ResNet paper: plain networks with BatchNorm did not suffer from vanishing gradients there,
        yet the deeper ones trained worse (the degradation problem); skip connections, the sum F(x) + x, give every
        block a path on which the gradient arrives unchanged.

        ✓ Gradient visualization complete
        """)
    }
}

/// A network to measure, with its name and chart colour.
struct Network {
    let name: String
    let model: any Module
    let color: Color
}

/// Gradient norms of one network's "weight" parameters after one batch, in the order PyTorch's
/// `named_parameters()` gives them (input side first).
struct GradientProfile {
    let name: String
    let color: Color
    /// (parameter name, gradient norm, kind)
    let all: [(name: String, norm: Double, kind: Kind)]
    enum Kind { case conv, batchNormScale, linear }

    static let threshold = Exercise5Verdicts.smallNorm

    init(_ network: Network, images: Tensor, labels: [Int]) {
        let model = network.model
        model.train()
        model.zeroGrad()
        let loss = CrossEntropyLoss()(model(images), labels)
        loss.backward()
        var kinds: [String: Kind] = [:]
        for (moduleName, module) in model.namedModules() {
            let key = moduleName.isEmpty ? "weight" : moduleName + ".weight"
            if module is Conv2d { kinds[key] = .conv } else if module is BatchNorm2d { kinds[key] = .batchNormScale }
            else if module is Linear { kinds[key] = .linear }
        }
        all = model.namedParameters().compactMap { parameter in
            guard parameter.name.contains("weight"), let grad = parameter.tensor.grad else { return nil }
            return (parameter.name, Double(grad.norm().item()), kinds[parameter.name] ?? .linear)
        }
        model.zeroGrad()
        name = network.name
        color = network.color
    }

    var convs: [(name: String, norm: Double, kind: Kind)] { all.filter { $0.kind == .conv } }
    var firstToLastConv: Double { convs.first!.norm / convs.last!.norm }
    var underThreshold: Int { all.filter { $0.norm < GradientProfile.threshold }.count }
    var convUnderThreshold: Int { convs.filter { $0.norm < GradientProfile.threshold }.count }
    /// Orders of magnitude between the largest and smallest convolution gradient.
    var convSpread: Double { log10(convs.map(\.norm).max()! / max(convs.map(\.norm).min()!, 1e-30)) }
    var flow: Exercise5Verdicts.Flow { Exercise5Verdicts.flow(firstToLast: firstToLastConv, convsUnderSmall: convUnderThreshold) }

    static func table(_ profiles: [GradientProfile]) -> String {
        let rows = profiles.map { p -> [String] in
            [p.name, "\(p.all.count) (\(p.convs.count) conv)", Format.sci(p.convs.first!.norm), Format.sci(p.convs.last!.norm),
             Format.sci(p.all.last!.norm), Format.sci(p.firstToLastConv), "\(p.underThreshold) / \(p.convUnderThreshold)",
             Format.fixed(p.convSpread, 1)]
        }
        return ComparisonTable(headers: ["network", "weights", "first conv", "last conv", "last weight", "first/last conv",
                                         "< 1e-5 (all/conv)", "conv spread (decades)"], rows: rows).render()
    }
}


/// The original's bar charts, one panel per network: trained on top, untrained below. Each row
/// shares the figure's width among its own panels, so a row with fewer networks has wider panels
/// rather than empty cells.
func drawGradientFlow(trained: [GradientProfile], untrained: [GradientProfile], to url: URL) throws {
    let rows = [("trained", trained), ("untrained", untrained)].filter { !$0.1.isEmpty }
    let columns = rows.map(\.1.count).max() ?? 1
    let figure = Figure(width: 4.6 * Double(columns), height: 10)
    let axes = figure.subplots(perRow: rows.map(\.1.count))
    var index = 0
    for (state, profiles) in rows {
        for p in profiles {
            let ax = axes[index]
            index += 1
            let weightIndex = p.all.indices.filter { p.all[$0].kind != .batchNormScale }
            let scaleIndex = p.all.indices.filter { p.all[$0].kind == .batchNormScale }
            ax.bar(weightIndex.map(Double.init), weightIndex.map { p.all[$0].norm }, label: "conv / linear weight",
                   color: p.color, alpha: 0.7)
            if !scaleIndex.isEmpty {
                ax.bar(scaleIndex.map(Double.init), scaleIndex.map { p.all[$0].norm }, label: "BatchNorm scale (γ)",
                       color: .gray, alpha: 0.5)
            }
            ax.setXLabel("Layer (deeper →)")
            ax.setYLabel("Gradient Norm")
            ax.setTitle("\(p.name) (\(state)): Gradient Magnitudes")
            ax.setYScale(.log)
            ax.grid(axis: .y, alpha: 0.3)
            // Like matplotlib's axhline, the line widens the automatic y range, so it is always drawn.
            ax.axhline(GradientProfile.threshold, color: .red, lineStyle: .dashed, label: "Very small gradient")
            ax.legend()
        }
    }
    figure.suptitle("Gradient Flow Comparison")
    try figure.savefig(url.path)
}

/// Says what the measured numbers show, network by network, and how they bear on the original's claims.
/// Returns whether BatchNorm removed VGG-16's vanishing (nil when VGG-16 was not measured).
func narrate(trained: [GradientProfile], untrained: [GradientProfile], lesson: Narrator) -> Bool? {
    func find(_ list: [GradientProfile], _ name: String) -> GradientProfile? { list.first { $0.name == name } }

    for (label, list) in [("Trained", trained), ("At initialisation", untrained)] {
        lesson.say("\n\(label):")
        for p in list {
            var text = "- \(p.name): the first convolution gets \(Format.sci(p.convs.first!.norm)), the last \(Format.sci(p.convs.last!.norm)) "
                + "(ratio \(Format.sci(p.firstToLastConv))); "
            text += p.underThreshold == 0 ? "no weight falls under 1e-5."
                : "\(p.underThreshold) of \(p.all.count) weights fall under 1e-5 (\(p.convUnderThreshold) of \(p.convs.count) convolutions)."
            lesson.say(text)
        }
    }

    // PlainNet and ResNet-18: does the gradient shrink towards the input, and how evenly is it spread?
    lesson.say("")
    for (when, list) in [("trained", trained), ("untrained", untrained)] {
        guard let plain = find(list, "PlainNet"), let resnet = find(list, "ResNet-18") else { continue }
        lesson.say(Exercise5Verdicts.flowSentence(name: "PlainNet (\(when))", firstToLast: plain.firstToLastConv, convsUnderSmall: plain.convUnderThreshold))
        lesson.say("  " + Exercise5Verdicts.spreadSentence(when: when, resnetSpread: resnet.convSpread, plainSpread: plain.convSpread))
        if let control = find(list, "Plain18") {
            lesson.say("  " + Exercise5Verdicts.flowSentence(name: "Plain18 (\(when)), the same 17 convolutions as ResNet-18 without shortcuts",
                                                             firstToLast: control.firstToLastConv, convsUnderSmall: control.convUnderThreshold)
                       + " ResNet-18's ratio: \(Format.sci(resnet.firstToLastConv)).")
        }
    }

    // VGG-16 without and with BatchNorm: what the original meant to show, and what BatchNorm changes.
    guard let vgg = find(untrained, "VGG-16"), let vggBN = find(untrained, "VGG-16 + BN") else { return nil }
    lesson.say("")
    lesson.say(Exercise5Verdicts.flowSentence(name: "VGG-16 without BatchNorm (untrained)", firstToLast: vgg.firstToLastConv, convsUnderSmall: vgg.convUnderThreshold)
               + " \(vgg.underThreshold) of its \(vgg.all.count) weights lie under \(Format.sci(GradientProfile.threshold)).")
    let arguments = (vggFirst: vgg.convs.first!.norm, vggBNFirst: vggBN.convs.first!.norm,
                     vggVanishes: vgg.flow == .vanishes, vggBNVanishes: vggBN.flow == .vanishes)
    lesson.say(Exercise5Verdicts.batchNormSentence(vggFirst: arguments.vggFirst, vggBNFirst: arguments.vggBNFirst,
                                                   vggVanishes: arguments.vggVanishes, vggBNVanishes: arguments.vggBNVanishes)
               + " (ratio to the last convolution \(Format.sci(vggBN.firstToLastConv)) with BatchNorm.)")
    return Exercise5Verdicts.batchNormRescues(vggFirst: arguments.vggFirst, vggBNFirst: arguments.vggBNFirst,
                                              vggVanishes: arguments.vggVanishes, vggBNVanishes: arguments.vggBNVanishes)
}

/// "VGG-16 + BN" -> "vgg16_bn": a network's name as a results.json key.
func resultKey(_ name: String) -> String {
    name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: " + ", with: "_")
}

/// Every network's measured numbers and flow verdict into results.json.
func record(trained: [GradientProfile], untrained: [GradientProfile], in results: LessonResults) {
    for (state, list) in [("trained", trained), ("untrained", untrained)] {
        for p in list {
            let key = "\(resultKey(p.name))_\(state)"
            results.record("\(key)_first_conv_grad_norm", p.convs.first!.norm)
            results.record("\(key)_last_conv_grad_norm", p.convs.last!.norm)
            results.record("\(key)_first_to_last_conv", p.firstToLastConv)
            results.record("\(key)_weights_under_1e-5", p.underThreshold)
            results.record("\(key)_convs_under_1e-5", p.convUnderThreshold)
            results.record("\(key)_conv_spread_decades", p.convSpread)
            results.record("\(key)_flow", p.flow.rawValue)
            results.verdict("\(key)_vanishes", p.flow == .vanishes)
        }
    }
}

Exercise5.main()
