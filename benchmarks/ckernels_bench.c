// Times each C kernel (Sources/CKernels) on each instruction set this processor has, on 256
// planes of each side (Winograd transforms) and on one BatchNorm layer: the per-kernel figures of
// BENCHMARKS.md entry 22, without the rest of a network step around them.
//
//   swift build -c release --product Benchmark
//   clang -O2 -ISources/CKernels/include benchmarks/ckernels_bench.c \
//       .build/release/CKernels.build/*.o -o /tmp/ckernels_bench && /tmp/ckernels_bench
//
// Only on x86-64 with AVX-512 (it runs all three paths; the engine itself checks first).
#include "CKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *names[] = {"baseline", "avx2", "avx512"};
static float *in, *out;   // random inputs; outputs

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/// The four Winograd transforms on 256 planes of side x side, best of 5, per path. Plane strides
/// are a cache line more than the planes' size, as the engine keeps them (`winogradPlaneStride`):
/// with powers of two every store of a tile falls into one cache set.
static void time_winograd(int side) {
    const long planes = 256, t2 = (side + 1) / 2, t4 = side / 4 ? side / 4 : 1;
    const long s2 = planes * t2 * t2 + 16, s4 = planes * t4 * t4 + 16;
    ck_channel_map map = {0.1f, 0.2f, 1.1f, 0.3f, 1, 1};
    for (int isa = 0; isa < 3; isa++) {
        double best[4] = {1e9, 1e9, 1e9, 1e9};
        for (int rep = 0; rep < 5; rep++) {
            double t[5];
            t[0] = now();
            for (long p = 0; p < planes; p++) ck_winograd_input_f2(isa, in + p * 1200, 2 * t2 + 2, t2, t2, out + p * t2 * t2, s2);
            t[1] = now();
            for (long p = 0; p < planes; p++) ck_winograd_input_f4(isa, in + p * 1500, 4 * t4 + 4, t4, t4, out + p * t4 * t4, s4);
            t[2] = now();
            for (long p = 0; p < planes; p++) ck_winograd_output_f2(isa, in + p * t2 * t2, s2, t2, t2, map, out + p * side * side, side, side);
            t[3] = now();
            for (long p = 0; p < planes; p++) ck_winograd_output_f4(isa, in + p * t4 * t4, s4, t4, t4, map, out + p * side * side);
            t[4] = now();
            for (int k = 0; k < 4; k++) if (t[k + 1] - t[k] < best[k]) best[k] = t[k + 1] - t[k];
        }
        printf("side %2d %-8s in_f2 %7.1f us  in_f4 %7.1f us  out_f2 %7.1f us  out_f4 %7.1f us\n", side, names[isa],
               best[0] * 1e6, best[1] * 1e6, best[2] * 1e6, best[3] * 1e6);
    }
}

/// One BatchNorm layer, 64 channels of 64 images of 16x16: the forward's statistics and map, then
/// the backward's sums with the fused ReLU's mask; best of 5 per path.
static void time_batchnorm(void) {
    double forward[3] = {1e9, 1e9, 1e9}, backward[3] = {1e9, 1e9, 1e9};
    for (int rep = 0; rep < 5; rep++)
        for (int isa = 0; isa < 3; isa++) {
            double m, v, a, b, t0 = now();
            for (int c = 0; c < 64; c++) ck_channel_moments(isa, in + c * 256, 64, 16384, 256, &m, &v);
            for (int c = 0; c < 64; c++) ck_channel_affine(isa, in + c * 256, out + c * 256, 64, 16384, 256, 0.1f, 1.2f, 0.3f, 1);
            double t1 = now();
            for (int c = 0; c < 64; c++)
                ck_channel_grad_sums(isa, in + c * 256, in + 2000000 + c * 256, out + c * 256, 64, 16384, 256, 0.1f, 1.2f, &a, &b);
            double t2 = now();
            if (t1 - t0 < forward[isa]) forward[isa] = t1 - t0;
            if (t2 - t1 < backward[isa]) backward[isa] = t2 - t1;
        }
    for (int isa = 0; isa < 3; isa++)
        printf("BatchNorm 64 ch x 64 img x 16x16 %-8s moments + affine %7.1f us  gradient sums %7.1f us\n", names[isa],
               forward[isa] * 1e6, backward[isa] * 1e6);
}

int main(void) {
    in = aligned_alloc(64, sizeof(float) << 22);
    out = aligned_alloc(64, sizeof(float) << 24);
    for (long i = 0; i < (1L << 22); i++) in[i] = (float)rand() / 2147483648.0f - 0.5f;
    int sides[] = {32, 16, 8, 4};
    for (int s = 0; s < 4; s++) time_winograd(sides[s]);
    time_batchnorm();
    return 0;
}
