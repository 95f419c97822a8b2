import Charts
import Core
import Foundation

/// Error analysis and "what the network sees", for any trained classifier of the lessons:
/// a confusion matrix, the most confidently misclassified test images, and the first convolution
/// layer's feature maps. Each function writes one PNG and returns the numbers narration needs.
///
/// In a lesson, after training (`model` trained, `data` the lesson's `LessonData`):
///
///     let report = try Inspection.inspect(model: model, name: "ResNet-18", dataset: data.test,
///                                         folder: lesson.folder, filePrefix: "resnet18_")
///     lesson.chart(report.confusionChart, caption: "Confusion matrix of ResNet-18 on the test set")
///     lesson.chart(report.mistakesChart, caption: "The test images ResNet-18 gets wrong most confidently")
///     lesson.say(report.narration)
///
/// For VGG and ResNet side by side, call `featureMaps(models:dataset:imageIndex:to:)` with both.
/// All functions put the model in evaluation mode and run without gradients; they leave it in
/// evaluation mode. Class names come from `dataset.kind.classNames` (digits for MNIST,
/// "T-shirt/top", "Trouser", ... for Fashion-MNIST).
public enum Inspection {
    /// The model's prediction for every image of a dataset, in order.
    public struct Predictions {
        public let labels: [Int]
        public let predicted: [Int]
        /// Softmax probability of the predicted class.
        public let confidence: [Double]
        public let classNames: [String]
        public var correct: Int { zip(labels, predicted).filter { $0 == $1 }.count }
        public var accuracy: Double { labels.isEmpty ? 0 : Double(correct) / Double(labels.count) }
    }

    /// Runs the model on every image of `dataset` (evaluation mode, no gradients, batches of 256).
    public static func predict(model: any Module, dataset: MNISTDataset) -> Predictions {
        let evaluation = Evaluation.run(model: model, dataset: dataset, batchSize: 256, keepLogits: true)
        var confidence: [Double] = []
        if let logits = evaluation.logits {
            let classes = logits.shape[1]
            let values = logits.scalars
            for row in 0..<logits.shape[0] {
                let slice = values[(row * classes)..<((row + 1) * classes)].map(Double.init)
                let top = slice.max() ?? 0
                let total = slice.reduce(0) { $0 + Foundation.exp($1 - top) }
                confidence.append(1 / total)          // exp(top - top) / sum
            }
        }
        return Predictions(labels: evaluation.labels, predicted: evaluation.predictions, confidence: confidence,
                           classNames: names(for: dataset.kind, classes: 10))
    }

    /// A trained model's predicted class for every image of `test`: the ones `history` saved at the
    /// end of training (the numbers behind its test accuracy) when it holds them for every image, else
    /// a fresh pass over the test set (histories written before predictions were saved).
    public static func testPredictions(of model: any Module, history: TrainingHistory, test: MNISTDataset) -> [Int] {
        if let saved = history.testPredictions, saved.count == test.count { return saved }
        return predict(model: model, dataset: test).predicted
    }

    // MARK: - Confusion matrix

    /// What `confusionMatrix` found.
    public struct Confusion {
        /// `matrix[true][predicted]` counts.
        public let matrix: [[Int]]
        public let classNames: [String]
        public let accuracy: Double
        /// Accuracy of each true class (recall).
        public var perClassAccuracy: [Double] {
            matrix.enumerated().map { index, row in
                let total = row.reduce(0, +)
                return total == 0 ? 0 : Double(row[index]) / Double(total)
            }
        }
        /// The off-diagonal cells, largest first: (true class, predicted class, count).
        public var topConfusions: [(trueClass: Int, predicted: Int, count: Int)] {
            var cells: [(Int, Int, Int)] = []
            for (t, row) in matrix.enumerated() { for (p, n) in row.enumerated() where t != p && n > 0 { cells.append((t, p, n)) } }
            return cells.sorted { $0.2 > $1.2 }.map { (trueClass: $0.0, predicted: $0.1, count: $0.2) }
        }
        /// Two sentences: accuracy, weakest class, most frequent confusion.
        public var narration: String {
            let recall = perClassAccuracy
            var text = "Test accuracy \(Format.fixed(100 * accuracy, 2))%."
            if let worst = recall.indices.min(by: { recall[$0] < recall[$1] }) {
                text += " The weakest class is \(classNames[worst]) (\(Format.fixed(100 * recall[worst], 1))% recognised)"
                if let best = recall.indices.max(by: { recall[$0] < recall[$1] }) {
                    text += ", the strongest \(classNames[best]) (\(Format.fixed(100 * recall[best], 1))%)"
                }
                text += "."
            }
            if let top = topConfusions.first {
                text += " The most frequent mistake: \(classNames[top.trueClass]) taken for \(classNames[top.predicted]), "
                    + "\(top.count) time\(top.count == 1 ? "" : "s")."
            }
            return text
        }
    }

