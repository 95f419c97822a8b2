import ArgumentParser
import Core
import Foundation

// `ModelTool`: PyTorch interop from the command line. The logic lives in Core (`Stepping`, `ModelSpec`,
// `TrainingCheckpoint`), so tests call it without spawning this process; this target only parses flags,
// reads and writes files, and prints.
//
// Every problem ends as one line `error: ...` on stderr and exit status 1 (flag errors: status 64),
// never a crash trace; `--help` prints usage with examples and exits 0.
do {
    var command = try ModelToolCommand.parseAsRoot()
    try command.run()
} catch let error as CoreError {
    FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
    exit(1)
} catch {
    if ModelToolCommand.exitCode(for: error) == .success { ModelToolCommand.exit(withError: error) }  // --help
    let message = ModelToolCommand.message(for: error)
        .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        .joined(separator: " ")
    FileHandle.standardError.write(Data("error: \(message) (see ModelTool --help)\n".utf8))
    exit(ModelToolCommand.exitCode(for: error).rawValue)
}
