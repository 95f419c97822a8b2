import ArgumentParser
import Foundation
import Core

/// Runs a lesson's body (on `--threads` cores, with the generator seeded `--seed`) and turns any reported problem into one message on stderr and a
/// non-zero exit, never a crash trace. An interrupted run (which printed its own message) exits
/// with 130, the shell's status for Ctrl-C.
public func runLesson(_ options: RunOptions, _ body: () throws -> Void) -> Never {
    // Ctrl-C from the start (while the data loads, too): one message and status 130.
    Interrupt.install()
    do {
        try options.scoped(body)
        exit(0)
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch let error as CoreError {
        fail(error.description)
    } catch {
        fail("\(error)")
    }
}

/// Prints `error: message` to standard error and exits with status 1.
public func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}