    /// Counts `matrix[true][predicted]` from predictions (no drawing).
    public static func confusion(_ predictions: Predictions) -> Confusion {
        let classes = predictions.classNames.count
        var matrix = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (t, p) in zip(predictions.labels, predictions.predicted) where t < classes && p < classes { matrix[t][p] += 1 }
        return Confusion(matrix: matrix, classNames: predictions.classNames, accuracy: predictions.accuracy)
    }

    /// The confusion matrix as a heatmap with the count in every cell (rows: true class, columns:
    /// predicted class), written to `url`.
    @discardableResult
    public static func confusionMatrix(_ predictions: Predictions, title: String, to url: URL) throws -> Confusion {
        let result = confusion(predictions)
        let figure = Figure(width: 9, height: 8)
        let axes = figure.singleAxes()
        axes.imshow(result.matrix.map { $0.map(Double.init) }, colormap: .blues, colorbar: true, annotationFormat: "%.0f")
        let ticks = result.classNames.indices.map(Double.init)
        axes.setXTicks(ticks, labels: result.classNames.map(shortName))
        axes.setYTicks(ticks, labels: result.classNames)
        axes.setXLabel("Predicted class")
        axes.setYLabel("True class")
        axes.setTitle("\(title): \(Format.thousands(predictions.labels.count)) test images, accuracy \(Format.fixed(100 * result.accuracy, 2))%")
        try figure.savefig(url.path)
        return result
    }

    /// Runs the model on `dataset` and draws its confusion matrix.
    @discardableResult
    public static func confusionMatrix(model: any Module, name: String, dataset: MNISTDataset, to url: URL) throws -> Confusion {
        try confusionMatrix(predict(model: model, dataset: dataset), title: name, to: url)
    }

    // MARK: - Most confident mistakes

    /// One misclassified image.
    public struct Mistake {
        /// Index in the dataset.
        public let index: Int
        public let trueClass: Int, predicted: Int
        /// Softmax probability the model gave its (wrong) prediction.
        public let confidence: Double
    }

    /// The misclassified images the model was surest about, most confident first.
    public static func mostConfidentMistakes(_ predictions: Predictions, count: Int = 16) -> [Mistake] {
        predictions.labels.indices
            .filter { predictions.labels[$0] != predictions.predicted[$0] }
            .map { Mistake(index: $0, trueClass: predictions.labels[$0], predicted: predictions.predicted[$0],
                           confidence: predictions.confidence[$0]) }
            .sorted { $0.confidence > $1.confidence }
            .prefix(count).map { $0 }
    }

    /// A grid of the `count` most confidently misclassified images of `dataset`, each titled with its
    /// true and predicted class and the confidence, written to `url`. Returns them (empty when the
    /// model makes no mistake; then no file is written).
    @discardableResult
    public static func mistakesGrid(_ predictions: Predictions, dataset: MNISTDataset, title: String,
                                    count: Int = 16, to url: URL) throws -> [Mistake] {
        let mistakes = mostConfidentMistakes(predictions, count: count)
        guard !mistakes.isEmpty else { return [] }
        let cols = min(4, mistakes.count), rows = (mistakes.count + cols - 1) / cols
        let figure = Figure(width: 3.0 * Double(cols), height: 3.0 * Double(rows) + 0.6)
        let axes = figure.subplots(rows: rows, cols: cols)
        let side = dataset.sampleShape.last ?? 32
        for (slot, ax) in axes.enumerated() {
            ax.setAxisOff()
            guard slot < mistakes.count else { continue }
            let m = mistakes[slot]
            ax.imshow(pixels(of: dataset, m.index), rows: dataset.sampleSize / side, cols: side, colormap: .gray)
            // One line (titles do not wrap): true -> predicted, confidence.
            ax.setTitle("\(shortName(predictions.classNames[m.trueClass])) → \(shortName(predictions.classNames[m.predicted])) "
                        + "\(Format.fixed(100 * m.confidence, 1))%")
        }
        let wrong = predictions.labels.count - predictions.correct
        figure.suptitle("\(title): the \(mistakes.count) surest of \(Format.thousands(wrong)) mistakes (true → predicted, confidence)")
        try figure.savefig(url.path)
        return mistakes
    }

