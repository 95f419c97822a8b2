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
            throw CoreError("cannot create the output folder \(folder.path): \(reason(error, folder: folder)). Choose a writable folder with --output <folder>.")
        }
        let probe = folder.appendingPathComponent(".write-test-\(getpid())")
        let descriptor = open(probe.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw CoreError("the output folder \(folder.path) is not writable (\(String(cString: strerror(errno)))). Choose a writable folder with --output <folder>.")
        }
        close(descriptor)
        unlink(probe.path)
        return root
    }

    /// Why a folder cannot be created, in words: the nearest existing ancestor is a file, or not
    /// writable, or the system's own reason.
    private static func reason(_ error: Error, folder: URL) -> String {
        if let blocked = blockingAncestor(of: folder) { return blocked }
        return (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }

    private static func blockingAncestor(of folder: URL) -> String? {
        var url = folder
        while url.path != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) {
                if !isFolder.boolValue { return "\(url.path) is a file, not a folder" }
                if access(url.path, W_OK) != 0 { return "\(url.path) is not writable (\(String(cString: strerror(errno))))" }
                return nil
            }
            url = url.deletingLastPathComponent()
        }
        return nil
    }
}
