// The kernels for x86-64 processors with AVX2 and FMA (8 floats per register).
#include "Instances.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define CK_SUFFIX avx2
#include "Bodies.h"
#pragma clang attribute pop
#endif
