import Foundation
import Testing

// The process-level rows of docs/errors.md: a built lesson run with a bad flag, bad data, an
// unwritable or full output folder, or Ctrl-C, checked for its exit status, its (short) message on
// stderr, and that it printed nothing on stdout before the error.
//
// The lessons are not built by this test target: build them first, e.g.
//   swift build --product Exercise4_PlainVsResidual && swift build --product Exercise2_Residual
// (or with --scratch-path .build-rel). These tests look in .build/debug and .build-*/debug and are
// skipped, with that message, when the executables are not there.

private let packageRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func builtLesson(_ name: String) -> String? {
    let folders = ((try? FileManager.default.contentsOfDirectory(atPath: packageRoot.path)) ?? [])
        .filter { $0 == ".build" || $0.hasPrefix(".build-") || $0.hasPrefix(".build_") }
    let candidates = folders.map { packageRoot.appendingPathComponent("\($0)/debug/\(name)").path }
        .filter { FileManager.default.isExecutableFile(atPath: $0) }
    // The most recently built one.
    return candidates.max { a, b in
        let date = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast }
        return date(a) < date(b)
    }
}

private let training = builtLesson("Exercise4_PlainVsResidual")
private let plain = builtLesson("Exercise2_Residual")
private let notBuilt: Comment = "lesson executables not built: run `swift build --product Exercise4_PlainVsResidual` and `swift build --product Exercise2_Residual` first"

/// A finished (or killed) lesson process.
struct Finished {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `executable` with `arguments` in the package folder; `prelude` is shell text run first
/// (e.g. `ulimit -f 4`). `whileRunning` gets the process and a reader of its stdout so far.
func runLesson(_ executable: String, _ arguments: [String], prelude: String? = nil,
                whileRunning: ((Process, () -> String) -> Void)? = nil) throws -> Finished {
    let process = Process()
    if let prelude {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(prelude); exec \"$0\" \"$@\"", executable] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }
    process.currentDirectoryURL = packageRoot
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    let read = { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    whileRunning?(process, read)
    process.waitUntilExit()
    return Finished(status: process.terminationStatus, stdout: read(),
                    stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// Waits until `text` appears in the output (or `seconds` pass).
private func waitFor(_ text: String, in read: () -> String, process: Process, seconds: Double = 600) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline, process.isRunning {
        if read().contains(text) { return true }
        Thread.sleep(forTimeInterval: 0.2)
    }
    return read().contains(text)
}

private func scratch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-out-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// One message, a few lines, no crash trace, nothing on stdout before it.
private func expectCleanFailure(_ run: Finished, status: Int32, mentions needles: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.status == status, "exit status \(run.status); stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "stdout before the error: \(run.stdout.prefix(300))", sourceLocation: sourceLocation)
    let lines = run.stderr.split(separator: "\n")
    #expect(!lines.isEmpty && lines.count <= 5, "a short message, got: \(run.stderr)", sourceLocation: sourceLocation)
    for crash in ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault"] {
        #expect(!run.stderr.contains(crash), "crash trace: \(run.stderr)", sourceLocation: sourceLocation)
    }
    for needle in needles {
        #expect(run.stderr.contains(needle), "stderr lacks '\(needle)': \(run.stderr)", sourceLocation: sourceLocation)
    }
}

@Suite(.ownGenerator) struct LessonFlagTests {
    /// Bad flag values: argument-parser's validation exit (64), one error line and the short usage.
    @Test(.enabled(if: training != nil, notBuilt), arguments: [
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--lr", "-1"], "--lr must be a positive number"),
        (["--lr", "nan"], "--lr must be a positive number"),
        (["--epochs", "abc"], "'abc' is invalid for '--epochs"),
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--dataset", "cifar"], "'cifar' is invalid for '--dataset"),
        (["--model", "vgg99"], "Unknown option '--model'"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--seeds", "-3"], "--seeds must be at least 1"),
        (["--data-dir", "/nonexistent/mnist"], "--data-dir /nonexistent/mnist is not a folder"),
    ])
    func badFlagValue(_ flags: [String], _ message: String) throws {
        let run = try runLesson(training!, flags + ["--quick"])
        expectCleanFailure(run, status: 64, mentions: [message, "--help"])
    }

    @Test(.enabled(if: plain != nil, notBuilt))
    func badFlagInALessonWithoutTraining() throws {
        expectCleanFailure(try runLesson(plain!, ["--seeds", "0"]), status: 64, mentions: ["--seeds must be at least 1"])
        expectCleanFailure(try runLesson(plain!, ["--lr", "1"]), status: 64, mentions: ["Unknown option '--lr'"])
    }
}

@Suite(.ownGenerator) struct LessonDataAndOutputTests {
    @Test(.enabled(if: training != nil, notBuilt))
    func aDataFolderWithoutTheFiles() throws {
        let empty = try scratch()
        expectCleanFailure(try runLesson(training!, ["--quick", "--data-dir", empty.path, "--output", try scratch().path]),
                           status: 1, mentions: ["MNIST training images not found", empty.path, "--data-dir"])
    }

