// The engine's hot loops in C, compiled once per instruction set and chosen at run time.
//
// Why C: Swift has no per-function target attribute, so Swift code is compiled for the baseline
// x86-64 (SSE2) only. Clang compiles the same loops three times here (Instances*.c), for the
// baseline, for AVX2 + FMA and for AVX-512, and every entry point below takes the instruction
// set to run (`ck_isa`), which the Swift side reads from its task-local KernelOptions.
//
// Every path does the same float operations in the same order (no contraction into FMA, no
// reassociation: see Bodies.h), so all three give bit-identical results; the wider paths only
// do more of them per instruction.
#ifndef CKERNELS_H
#define CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction sets the kernels are compiled for. A caller must pass only one the processor
/// has (the Swift side checks); on other architectures than x86-64 every value runs the baseline.
typedef enum ck_isa { CK_BASELINE = 0, CK_AVX2 = 1, CK_AVX512 = 2 } ck_isa;

/// What a convolution does to each value it writes (Swift's ChannelMap): v + bias, then, with
/// `affine`, (v - mean) * scale + shift, then, with `relu`, 0 where v < 0 (NaN stays NaN).
typedef struct ck_channel_map {
    float bias, mean, scale, shift;
    int affine, relu;
} ck_channel_map;

// Winograd transforms, one image plane at a time (Winograd.swift, WinogradF4.swift describe them).

/// F(2x2, 3x3) input: Bᵀ d B for every 4x4 tile (2 apart) of a zero-bordered plane 2 * tilesW + 2
/// wide (`padded_w`), 2 * tilesH + 2 rows; tile t's value ξ goes to out[ξ * plane_stride + t].
void ck_winograd_input_f2(ck_isa isa, const float *padded, long padded_w, long tiles_h, long tiles_w,
                          float *out, long plane_stride);

/// F(4x4, 3x3) input: Bᵀ d B for every 6x6 tile (4 apart) of a zero-bordered plane at least
/// 4 * tilesW + 4 wide, 4 * tilesH + 2 rows; tile t's value ξ goes to out[ξ * plane_stride + t].
void ck_winograd_input_f4(ck_isa isa, const float *padded, long padded_w, long tiles_h, long tiles_w,
                          float *out, long plane_stride);

/// F(2x2, 3x3) output: Aᵀ m A through `map` for every tile of one H x W plane (edge tiles of odd
/// sizes clipped), m[ξ * plane_stride + t].
void ck_winograd_output_f2(ck_isa isa, const float *m, long plane_stride, long tiles_h, long tiles_w,
                           ck_channel_map map, float *plane, long height, long width);

/// F(4x4, 3x3) output: Aᵀ m A through `map` for every tile of one plane whose sides are
/// 4 * tilesH and 4 * tilesW, m[ξ * plane_stride + t].
void ck_winograd_output_f4(ck_isa isa, const float *m, long plane_stride, long tiles_h, long tiles_w,
                           ck_channel_map map, float *plane);

// BatchNorm, one channel at a time: its values are `batch` runs of `spatial` floats, the run of
// image n starting at x + n * image_stride.

/// Mean and biased variance of the channel (double accumulation, two passes).
void ck_channel_moments(ck_isa isa, const float *x, long batch, long image_stride, long spatial,
                        double *mean, double *variance);

/// y = (x - mean) * scale + shift, and with `relu` 0 where that is below 0.
void ck_channel_affine(ck_isa isa, const float *x, float *y, long batch, long image_stride, long spatial,
                       float mean, float scale, float shift, int relu);

/// Sum of gy and of gy * (x - mean) * invstd over the channel; with `relu_output` (nullable) gy
/// counts only where that output is above 0.
void ck_channel_grad_sums(ck_isa isa, const float *x, const float *gy, const float *relu_output,
                          long batch, long image_stride, long spatial, float mean, float invstd,
                          double *sum_gy, double *sum_gy_xhat);

// Elementwise, over `count` floats.

/// a[i] += b[i]
void ck_add_in_place(ck_isa isa, float *a, const float *b, long count);
/// out[i] = a[i] + b[i]
void ck_add(ck_isa isa, const float *a, const float *b, float *out, long count);
/// out[i] = x[i] < 0 ? 0 : x[i]
void ck_relu(ck_isa isa, const float *x, float *out, long count);
/// gx[i] = y[i] <= 0 ? 0 : gy[i]
void ck_relu_backward(ck_isa isa, const float *y, const float *gy, float *gx, long count);
/// out[i] = max(a[i] + b[i], 0), NaN kept
void ck_add_relu(ck_isa isa, const float *a, const float *b, float *out, long count);

/// A hint to the processor that this thread is waiting in a loop (x86 `pause`, Arm `yield`).
void ck_spin_pause(void);

#ifdef __cplusplus
}
#endif

#endif
