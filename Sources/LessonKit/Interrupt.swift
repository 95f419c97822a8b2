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
        }
    }

    /// Marks the end of that loop.
    public static func endTraining() {
        lock.withLock { training = max(0, training - 1) }
        uninstall()
    }

    /// Asks for a stop as a signal would (tests, or a lesson that wants to stop).
    public static func request(_ name: String = "a stop request") { received(name) }

    private static func received(_ name: String) {
        let (second, inTraining): (Bool, Bool) = lock.withLock {
            defer { flag = true; signalName = signalName ?? name }
            return (flag, training > 0)
        }
        if !inTraining {
            FileHandle.standardError.write(Data("\n\(name): the lesson stopped. Every file it wrote so far is complete; run it again to start over.\n".utf8))
            exit(130)
        }
        if second {
            FileHandle.standardError.write(Data("\n\(name) again: quitting now without saving this run's progress. The files saved before are intact.\n".utf8))
            exit(130)
        }
        FileHandle.standardError.write(Data("\n\(name): finishing the current batch, then saving a checkpoint to resume from (press Ctrl-C again to quit without saving)...\n".utf8))
    }

    /// The command that resumes this run: the same program and flags, plus `--resume`.
    public static func resumeCommand(arguments: [String] = CommandLine.arguments) -> String {
        guard let program = arguments.first else { return "--resume" }
        var flags = Array(arguments.dropFirst())
        if !flags.contains("--resume") { flags.append("--resume") }
        let name = URL(fileURLWithPath: program).lastPathComponent
        // `swift run X` runs .build/<configuration>/X: give the learner the command they typed.
        let head = program.contains("/.build/") ? "swift run \(name)" : program
        return ([head] + flags).map(shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty, word.unicodeScalars.allSatisfy({ safe.contains($0) }) || word.hasPrefix("swift run ") { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
