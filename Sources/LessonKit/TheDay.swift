import Foundation
import Core

/// One lesson of the day, as `AllLessons` runs it.
public struct DayLesson: Sendable {
    /// Executable and folder name ("Exercise3_ResNet18").
    public let name: String
    /// Heading in the plan and the index ("Exercise 3: ResNet-18").
    public let title: String
    /// Whether it takes the training flags (--quick, --dataset, --epochs, --plan-only ...).
    public let trains: Bool
    /// Whether it takes --epochs, --seeds and --resume (DepthStudy counts iterations and does not resume).
    public let resumable: Bool
    /// The dataset it uses when --dataset is not given.
    public let defaultDataset: DatasetChoice

    /// The order of the original lesson: Exercises 1 to 5, the Mini-Challenge, then the depth study.
    public static let day: [DayLesson] = [
        DayLesson(name: "Exercise1_VGG", title: "Exercise 1: VGG", trains: true, resumable: true, defaultDataset: .mnist),
        DayLesson(name: "Exercise2_Residual", title: "Exercise 2: residual blocks", trains: false, resumable: false, defaultDataset: .mnist),
        DayLesson(name: "Exercise3_ResNet18", title: "Exercise 3: ResNet-18", trains: true, resumable: true, defaultDataset: .mnist),
        DayLesson(name: "Exercise4_PlainVsResidual", title: "Exercise 4: plain vs residual", trains: true, resumable: true, defaultDataset: .mnist),
        DayLesson(name: "Exercise5_GradientFlow", title: "Exercise 5: gradient flow", trains: true, resumable: true, defaultDataset: .mnist),
        DayLesson(name: "MiniChallenge", title: "Mini-Challenge: a deeper ResNet", trains: true, resumable: true, defaultDataset: .mnist),
        DayLesson(name: "DepthStudy", title: "Depth study: the degradation problem", trains: true, resumable: false, defaultDataset: .fashionMnist),
    ]

    /// The flags passed on to this lesson: the shared ones it takes. `resume` only while an
    /// interrupted run is waiting (a lesson refuses --resume when there is nothing to resume).
    public func arguments(_ common: RunOptions, _ training: TrainingOptions, resume: Bool) -> [String] {
        var flags = ["--seed", String(common.seed), "--threads", String(common.threads), "--output", common.output]
        guard trains else { return flags }
        if let dataset = training.datasetFlag { flags += ["--dataset", dataset.rawValue] }
        if let dataDir = training.dataDir { flags += ["--data-dir", dataDir] }
        if let batchSize = training.batchSizeFlag { flags += ["--batch-size", String(batchSize)] }
        flags += ["--lr", String(training.lr)]
        if training.quick { flags.append("--quick") }
        guard resumable else { return flags }
        if let epochs = training.epochs { flags += ["--epochs", String(epochs)] }
        if training.seeds != 1 { flags += ["--seeds", String(training.seeds)] }
        if resume { flags.append("--resume") }
        return flags
    }

    /// This run's folder for the lesson's report and charts, under `output`.
    public func folder(output: URL, dataset: DatasetChoice?, quick: Bool) -> URL {
        let base = output.appendingPathComponent(name, isDirectory: true)
        guard trains, let variant = TrainingOptions.variantFolder(dataset: dataset ?? defaultDataset, quick: quick,
                                                                  defaultDataset: defaultDataset) else { return base }
        return base.appendingPathComponent(variant, isDirectory: true)
    }
}

/// The day's plan: each lesson's networks, with those an earlier lesson of the day trains counted
/// as reused (Exercise 4 reuses the ResNet-18 that Exercise 3 trains a moment before).
public struct DayPlan {
    public struct Step {
        public let lesson: DayLesson
        public let entries: [PlanEntry]
        /// Networks trained by an earlier lesson of the day: stem -> that lesson's title.
        public let trainedEarlier: [String: String]
        /// Seconds of the lesson's other work (narration, evaluation, charts) the last time it ran
        /// here, if it did.
        public let otherWork: Double?

        /// Expected training seconds.
        public var seconds: Double { entries.filter { $0.trains && trainedEarlier[$0.stem] == nil }.reduce(0) { $0 + $1.seconds } }
        /// Expected seconds in all: training and, when known, the other work.
        public var totalSeconds: Double { seconds + (otherWork ?? 0) }
    }

