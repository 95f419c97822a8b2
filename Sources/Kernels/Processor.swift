import Foundation

/// What the processor is and which vector instructions it has, read at run time: one binary runs
/// on every x86-64, and benchmarks name the machine their figures come from.
public enum Processor {
    /// "AMD EPYC (family 25, model 17): AVX2, FMA, AVX-512 (F, BW, VL, DQ)"; on other systems
    /// what can be read.
    public static var summary: String {
        let flags = self.flags
        var features: [String] = []
        if flags.contains("avx2") { features.append("AVX2") }
        if flags.contains("fma") { features.append("FMA") }
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].filter { flags.contains(Substring($0)) }
        if !avx512.isEmpty { features.append("AVX-512 (" + avx512.map { $0.dropFirst(6).uppercased() }.joined(separator: ", ") + ")") }
        if features.isEmpty { features.append(flags.isEmpty ? "features unknown" : "no AVX2") }
        let family = field("cpu family").map { "family \($0), model \(field("model") ?? "?")" }
        let name = field("model name") ?? "unknown processor"
        return "\(name)" + (family.map { " (\($0))" } ?? "") + ": " + features.joined(separator: ", ")
    }

    /// The feature flags of the first processor in /proc/cpuinfo (empty where there is none).
    static var flags: Set<Substring> {
        guard let line = field("flags") else { return [] }
        return Set(Substring(line).split(separator: " "))
    }

    /// A field of the first processor in /proc/cpuinfo.
    private static func field(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
