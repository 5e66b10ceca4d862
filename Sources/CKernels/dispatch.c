/* Which levels this CPU runs, and their tables. */
#include "CKernels.h"

extern const AEKernels ae_kernels_generic;
#if defined(__x86_64__)
#include <cpuid.h>
extern const AEKernels ae_kernels_avx2;
extern const AEKernels ae_kernels_avx512;

/* XCR0: the register state the operating system saves on a context switch. */
static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static int x86_supports(int level) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, popcnt = (c >> 23) & 1;
    if (!(fma && osxsave && avx && popcnt)) return 0;
    const unsigned long long xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return 0; /* XMM and YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const int avx2 = (b >> 5) & 1, bmi1 = (b >> 3) & 1, bmi2 = (b >> 8) & 1;
    if (!(avx2 && bmi1 && bmi2)) return 0;
    if (level == AE_LEVEL_AVX2) return 1;
    const int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    if ((xcr0 & 0xE0) != 0xE0) return 0; /* opmask and ZMM state */
    return level == AE_LEVEL_AVX512 && f && dq && bw && vl;
}
#endif

int ae_level_supported(int level) {
    switch (level) {
    case AE_LEVEL_GENERIC: return 1;
#if defined(__x86_64__)
    case AE_LEVEL_AVX2:
    case AE_LEVEL_AVX512: return x86_supports(level);
#endif
    default: return 0;
    }
}

int ae_cpu_halves_512_bit_vectors(void) {
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    const int amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; /* "AuthenticAMD" */
    if (!amd || !__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned int base = (a >> 8) & 0xF, extended = (a >> 20) & 0xFF;
    return (base == 0xF ? base + extended : base) == 0x19;
#else
    return 0;
#endif
}

const AEKernels *ae_kernels(int level) {
    switch (level) {
    case AE_LEVEL_GENERIC: return &ae_kernels_generic;
#if defined(__x86_64__)
    case AE_LEVEL_AVX2: return &ae_kernels_avx2;
    case AE_LEVEL_AVX512: return &ae_kernels_avx512;
#endif
    default: return 0;
    }
}
