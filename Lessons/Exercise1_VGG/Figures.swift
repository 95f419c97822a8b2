// The VGG lesson's charts: a fresh network per convolution, the training curves, and what the watch
// measured inside the training steps.

import Charts
import Core
import Foundation
import LessonKit

extension Exercise1 {

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

    func drawCurves(_ outcome: Outcome, others: [(name: String, history: TrainingHistory, checks: [WatchCheck])], batchesPerEpoch: Int,
                    dataset: String, label: String, to url: URL) throws {
        let figure = Figure(width: 14, height: 5)
        let axes = figure.subplots(rows: 1, cols: 2)
        let losses = outcome.history.batchLosses
        let x = losses.indices.map { Double($0 + 1) }
        axes[0].plot(x, losses, color: .lightgray, lineWidth: 0.8)
        axes[0].plot(x, movingAverage(losses), label: "\(label) (this run)", color: .tabBlue, lineWidth: 2)
        let colors: [Color] = [.tabOrange, .tabGreen, .tabPurple, .tabBrown, .tabPink]
        for (index, other) in others.enumerated() {
            let otherLosses = other.history.batchLosses
            axes[0].plot(otherLosses.indices.map { Double($0 + 1) }, movingAverage(otherLosses),
                         label: Variant.label(forCheckpoint: other.name, history: other.history),
                         color: colors[index % colors.count], lineWidth: 1.5, lineStyle: .dashed)
        }
        axes[0].axhline(ln10, color: .red, lineStyle: .dashed, lineWidth: 1, label: "ln 10 = 2.303 (uniform guess)")
        let highest = ([losses.max() ?? ln10] + others.compactMap { $0.history.batchLosses.max() }).max()!
        axes[0].setYLim(nil, min(highest + 0.05, max(3.0, ln10 + 0.3)))
        axes[0].setXLabel("Batch")
        axes[0].setYLabel("Loss")
        axes[0].setTitle("Training Loss")
        axes[0].legend()
        axes[0].grid(alpha: 0.3)

        if !outcome.batchAccuracies.isEmpty {
            axes[1].plot(outcome.batchAccuracies.indices.map { Double($0 + 1) }, movingAverage(outcome.batchAccuracies),
                         label: "training accuracy (20-batch mean)", color: .tabBlue, lineWidth: 2)
        }
        let epochEnds = outcome.history.epochs.map { Double($0.epoch * batchesPerEpoch) }
        axes[1].plot(epochEnds, outcome.history.epochAccuracies, label: "training accuracy of the epoch", color: .tabGreen,
                     marker: .circle, lineStyle: nil)
        if let test = outcome.history.testAccuracy {
            axes[1].axhline(test, color: .tabPurple, lineStyle: .dashed, label: "test accuracy \(Format.fixed(test, 4))")
        }
        axes[1].axhline(0.1, color: .red, lineStyle: .dotted, lineWidth: 1, label: "chance (10%)")
        axes[1].setYLim(0, 1)
        axes[1].setXLabel("Batch")
        axes[1].setYLabel("Accuracy")
        axes[1].setTitle("Training Accuracy")
        axes[1].legend()
        axes[1].grid(alpha: 0.3)
        figure.suptitle("VGG-16 on \(dataset): \(label)")
        try figure.savefig(url.path)
    }

    /// Left: dead-unit fraction of four convolutions over the watched batches (saved variants: conv 9,
    /// dashed). Right: relative update of the first and last convolution (saved variants: the first).
    func drawWatch(_ checks: [WatchCheck], label: String, others: [(name: String, history: TrainingHistory, checks: [WatchCheck])],
                   to url: URL) throws {
        let figure = Figure(width: 14, height: 5)
        let axes = figure.subplots(rows: 1, cols: 2)
        let x = checks.map { Double($0.step) }
        let layerColors: [(Int, Color)] = [(1, .tabBlue), (5, .tabGreen), (watchedLayer, .tabRed), (13, .tabPurple)]
        for (layer, color) in layerColors {
            axes[0].plot(x, checks.map { $0.dead[layer - 1] }, label: "conv \(layer)", color: color, marker: .circle, markerSize: 3, lineWidth: 2)
        }
        axes[1].plot(x, checks.map { max($0.update.first!, 1e-12) }, label: "conv 1", color: .tabBlue, marker: .circle, markerSize: 3, lineWidth: 2)
        axes[1].plot(x, checks.map { max($0.update.last!, 1e-12) }, label: "conv 13", color: .tabPurple, marker: .circle, markerSize: 3, lineWidth: 2)
        let otherColors: [Color] = [.tabOrange, .tabBrown, .tabPink, .tabOlive, .tabCyan]
        for (index, other) in others.filter({ !$0.checks.isEmpty }).enumerated() {
            let name = Variant.label(forCheckpoint: other.name, history: other.history)
            let ox = other.checks.map { Double($0.step) }, color = otherColors[index % otherColors.count]
            axes[0].plot(ox, other.checks.map { $0.dead[watchedLayer - 1] }, label: "conv \(watchedLayer), \(name)", color: color, lineStyle: .dashed)
            axes[1].plot(ox, other.checks.map { max($0.update.first!, 1e-12) }, label: "conv 1, \(name)", color: color, lineStyle: .dashed)
        }
        // The top stays automatic, so the legend can make room above the curves; ticks stop at 1 (a fraction).
        axes[0].setYLim(0, nil)
        axes[0].setYTicks(stride(from: 0.0, through: 1.0, by: 0.2).map { $0 }, labels: ["0%", "20%", "40%", "60%", "80%", "100%"])
        axes[0].setYLabel("Units zero for every image")
        axes[0].setTitle("Dead units after each convolution's ReLU")
        axes[1].setYScale(.log)
        axes[1].setYLabel("||W after - W before|| / ||W before||")
        axes[1].setTitle("How far one step moves the weights")
        for ax in axes {
            ax.setXLabel("Batch")
            ax.legend()
            ax.grid(alpha: 0.3)
        }
        figure.suptitle("Inside the training steps of VGG-16: \(label)")
        try figure.savefig(url.path)
    }
}
