import CLibPNG
import Foundation

/// Errors thrown by `Figure.savefig`.
public enum ChartsError: Error, LocalizedError, CustomStringConvertible {
    /// The PNG could not be written; `reason` says why and what to do about it.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason):
            return "cannot write chart to '\(path)': \(reason)"
        }
    }
    public var errorDescription: String? { description }
}

/// Encodes an RGB canvas as an 8-bit PNG with libpng and writes it atomically.
enum PNGWriter {
    /// Metadata stored in the file: the resolution (pHYs) lets viewers and word processors size
    /// the figure correctly, the title (tEXt) makes the file self-describing.
    struct Metadata {
        var dpi: Double
        var title: String
    }

    static func write(_ canvas: Canvas, to path: String, metadata: Metadata) throws {
        let data = encode(canvas, metadata: metadata)
        try writeAtomically(data, to: path)
    }

    /// Encodes in memory, so that I/O errors surface as Swift errors from Foundation rather
    /// than through libpng's longjmp-based error path (which Swift cannot catch).
    static func encode(_ canvas: Canvas, metadata: Metadata) -> Data {
        let sink = ByteSink()
        guard let png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nil, pngError, pngWarning) else {
            fatalError("libpng could not allocate a write structure (out of memory)")
        }
        var pngOpt: png_structp? = png
        guard let info = png_create_info_struct(png) else {
            png_destroy_write_struct(&pngOpt, nil)
            fatalError("libpng could not allocate an info structure (out of memory)")
        }
        var infoOpt: png_infop? = info
        defer { png_destroy_write_struct(&pngOpt, &infoOpt) }

        let box = Unmanaged.passUnretained(sink).toOpaque()
        png_set_write_fn(png, box, pngWriteToSink, nil)
        // 2 = PNG_COLOR_TYPE_RGB; interlace/compression/filter 0 = none/default/default.
        png_set_IHDR(png, info, png_uint_32(canvas.width), png_uint_32(canvas.height), 8, 2, 0, 0, 0)
        let ppm = png_uint_32((metadata.dpi / 0.0254).rounded())
        png_set_pHYs(png, info, ppm, ppm, 1)   // 1 = PNG_RESOLUTION_METER
        setText(png, info, ["Title": metadata.title, "Software": "Charts (Swift, libpng)"])
        png_write_info(png, info)

        var row = [UInt8](repeating: 0, count: canvas.width * 3)
        canvas.pixels.withUnsafeBufferPointer { px in
            for y in 0..<canvas.height {
                let base = y * canvas.width * 3
                for i in 0..<(canvas.width * 3) {
                    row[i] = UInt8(min(max(px[base + i] * 255 + 0.5, 0), 255))
                }
                row.withUnsafeMutableBufferPointer { png_write_row(png, $0.baseAddress) }
            }
        }
        png_write_end(png, info)
        return sink.bytes
    }

    /// tEXt is Latin-1; characters outside it are replaced so the chunk stays valid.
    private static func setText(_ png: png_structp, _ info: png_infop, _ pairs: [String: String]) {
        for (key, value) in pairs.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            let latin1 = String(value.unicodeScalars.map { $0.value < 256 ? Character($0) : "?" })
            key.withCString { k in
                latin1.withCString { t in
                    var entry = png_text()
                    entry.compression = -1   // PNG_TEXT_COMPRESSION_NONE
                    entry.key = UnsafeMutablePointer(mutating: k)
                    entry.text = UnsafeMutablePointer(mutating: t)
                    entry.text_length = strlen(t)
                    png_set_text(png, info, &entry, 1)   // libpng copies the strings
                }
            }
        }
    }

    /// Writes to a temporary file in the destination directory, then renames it over the target,
    /// so a reader (or a crash) never sees a half-written PNG. Missing parent directories are
    /// created, because lessons write into `output/...` on a fresh checkout.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            throw ChartsError.cannotWrite(path: path, reason: "it is a directory; give a file name ending in .png")
        }
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw ChartsError.cannotWrite(path: path, reason:
                "its directory '\(dir.path)' does not exist and could not be created (\(error.localizedDescription)); "
                + "choose a path in a writable directory")
        }
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        // Written by hand rather than with createFile, so that the reason (a full disk, a
        // read-only folder) reaches the message and no partial temporary file is left behind.
        if let problem = writeAndSync(data, to: tmp.path) {
            unlink(tmp.path)
            let advice = [ENOSPC, EDQUOT, EFBIG].contains(problem.code)
                ? "free some disk space (or choose another folder with --output) and run again"
                : "choose a writable directory or fix its permissions"
            throw ChartsError.cannotWrite(path: path, reason: "\(problem.reason); \(advice)")
        }
        if rename(tmp.path, url.path) != 0 {
            let err = String(cString: strerror(errno))
            try? fm.removeItem(at: tmp)
            throw ChartsError.cannotWrite(path: path, reason: "renaming the finished file into place failed (\(err))")
        }
    }
}

/// Creates `path`, writes all of `data` and flushes it; returns errno and its text on failure.
private func writeAndSync(_ data: Data, to path: String) -> (code: Int32, reason: String)? {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard descriptor >= 0 else { let code = errno; return (code, String(cString: strerror(code))) }
    var failure: Int32?
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
        var written = 0
        while written < bytes.count {
            let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            written += result
        }
    }
    if failure == nil, fsync(descriptor) != 0 { failure = errno }
    if close(descriptor) != 0, failure == nil { failure = errno }
    return failure.map { ($0, String(cString: strerror($0))) }
}

/// Collects libpng's output bytes.
private final class ByteSink { var bytes = Data() }

private func pngWriteToSink(_ png: png_structp?, _ data: png_bytep?, _ length: Int) {
    guard let png, let data, let io = png_get_io_ptr(png) else { return }
    let sink = Unmanaged<ByteSink>.fromOpaque(io).takeUnretainedValue()
    sink.bytes.append(data, count: length)
}

/// libpng only reports errors here for invalid parameters or exhausted memory: both are bugs in
/// this file, not user errors, and returning would make libpng abort anyway.
private func pngError(_ png: png_structp?, _ message: png_const_charp?) {
    fatalError("libpng error: \(message.map { String(cString: $0) } ?? "unknown")")
}

private func pngWarning(_ png: png_structp?, _ message: png_const_charp?) {
    Warnings.emit("libpng: \(message.map { String(cString: $0) } ?? "unknown warning")")
}
