import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Makes sure OpenBLAS runs the matrix kernels written for this processor.
///
/// Why: Debian's OpenBLAS (0.3.21, built with DYNAMIC_ARCH) picks its kernels from the CPUID
/// model number, and processors newer than the library (e.g. Xeon family 6 model 207, Emerald
/// Rapids, or many recent laptops) are not in its table: it then falls back to "Prescott", an SSE3
/// kernel from 2004, and every convolution runs 3-4x slower than the hardware allows. OpenBLAS
/// honours `OPENBLAS_CORETYPE`, but reads it when the library loads, before any Swift code runs.
/// It does export the functions that redo that choice, so when the fallback was taken and the
/// processor reports AVX-512 (or AVX2 + FMA), we set the variable and ask it to choose again.
///
/// This is a run-time choice from the processor's own feature flags, not a build flag: the same
/// binary still runs on any x86-64 machine. An explicit `OPENBLAS_CORETYPE` is always respected.
public enum BLASCore {
    /// Evaluated once (thread-safe lazy global) before the first BLAS call.
    static let ready: Bool = {
        #if os(Linux) && arch(x86_64) && !canImport(Accelerate)
        upgradeFallbackKernels()
        #endif
        return true
    }()

    /// The kernel family OpenBLAS is using ("SkylakeX", "Haswell", "Prescott", ...), after the
    /// upgrade below.
    public static var coreName: String {
        _ = ready
        return loadedCoreName
    }

    private static var loadedCoreName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #endif
    }

    #if os(Linux) && arch(x86_64) && !canImport(Accelerate)
    private static func upgradeFallbackKernels() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { return }
        let current = loadedCoreName.lowercased()
        // Only the generic fallbacks are replaced; a core OpenBLAS recognised is left alone.
        guard ["prescott", "core2", "nehalem", "sandybridge", "unknown"].contains(current) else { return }
        let flags = Processor.flags
        let wanted: String
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl")
            && flags.contains("avx512dq") {
            wanted = "SkylakeX"
        } else if flags.contains("avx2") && flags.contains("fma") {
            wanted = "Haswell"
        } else {
            return
        }
        guard wanted.lowercased() != current,
              // dlsym(nil, ...) is RTLD_DEFAULT on glibc: search every loaded library.
              let quitSymbol = dlsym(nil, "gotoblas_dynamic_quit"),
              let initSymbol = dlsym(nil, "gotoblas_dynamic_init")
        else { return }   // not a DYNAMIC_ARCH build: nothing to choose
        typealias VoidFunction = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        unsafeBitCast(quitSymbol, to: VoidFunction.self)()
        unsafeBitCast(initSymbol, to: VoidFunction.self)()
        unsetenv("OPENBLAS_CORETYPE")
    }

    #endif
}