    @Test(.enabled(if: training != nil, notBuilt))
    func aDataFileWithABadMagicNumber() throws {
        let folder = try scratch()
        let raw = packageRoot.appendingPathComponent("data/MNIST/raw")
        for name in ["train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(at: raw.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try Data([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1]).write(to: folder.appendingPathComponent("train-images-idx3-ubyte"))
        expectCleanFailure(try runLesson(training!, ["--quick", "--data-dir", folder.path, "--output", try scratch().path]),
                           status: 1, mentions: ["train-images-idx3-ubyte", "magic number is 0x12345678"])
    }

    @Test(.enabled(if: training != nil, notBuilt))
    func aDataFileThatIsTruncatedGzip() throws {
        let folder = try scratch()
        let raw = packageRoot.appendingPathComponent("data/MNIST/raw")
        for name in ["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(at: raw.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let labels = try Data(contentsOf: raw.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        try labels.prefix(5000).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        expectCleanFailure(try runLesson(training!, ["--quick", "--data-dir", folder.path, "--output", try scratch().path]),
                           status: 1, mentions: ["train-labels-idx1-ubyte.gz", "truncated"])
    }

    @Test(.enabled(if: training != nil, notBuilt))
    func anOutputFolderThatCannotBeWritten() throws {
        expectCleanFailure(try runLesson(training!, ["--quick", "--output", "/dev/null/lessons"]),
                           status: 1, mentions: ["/dev/null is a file, not a folder", "--output"])
        expectCleanFailure(try runLesson(plain!, ["--output", "/proc/lessons"]), status: 1, mentions: ["/proc/lessons", "--output"])
    }

    @Test(.enabled(if: training != nil, notBuilt))
    func resumeWithNothingToResume() throws {
        let output = try scratch()
        expectCleanFailure(try runLesson(training!, ["--quick", "--resume", "--output", output.path]),
                           status: 1, mentions: ["--resume", "no interrupted run", "--output"])
    }

    /// A disk that fills while the lesson writes: a file-size limit (`ulimit -f`) makes the
    /// chart's write fail part-way, as a full disk does.
    @Test(.enabled(if: plain != nil, notBuilt))
    func aDiskThatFillsWhileWriting() throws {
        let output = try scratch()
        let run = try runLesson(plain!, ["--seeds", "1", "--output", output.path], prelude: "ulimit -f 8")
        #expect(run.status == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("gradient_comparison.png") && run.stderr.contains("File too large")
                && run.stderr.contains("free some disk space"), "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count <= 3 && !run.stderr.contains("Fatal error"))
        let lessonFolder = output.appendingPathComponent("Exercise2_Residual")
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: lessonFolder.path)) ?? []).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}

@Suite(.ownGenerator) struct LessonInterruptTests {
    /// Ctrl-C during training: the step finishes, the resume state is saved, the exact resume
    /// command is printed, the exit status is 130; `--resume` then continues from it.
    @Test(.enabled(if: training != nil, notBuilt))
    func ctrlCSavesAndResumeContinues() throws {
        let output = try scratch()
        let flags = ["--quick", "--threads", "2", "--no-plain18", "--output", output.path]
        let first = try runLesson(training!, flags) { process, read in
            // The time estimate is said after the first batches: the loop is running then, however
            // loaded the machine is.
            if waitFor("(measured ", in: read, process: process) { process.interrupt() }
        }
        #expect(first.status == 130, "stderr: \(first.stderr)")
        #expect(first.stderr.contains("stopped at epoch 1 of 2"), "stderr: \(first.stderr)")
        #expect(first.stderr.contains("To continue where it stopped, run:"))
        #expect(first.stderr.contains(flags.joined(separator: " ") + " --resume"), "stderr: \(first.stderr)")
        #expect(!first.stderr.contains("Fatal error"))
        let resumeFiles = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("checkpoints").path)
            .filter { $0.hasSuffix(".resume.safetensors") }
        #expect(resumeFiles.count == 1, "resume files: \(resumeFiles)")

