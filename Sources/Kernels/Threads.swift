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
    /// The cores the engine uses here: all of them, or what the innermost `using` scope set.
    public static var count: Int { scoped ?? all }

    @TaskLocal private static var scoped: Int?
    private static let all: Int = {
        _ = BLASCore.ready
        _ = MemoryPolicy.applied
        #if !canImport(Accelerate)
        // BLAS runs on the calling thread; the engine spreads products over cores (GEMM.swift).
        openblas_set_num_threads(1)
        #endif
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Runs `body` on `threads` cores (the `--threads` flag; values below 1 mean 1).
    public static func using<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        _ = all   // BLAS set up once, before the first product
        return try $scoped.withValue(max(1, threads)) { try body() }
    }

    /// Runs `body(0..<workers)` in parallel: on the engine's `WorkerPool`, or on Dispatch's threads
    /// when the pool is running another job. Task-local values do not follow work onto other
    /// threads, so each worker is given the caller's thread count and kernel options again: a
    /// kernel called inside sees what its caller sees.
    static func concurrentPerform(_ workers: Int, _ body: (Int) -> Void) {
        let (threads, options) = (count, KernelOptions.current)
        let scoped = { (worker: Int) in
            $scoped.withValue(threads) { KernelOptions.$current.withValue(options) { body(worker) } }
        }
        if WorkerPool.shared.run(workers, scoped) { return }
        // Unchecked: concurrentPerform returns only when every worker has, so `body` (and what it
        // captures, typically pointers into buffers each worker writes a disjoint part of) outlives them.
        withoutActuallyEscaping(scoped) { scoped in
            let work = UncheckedSendable(scoped)
            DispatchQueue.concurrentPerform(iterations: workers) { work.value($0) }
        }
    }
}

/// A value handed to Dispatch's worker threads under a guarantee the compiler cannot see (stated
/// where it is used).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
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
    Threads.concurrentPerform(workers) { worker in
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
        if workers == 1 { body(0, share(0)) } else { Threads.concurrentPerform(workers) { body($0, share($0)) } }
    }
}