    public let steps: [Step]

    /// `otherWork`: seconds by lesson name, from `DayTimes`.
    public init(_ plans: [(DayLesson, [PlanEntry])], otherWork: [String: Double] = [:]) {
        var trainedBy: [String: String] = [:]
        steps = plans.map { lesson, entries in
            var earlier: [String: String] = [:]
            for entry in entries where entry.trains {
                if let other = trainedBy[entry.stem] { earlier[entry.stem] = other } else { trainedBy[entry.stem] = lesson.title }
            }
            return Step(lesson: lesson, entries: entries, trainedEarlier: earlier, otherWork: otherWork[lesson.name])
        }
    }

    public var trainingSeconds: Double { steps.reduce(0) { $0 + $1.seconds } }
    public var totalSeconds: Double { steps.reduce(0) { $0 + $1.totalSeconds } }
    /// Whether every lesson's other work is known from an earlier run here.
    public var otherWorkKnown: Bool { steps.allSatisfy { $0.otherWork != nil } }

    /// One line per lesson: what it trains and reuses and the expected training time.
    public func lines() -> [String] {
        steps.enumerated().map { index, step in
            let head = "  \(index + 1). \(step.lesson.name.padding(toLength: 26, withPad: " ", startingAt: 0))"
            let other = step.otherWork.map { " + \(Format.duration($0)) of other work (last run here)" } ?? ""
            guard step.lesson.trains else { return head + (step.otherWork.map { "no training; \(Format.duration($0)) last time" } ?? "no training") }
            var parts: [String] = []
            for entry in step.entries {
                if let other = step.trainedEarlier[entry.stem] {
                    parts.append("reuses \(entry.displayName) (from \(other))")
                } else if entry.trains {
                    parts.append("trains \(entry.displayName) (\(Format.duration(entry.seconds)))")
                } else {
                    parts.append("reuses \(entry.displayName) (saved)")
                }
            }
            let time = step.seconds > 0 ? "about \(Format.duration(step.seconds)) of training" : "nothing to train"
            return head + time + other + ": " + parts.joined(separator: ", ")
        }
    }
}

/// `index.md`: the day's contents page, one section per lesson with its takeaway and key numbers
/// (from the `results.json` beside its report), and links to its report and charts.
public enum DayIndex {
    public static func markdown(output: URL, lessons: [DayLesson], dataset: DatasetChoice?, quick: Bool) -> String {
        var text = ["# Day 13: Modern Architectures, VGG & ResNet", "",
                    "The lessons in the order of the original lesson. Each section gives the takeaway and the key numbers "
                    + "of its latest run in this folder (from `results.json` beside its report), and links to its report and charts."
                    + (quick ? " These are the quick versions (`--quick`)." : ""), ""]
        for lesson in lessons { text += section(lesson, output: output, dataset: dataset, quick: quick) }
        return text.joined(separator: "\n")
    }

    static func section(_ lesson: DayLesson, output: URL, dataset: DatasetChoice?, quick: Bool) -> [String] {
        let folder = lesson.folder(output: output, dataset: dataset, quick: quick)
        var text = ["## \(lesson.title)", ""]
        let report = folder.appendingPathComponent("report.md")
        guard FileManager.default.fileExists(atPath: report.path) else {
            text += ["Not run yet with these settings (no \(relative(report, to: output))).", ""]
            return text + otherRuns(lesson, output: output, except: folder)
        }
        text += results(in: folder, output: output)
        text.append("Report: [\(relative(report, to: output))](\(relative(report, to: output)))")
        let charts = pngs(in: folder)
        if !charts.isEmpty {
            text.append("")
            text.append("Charts: " + charts.map { "[\($0.lastPathComponent)](\(relative($0, to: output)))" }.joined(separator: ", "))
        }
        text.append("")
        return text + otherRuns(lesson, output: output, except: folder)
    }

