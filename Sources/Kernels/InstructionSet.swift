import CKernels

/// The vector instructions the C kernels (Sources/CKernels) run with, chosen at run time: one
/// binary, compiled for the baseline x86-64, takes the widest path the processor has, as PyTorch
/// dispatches its kernels by CPU capability. Every path gives bit-identical results (CKernels.h
/// says why), so the choice changes speed only.
///
/// The path in force is `KernelOptions.current.instructionSet`; tests and the benchmark choose
/// one by scope (`setInstructionSet`), which refuses a set the processor lacks.
public enum InstructionSet: String, CaseIterable, Sendable, Comparable {
    /// SSE2 on x86-64 (every x86-64 has it), NEON on arm64.
    case baseline
    /// AVX2 + FMA: 8 floats per register (Intel since Haswell, AMD since Zen).
    case avx2
    /// AVX-512 F, VL, BW, DQ + FMA: 16 floats per register (Intel Skylake-SP and later, AMD Zen 4).
    case avx512

    /// The /proc/cpuinfo flags a path needs (the target attributes of its C instance).
    public var requiredFlags: [String] {
        switch self {
        case .baseline: return []
        case .avx2: return ["avx2", "fma"]
        case .avx512: return ["avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq"]
        }
    }

    /// The paths a processor with these feature flags can run, narrowest first. Only the baseline
    /// off x86-64, where the C code has no other instance.
    public static func supported(by flags: Set<Substring>) -> [InstructionSet] {
        #if arch(x86_64)
        return allCases.filter { $0.requiredFlags.allSatisfy { flags.contains(Substring($0)) } }
        #else
        return [.baseline]
        #endif
    }

    /// The widest path a processor with these flags can run.
    public static func best(for flags: Set<Substring>) -> InstructionSet {
        supported(by: flags).max() ?? .baseline
    }

    /// What this processor supports, and its best path (read once).
    public static let available: [InstructionSet] = supported(by: Processor.flags)
    public static let processorBest: InstructionSet = available.max() ?? .baseline

    /// Throws unless a processor with `flags` can run this path.
    public func check(against flags: Set<Substring>) throws {
        let missing = requiredFlags.filter { !flags.contains(Substring($0)) }
        guard InstructionSet.supported(by: flags).contains(self) else {
            throw UnsupportedInstructionSet(requested: self, missing: missing)
        }
    }

    public static func < (a: InstructionSet, b: InstructionSet) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The C side's name for the path.
    var c: ck_isa {
        switch self {
        case .baseline: return CK_BASELINE
        case .avx2: return CK_AVX2
        case .avx512: return CK_AVX512
        }
    }
}

/// A path was requested that the processor cannot run (it would stop on an illegal instruction).
public struct UnsupportedInstructionSet: Error, CustomStringConvertible {
    public let requested: InstructionSet
    /// The flags the processor lacks (empty off x86-64, where only the baseline exists).
    public let missing: [String]

    public var description: String {
        let lacking = missing.isEmpty ? "it is not an x86-64 processor" : "it lacks " + missing.joined(separator: ", ")
        return "instruction set '\(requested.rawValue)' requested, but this processor cannot run it: \(lacking) "
            + "(\(Processor.summary)); available: \(InstructionSet.available.map(\.rawValue).joined(separator: ", "))"
    }
}
