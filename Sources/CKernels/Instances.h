// The per-instruction-set entry points Bodies.h defines, declared for the dispatcher (Dispatch.c).
#ifndef CKERNELS_INSTANCES_H
#define CKERNELS_INSTANCES_H
#include "CKernels.h"

#define CK_DECLARE(suffix) \
    void ck_winograd_input_f2_##suffix(const float *, long, long, long, float *, long); \
    void ck_winograd_input_f4_##suffix(const float *, long, long, long, float *, long); \
    void ck_winograd_output_f2_##suffix(const float *, long, long, long, ck_channel_map, float *, long, long); \
    void ck_winograd_output_f4_##suffix(const float *, long, long, long, ck_channel_map, float *); \
    void ck_channel_moments_##suffix(const float *, long, long, long, double *, double *); \
    void ck_channel_affine_##suffix(const float *, float *, long, long, long, float, float, float, int); \
    void ck_channel_grad_sums_##suffix(const float *, const float *, const float *, long, long, long, float, float, \
                                       double *, double *); \
    void ck_add_in_place_##suffix(float *, const float *, long); \
    void ck_add_##suffix(const float *, const float *, float *, long); \
    void ck_relu_##suffix(const float *, float *, long); \
    void ck_relu_backward_##suffix(const float *, const float *, float *, long); \
    void ck_add_relu_##suffix(const float *, const float *, float *, long);

CK_DECLARE(baseline)
#if defined(__x86_64__)
CK_DECLARE(avx2)
CK_DECLARE(avx512)
#endif

#endif
