// The whole day in one command
//
// Day 13, Modern Architectures. Runs every lesson in the order of the original lesson (Exercises 1
// to 5, the Mini-Challenge, then the depth study), each as its own process with the shared flags,
// so that later lessons reuse the networks earlier ones saved under the same --output. Before it
// starts it prints the plan: what each lesson trains or reuses and how long that should take on
// this machine, timed from a few training steps of each network. At the end it writes
// <output>/index.md, the day's contents page.
// Run it with `swift run AllLessons --quick` (minutes) or `swift run AllLessons` (the full day).

import ArgumentParser
import Core
import Foundation
import LessonKit

struct AllLessons: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "AllLessons",
        abstract: "Every lesson of the day in order, with a measured plan first and a contents page (index.md) at the end.",
        discussion: """
        Each lesson runs as its own program (built next to this one by `swift build`), with the shared flags \
        passed on; the networks one lesson saves are reused by the next. Ctrl-C stops the lesson that is \
        training (it saves where it was) and then the day; run the same command with --resume to continue: \
        lessons that completed are reused from their saved runs.

        Examples:
          swift run AllLessons --quick
          swift run AllLessons
          swift run AllLessons --dataset fashion-mnist --quick
          swift run AllLessons --resume          (after Ctrl-C)
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    func run() throws {
        do {
            try runDay()
        } catch let code as ExitCode {
            throw code
        } catch {
            fail("\(error)")
        }
    }

    func runDay() throws {
        _ = try OutputFolder.prepare(common.output, lesson: ".")
        let folder = try binFolder()
        let stops = StopRequests()
        print("Planning the day: timing a few training steps of each network that will be trained...")
        let plan = DayPlan(try DayLesson.day.map { lesson in (lesson, try planEntries(lesson, bin: folder)) })
        print("\nThe day on this machine (\(machineName()), \(common.threads) thread\(common.threads == 1 ? "" : "s")):")
        print(plan.lines().joined(separator: "\n"))
        print("Expected training time: about \(Format.duration(plan.totalSeconds)) in all (timed just now; charts and "
              + "measurements without training add a few minutes).")
        if !training.quick && plan.totalSeconds > PlanSummary.quickHintSeconds {
            print("For the whole day in a few minutes on a subset of the data: \(Interrupt.command(adding: "--quick"))")
        }
        fflush(nil)
        var finished: [(String, Double)] = []
        for (index, step) in plan.steps.enumerated() {
            let lesson = step.lesson
            let expected = step.seconds > 0 ? ", expected about \(Format.duration(step.seconds)) of training" : ""
            print("\n▶ [\(index + 1)/\(plan.steps.count)] \(lesson.name) starts\(expected)")
            fflush(nil)
            let started = Date()
            let status = try stops.run(folder.appendingPathComponent(lesson.name).path, arguments: arguments(for: lesson))
            let seconds = Date().timeIntervalSince(started)
            print("■ [\(index + 1)/\(plan.steps.count)] \(lesson.name) ended after \(Format.duration(seconds)) (\(status.description))")
            fflush(nil)
            guard status.succeeded else {
                try writeIndex()
                throw stop(at: lesson, status: status, stopRequested: stops.requested)
            }
            finished.append((lesson.name, seconds))
        }
        print("\nThe day took " + Format.duration(finished.reduce(0) { $0 + $1.1 }) + ": "
              + finished.map { "\($0.0) \(Format.duration($0.1))" }.joined(separator: ", ") + ".")
        try writeIndex()
    }

    /// The flags for one lesson; --resume only while an interrupted run is waiting in --output.
    func arguments(for lesson: DayLesson) -> [String] {
        let waiting = !ResumeState.files(output: URL(fileURLWithPath: common.output, isDirectory: true)).isEmpty
        return lesson.arguments(common, training, resume: training.resume && waiting)
    }

    /// The lesson's own plan (`--plan-only`): its networks, trained or reused, with measured times.
    func planEntries(_ lesson: DayLesson, bin: URL) throws -> [PlanEntry] {
        guard lesson.trains else { return [] }
        let process = Process()
        process.executableURL = bin.appendingPathComponent(lesson.name)
        process.arguments = arguments(for: lesson) + ["--plan-only"]
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix(PlanSummary.marker) }),
              let plan = try? JSONDecoder().decode(PlanSummary.self, from: Data(line.dropFirst(PlanSummary.marker.count).utf8)) else {
            if process.terminationStatus == 130 { throw ExitCode(130) }
            throw CoreError("\(lesson.name) could not make its plan (exit status \(process.terminationStatus)):\n"
                            + errors.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return plan.entries
    }

    /// The folder holding this program and the lessons beside it.
    func binFolder() throws -> URL {
        let me = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let folder = me.resolvingSymlinksInPath().deletingLastPathComponent()
        for lesson in DayLesson.day where !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent(lesson.name).path) {
            throw CoreError("\(lesson.name) is not built next to AllLessons (in \(folder.path)). Run `swift build` first, then this command again.")
        }
        return folder
    }

    /// The error that ends the day after a lesson did not complete, saying how to go on.
    func stop(at lesson: DayLesson, status: ChildStatus, stopRequested: Bool) -> Error {
        let write = "Finished lessons are saved; \(common.output)/index.md lists what exists so far."
        if status.interrupted || stopRequested {
            FileHandle.standardError.write(Data("""

            AllLessons stopped during \(lesson.name). \(write)
            To continue where it stopped (lessons that completed are reused from their saved runs), run:
              \(Interrupt.resumeCommand())

            """.utf8))
            return ExitCode(130)
        }
        return CoreError("\(lesson.name) did not complete (\(status.description)); its message is above. \(write) "
                         + "Run `swift run \(lesson.name) --help` for its flags; AllLessons reuses what completed when run again.")
    }

    func writeIndex() throws {
        let output = URL(fileURLWithPath: common.output, isDirectory: true)
        let text = DayIndex.markdown(output: output, lessons: DayLesson.day, dataset: training.datasetFlag, quick: training.quick)
        let url = output.appendingPathComponent("index.md")
        try AtomicFile.write(Data(text.utf8), to: url.path)
        print("\nContents of the day written: \(url.path)")
        fflush(nil)
    }

    func machineName() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
            ?? ProcessInfo.processInfo.hostName
    }
}

AllLessons.main()
