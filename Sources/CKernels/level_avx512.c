/* The kernels for x86-64 CPUs with AVX-512 F, BW, VL and DQ (Skylake-X, AMD Zen 4 and
   later), whatever CPU the build ran on. */
#if defined(__x86_64__)
#include <immintrin.h>
#include "CKernels.h"
#pragma clang attribute push( \
    __attribute__((target("avx,avx2,fma,bmi,bmi2,popcnt,f16c,avx512f,avx512bw,avx512vl,avx512dq"))), \
    apply_to = function)
#define AE_TABLE ae_kernels_avx512
#define AE_AVX512 1
#include "kernels_body.h"
#pragma clang attribute pop
#endif
