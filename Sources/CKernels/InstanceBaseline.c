// The kernels for any processor of the architecture (SSE2 on x86-64, NEON on arm64).
#include "Instances.h"

#define CK_SUFFIX baseline
#include "Bodies.h"
