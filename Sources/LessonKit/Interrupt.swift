import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM during training: the first one asks the training loop to stop after
/// the step in progress (the loop then saves everything and prints how to resume); a second one
/// quits at once, leaving the files already saved intact (every file is written atomically).
///
/// The signals are ignored at the process level and delivered through dispatch signal sources,
/// whose handlers run on an ordinary queue, so the handler may take a lock and print; the training
/// loop reads the flag between steps.
public enum Interrupt {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var flag = false
    nonisolated(unsafe) private static var signalName: String?
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var installs = 0

    /// Whether a stop was asked for since the handlers were installed.
    public static var requested: Bool { lock.withLock { flag } }

    /// "Ctrl-C (SIGINT)" or "SIGTERM", once one arrived.
    public static var signalDescription: String? { lock.withLock { signalName } }

    nonisolated(unsafe) private static var training = 0

    /// Starts catching SIGINT and SIGTERM (once; later calls do nothing). Outside training a
    /// signal stops the lesson at once with a one-line message and status 130; during training
    /// (`beginTraining`) it asks the loop to stop after the current step.
    public static func install() {
        lock.lock()
        defer { lock.unlock() }
        installs += 1
        guard sources.isEmpty else { return }
        for (number, name) in [(SIGINT, "Ctrl-C (SIGINT)"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { received(name) }
            source.resume()
            sources.append(source)
        }
    }

    /// Restores the default behaviour of SIGINT and SIGTERM (after the last matching `install`).
    public static func uninstall() {
        lock.lock()
        defer { lock.unlock() }
        guard installs > 0 else { return }
        installs -= 1
        guard installs == 0 else { return }
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Marks the start of a training loop that checks `requested` after every step.
    public static func beginTraining() {
        install()
        lock.withLock {
            training += 1
            flag = false
            signalName = nil
            saving = false
        }
    }

    /// Marks the end of that loop.
    public static func endTraining() {
        lock.withLock { training = max(0, training - 1); saving = false }
        uninstall()
    }

    /// Marks the start of writing the resume checkpoint after a stop: a further Ctrl-C then waits
    /// for the save to finish (a third one quits anyway).
    public static func beginSaving() {
        lock.withLock { saving = true; signalsWhileSaving = 0 }
    }

    nonisolated(unsafe) private static var saving = false
    nonisolated(unsafe) private static var signalsWhileSaving = 0

    /// Asks for a stop as a signal would (tests, or a lesson that wants to stop).
    public static func request(_ name: String = "a stop request") { received(name) }

    /// Where the lesson is when a signal arrives.
    public enum Phase: Equatable, Sendable {
        /// Loading data, preparing, drawing charts: nothing is in progress that a stop would lose.
        case outsideTraining
        /// In the training loop.
        case training
        /// Writing the resume checkpoint after the first stop; `earlier` signals came during the save.
        case saving(earlier: Int)
    }

    /// What a signal does, and the message it prints.
    public enum Reaction: Equatable, Sendable {
        /// Exit at once with status 130.
        case exitNow(String)
        /// Let the loop (or the save) finish; print the message.
        case carryOn(String)
    }

    /// The reaction to a signal named `name`, the first of this training run or not, in `phase`.
    public static func reaction(to name: String, first: Bool, phase: Phase, resuming: Bool) -> Reaction {
        switch phase {
        case .outsideTraining:
            let next = resuming ? "The interrupted run's resume file is untouched: run the same command (with --resume) again to continue it."
                                : "Nothing was being trained; run the same command again to start over."
            return .exitNow("\n\(name): the lesson stopped before training. Every file it wrote so far is complete. \(next)\n")
        case .training where first:
            return .carryOn("\n\(name): finishing the current batch, then saving a checkpoint to resume from (press Ctrl-C again to quit without saving)...\n")
        case .training:
            return .exitNow("\n\(name) again: quitting now without saving this run's progress. The files saved before are intact.\n")
        case .saving(let earlier) where earlier == 0:
            return .carryOn("\n\(name) again: the checkpoint to resume from is being written and takes a moment; the lesson stops as soon as it is saved. "
                            + "(Press Ctrl-C once more to quit at once: the previous files stay intact, this run's progress is lost.)\n")
        case .saving:
            return .exitNow("\n\(name) a third time: quitting now, before the checkpoint is saved. The files saved before are intact.\n")
        }
    }

    private static func received(_ name: String) {
        let (first, phase): (Bool, Phase) = lock.withLock {
            defer {
                flag = true
                signalName = signalName ?? name
                if saving { signalsWhileSaving += 1 }
            }
            let phase: Phase = training == 0 ? .outsideTraining : (saving ? .saving(earlier: signalsWhileSaving) : .training)
            return (!flag, phase)
        }
        switch reaction(to: name, first: first, phase: phase, resuming: TrainingOptions.resumeRequested) {
        case .exitNow(let message):
            FileHandle.standardError.write(Data(message.utf8))
            exit(130)
        case .carryOn(let message):
            FileHandle.standardError.write(Data(message.utf8))
        }
    }

    /// This program's command with `flag` added (when not already there), as the learner would type it.
    public static func command(adding flag: String, arguments: [String] = CommandLine.arguments) -> String {
        guard let program = arguments.first else { return flag }
        var flags = Array(arguments.dropFirst())
        if !flags.contains(flag) { flags.append(flag) }
        let name = URL(fileURLWithPath: program).lastPathComponent
        // `swift run X` runs .build/<configuration>/X: give the learner the command they typed.
        let head = program.hasPrefix(".build/") || program.contains("/.build/") ? "swift run \(name)" : program
        return ([head] + flags).map(shellQuoted).joined(separator: " ")
    }

    /// The command that resumes this run: the same program and flags, plus `--resume`.
    public static func resumeCommand(arguments: [String] = CommandLine.arguments) -> String {
        command(adding: "--resume", arguments: arguments)
    }

    static func shellQuoted(_ word: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty, word.unicodeScalars.allSatisfy({ safe.contains($0) }) || word.hasPrefix("swift run ") { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