        // --resume with another learning rate: refused with the difference named, the file kept.
        let mismatched = try runLesson(training!, flags + ["--lr", "0.01", "--resume"])
        #expect(mismatched.status == 1, "stderr: \(mismatched.stderr)")
        #expect(mismatched.stderr.contains("lr 0.001 (now 0.01)"), "stderr: \(mismatched.stderr)")
        #expect(mismatched.stderr.contains("drop --resume"), "stderr: \(mismatched.stderr)")
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("checkpoints/\(resumeFiles[0])").path))

        // Resume, and stop again once it has said where it resumes.
        let second = try runLesson(training!, flags + ["--resume"]) { process, read in
            if waitFor("(resuming ", in: read, process: process) { Thread.sleep(forTimeInterval: 2); process.terminate() }
        }
        #expect(second.stdout.contains("(resuming "), "stdout: \(second.stdout.suffix(500))")
        #expect(second.status == 130, "stderr: \(second.stderr)")
        #expect(second.stderr.contains("SIGTERM"), "stderr: \(second.stderr)")
    }

    /// Ctrl-C before training (while the data loads or the plan is timed): one message, status 130,
    /// and with --resume the waiting resume file is said to be untouched.
    @Test(.enabled(if: training != nil, notBuilt))
    func ctrlCBeforeTrainingSaysNothingWasLost() throws {
        let output = try scratch()
        let run = try runLesson(training!, ["--quick", "--threads", "1", "--output", output.path]) { process, _ in
            Thread.sleep(forTimeInterval: 1.5)
            process.interrupt()
        }
        #expect(run.status == 130, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("the lesson stopped before training"), "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("checkpoints").path)
                || ((try? FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("checkpoints").path)) ?? []).isEmpty)
    }
}

@Suite(.ownGenerator) struct AllLessonsProcessTests {
    /// AllLessons alone in a folder (its lessons not built beside it): one message saying to build.
    @Test(.enabled(if: builtLesson("AllLessons") != nil, "AllLessons not built: run `swift build` first"))
    func missingLessonsSayToBuildFirst() throws {
        let folder = try scratch()
        let copy = folder.appendingPathComponent("AllLessons")
        try FileManager.default.copyItem(atPath: builtLesson("AllLessons")!, toPath: copy.path)
        let run = try runLesson(copy.path, ["--quick", "--output", folder.appendingPathComponent("out").path])
        #expect(run.status == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Exercise1_VGG is not built next to AllLessons"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains("swift build"), "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
    }

