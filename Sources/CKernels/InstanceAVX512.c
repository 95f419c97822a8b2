// The kernels for x86-64 processors with AVX-512 F, VL, BW and DQ (16 floats per register).
#include "Instances.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma"))), apply_to = function)
#define CK_SUFFIX avx512
#include "Bodies.h"
#pragma clang attribute pop
#endif
