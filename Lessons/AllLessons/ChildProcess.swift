import Dispatch
import Core
import Foundation
import LessonKit

/// How a lesson's process ended.
struct ChildStatus {
    let exitCode: Int32?
    let signal: Int32?

    var succeeded: Bool { exitCode == 0 }
    /// Stopped by Ctrl-C or SIGTERM (the lessons exit with 130 then).
    var interrupted: Bool { exitCode == 130 || signal == SIGINT || signal == SIGTERM }

    var description: String {
        if let exitCode { return exitCode == 0 ? "completed" : "exit status \(exitCode)" }
        return "killed by signal \(signal ?? 0)"
    }

    /// Decodes a `waitpid` status (the C macros WIFEXITED and friends are not available in Swift).
    init(waitStatus: Int32) {
        let low = waitStatus & 0x7f
        (exitCode, signal) = low == 0 ? ((waitStatus >> 8) & 0xff, nil) : (nil, low)
    }
}

/// Runs the lessons one at a time, each in its own process group, and passes Ctrl-C and SIGTERM on
/// to the one that is running, once per signal.
///
/// Why its own group: the terminal sends Ctrl-C to every process of the foreground group. If the
/// lesson were in ours it would get each Ctrl-C twice (from the terminal and from us), and a
/// lesson takes a second Ctrl-C as "quit without saving". In its own group it gets exactly the
/// signals we pass on, whether they came from the terminal or from `kill`.
final class StopRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var child: pid_t = 0
    private var stopRequested = false
    private var sources: [DispatchSourceSignal] = []

    var requested: Bool { lock.withLock { stopRequested } }

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func received(_ number: Int32) {
        let running: pid_t = lock.withLock { stopRequested = true; return child }
        if running > 0 {
            kill(running, number)
        } else {
            FileHandle.standardError.write(Data("\nAllLessons stopped (no lesson was running). Lessons that completed are saved; run the same command again to continue: they are reused.\n".utf8))
            exit(130)
        }
    }

    /// Runs `path` with `arguments`, its output going straight to ours, and waits for it.
    func run(_ path: String, arguments: [String]) throws -> ChildStatus {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let started: Int32 = lock.withLock {
            let result = posix_spawn(&pid, path, nil, &attributes, argv, environ)
            if result == 0 { child = pid }
            return result
        }
        guard started == 0 else {
            throw CoreError("cannot start \(path): \(String(cString: strerror(started)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        lock.withLock { child = 0 }
        return ChildStatus(waitStatus: status)
    }
}
