import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

extension Kernels {
    /// One matrix product at a time per process. OpenBLAS splits a product across its threads
    /// differently when another product is already running (a second caller gets fewer threads),
    /// which changes the order of the sums and the last bits of the result. The engine itself
    /// never runs two products at once, but a host that trains two models on two threads (the
    /// parallel test runner does) would otherwise lose bit-for-bit reproducibility.
    private static let blasLock = NSLock()

    /// C = alpha * op(A) * op(B) + beta * C for row-major matrices, through the system BLAS
    /// (OpenBLAS on Linux, Accelerate on macOS). op(A) is m x k, op(B) is k x n, C is m x n.
    ///
    /// BLAS's own threads split each product. (Tried: splitting products across the engine's
    /// workers with single-threaded BLAS calls. On ResNet-18, 2 threads: eval 90-93 img/s against
    /// 116-125 with OpenBLAS's threads, training no better; reverted.)
    @inline(__always)
    static func gemm(transposeA: Bool = false, transposeB: Bool = false,
                     m: Int, n: Int, k: Int,
                     alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float = 0,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        _ = BLASCore.ready
        blasLock.lock()
        defer { blasLock.unlock() }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
