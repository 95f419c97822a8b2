import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Matrix products through the system BLAS (OpenBLAS on Linux, Accelerate on macOS), with the
/// work split across cores by the engine itself.
///
/// Why the engine splits the work rather than BLAS: a convolution here is many mid-size products
/// (16 per Winograd layer, 9 per weight gradient). Handing each to OpenBLAS's threads made the
/// cores meet and wait once per product, and OpenBLAS's idle workers spin while they wait: on
/// ResNet-18 training, 2 threads used 4.5 CPU seconds per step for a 1.1x speed-up over 1 thread.
/// So BLAS always runs single-threaded, on the calling thread, and the engine hands whole
/// products (or disjoint column/row blocks of one product) to its workers: one meeting per
/// layer, no spinning, and results that do not depend on what else the process is doing.
/// (This relies on OpenBLAS being callable from several threads at once, as its pthread and
/// OpenMP builds, Debian's included, are.)
extension Kernels {
    /// C = alpha * op(A) * op(B) + beta * C for row-major matrices; op(A) is m x k, op(B) is
    /// k x n, C is m x n. With `parallel: false` (or for a small product) it runs on the calling
    /// thread; otherwise the longer of C's two sides is cut into contiguous blocks (columns in
    /// multiples of 16, rows in multiples of 8), one per worker. The split is fixed for a thread
    /// count, so results are reproducible.
    package static func gemm(parallel: Bool = true, transposeA: Bool = false, transposeB: Bool = false,
                     m: Int, n: Int, k: Int,
                     alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float = 0,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        let splitColumns = n >= m
        let (side, unit) = splitColumns ? (n, 16) : (m, 8)
        let blocks = Swift.min(Threads.count, side / unit)
        if !parallel || blocks <= 1 || m * n * k < 1_000_000 {
            _ = BLASCore.ready
            cblas_sgemm(CblasRowMajor,
                        transposeA ? CblasTrans : CblasNoTrans,
                        transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha,
                        a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        Threads.concurrentPerform(blocks) { block in
            let units = side / unit
            let start = units * block / blocks * unit
            let end = block == blocks - 1 ? side : units * (block + 1) / blocks * unit
            if splitColumns {
                // Columns start..<end of op(B) and C.
                let bOffset = transposeB ? start * ldb : start
                gemm(parallel: false, transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k,
                     alpha: alpha, a: a, lda: lda, b: b + bOffset, ldb: ldb,
                     beta: beta, c: c + start, ldc: ldc)
            } else {
                // Rows start..<end of op(A) and C.
                let aOffset = transposeA ? start : start * lda
                gemm(parallel: false, transposeA: transposeA, transposeB: transposeB, m: end - start, n: n, k: k,
                     alpha: alpha, a: a + aOffset, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c + start * ldc, ldc: ldc)
            }
        }
    }

    /// Runs `count` independent products (`body(i)` calls `gemm(parallel: false, ...)`), spread evenly over the
    /// workers in contiguous runs: one meeting of the cores for the whole set.
    static func independentProducts(_ count: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(Threads.count, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        Threads.concurrentPerform(workers) { worker in
            for i in (count * worker / workers)..<(count * (worker + 1) / workers) { body(i) }
        }
    }
}
