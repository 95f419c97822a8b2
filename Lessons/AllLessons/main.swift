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
          swift run AllLessons --plan            (the plan only: what would be trained, and for how long)
          swift run AllLessons
          swift run AllLessons --dataset fashion-mnist --quick
          swift run AllLessons --resume          (after Ctrl-C)
        """)

    @OptionGroup var common: RunOptions
    @OptionGroup var training: TrainingOptions

    @Flag(name: .customLong("plan"), help: "Print the day's plan (what each lesson trains or reuses, timed on this machine) and stop.")
    var planAndStop = false

    func run() throws {
        do {
            try runDay()
        } catch let code as ExitCode {
            throw code
        } catch {
            fail("\(error)")
        }
    }

    var outputURL: URL { URL(fileURLWithPath: common.output, isDirectory: true) }

    func runDay() throws {
        _ = try OutputFolder.prepare(common.output, lesson: ".")
        let bin = try binFolder()
        let stops = StopRequests()
        var times = DayTimes.load(output: outputURL)
        let plan = try makePlan(bin: bin, times: times)
        printPlan(plan)
        if planAndStop { return }
        var finished: [(name: String, seconds: Double)] = []
        for (index, step) in plan.steps.enumerated() {
            let seconds = try runStep(step, number: index + 1, of: plan.steps.count, bin: bin, stops: stops)
            finished.append((step.lesson.name, seconds))
            times.record(step.lesson, dataset: training.datasetFlag, quick: training.quick, wallSeconds: seconds, trainingSeconds: step.seconds)
            try times.save(output: outputURL)
        }
        print("\nThe day took " + Format.duration(finished.reduce(0) { $0 + $1.seconds }) + ": "
              + finished.map { "\($0.name) \(Format.duration($0.seconds))" }.joined(separator: ", ") + ".")
        try writeIndex()
    }

    /// Each lesson's own plan, with the other work its last run here took.
    func makePlan(bin: URL, times: DayTimes) throws -> DayPlan {
        print("Planning the day: timing a few training steps of each network that will be trained...")
        fflush(nil)
        let known = Dictionary(uniqueKeysWithValues: DayLesson.day.compactMap { lesson in
            times.otherWork[key(lesson)].map { (lesson.name, $0) }
        })
        return DayPlan(try DayLesson.day.map { lesson in (lesson, try planEntries(lesson, bin: bin)) }, otherWork: known)
    }

    func printPlan(_ plan: DayPlan) {
        let threads = common.threads == 1 ? "1 thread" : "\(common.threads) threads"
        print("\nThe day on this machine (\(machineName()), \(threads)):")
        print(plan.lines().joined(separator: "\n"))
        if plan.otherWorkKnown {
            print("Expected time: about \(Format.duration(plan.totalSeconds)) in all (training timed just now, the rest as long as it took last time here).")
        } else {
            print("Expected training time: about \(Format.duration(plan.trainingSeconds)) (timed just now); the lessons' other work "
                  + "(narration, evaluation, charts) comes on top and is timed by this run for the next plan.")
        }
        if !training.quick && plan.trainingSeconds > PlanSummary.quickHintSeconds {
            print("For the whole day on a subset of the data: \(Interrupt.command(adding: "--quick"))")
        }
        fflush(nil)
    }

    /// Runs one lesson between a start and an end line; returns its seconds, or throws the day's stop.
    func runStep(_ step: DayPlan.Step, number: Int, of count: Int, bin: URL, stops: StopRequests) throws -> Double {
        let lesson = step.lesson
        let what = step.otherWork == nil ? " of training" : ""
        let expected = step.totalSeconds > 0 ? ", expected about \(Format.duration(step.totalSeconds))\(what)" : ""
        print("\n▶ [\(number)/\(count)] \(lesson.name) starts\(expected)")
        fflush(nil)
        let started = Date()
        let status = try stops.run(bin.appendingPathComponent(lesson.name).path, arguments: arguments(for: lesson))
        let seconds = Date().timeIntervalSince(started)
        print("■ [\(number)/\(count)] \(lesson.name) ended after \(Format.duration(seconds)) (\(status.description))")
        fflush(nil)
        guard status.succeeded else {
            try writeIndex()
            throw stop(at: lesson, status: status, stopRequested: stops.requested)
        }
        return seconds
    }

    func key(_ lesson: DayLesson) -> String { DayTimes.key(lesson, dataset: training.datasetFlag, quick: training.quick) }

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
        let output = outputURL
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
