/* The kernels for x86-64 CPUs with AVX2, FMA and BMI2 (Haswell, AMD Zen and later),
   whatever CPU the build ran on. */
#if defined(__x86_64__)
#include <immintrin.h>
#include "CKernels.h"
#pragma clang attribute push(__attribute__((target("avx,avx2,fma,bmi,bmi2,popcnt,f16c"))), apply_to = function)
#define AE_TABLE ae_kernels_avx2
#define AE_AVX2 1
#include "kernels_body.h"
#pragma clang attribute pop
#endif
