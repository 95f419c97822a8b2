// The public entry points: each runs the instance for the instruction set it is given. The Swift
// side (InstructionSet.swift) passes only sets the processor has; off x86-64 there is only the
// baseline, whatever is asked.
#include "Instances.h"

#if defined(__x86_64__)
#define CK_DISPATCH(isa, name, ...)                                  \
    switch (isa) {                                                   \
    case CK_AVX512: name##_avx512(__VA_ARGS__); break;               \
    case CK_AVX2: name##_avx2(__VA_ARGS__); break;                   \
    default: name##_baseline(__VA_ARGS__); break;                    \
    }
#else
#define CK_DISPATCH(isa, name, ...) ((void)(isa), name##_baseline(__VA_ARGS__))
#endif

void ck_winograd_input_f2(ck_isa isa, const float *padded, long padded_w, long tiles_h, long tiles_w,
                          float *out, long plane_stride) {
    CK_DISPATCH(isa, ck_winograd_input_f2, padded, padded_w, tiles_h, tiles_w, out, plane_stride);
}

void ck_winograd_input_f4(ck_isa isa, const float *padded, long padded_w, long tiles_h, long tiles_w,
                          float *out, long plane_stride) {
    CK_DISPATCH(isa, ck_winograd_input_f4, padded, padded_w, tiles_h, tiles_w, out, plane_stride);
}

void ck_winograd_output_f2(ck_isa isa, const float *m, long plane_stride, long tiles_h, long tiles_w,
                           ck_channel_map map, float *plane, long height, long width) {
    CK_DISPATCH(isa, ck_winograd_output_f2, m, plane_stride, tiles_h, tiles_w, map, plane, height, width);
}

void ck_winograd_output_f4(ck_isa isa, const float *m, long plane_stride, long tiles_h, long tiles_w,
                           ck_channel_map map, float *plane) {
    CK_DISPATCH(isa, ck_winograd_output_f4, m, plane_stride, tiles_h, tiles_w, map, plane);
}

void ck_channel_moments(ck_isa isa, const float *x, long batch, long image_stride, long spatial,
                        double *mean, double *variance) {
    CK_DISPATCH(isa, ck_channel_moments, x, batch, image_stride, spatial, mean, variance);
}

void ck_channel_affine(ck_isa isa, const float *x, float *y, long batch, long image_stride, long spatial,
                       float mean, float scale, float shift, int relu) {
    CK_DISPATCH(isa, ck_channel_affine, x, y, batch, image_stride, spatial, mean, scale, shift, relu);
}

void ck_channel_grad_sums(ck_isa isa, const float *x, const float *gy, const float *relu_output,
                          long batch, long image_stride, long spatial, float mean, float invstd,
                          double *sum_gy, double *sum_gy_xhat) {
    CK_DISPATCH(isa, ck_channel_grad_sums, x, gy, relu_output, batch, image_stride, spatial, mean, invstd,
                sum_gy, sum_gy_xhat);
}

void ck_add_in_place(ck_isa isa, float *a, const float *b, long count) {
    CK_DISPATCH(isa, ck_add_in_place, a, b, count);
}

void ck_relu(ck_isa isa, const float *x, float *out, long count) {
    CK_DISPATCH(isa, ck_relu, x, out, count);
}

void ck_relu_backward(ck_isa isa, const float *y, const float *gy, float *gx, long count) {
    CK_DISPATCH(isa, ck_relu_backward, y, gy, gx, count);
}

void ck_add(ck_isa isa, const float *a, const float *b, float *out, long count) {
    CK_DISPATCH(isa, ck_add, a, b, out, count);
}

void ck_add_relu(ck_isa isa, const float *a, const float *b, float *out, long count) {
    CK_DISPATCH(isa, ck_add_relu, a, b, out, count);
}

void ck_spin_pause(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
