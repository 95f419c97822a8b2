import Foundation

/// Scratch memory for kernels (unfolded im2col matrices, Winograd tiles, GEMM products), reused
/// from one call to the next.
///
/// Why: a convolution needs megabytes of temporary buffers. Allocating them per call made the
/// kernel zero fresh pages on every step (page faults were ~10% of a ResNet-18 training step).
/// Buffers handed back are kept in a small pool and handed out again; in the steady state of a
/// training loop no scratch memory is allocated at all.
enum Workspace {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pool: [Storage] = []
    /// At most this many idle buffers are kept: a Winograd convolution holds three at a time, an
    /// im2col one two per core plus the partial sums.
    private static var capacity: Int { 2 * Threads.count + 4 }

    /// Runs `body` with a buffer of at least `count` floats (contents undefined), then takes it back.
    static func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let storage = take(count)
        defer { give(storage) }
        return try body(storage.pointer)
    }

    /// Two buffers at once.
    static func with<R>(_ first: Int, _ second: Int,
                        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try with(first) { a in try with(second) { b in try body(a, b) } }
    }

    private static func take(_ count: Int) -> Storage {
        lock.lock()
        defer { lock.unlock() }
        // The smallest idle buffer that is large enough.
        var best: Int?
        for (i, s) in pool.enumerated() where s.count >= count {
            if best == nil || s.count < pool[best!].count { best = i }
        }
        if let best { return pool.remove(at: best) }
        // None fits: drop the largest idle one (it is too small anyway) and allocate afresh.
        if pool.count >= capacity, let largest = pool.indices.max(by: { pool[$0].count < pool[$1].count }) {
            pool.remove(at: largest)
        }
        return Storage(count: count)
    }

    private static func give(_ storage: Storage) {
        lock.lock()
        defer { lock.unlock() }
        pool.append(storage)
        if pool.count > capacity, let smallest = pool.indices.min(by: { pool[$0].count < pool[$1].count }) {
            pool.remove(at: smallest)
        }
    }
}

/// How the C allocator treats tensor-sized blocks.
///
/// Why: glibc returns freed memory above 128 KB to the system (mmap / heap trimming), so every
/// training step faulted in and zeroed its activations and gradients afresh (the kernel's
/// `clear_page` showed up at ~8% of a ResNet-18 step). Raising the mmap threshold to its
/// maximum (32 MB) and not trimming the heap keeps freed blocks for the next step's tensors.
/// Peak memory is unchanged (the same tensors are alive at once); only the churn goes.
enum MemoryPolicy {
    static let applied: Bool = {
        #if os(Linux)
        // mallopt is declared in <malloc.h>, which Swift's Glibc module does not export.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        if let symbol = dlsym(nil, "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
            _ = mallopt(mmapThreshold, 32 << 20)
            _ = mallopt(trimThreshold, Int32.max)
        }
        #endif
        return true
    }()
}