    /// The day's plan: every lesson, the networks an earlier lesson trains counted as reused.
    @Test(.enabled(if: builtLesson("AllLessons") != nil, "AllLessons not built: run `swift build` first"))
    func theDaysPlanNamesEachLessonAndWhatItReuses() throws {
        let run = try runLesson(builtLesson("AllLessons")!, ["--quick", "--plan", "--threads", "1", "--output", try scratch().path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        for lesson in ["Exercise1_VGG", "Exercise2_Residual", "Exercise3_ResNet18", "Exercise4_PlainVsResidual",
                       "Exercise5_GradientFlow", "MiniChallenge", "DepthStudy"] {
            #expect(run.stdout.contains(lesson), "plan lacks \(lesson): \(run.stdout)")
        }
        #expect(run.stdout.contains("trains ResNet-18"), "\(run.stdout)")
        #expect(run.stdout.contains("reuses ResNet-18 (from Exercise 3"), "\(run.stdout)")
        #expect(run.stdout.contains("Expected training time: about"), "\(run.stdout)")
        #expect(!run.stdout.contains("▶"), "--plan must not start a lesson")
    }

    /// Ctrl-C to AllLessons while a lesson trains: passed on once (the lesson saves its resume
    /// state rather than quitting without it), then the day stops and says how to continue.
    @Test(.enabled(if: builtLesson("AllLessons") != nil, "AllLessons not built: run `swift build` first"))
    func ctrlCStopsTheDayAfterTheLessonSaved() throws {
        let output = try scratch()
        let run = try runLesson(builtLesson("AllLessons")!, ["--quick", "--threads", "2", "--output", output.path]) { process, read in
            if waitFor("(measured ", in: read, process: process) { process.interrupt() }
        }
        #expect(run.status == 130, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("VGG-16 stopped at epoch"), "the lesson saved its state: \(run.stderr)")
        #expect(!run.stderr.contains("again: quitting now"), "one Ctrl-C must reach the lesson once: \(run.stderr)")
        #expect(run.stderr.contains("AllLessons stopped during Exercise1_VGG"), "\(run.stderr)")
        #expect(run.stderr.contains("--resume"), "\(run.stderr)")
        let saved = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("checkpoints").path)
        #expect(saved.contains("vgg16-quick.resume.safetensors"), "\(saved)")
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("index.md").path))

        // The same command with --resume: the day starts again at the lesson that stopped, and that
        // lesson continues from its saved step instead of training VGG-16 from the start.
        let resumed = try runLesson(builtLesson("AllLessons")!, ["--quick", "--threads", "2", "--output", output.path, "--resume"]) { process, read in
            if waitFor("(resuming VGG-16", in: read, process: process) { process.interrupt() }
        }
        #expect(resumed.stdout.contains("▶ [1/7] Exercise1_VGG starts"), "\(resumed.stdout.suffix(800))")
        #expect(resumed.stdout.contains("(resuming VGG-16 at epoch 1"), "\(resumed.stdout.suffix(800))")
        #expect(resumed.status == 130, "stderr: \(resumed.stderr)")
        #expect(resumed.stderr.contains("AllLessons stopped during Exercise1_VGG"), "\(resumed.stderr)")
        let savedAgain = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("checkpoints").path)
        #expect(savedAgain.contains("vgg16-quick.resume.safetensors"), "the second stop saved again: \(savedAgain)")
    }

    /// DepthStudy's default schedule is a fixed number of iterations, whatever the machine's speed;
    /// --minutes sizes it to a budget instead. Both say the time expected here.
    @Test(.enabled(if: builtLesson("DepthStudy") != nil, "DepthStudy not built"))
    func depthStudyHasAFixedDefaultScheduleAndAnOptionalBudget() throws {
        let output = try scratch().path
        let fixed = try runLesson(builtLesson("DepthStudy")!, ["--depths", "8", "--threads", "1", "--plan-only", "--output", output])
        #expect(fixed.status == 0, "stderr: \(fixed.stderr)")
        #expect(fixed.stdout.contains("In the fixed schedule of this study"), "stdout: \(fixed.stdout.suffix(800))")
        #expect(fixed.stdout.contains("every network trains 1,720 iterations"), "stdout: \(fixed.stdout.suffix(800))")
        #expect(fixed.stdout.contains("Expected time on this machine"))
        let budget = try runLesson(builtLesson("DepthStudy")!, ["--depths", "8", "--threads", "1", "--minutes", "1", "--plan-only", "--output", output])
        #expect(budget.stdout.contains("To fit about 1 min of training (--minutes)"), "stdout: \(budget.stdout.suffix(800))")
        #expect(!budget.stdout.contains("every network trains 1,720 iterations"))
    }

    /// DepthStudy takes the shared flags but refuses the ones it cannot honour, with one message.
    @Test(.enabled(if: builtLesson("DepthStudy") != nil, "DepthStudy not built"), arguments: [
        (["--epochs", "3"], "use --iterations instead of --epochs"),
        (["--resume"], "--resume is not supported here"),
        (["--iterations", "100", "--minutes", "5"], "not both"),
    ])
    func depthStudyRefusesFlagsItCannotHonour(_ flags: [String], _ message: String) throws {
        let run = try runLesson(builtLesson("DepthStudy")!, flags + ["--output", try scratch().path])
        #expect(run.status == 64, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
    }
}
