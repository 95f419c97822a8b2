import Foundation
import Core

/// Tells the lesson: every line goes to the console and, as Markdown, into
/// `output/<Lesson>/report.md`, a notebook of the run with its charts embedded.
public final class Narrator {
    public let lessonName: String
    /// Folder of this lesson's files: `<output>/<Lesson>/`.
    public let folder: URL
    /// The numbers and verdicts of this run, written as `results.json` beside the report.
    public let results = LessonResults()
    private var markdown: [String] = []

    /// `variant`: the subfolder of this run's dataset and preset ("fashion-mnist", "quick"), if any.
    public init(lesson: String, output: URL, variant: String? = nil) {
        lessonName = lesson
        let lessonFolder = output.appendingPathComponent(lesson, isDirectory: true)
        folder = variant.map { lessonFolder.appendingPathComponent($0, isDirectory: true) } ?? lessonFolder
    }

    /// Prints and flushes at once, so narration piped to a file or CI log (`| tee log.txt`) arrives as
    /// it is said. (`fflush(nil)` flushes every output stream: C's `stdout` is a global that Swift 6
    /// will not let a function read.)
    private func emit(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// A banner like the original lesson's `=====` headings.
    public func title(_ text: String) {
        emit("\n" + String(repeating: "=", count: 70))
        emit(text)
        emit(String(repeating: "=", count: 70))
        markdown.append("# \(text)\n")
    }

    /// A numbered section heading.
    public func section(_ text: String) {
        emit("\n\(text)")
        emit(String(repeating: "-", count: min(70, text.count)))
        markdown.append("\n## \(text)\n")
    }

    /// Narration: a paragraph of prose.
    public func say(_ text: String = "") {
        emit(text)
        markdown.append(text.isEmpty ? "" : text + "\n")
    }

    /// Program output shown verbatim (a printed model, a table, numbers in columns).
    public func output(_ text: String) {
        emit(text)
        markdown.append("```\n\(text)\n```\n")
    }

    /// A chart the lesson wrote: named on the console, embedded in the report.
    public func chart(_ url: URL, caption: String) {
        emit("Chart written: \(displayPath(url))  (\(caption))")
        let relative = url.path.hasPrefix(folder.path + "/") ? String(url.path.dropFirst(folder.path.count + 1))
                                                               : url.path
        markdown.append("![\(caption)](\(relative))\n\n*\(caption)*\n")
    }

    /// Where a chart of this lesson goes.
    public func chartURL(_ fileName: String) -> URL { folder.appendingPathComponent(fileName) }

    /// Writes report.md and results.json (each atomically) and says where they are.
    public func writeReport() throws {
        let url = folder.appendingPathComponent("report.md")
        try AtomicFile.write(Data(markdown.joined(separator: "\n").utf8), to: url.path)
        let resultsURL = folder.appendingPathComponent("results.json")
        try AtomicFile.write(try results.json(lesson: lessonName), to: resultsURL.path)
        emit("\nReport written: \(displayPath(url)) (numbers and verdicts in \(displayPath(resultsURL)))")
    }

    /// A path relative to the working directory when it lies below it.
    public func displayPath(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return url.path.hasPrefix(cwd) ? String(url.path.dropFirst(cwd.count)) : url.path
    }
}

extension Narrator {
    /// What a lesson's written-out training step measured: the loss on its images before the step
    /// and after it, said and recorded (`one_step_loss`).
    public func reportOneStep(network: String, images: Int, lossBefore: Float, lossAfter: Float) {
        say("""
        One training step is five lines (forward, loss, zero the gradients, backward, optimiser step; see \
        this lesson's main.swift). Taken once on a fresh \(network) and the first \(images) training images: \
        the loss on those images was \(Format.fixed(Double(lossBefore), 4)) before the step and \(Format.fixed(Double(lossAfter), 4)) after it.
        The trainer repeats that step for every batch of every epoch.
        """)
        results.record("one_step_loss", [Double(lossBefore), Double(lossAfter)])
    }
}