    /// The takeaway and up to eight numbers from results.json, or a sentence saying it is missing.
    static func results(in folder: URL, output: URL) -> [String] {
        let url = folder.appendingPathComponent("results.json")
        struct File: Decodable { let numbers: [String: ResultValue]?; let takeaway: String? }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return ["No results.json beside the report (\(relative(url, to: output))): the takeaway is in the report.", ""]
        }
        guard let file = try? JSONDecoder().decode(File.self, from: data) else {
            return ["\(relative(url, to: output)) cannot be read as the lesson's results; see the report.", ""]
        }
        var text = ["**Takeaway:** " + (file.takeaway ?? "this run recorded no takeaway (see the report)."), ""]
        let numbers = (file.numbers ?? [:]).sorted { $0.key < $1.key }
        for (key, value) in numbers.prefix(8) { text.append("- `\(key)`: \(describe(value))") }
        if numbers.count > 8 { text.append("- ... and \(numbers.count - 8) more in \(relative(url, to: output))") }
        if !numbers.isEmpty { text.append("") }
        return text
    }

    static func describe(_ value: ResultValue) -> String {
        switch value {
        case .number(let x): return x.isFinite ? String(format: "%.4g", x) : "not measurable"
        case .integer(let n): return Format.thousands(n)
        case .text(let s): return s
        case .flag(let b): return b ? "yes" : "no"
        case .list(let values): return values.count > 8 ? "\(values.count) values" : "[" + values.map(describe).joined(separator: ", ") + "]"
        case .object(let values): return "\(values.count) entries"
        }
    }

    /// Links to the lesson's runs on other datasets or presets that exist beside this one.
    static func otherRuns(_ lesson: DayLesson, output: URL, except folder: URL) -> [String] {
        let base = output.appendingPathComponent(lesson.name, isDirectory: true)
        let subfolders = ((try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []).sorted()
            .map { base.appendingPathComponent($0, isDirectory: true) }
        let runs = ([base] + subfolders).filter {
            $0.standardizedFileURL.path != folder.standardizedFileURL.path
                && FileManager.default.fileExists(atPath: $0.appendingPathComponent("report.md").path)
        }
        guard !runs.isEmpty else { return [] }
        let links = runs.map { run -> String in
            let label = run.path == base.path ? "default" : run.lastPathComponent
            return "[\(label)](\(relative(run.appendingPathComponent("report.md"), to: output)))"
        }
        return ["Other runs of this lesson: " + links.joined(separator: ", "), ""]
    }

    static func pngs(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".png") }.sorted().map { folder.appendingPathComponent($0) }
    }

    static func relative(_ url: URL, to output: URL) -> String {
        let root = output.standardizedFileURL.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
    }
}

/// How long each lesson's work other than training took the last time `AllLessons` ran it here
/// (its wall time minus the training its plan expected), by lesson and run folder, kept in
/// `<output>/checkpoints/lesson-times.json`; the next plan adds it to the measured training time.
public struct DayTimes: Codable, Equatable {
    /// Seconds of narration, evaluation and charts, keyed "Exercise3_ResNet18/quick".
    public var otherWork: [String: Double] = [:]

    public init() {}

    public static func url(output: URL) -> URL {
        ResumeState.checkpointsFolder(output: output).appendingPathComponent("lesson-times.json")
    }

    /// The saved times, or none when there is no file or it cannot be read (they are only an estimate).
    public static func load(output: URL) -> DayTimes {
        guard let data = FileManager.default.contents(atPath: url(output: output).path),
              let times = try? JSONDecoder().decode(DayTimes.self, from: data) else { return DayTimes() }
        return times
    }

    public func save(output: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: ResumeState.checkpointsFolder(output: output), withIntermediateDirectories: true)
        try AtomicFile.write(try encoder.encode(self), to: DayTimes.url(output: output).path)
    }

    public static func key(_ lesson: DayLesson, dataset: DatasetChoice?, quick: Bool) -> String {
        let base = URL(fileURLWithPath: "/", isDirectory: true)
        return String(lesson.folder(output: base, dataset: dataset, quick: quick).path.dropFirst())
    }

    /// Records a lesson's wall time, less the training its plan expected.
    public mutating func record(_ lesson: DayLesson, dataset: DatasetChoice?, quick: Bool, wallSeconds: Double, trainingSeconds: Double) {
        otherWork[DayTimes.key(lesson, dataset: dataset, quick: quick)] = max(0, wallSeconds - trainingSeconds)
    }
}
