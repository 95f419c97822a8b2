import Foundation

/// The process's resident memory, read from /proc/self/status (Linux); nil elsewhere.
public enum ResidentMemory {
    /// Resident set size in megabytes (MiB), or nil where it cannot be read.
    public static func megabytes() -> Double? {
        bytes().map { Double($0) / 1_048_576 }
    }

    /// Resident set size in bytes, or nil where it cannot be read.
    public static func bytes() -> Int? {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
        return kilobytes * 1024
        #else
        return nil
        #endif
    }
}