    // MARK: - Feature maps

    /// What `featureMaps` drew for one model.
    public struct FeatureMaps {
        public let modelName: String
        /// Dotted name of the first convolution (`conv1`, `features.0.0`).
        public let layerName: String
        /// Its output shape for the one image, `[1, C, H, W]`.
        public let shape: [Int]
        /// Channels whose map is zero everywhere after ReLU (dead for this image).
        public let inactiveChannels: Int
    }

    /// The first convolution layer's output (before BatchNorm, after a ReLU so it shows what passes on)
    /// for one image, for each model side by side: a column per model with the image on top and up
    /// to `maps` channels in a grid below. Written to `url`.
    ///
    /// - Parameters:
    ///   - models: (name, model) pairs, e.g. `[("VGG-16", vgg), ("ResNet-18", resnet)]`.
    ///   - imageIndex: which image of `dataset` (the first of each class is a good pick).
    @discardableResult
    public static func featureMaps(models: [(name: String, model: any Module)], dataset: MNISTDataset,
                                   imageIndex: Int = 0, maps: Int = 16, to url: URL) throws -> [FeatureMaps] {
        guard imageIndex >= 0, imageIndex < dataset.count else {
            throw CoreError("image \(imageIndex) is outside the dataset (0..<\(dataset.count))")
        }
        let (image, labels) = dataset.gather([imageIndex])
        var results: [FeatureMaps] = []
        var outputs: [(name: String, maps: [[Double]], side: Int)] = []
        for (name, model) in models {
            guard let (layerName, conv) = model.namedModules().lazy
                .compactMap({ item in (item.module as? Conv2d).map { (item.name, $0) } }).first else {
                throw CoreError("\(name) has no convolution layer to show")
            }
            model.eval()
            let out = noGrad { relu(conv(image)) }
            let channels = out.shape[1], h = out.shape[2], w = out.shape[3]
            let values = out.scalars.map(Double.init)
            let perChannel = (0..<channels).map { Array(values[($0 * h * w)..<(($0 + 1) * h * w)]) }
            results.append(FeatureMaps(modelName: name, layerName: layerName, shape: out.shape,
                                       inactiveChannels: perChannel.filter { $0.allSatisfy { $0 == 0 } }.count))
            outputs.append((name, Array(perChannel.prefix(maps)), w))
        }
        let grid = Int(Double(maps).squareRoot().rounded(.up))
        let rows = 1 + grid, cols = grid * max(1, outputs.count)
        let figure = Figure(width: max(8, 1.5 * Double(cols)), height: 1.5 * Double(rows) + 0.8)
        let axes = figure.subplots(rows: rows, cols: cols)
        for ax in axes { ax.setAxisOff() }
        let side = dataset.sampleShape.last ?? 32
        let className = names(for: dataset.kind, classes: 10)[labels[0]]
        for (m, output) in outputs.enumerated() {
            let left = m * grid
            axes[left].imshow(image.scalars.map(Double.init), rows: dataset.sampleSize / side, cols: side, colormap: .gray)
            axes[left].setTitle("\(output.name): \(results[m].layerName)")
            for (k, map) in output.maps.enumerated() {
                let ax = axes[(1 + k / grid) * cols + left + k % grid]
                ax.imshow(map, rows: map.count / output.side, cols: output.side, colormap: .viridis)
                ax.setTitle("channel \(k)")
            }
        }
        figure.suptitle(outputs.count == 1
                        ? "\(outputs[0].name): first convolution after ReLU, one \(className)"
                        : "First convolution after ReLU, one \(className): " + outputs.map(\.name).joined(separator: " vs "))
        try figure.savefig(url.path)
        return results
    }

    // MARK: - All at once

