import Foundation
import Autograd
import Layers

/// Writes files so that a reader never sees half of one.
///
/// A training run that is interrupted (Ctrl-C, a full disk) while saving a checkpoint must not
/// leave a truncated file behind that a later run would try to resume from. The bytes go to a
/// temporary file in the destination's folder, are flushed to disk with `fsync`, and the
/// temporary file is then renamed over the destination, which POSIX makes atomic.
public enum AtomicFile {
    /// Writes `data` to `path` atomically, creating the parent folder if it does not exist.
    ///
    /// On failure the temporary file is removed and the error names the path and the reason.
    public static func write(_ data: Data, to path: String) throws {
        let destination = URL(fileURLWithPath: path)
        let folder = destination.deletingLastPathComponent()
        try createFolder(folder, for: path)

        let temporary = folder.appendingPathComponent(
            ".\(destination.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        do {
            try writeAndSync(data, to: temporary, reportedAs: path)
            guard rename(temporary, destination.path) == 0 else {
                throw failure(path, String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary)
            throw error
        }
        syncFolder(folder.path)
    }

    /// Writes `data` to `url` atomically (see `write(_:to:)` with a path).
    public static func write(_ data: Data, to url: URL) throws {
        try write(data, to: url.path)
    }

    /// Creates the destination's folder (and its parents) when missing.
    private static func createFolder(_ folder: URL, for path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) {
            if !isFolder.boolValue { throw failure(path, "\(folder.path) is a file, not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw failure(path, "the folder \(folder.path) does not exist and cannot be created")
        }
    }

    /// For tests: files written inside `folder` stop with ENOSPC (a full disk) after `bytes`
    /// bytes, as a real full disk stops a write part-way.
    @TaskLocal static var simulatedFullDisk: (folder: String, bytes: Int)?

    /// Creates `temporary` (it must not exist yet), writes every byte and flushes it to disk.
    private static func writeAndSync(_ data: Data, to temporary: String, reportedAs path: String) throws {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw failure(path, String(cString: strerror(errno)), code: errno) }
        var code: Int32?
        let space = simulatedFullDisk.flatMap { temporary.hasPrefix($0.folder + "/") ? $0.bytes : nil }
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var written = 0
            while written < bytes.count {
                var length = bytes.count - written
                if let space {
                    if written >= space { code = ENOSPC; return }
                    length = min(length, space - written)
                }
                let result = Foundation.write(descriptor, bytes.baseAddress! + written, length)
                if result < 0 {
                    if errno == EINTR { continue }
                    code = errno
                    return
                }
                written += result
            }
        }
        if code == nil, fsync(descriptor) != 0 { code = errno }
        if close(descriptor) != 0, code == nil { code = errno }
        if let code { throw failure(path, String(cString: strerror(code)), code: code) }
    }

    /// Flushes the folder entry so that the rename itself survives a power cut (best effort).
    private static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ path: String, _ reason: String, code: Int32? = nil) -> CoreError {
        switch code {
        case ENOSPC?, EDQUOT?, EFBIG?:
            return CoreError("cannot write \(path): \(reason). Free some disk space (or choose another folder with --output <folder>) "
                             + "and run again; the files saved before are intact.")
        default:
            return CoreError("cannot write \(path): \(reason). Choose a writable folder (lessons take --output <folder>).")
        }
    }
}
