import Foundation
import Core

/// Checks, before a lesson says anything, that its output folder exists or can be created and
/// that a file can be written there, so a bad `--output` fails at once with one clear message.
public enum OutputFolder {
    public static func prepare(_ path: String, lesson: String) throws -> URL {
        let root = URL(fileURLWithPath: path, isDirectory: true)
        let folder = root.appendingPathComponent(lesson, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CoreError("cannot create the output folder \(folder.path): \(reason(error)). Choose a writable folder with --output <folder>.")
        }
        let probe = folder.appendingPathComponent(".write-test-\(getpid())")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw CoreError("the output folder \(folder.path) is not writable. Choose a writable folder with --output <folder>.")
        }
        try? FileManager.default.removeItem(at: probe)
        return root
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