    /// What `inspect` wrote and found.
    public struct Report {
        public let predictions: Predictions
        public let confusion: Confusion
        public let mistakes: [Mistake]
        public let featureMaps: [FeatureMaps]
        public let confusionChart: URL
        /// nil when the model made no mistake.
        public let mistakesChart: URL?
        public let featureMapsChart: URL
        /// A paragraph for the lesson to say.
        public var narration: String {
            var text = confusion.narration
            if let surest = mistakes.first {
                let sure = mistakes.filter { $0.confidence > 0.9 }.count
                text += " Of its \(Format.thousands(predictions.labels.count - predictions.correct)) mistakes, "
                    + "\(sure) were made with more than 90% confidence; the surest was "
                    + "\(Format.withArticle(confusion.classNames[surest.trueClass])) called \(confusion.classNames[surest.predicted]) "
                    + "at \(Format.fixed(100 * surest.confidence, 1))%."
            } else {
                text += " It classified every test image correctly."
            }
            if let maps = featureMaps.first {
                text += " Its first convolution (\(maps.layerName)) turns the image into \(maps.shape[1]) maps of "
                    + "\(maps.shape[2])x\(maps.shape[3]); \(maps.inactiveChannels) of them are all zero after ReLU for this image."
            }
            return text
        }
    }

    /// Predictions on `dataset`, then the three charts in `folder`: `<prefix>confusion_matrix.png`,
    /// `<prefix>confident_mistakes.png`, `<prefix>feature_maps.png` (this model alone; use
    /// `featureMaps(models:...)` for several side by side). `ModelTool inspect` calls this.
    public static func inspect(model: any Module, name: String, dataset: MNISTDataset, folder: URL,
                               filePrefix: String = "", imageIndex: Int = 0) throws -> Report {
        let predictions = predict(model: model, dataset: dataset)
        let confusionURL = folder.appendingPathComponent("\(filePrefix)confusion_matrix.png")
        let mistakesURL = folder.appendingPathComponent("\(filePrefix)confident_mistakes.png")
        let mapsURL = folder.appendingPathComponent("\(filePrefix)feature_maps.png")
        let confusion = try confusionMatrix(predictions, title: name, to: confusionURL)
        let mistakes = try mistakesGrid(predictions, dataset: dataset, title: name, to: mistakesURL)
        let maps = try featureMaps(models: [(name, model)], dataset: dataset, imageIndex: imageIndex, to: mapsURL)
        return Report(predictions: predictions, confusion: confusion, mistakes: mistakes, featureMaps: maps,
                      confusionChart: confusionURL, mistakesChart: mistakes.isEmpty ? nil : mistakesURL,
                      featureMapsChart: mapsURL)
    }

    // MARK: - Helpers

    static func names(for kind: DatasetKind, classes: Int) -> [String] {
        let names = kind.classNames
        return names.count == classes ? names : (0..<classes).map(String.init)
    }

    /// Short labels for the x axis, where long names would collide.
    static func shortName(_ name: String) -> String {
        switch name {
        case "T-shirt/top": return "T-shirt"
        case "Ankle boot": return "Boot"
        default: return name
        }
    }

    static func pixels(of dataset: MNISTDataset, _ index: Int) -> [Double] {
        let size = dataset.sampleSize
        return (0..<size).map { Double(dataset.images.data[index * size + $0]) }
    }
}

// MARK: - In a lesson

extension Narrator {
    /// The closing look at a trained network, shared by the lessons that train one: where it goes
    /// wrong (confusion matrix), how sure it is when it does (the most confident mistakes) and what
    /// its first layer does to one test image (feature maps). Charts are written to this lesson's
    /// folder as `<prefix>confusion_matrix.png`, `<prefix>confident_mistakes.png` and
    /// `<prefix>feature_maps.png`; the narration quotes this run's counts.
    @discardableResult
    public func errorAnalysis(model: any Module, name: String, test: MNISTDataset, filePrefix: String) throws
        -> Inspection.Report {
        let report = try Inspection.inspect(model: model, name: name, dataset: test, folder: folder, filePrefix: filePrefix)
        say("""
        \(name) classified the \(Format.thousands(report.predictions.labels.count)) test images it was \
        evaluated on; the charts below count where it went wrong.
        """)
        chart(report.confusionChart,
              caption: "\(name): confusion matrix on the test images (rows: true class, columns: predicted)")
        if let mistakes = report.mistakesChart {
            chart(mistakes, caption: "\(name): the test images it got wrong with the highest confidence")
        }
        chart(report.featureMapsChart, caption: "\(name): the first convolution's output (after ReLU) for one test image")
        say(report.narration)
        return report
    }
}
