import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// How many cores the engine uses. BLAS itself runs single-threaded: the engine hands it
/// independent pieces of work on each core (see GEMM.swift).
///
/// Work is always split into the same chunks for a given thread count, and no sum is split
/// across threads unless its parts are combined in a fixed order, so a run is reproducible for a
/// given seed and thread count.
public enum Threads {
    nonisolated(unsafe) public private(set) static var count: Int = {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        setBLASThreads(cores)
        return cores
    }()

    /// Sets the number of threads (the `--threads` flag). Values below 1 mean 1.
    public static func set(_ threads: Int) {
        count = max(1, threads)
        setBLASThreads(count)
    }

    private static func setBLASThreads(_ threads: Int) {
        _ = BLASCore.ready
        _ = MemoryPolicy.applied
        #if !canImport(Accelerate)
        // BLAS runs on the calling thread; the engine spreads products over cores (GEMM.swift).
        openblas_set_num_threads(1)
        #endif
    }
}

/// Runs `body` on `0..<n` split into at most `Threads.count` contiguous ranges, in parallel.
/// Small jobs (`n * costPerItem` below a threshold) run on the calling thread.
@inline(__always)
package func parallelFor(_ n: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let workers = min(Threads.count, n)
    if workers <= 1 || n * costPerItem < 32_768 {
        body(0..<n)
        return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = n * worker / workers
        let end = n * (worker + 1) / workers
        if start < end { body(start..<end) }
    }
}

extension Kernels {
    /// How many workers share a batch: one per core, but no more than there are images.
    static func workerCount(for batch: Int) -> Int { Swift.max(1, Swift.min(Threads.count, batch)) }

    /// Splits a batch into one contiguous share of images per worker and runs `body(worker,
    /// images)` for each on its own core (all kernels inside run on that core alone). The im2col
    /// convolution (`forEachImageBlock`) and the stride-2 Winograd path share the batch this way.
    ///
    /// Why: the stride-2 Winograd path works through a batch in groups small enough to stay in
    /// a core's L2 cache (one or a few images). Splitting each group's steps across the cores
    /// made them meet several times per group, hundreds of times per layer; a core that owns its
    /// images runs the whole layer on them without waiting for the other. (Tried on the stride-1
    /// paths too: evaluation gained, training lost 5-10% of CPU time per ResNet-18 step in five
    /// interleaved pairs, so they keep their shared groups.)
    /// `workers` is `workerCount(for: batch)`, read once by a caller that sizes buffers by it.
    static func forEachWorkerShare(of batch: Int, workers: Int? = nil,
                                   _ body: (_ worker: Int, _ images: Range<Int>) -> Void) {
        let workers = workers ?? workerCount(for: batch)
        func share(_ worker: Int) -> Range<Int> { (batch * worker / workers)..<(batch * (worker + 1) / workers) }
        if workers == 1 { body(0, share(0)) } else { DispatchQueue.concurrentPerform(iterations: workers) { body($0, share($0)) } }
    }
}
