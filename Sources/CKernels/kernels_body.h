/* The kernels, written once over 16-float vectors and compiled by each level_*.c under
   its own target attribute: the compiler turns a 16-float operation into one AVX-512
   instruction, two AVX2 ones or four SSE2 ones, and contracts a * b + c into a fused
   multiply-add where the level has FMA. Level-specific code (compress and expand,
   permutes, tile transposes) sits under AE_AVX512 / AE_AVX2; the generic loops beside
   it are the same computation.

   Before including this file a level file defines AE_TABLE (the table's name) and,
   for its level, AE_AVX512 or AE_AVX2, and pushes its target attribute. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang diagnostic ignored "-Wpsabi"

#define AE_INLINE static inline __attribute__((always_inline))
#define N_INPUTS 784
#define CHUNKS (N_INPUTS / 16)

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef uint32_t v16u __attribute__((vector_size(64)));
typedef uint64_t v8u64 __attribute__((vector_size(64)));
typedef uint8_t v16b __attribute__((vector_size(16)));

AE_INLINE v16f vload(const float *p) { v16f v; memcpy(&v, p, sizeof v); return v; }
AE_INLINE void vstore(v16f v, float *p) { memcpy(p, &v, sizeof v); }
#if defined(AE_AVX512)
/* A store past the caches: p on a 64-byte line. */
AE_INLINE void stream(v16f v, float *p) { _mm512_stream_ps(p, (__m512)v); }
#else
AE_INLINE void stream(v16f v, float *p) { vstore(v, p); }
#endif
AE_INLINE v16f splat(float x) { return (v16f){0} + x; }
/* x in every lane, -0 kept (splat's + 0 turns it into +0, and costs an add). */
AE_INLINE v16f broadcast(float x) { return (v16f){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }
AE_INLINE v16f select_bits(v16i mask, v16f a, v16f b) { /* mask ? a : b, per lane (mask all ones or zero) */
    return (v16f)(((v16i)a & mask) | ((v16i)b & ~mask));
}
AE_INLINE v16f masked(v16f v, v16i keep) { return (v16f)((v16i)v & keep); }

/* The sum of a vector's lanes, in lane order. */
AE_INLINE float lane_sum(v16f v) {
    float s = 0;
    for (int i = 0; i < 16; i++) s += v[i];
    return s;
}

/* exp(x): Cephes' range reduction and degree-5 polynomial, relative error below 2e-7
   on [-87, 88]; inputs outside are clamped; NaN stays NaN. */
AE_INLINE v16f vexp(v16f input) {
    v16f x = select_bits(input < -87.3f, splat(-87.3f), input);
    x = select_bits(x > 88.3f, splat(88.3f), x);
    /* n = round(x / ln 2): adding 1.5 * 2^23 leaves n in the low mantissa bits */
    const v16f magic = splat(12582912.0f);
    v16f t = x * 1.44269504f + magic;
    v16f n = t - magic;
    /* r = x - n ln 2, with ln 2 in two parts for accuracy */
    v16f r = x - n * 0.693359375f;
    r = r + n * 2.1219444e-4f;
    v16f p = splat(1.98756915e-4f);
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.1665796e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.0000001e-1f;
    p = p * (r * r) + r + 1;
    /* 2^n through the exponent bits */
    v16i bits = (((v16i)t - 0x4B400000) + 127) << 23;
    return p * (v16f)bits;
}

AE_INLINE v16f vsigmoid(v16f x) { return 1 / (1 + vexp(-x)); }

/* MARK: - Active units: pack and spread */

/* target[k] = row[list[k]] for k in first..<count. */
AE_INLINE void pack_row(const float *row, float *target, long first, const AEActiveSet *s) {
    for (long k = first; k < s->count; k++) target[k] = row[s->list[k]];
}

/* In place, columns lowest..<units of a row holding its packed values first: from the
   top down, each active unit's column takes its packed value (at or below it, so not yet
   overwritten) and the others take zero. */
AE_INLINE void spread_row(float *row, long lowest, const AEActiveSet *s) {
    long k = s->count - 1;
    for (long j = s->units - 1; j >= lowest; j--) {
        if (k >= 0 && s->list[k] == j) { row[j] = row[k]; k--; } else { row[j] = 0; }
    }
}

#if defined(AE_AVX2)
/* For each 8-bit mask: the lanes a compress (pack) takes, in order, then zeros; and
   for expand (spread), the packed position each lane takes. Built once. */
static int32_t compress_table[256][8], expand_table[256][8];
static int tables_ready;

static void build_tables(void) {
    for (int m = 0; m < 256; m++) {
        int k = 0;
        for (int i = 0; i < 8; i++) {
            expand_table[m][i] = (m >> i & 1) ? k : 0;
            if (m >> i & 1) compress_table[m][k++] = i;
        }
        for (; k < 8; k++) compress_table[m][k] = 0;
    }
    __atomic_store_n(&tables_ready, 1, __ATOMIC_RELEASE);
}

AE_INLINE void ensure_tables(void) {
    if (!__atomic_load_n(&tables_ready, __ATOMIC_ACQUIRE)) build_tables(); /* idempotent */
}

/* 8 floats of `row` compressed by mask m into target (writes 8 floats). */
AE_INLINE void compress8(const float *row, uint32_t m, float *target) {
    __m256i idx = _mm256_loadu_si256((const __m256i *)compress_table[m]);
    _mm256_storeu_ps(target, _mm256_permutevar8x32_ps(_mm256_loadu_ps(row), idx));
}

/* The first popcount(m) floats at source expanded by mask m into the 8 floats at row. */
AE_INLINE void expand8(const float *source, uint32_t m, float *row) {
    __m256i idx = _mm256_loadu_si256((const __m256i *)expand_table[m]);
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    __m256i on = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)m), lanes), lanes);
    __m256 v = _mm256_permutevar8x32_ps(_mm256_loadu_ps(source), idx);
    _mm256_storeu_ps(row, _mm256_and_ps(v, _mm256_castsi256_ps(on)));
}
#endif

static void pack(const float *m, long rows, long ldm, float *out, long ldo, const AEActiveSet *s) {
    if (rows <= 0 || s->count <= 0) return;
    long vector_rows = 0;
#if defined(AE_AVX512) || defined(AE_AVX2)
    const long full = s->units / 16, groups = (s->units + 15) / 16;
    /* the last rows, whose 16-float stores could reach past the last row's values, take
       the plain loop */
    vector_rows = rows - (16 + ldo - 1) / ldo;
    if (vector_rows < 0) vector_rows = 0;
#if defined(AE_AVX2)
    ensure_tables();
#endif
    for (long r = 0; r < vector_rows; r++) {
        const float *row = m + r * ldm;
        float *target = out + r * ldo;
        for (long g = 0; g < full; g++) {
            const uint32_t mask = s->masks[g];
#if defined(AE_AVX512)
            const __m512 packed = _mm512_maskz_compress_ps((__mmask16)mask, _mm512_loadu_ps(row + 16 * g));
            _mm512_storeu_ps(target + s->offsets[g], packed);
#else
            compress8(row + 16 * g, mask & 0xff, target + s->offsets[g]);
            compress8(row + 16 * g + 8, mask >> 8, target + s->offsets[g] + __builtin_popcount(mask & 0xff));
#endif
        }
        if (full < groups) pack_row(row, target, s->offsets[full], s);
    }
#endif
    for (long r = vector_rows; r < rows; r++) pack_row(m + r * ldm, out + r * ldo, 0, s);
}

static void spread(float *m, long rows, long ld, const AEActiveSet *s) {
#if defined(AE_AVX512) || defined(AE_AVX2)
    const long full = s->units / 16, groups = (s->units + 15) / 16;
#if defined(AE_AVX2)
    ensure_tables();
#endif
    for (long r = 0; r < rows; r++) {
        float *row = m + r * ld;
        /* the tail first, then whole groups from the top down: group g's packed values
           sit at or below 16 g, so no group overwrites a lower group's before it moves */
        if (full < groups) spread_row(row, 16 * full, s);
        for (long g = full - 1; g >= 0; g--) {
            const uint32_t mask = s->masks[g];
            const float *source = row + s->offsets[g];
#if defined(AE_AVX512)
            __m512 packed = _mm512_maskz_loadu_ps((__mmask16)((1u << __builtin_popcount(mask)) - 1), source);
            _mm512_storeu_ps(row + 16 * g, _mm512_maskz_expand_ps((__mmask16)mask, packed));
#else
            /* the high half first: its store (16 g + 8 ..< 16 g + 16) lies above the low
               half's packed values (below offsets[g] + popcount(low) <= 16 g + 8) */
            const uint32_t low = mask & 0xff;
            expand8(source + __builtin_popcount(low), mask >> 8, row + 16 * g + 8);
            expand8(source, low, row + 16 * g);
#endif
        }
    }
#else
    for (long r = 0; r < rows; r++) spread_row(m + r * ld, 0, s);
#endif
}

/* MARK: - Transpose */

#if defined(AE_AVX512)
/* Where the two rows of a pair take their elements from when a round of
   transpose_registers swaps the off-diagonal blocks of `size` elements. */
AE_INLINE void transpose_indices(__m512i low[4], __m512i high[4]) {
    for (int round = 0, size = 8; round < 4; round++, size /= 2) {
        int32_t lo[16], hi[16];
        for (int j = 0; j < 16; j++) {
            lo[j] = (j & size) == 0 ? j : 16 + j - size;
            hi[j] = (j & size) == 0 ? j + size : 16 + j;
        }
        low[round] = _mm512_loadu_si512(lo);
        high[round] = _mm512_loadu_si512(hi);
    }
}

/* r (16 rows of 16) = r^T in four rounds that swap the off-diagonal blocks of 8, 4, 2
   and 1 elements between pairs of rows. */
AE_INLINE void transpose_registers(__m512 r[16], const __m512i low[4], const __m512i high[4]) {
    for (int round = 0, size = 8; round < 4; round++, size /= 2) {
        for (int i = 0; i < 16; i += 2 * size) {
            for (int k = i; k < i + size; k++) {
                __m512 x = r[k], y = r[k + size];
                r[k] = _mm512_permutex2var_ps(x, low[round], y);
                r[k + size] = _mm512_permutex2var_ps(x, high[round], y);
            }
        }
    }
}

/* b[0..<16, 0..<16] = a[0..<16, 0..<16]^T. */
AE_INLINE void transpose_tile(const float *a, long lda, float *b, long ldb, const __m512i low[4],
                              const __m512i high[4]) {
    __m512 r[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(a + i * lda);
    transpose_registers(r, low, high);
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(b + i * ldb, r[i]);
}
#define TILE 16
#elif defined(AE_AVX2)
/* b[0..<8, 0..<8] = a[0..<8, 0..<8]^T: unpack pairs of rows, shuffle pairs of pairs,
   then swap 128-bit halves. */
AE_INLINE void transpose_tile(const float *a, long lda, float *b, long ldb) {
    __m256 r0 = _mm256_loadu_ps(a), r1 = _mm256_loadu_ps(a + lda), r2 = _mm256_loadu_ps(a + 2 * lda),
           r3 = _mm256_loadu_ps(a + 3 * lda), r4 = _mm256_loadu_ps(a + 4 * lda), r5 = _mm256_loadu_ps(a + 5 * lda),
           r6 = _mm256_loadu_ps(a + 6 * lda), r7 = _mm256_loadu_ps(a + 7 * lda);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(b, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(b + ldb, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(b + 2 * ldb, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(b + 3 * ldb, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(b + 4 * ldb, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(b + 5 * ldb, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(b + 6 * ldb, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(b + 7 * ldb, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#define TILE 8
#else
#define TILE 16
#endif

static void transpose(const float *a, long rows, long columns, float *b, long ldb, long first, long last) {
    long q = first;
#if defined(AE_AVX512) || defined(AE_AVX2)
    const long full_rows = rows / TILE * TILE;
#if defined(AE_AVX512)
    __m512i low[4], high[4];
    transpose_indices(low, high);
#endif
    for (; q + TILE <= last; q += TILE) {
        for (long p = 0; p < full_rows; p += TILE) {
#if defined(AE_AVX512)
            transpose_tile(a + p * columns + q, columns, b + q * ldb + p, ldb, low, high);
#else
            transpose_tile(a + p * columns + q, columns, b + q * ldb + p, ldb);
#endif
        }
        for (long k = 0; k < TILE; k++)
            for (long p = full_rows; p < rows; p++) b[(q + k) * ldb + p] = a[p * columns + q + k];
    }
#else
    /* sixteen rows of b at a time: one vector load of a row of a feeds all of them */
    for (; q + TILE <= last; q += TILE) {
        for (long p = 0; p < rows; p++) {
            v16f v = vload(a + p * columns + q);
            for (int k = 0; k < 16; k++) b[(q + k) * ldb + p] = v[k];
        }
    }
#endif
    for (; q < last; q++)
        for (long p = 0; p < rows; p++) b[q * ldb + p] = a[p * columns + q];
}

/* MARK: - Dense products */

/* Lanes lo..<hi of v into out[lo..<hi]: a chunk only partly in range. */
AE_INLINE void store_lanes(v16f v, float *out, long lo, long hi) {
    for (long l = lo; l < hi; l++) out[l] = v[l];
}


/* c = a b, the dense products' kernel: c[r, n] = sum over k < depth, in order, of
   a[r rs + k ks] b[k ldb + n], each term fused into the sum where the level has FMA.
   One tile of MM_ROWS rows by MM_VECS vectors of columns lives in registers while k
   runs over the whole depth: per k, MM_VECS loads of b's row and MM_ROWS broadcasts of
   a's column feed MM_ROWS x MM_VECS multiply-adds. The tile is as large as the level's
   registers hold: 12 x 32 (24 of AVX-512's 32 registers), 6 x 16 (12 of AVX2's 16), 2 x
   16 otherwise. A rows' tail runs the same tile with its row count a constant; a
   columns' tail loads and stores only its lanes, and at AVX-512 a last panel of 16
   columns or fewer runs a tile one vector wide: the packed layout's 164-175 active units
   (no regularizer, 256 units) end in such a panel, and its second vector's multiply-adds
   were a twelfth of dhd's and dw2's (alone, one thread, 170 columns: dhd 168 -> 154 µs,
   dw2 185 -> 166). With `b_rows`, b's row k is row b_rows[k] (the active units' rows of
   a transposed hidden layer). `store` STORE_TRANSPOSED stores c[r, n] at c[n ldc + r]: at
   AVX-512 the tile is transposed in registers first (the compiler stored it a float at a
   time: alone, one thread, z2 for 64 examples at 256 units, 111-115 -> 98-100 µs, what
   the same product takes untransposed); elsewhere lane by lane, once per depth of
   multiply-adds. STORE_STREAMED (which `multiply` chooses for a large c) stores a plain
   c's whole vectors past the caches. */
#if defined(AE_AVX512)
#define MM_ROWS 12
#define MM_VECS 2
#elif defined(AE_AVX2)
#define MM_ROWS 6
#define MM_VECS 1
#else
#define MM_ROWS 2
#define MM_VECS 1
#endif
#define MM_COLUMNS (16 * MM_VECS)
/* The rows a transposed product's block holds, its row stride, and the row strides of
   c^T (in floats, multiples of this) that go through such a block (see multiply_layout). */
#define TRANSPOSED_ROWS (8 * MM_ROWS)
#define TRANSPOSED_STRIDE (TRANSPOSED_ROWS + 16)
#define TRANSPOSED_ALIASING 128
/* How a tile's sums go out to c: as rows of c, into c^T, or as rows of c past the caches
   (STREAMED_C). */
#define STORE_PLAIN 0
#define STORE_TRANSPOSED 1
#define STORE_STREAMED 2
/* The size of c (rows x ldc floats, 4 MB) from which whole vectors of a non-transposed c
   at the AVX-512 level are stored past the caches, lines of c's rows on 64-byte lines
   written whole: a weight gradient's rows at 4096 units (6.4 MB a thread), which no cache
   keeps until the optimizer reads them, were each read in first only to be overwritten.
   Alone, one thread, dw2 for 392 outputs at 4096 units, c out of the caches: 2111-2285
   -> 1818-1906 µs (Zen 5); in the step (`autoenc bench --hidden 4096`, 5 alternated
   rounds) dw2's phase 2262-2406 -> 1963-2172 µs and the step 12.3-12.7 -> 11.6-12.0 ms
   in 4 of them. Below that size the optimizer finds the rows in the last-level cache. */
#define STREAMED_C 1048576
/* The size of b (depth x ldb floats, 1 MB) from which the tiles ask for the next panel of
   b ahead (prefetch_panel). */
#define PREFETCHED_B 262144

/* The first `count` (0...16) floats at p, zeros in the other lanes; nothing past them read. */
AE_INLINE v16f vload_part(const float *p, long count) {
#if defined(AE_AVX512)
    return (v16f)_mm512_maskz_loadu_ps((__mmask16)((1u << count) - 1), p);
#elif defined(AE_AVX2)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 low = _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lane));
    const __m256 high = _mm256_maskload_ps(p + 8, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count - 8), lane));
    v16f v;
    memcpy(&v, &low, 32);
    memcpy((char *)&v + 32, &high, 32);
    return v;
#else
    v16f v = {0};
    for (long l = 0; l < count; l++) v[l] = p[l];
    return v;
#endif
}

/* One tile: `rows` (a constant once inlined) rows by `columns` columns in `vecs`
   vectors (all 16 x vecs when `whole`). `layout` 1: a's rows are contiguous (ks 1); 2: its
   columns are (rs 1); 0: neither; 3: as 1, b's rows through b_rows. Constants too, so that
   the broadcasts' addresses are fixed offsets and the loop over the depth holds no test of
   b_rows (at AVX2 that test and its reload were a quarter of the loop's instructions). */
AE_INLINE void multiply_tile(const int rows, const int vecs, const int whole, const int layout, const float *a,
                             long rs, long ks, const float *b, long ldb, const int32_t *b_rows, float *c, long ldc,
                             long columns, long depth, int store) {
    if (layout == 1 || layout == 3) ks = 1;
    if (layout == 2) rs = 1;
    v16f acc[MM_ROWS][MM_VECS];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) acc[r][v] = splat(0);
    long lanes[MM_VECS];
    for (int v = 0; v < vecs; v++) {
        const long left = columns - 16 * v;
        lanes[v] = left < 0 ? 0 : left > 16 ? 16 : left;
    }
    for (long k = 0; k < depth; k++) {
        const long row = layout == 3 ? b_rows[k] : layout == 1 ? k : b_rows ? b_rows[k] : k;
        const float *bk = b + row * ldb;
        v16f bv[MM_VECS];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++)
            bv[v] = whole ? vload(bk + 16 * v) : vload_part(bk + 16 * v, lanes[v]);
        const float *ak = a + k * ks;
        _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++) {
            const v16f x = broadcast(ak[r * rs]);
            _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) acc[r][v] += x * bv[v];
        }
    }
    if (store == STORE_TRANSPOSED) {
#if defined(AE_AVX512)
        /* each vector's 16 columns of the tile, transposed in registers, go out as 16
           stores of `rows` lanes */
        __m512i low[4], high[4];
        transpose_indices(low, high);
        const __mmask16 keep = (__mmask16)((1u << rows) - 1);
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) {
            __m512 t[16];
            _Pragma("clang loop unroll(full)") for (int r = 0; r < 16; r++)
                t[r] = r < rows ? (__m512)acc[r][v] : _mm512_setzero_ps();
            transpose_registers(t, low, high);
            for (long l = 0; l < lanes[v]; l++) _mm512_mask_storeu_ps(c + (16 * v + l) * ldc, keep, t[l]);
        }
        return;
#endif
        for (int r = 0; r < rows; r++)
            for (int v = 0; v < vecs; v++)
                for (long l = 0; l < lanes[v]; l++) c[(16 * v + l) * ldc + r] = acc[r][v][l];
        return;
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) {
            if (whole && store == STORE_STREAMED) stream(acc[r][v], c + r * ldc + 16 * v);
            else if (whole) vstore(acc[r][v], c + r * ldc + 16 * v);
            else store_lanes(acc[r][v], c + r * ldc + 16 * v, 0, lanes[v]);
        }
}

/* The tile at rows `rows` (1...MM_ROWS), its count a constant in each case. */
AE_INLINE void multiply_rows(long rows, const int vecs, const int whole, const int layout, const float *a, long rs,
                             long ks, const float *b, long ldb, const int32_t *b_rows, float *c, long ldc,
                             long columns, long depth, int store) {
#define TILE_ROWS(n) \
    case n: \
        multiply_tile(n, vecs, whole, layout, a, rs, ks, b, ldb, b_rows, c, ldc, columns, depth, store); \
        break;
    switch (rows) {
        TILE_ROWS(1) TILE_ROWS(2)
#if MM_ROWS > 2
        TILE_ROWS(3) TILE_ROWS(4) TILE_ROWS(5) TILE_ROWS(6)
#endif
#if MM_ROWS > 6
        TILE_ROWS(7) TILE_ROWS(8) TILE_ROWS(9) TILE_ROWS(10) TILE_ROWS(11) TILE_ROWS(12)
#endif
    }
#undef TILE_ROWS
}

AE_INLINE void multiply_block(const int layout, const float *a, long rs, long ks, const float *b, long ldb,
                              const int32_t *b_rows, float *c, long ldc, long rows, long columns, long depth,
                              int store, long r, long n) {
    const long height = rows - r < MM_ROWS ? rows - r : MM_ROWS;
    const long width = columns - n < MM_COLUMNS ? columns - n : MM_COLUMNS;
    const float *ar = a + r * rs;
    float *cr = store == STORE_TRANSPOSED ? c + n * ldc + r : c + r * ldc + n;
    if (width == MM_COLUMNS)
        multiply_rows(height, MM_VECS, 1, layout, ar, rs, ks, b + n, ldb, b_rows, cr, ldc, width, depth, store);
#if MM_VECS > 1
    else if (width <= 16) /* a last panel of one vector or less: one vector's multiply-adds, not MM_VECS' */
        multiply_rows(height, 1, width == 16, layout, ar, rs, ks, b + n, ldb, b_rows, cr, ldc, width, depth,
                      store);
#endif
    else multiply_rows(height, MM_VECS, 0, layout, ar, rs, ks, b + n, ldb, b_rows, cr, ldc, width, depth,
                       store);
}

/* Asks for the lines of c's tile at (r, n) ahead of its stores (a non-transposed c): a
   weight gradient's rows, 3.2 MB at 1024 hidden units, are no longer in the caches when
   the next step writes them, and each tile's stores waited for their lines to be read
   first. Alone, dw1's product with its output out of the caches went from 0.66 to 0.75
   of a thread's peak (1024 units, Zen 4); in the step, dw1's phase from 1068 to 946 µs
   and dhd's and dw2's by 4% at 1024 units (medians of 6 alternated `bench` runs), dw1's
   by 7-8% at 4096; nothing changed at 256, where the rows stay in the caches. */
AE_INLINE void prefetch_tile(float *c, long ldc, long r, long n, long rows, long columns) {
    if (r >= rows || n >= columns) return;
    const long height = rows - r < MM_ROWS ? rows - r : MM_ROWS;
    for (long i = 0; i < height; i++)
        for (long v = 0; v < MM_COLUMNS && n + v < columns; v += 16) __builtin_prefetch(c + (r + i) * ldc + n + v, 1);
}

/* Asks for rows first..<last of b's panel at column n, the panel after the one the tiles
   run: each tile of a panel asks for its share of the next one's rows. A panel's rows lie
   ldb floats apart, at 4096 units 16 KB, each on a page of its own, where the hardware's
   prefetchers do not follow; the first tile of each panel waited for every row. Where b
   is larger than a second-level cache (PREFETCHED_B): dhd = dz2 w2 at 4096 units went
   from 2266-2548 to 1949-1965 µs a step and dw2 by 1-4%, at 1024 dhd from 391-417 to
   360-395 (`autoenc bench`, alternated rounds, Zen 5); at 256 units, where b stays in the
   caches, the prefetches only cost (dhd 82-85 -> 86-87 µs), so there are none. */
AE_INLINE void prefetch_panel(const float *b, long ldb, const int32_t *b_rows, long n, long columns, long first,
                              long last) {
    if (n >= columns) return;
    for (long k = first; k < last; k++) {
        const float *row = b + (b_rows ? b_rows[k] : k) * ldb + n;
        __builtin_prefetch(row);
        if (MM_COLUMNS > 16 && n + 16 < columns) __builtin_prefetch(row + 16);
    }
}

AE_INLINE void multiply_layout(const int layout, const float *a, long rs, long ks, const float *b, long ldb,
                               const int32_t *b_rows, float *c, long ldc, long rows, long columns, long depth,
                               int store) {
    /* the larger of a and b is read once: with more rows than columns (the weights
       times a part's examples), each tile of a's rows stays in the nearest caches while
       every panel of b's columns passes it; otherwise each panel of b (depth x
       MM_COLUMNS) stays while every tile of rows passes */
    if (rows > columns && store == STORE_TRANSPOSED && ldc % TRANSPOSED_ALIASING == 0) {
        /* c^T's rows lie ldc floats apart: at a multiple of 512 bytes (z1's hidden units,
           256, 1024, 4096: 1, 4 and 16 KB) a tile's stores, a few floats into each of 32
           rows, fall in at most 8 sets of the first-level cache and evict each other
           before the next tiles fill the rest of their lines. So a block of
           TRANSPOSED_ROWS rows goes into `block`, whose rows are not so spaced, and each
           of its rows then to c^T in one piece. The encoder's product alone, one thread, 64
           examples, in fractions of the one-thread peak (Zen 4): 0.95 -> 0.96 at 256 units,
           0.91 -> 0.95 at 512, 0.80 -> 0.95 at 1024, 0.77 -> 0.89 at 2048, 0.78 -> 0.87 at
           4096. At other strides (z2's 784) the copy cost 1%. */
        float block[MM_COLUMNS * TRANSPOSED_STRIDE];
        for (long r0 = 0; r0 < rows; r0 += TRANSPOSED_ROWS) {
            const long height = rows - r0 < TRANSPOSED_ROWS ? rows - r0 : TRANSPOSED_ROWS;
            for (long n = 0; n < columns; n += MM_COLUMNS) {
                const long width = columns - n < MM_COLUMNS ? columns - n : MM_COLUMNS;
                for (long r = 0; r < height; r += MM_ROWS)
                    multiply_block(layout, a + r0 * rs, rs, ks, b + n, ldb, b_rows, block, TRANSPOSED_STRIDE,
                                   height, width, depth, STORE_TRANSPOSED, r, 0);
                for (long j = 0; j < width; j++)
                    memcpy(c + (n + j) * ldc + r0, block + j * TRANSPOSED_STRIDE, (size_t)height * sizeof(float));
            }
        }
    } else if (rows > columns) {
        for (long r = 0; r < rows; r += MM_ROWS)
            for (long n = 0; n < columns; n += MM_COLUMNS) {
                if (store == STORE_PLAIN) { /* the next tile's lines while this one runs */
                    long nr = r, nn = n + MM_COLUMNS;
                    if (nn >= columns) { nn = 0; nr = r + MM_ROWS; }
                    prefetch_tile(c, ldc, nr, nn, rows, columns);
                }
                multiply_block(layout, a, rs, ks, b, ldb, b_rows, c, ldc, rows, columns, depth, store, r, n);
            }
    } else {
        const long tiles = (rows + MM_ROWS - 1) / MM_ROWS;
        const int prefetches = depth * ldb >= PREFETCHED_B;
        for (long n = 0; n < columns; n += MM_COLUMNS)
            for (long r = 0, t = 0; r < rows; r += MM_ROWS, t++) {
                if (store == STORE_PLAIN) {
                    long nr = r + MM_ROWS, nn = n;
                    if (nr >= rows) { nr = 0; nn = n + MM_COLUMNS; }
                    prefetch_tile(c, ldc, nr, nn, rows, columns);
                }
                if (prefetches)
                    prefetch_panel(b, ldb, b_rows, n + MM_COLUMNS, columns, depth * t / tiles, depth * (t + 1) / tiles);
                multiply_block(layout, a, rs, ks, b, ldb, b_rows, c, ldc, rows, columns, depth, store, r, n);
            }
    }
}

static void multiply(const float *a, long rs, long ks, const float *b, long ldb, const int32_t *b_rows, float *c,
                     long ldc, long rows, long columns, long depth, int transposed) {
    int store = transposed ? STORE_TRANSPOSED : STORE_PLAIN;
#if defined(AE_AVX512)
    if (!transposed && rows * ldc >= STREAMED_C && ldc % 16 == 0 && (uintptr_t)c % 64 == 0) store = STORE_STREAMED;
#endif
    if (ks == 1 && b_rows) multiply_layout(3, a, rs, ks, b, ldb, b_rows, c, ldc, rows, columns, depth, store);
    else if (ks == 1) multiply_layout(1, a, rs, ks, b, ldb, b_rows, c, ldc, rows, columns, depth, store);
    else if (rs == 1) multiply_layout(2, a, rs, ks, b, ldb, b_rows, c, ldc, rows, columns, depth, store);
    else multiply_layout(0, a, rs, ks, b, ldb, b_rows, c, ldc, rows, columns, depth, store);
#if defined(AE_AVX512)
    if (store == STORE_STREAMED) _mm_sfence(); /* the streamed stores before whatever reads c next */
#endif
}

/* MARK: - The encoder gradient over lit pixels

   dw1 = dz1^T xd, its sum over the examples skipping those whose pixel is dark: about
   half of Fashion-MNIST's pixels are zero in an image (four fifths of MNIST's), but
   hardly any in a whole minibatch, so the dense product's tiles, which run each term
   for 32 pixels or units at once, find nothing to skip. The tile here is a group of 4
   neighbouring pixels by up to LIT_VECS vectors of units: per example that lights the
   group, LIT_VECS loads of its dz1 row and 4 broadcasts of its pixels feed 4 x LIT_VECS
   multiply-adds (6 vectors at AVX-512, one elsewhere; AVX2 has a tile of its own,
   lit_tile under AE_AVX2, of 3 8-float vectors). An example lights 60% of the
   groups (Fashion-MNIST: 40% of its groups of 4 are dark where 50% of its single pixels
   are, as neighbours are dark together). pixel_groups copies each listed example's 4
   pixels beside its entry, so that a group's pixels come from 16 bytes an example in a
   row, not from a line of xd per example (784 floats apart): alone, one thread, 128
   Fashion-MNIST images, 128 units, the product went from 91-93 to 75-78 µs. */
#define PIXEL_GROUP 4
#define PIXEL_GROUPS (N_INPUTS / PIXEL_GROUP)
#if defined(AE_AVX512)
#define LIT_VECS 6
#elif defined(AE_AVX2)
#define LIT_VECS 3
#else
#define LIT_VECS 1
#endif
/* The floats in one of the tile's vectors: AVX2's tile is its own, of 8-float vectors. */
#if defined(AE_AVX2)
#define LIT_WIDTH 8
#else
#define LIT_WIDTH 16
#endif

static void pixel_groups(const float *x, long batch, long first, long last, int32_t *examples, float *values,
                         int32_t *counts) {
    long g = first;
#if defined(AE_AVX512)
    /* 4 groups at a time: one load of an example's 16 pixels, one comparison, then each
       group's entry and pixels stored, its count moved on where one of them is lit */
    for (; g + 4 <= last; g += 4) {
        long n[4] = {0, 0, 0, 0};
        for (long b = 0; b < batch; b++) {
            const __m512 v = _mm512_loadu_ps(x + b * N_INPUTS + g * PIXEL_GROUP);
            const unsigned lit = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
#define GROUP_ENTRY(j) \
    examples[(g + (j)) * batch + n[j]] = (int32_t)b; \
    _mm_storeu_ps(values + ((g + (j)) * batch + n[j]) * PIXEL_GROUP, _mm512_extractf32x4_ps(v, j)); \
    n[j] += (lit >> (4 * (j)) & 15) != 0;
            GROUP_ENTRY(0) GROUP_ENTRY(1) GROUP_ENTRY(2) GROUP_ENTRY(3)
#undef GROUP_ENTRY
        }
        for (int j = 0; j < 4; j++) counts[g + j] = (int32_t)n[j];
    }
#endif
    for (; g < last; g++) {
        int32_t *example = examples + g * batch;
        float *value = values + g * batch * PIXEL_GROUP;
        int32_t n = 0;
        for (long b = 0; b < batch; b++) { /* no branch, as in pixel_columns */
            const float *p = x + b * N_INPUTS + g * PIXEL_GROUP;
            example[n] = (int32_t)b;
            memcpy(value + n * PIXEL_GROUP, p, PIXEL_GROUP * sizeof(float));
            n += (p[0] != 0) | (p[1] != 0) | (p[2] != 0) | (p[3] != 0);
        }
        counts[g] = n;
    }
}

#if !defined(AE_AVX2)
/* Group g's 4 columns of c for `vecs` (a constant once inlined) vectors of rows, the last
   with `lanes_last` lanes. */
AE_INLINE void lit_tile(const int vecs, const int whole, const int32_t *examples, long count, const float *values,
                        const float *a, long lda, long lanes_last, float *c, long ldc, const int32_t *c_rows, long g) {
    v16f acc[PIXEL_GROUP][LIT_VECS];
    _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXEL_GROUP; p++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) acc[p][v] = splat(0);
    for (long e = 0; e < count; e++) {
        const long b = examples[e];
        const float *ab = a + b * lda;
        v16f av[LIT_VECS];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++)
            av[v] = (whole || v < vecs - 1) ? vload(ab + 16 * v) : vload_part(ab + 16 * v, lanes_last);
        const float *xb = values + e * PIXEL_GROUP;
        _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXEL_GROUP; p++) {
            const v16f xv = broadcast(xb[p]);
            _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) acc[p][v] += xv * av[v];
        }
    }
    /* row r of c takes the 4 sums acc[0..3][r / 16][r % 16] */
    for (int v = 0; v < vecs; v++) {
        const long lanes = (whole || v < vecs - 1) ? 16 : lanes_last;
#if defined(AE_AVX512)
        /* 4 x 4 transposes inside each 128-bit lane: then q[i]'s lane j holds row 4 j + i's sums */
        const __m512 t0 = _mm512_unpacklo_ps((__m512)acc[0][v], (__m512)acc[1][v]);
        const __m512 t1 = _mm512_unpackhi_ps((__m512)acc[0][v], (__m512)acc[1][v]);
        const __m512 t2 = _mm512_unpacklo_ps((__m512)acc[2][v], (__m512)acc[3][v]);
        const __m512 t3 = _mm512_unpackhi_ps((__m512)acc[2][v], (__m512)acc[3][v]);
        const __m512 q[4] = {
            (__m512)_mm512_unpacklo_pd((__m512d)t0, (__m512d)t2), (__m512)_mm512_unpackhi_pd((__m512d)t0, (__m512d)t2),
            (__m512)_mm512_unpacklo_pd((__m512d)t1, (__m512d)t3), (__m512)_mm512_unpackhi_pd((__m512d)t1, (__m512d)t3),
        };
        /* row 16 v + l's sums, from the 128-bit lane l / 4 of q[l % 4], whose index must
           be a constant: a whole vector's 16 rows in a loop unrolled, a last one's
           through a switch */
#define LIT_STORE(l, quarter) \
    _mm_storeu_ps(c + (c_rows ? c_rows[16 * v + (l)] : 16 * v + (l)) * ldc + g * PIXEL_GROUP, \
                  _mm512_extractf32x4_ps(q[(l) & 3], quarter))
        if (lanes == 16) {
            _Pragma("clang loop unroll(full)") for (int i = 0; i < 4; i++) {
                LIT_STORE(i, 0);
                LIT_STORE(4 + i, 1);
                LIT_STORE(8 + i, 2);
                LIT_STORE(12 + i, 3);
            }
        } else {
            for (long l = 0; l < lanes; l++) {
                switch (l >> 2) {
                case 0: LIT_STORE(l, 0); break;
                case 1: LIT_STORE(l, 1); break;
                case 2: LIT_STORE(l, 2); break;
                default: LIT_STORE(l, 3); break;
                }
            }
        }
#undef LIT_STORE
#else
        for (long l = 0; l < lanes; l++) {
            const long r = 16 * v + l;
            float *out = c + (c_rows ? c_rows[r] : r) * ldc + g * PIXEL_GROUP;
            for (int p = 0; p < PIXEL_GROUP; p++) out[p] = acc[p][v][l];
        }
#endif
    }
}

#else
/* AVX2's tile, 8-float vectors: group g's 4 columns of c for `vecs` (1...3, a constant
   once inlined) vectors of rows, the last with `lanes_last` lanes: 12 sums in registers,
   as many chains as 2 multiply-adds a cycle of latency 4 or more keep busy (the other levels'
   16-float tile makes 8 at AVX2 and ran slower than the dense product). */
AE_INLINE void lit_tile(const int vecs, const int whole, const int32_t *examples, long count, const float *values,
                        const float *a, long lda, long lanes_last, float *c, long ldc, const int32_t *c_rows, long g) {
    __m256 acc[PIXEL_GROUP][LIT_VECS];
    _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXEL_GROUP; p++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) acc[p][v] = _mm256_setzero_ps();
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)lanes_last), lane);
    if (vecs == 3 && count > 0) {
        /* The loop in assembly: 12 sums, 3 vectors of a's row and a broadcast take all of
           AVX2's 16 registers, and the compiler, given the same loop in C, spilled a sum
           and moved the others between registers every example. The same multiply-adds
           in the same order (acc += x a, fused), so the same sums as the C loop below.
           Per example e, b = examples[e]: its row of a at b lda_bytes, its group's
           pixels at e 16 of values. */
        __m256 v0, v1, v2, xv;
        long e = 0, t, u;
        const long lda_bytes = lda * 4;
#define LIT_PIXEL(o, c0, c1, c2) \
        "vbroadcastss " o "(%[values],%[t]), %[xv]\n\t" \
        "vfmadd231ps %[v0], %[xv], %[" c0 "]\n\t" \
        "vfmadd231ps %[v1], %[xv], %[" c1 "]\n\t" \
        "vfmadd231ps %[v2], %[xv], %[" c2 "]\n\t"
#define LIT_LOOP(third) \
        __asm__ volatile("1:\n\t" \
                         "movslq (%[ex],%[e],4), %[t]\n\t" \
                         "movq %[t], %[u]\n\t" \
                         "imulq %[lda], %[u]\n\t" \
                         "vmovups (%[a],%[u]), %[v0]\n\t" \
                         "vmovups 32(%[a],%[u]), %[v1]\n\t" \
                         third \
                         "movq %[e], %[t]\n\t" \
                         "shlq $4, %[t]\n\t" \
                         LIT_PIXEL("0", "a00", "a01", "a02") LIT_PIXEL("4", "a10", "a11", "a12") \
                         LIT_PIXEL("8", "a20", "a21", "a22") LIT_PIXEL("12", "a30", "a31", "a32") \
                         "incq %[e]\n\t" \
                         "cmpq %[count], %[e]\n\t" \
                         "jne 1b\n\t" \
                         : [a00] "+x"(acc[0][0]), [a01] "+x"(acc[0][1]), [a02] "+x"(acc[0][2]), \
                           [a10] "+x"(acc[1][0]), [a11] "+x"(acc[1][1]), [a12] "+x"(acc[1][2]), \
                           [a20] "+x"(acc[2][0]), [a21] "+x"(acc[2][1]), [a22] "+x"(acc[2][2]), \
                           [a30] "+x"(acc[3][0]), [a31] "+x"(acc[3][1]), [a32] "+x"(acc[3][2]), \
                           [v0] "=&x"(v0), [v1] "=&x"(v1), [v2] "=&x"(v2), [xv] "=&x"(xv), [e] "+r"(e), \
                           [t] "=&r"(t), [u] "=&r"(u) \
                         : [ex] "r"(examples), [count] "r"(count), [a] "r"(a), [lda] "r"(lda_bytes), \
                           [values] "r"(values), [tail] "m"(tail) \
                         : "cc", "memory")
        if (whole) LIT_LOOP("vmovups 64(%[a],%[u]), %[v2]\n\t");
        else LIT_LOOP("vmovdqu %[tail], %[v2]\n\t"
                      "vmaskmovps 64(%[a],%[u]), %[v2], %[v2]\n\t");
#undef LIT_LOOP
#undef LIT_PIXEL
    } else {
        for (long e = 0; e < count; e++) {
            const long b = examples[e];
            const float *ab = a + b * lda;
            __m256 av[LIT_VECS];
            _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++)
                av[v] = (whole || v < vecs - 1) ? _mm256_loadu_ps(ab + 8 * v) : _mm256_maskload_ps(ab + 8 * v, tail);
            const float *xb = values + e * PIXEL_GROUP;
            _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXEL_GROUP; p++) {
                const __m256 xv = _mm256_broadcast_ss(xb + p);
                _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++)
                    acc[p][v] = _mm256_fmadd_ps(xv, av[v], acc[p][v]);
            }
        }
    }
    /* 4 x 4 transposes inside each 128-bit lane: then q[i]'s lane j holds row 4 j + i's sums */
    _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) {
        const long lanes = (whole || v < vecs - 1) ? 8 : lanes_last;
        const __m256 t0 = _mm256_unpacklo_ps(acc[0][v], acc[1][v]), t1 = _mm256_unpackhi_ps(acc[0][v], acc[1][v]);
        const __m256 t2 = _mm256_unpacklo_ps(acc[2][v], acc[3][v]), t3 = _mm256_unpackhi_ps(acc[2][v], acc[3][v]);
        const __m256 q[4] = {
            (__m256)_mm256_unpacklo_pd((__m256d)t0, (__m256d)t2), (__m256)_mm256_unpackhi_pd((__m256d)t0, (__m256d)t2),
            (__m256)_mm256_unpacklo_pd((__m256d)t1, (__m256d)t3), (__m256)_mm256_unpackhi_pd((__m256d)t1, (__m256d)t3),
        };
        _Pragma("clang loop unroll(full)") for (int l = 0; l < 8; l++) {
            if (l >= lanes) break;
            const long r = 8 * v + l;
            float *out = c + (c_rows ? c_rows[r] : r) * ldc + g * PIXEL_GROUP;
            _mm_storeu_ps(out, l < 4 ? _mm256_castps256_ps128(q[l & 3]) : _mm256_extractf128_ps(q[l & 3], 1));
        }
    }
}

#endif

/* Every group's columns for `columns` rows of c, in `vecs` vectors of LIT_WIDTH floats. */
AE_INLINE void lit_columns(const int vecs, const int32_t *examples, const float *values, const int32_t *counts,
                           long slot, const float *a, long lda, long columns, float *c, long ldc,
                           const int32_t *c_rows) {
    const long lanes_last = columns - LIT_WIDTH * (vecs - 1);
    for (long g = 0; g < PIXEL_GROUPS; g++) {
        const int32_t *example = examples + g * slot;
        const float *value = values + g * slot * PIXEL_GROUP;
        if (lanes_last == LIT_WIDTH)
            lit_tile(vecs, 1, example, counts[g], value, a, lda, LIT_WIDTH, c, ldc, c_rows, g);
        else lit_tile(vecs, 0, example, counts[g], value, a, lda, lanes_last, c, ldc, c_rows, g);
    }
}

/* The floats of a that a pass copies near (48 KB, the first-level cache of a Zen 5 core). */
#define LIT_NEAR 12288

static void lit_product(const int32_t *examples, const float *values, const int32_t *counts, long slot,
                        const float *a, long lda, long rows, float *c, long ldc, const int32_t *c_rows) {
    /* the rows in as few passes over the groups as the tile allows, split evenly (128
       rows: two of 4 vectors, not 6 and 2) */
    const long vectors = (rows + LIT_WIDTH - 1) / LIT_WIDTH, passes = (vectors + LIT_VECS - 1) / LIT_VECS;
    /* A pass reads its columns of a's rows for every group: where they fit, they are
       first copied into `near`, one row after another. In place, a's rows lda floats
       apart (dz1's, hidden units wide: 1 KB at 256) fall in a quarter of the first-level
       cache's sets or fewer, which then cannot hold them, and every group reads them
       from the second-level cache again. Alone, one thread, 128 Fashion-MNIST images, 128
       rows at lda 256: 70-76 -> 67 µs; 512 rows at lda 1024: 326 -> 277 µs. */
    float near[LIT_NEAR];
    long done = 0;
    for (long t = 0; t < passes; t++) {
        const long vecs = (vectors - done / LIT_WIDTH + passes - t - 1) / (passes - t);
        const long columns = t == passes - 1 ? rows - done : LIT_WIDTH * vecs;
        float *ct = c_rows ? c : c + done * ldc;
        const int32_t *rt = c_rows ? c_rows + done : 0;
        const float *at = a + done;
        long ld = lda;
        if (slot * columns <= LIT_NEAR && columns < lda) {
            for (long b = 0; b < slot; b++) memcpy(near + b * columns, a + b * lda + done, columns * sizeof(float));
            at = near;
            ld = columns;
        }
        switch (vecs) {
#define LIT_CASE(n) \
    case n: lit_columns(n, examples, values, counts, slot, at, ld, columns, ct, ldc, rt); break;
            LIT_CASE(1)
#if LIT_VECS > 1
            LIT_CASE(2) LIT_CASE(3)
#endif
#if LIT_VECS > 3
            LIT_CASE(4) LIT_CASE(5) LIT_CASE(6)
#endif
#undef LIT_CASE
        }
        done += columns;
    }
}

/* MARK: - The encoder over lit pixels, by groups of images

   z1 = xd w1^T, each image's sum over the pixels it lights. The dense product's tile
   runs each term for 12 units and 32 images at once, and hardly any pixel is dark in
   32 images. Here a tile is IMAGE_GROUP images by a panel of w1^T's units (ENCODER_PANEL:
   6 vectors at AVX-512, 2 of AVX2's): per pixel that one of the images lights, the
   panel's row (from the second-level cache) and the images' 4 values (broadcast from
   their rows of x) feed 24 multiply-adds at AVX-512. The images are grouped so that a
   group's images light much the same pixels: sorted by the width of the columns they
   light, then by how many pixels. On Fashion-MNIST (60 random parts of 64 images) a
   group of 4 lights 64% of the pixels so sorted, 72% sorted by the count alone, 79% in
   the minibatch's order, where one image lights 50% (a greedy grouping, each group's
   next image the one that adds the fewest pixels, 67%). Each sum is the dense product's
   over the same pixels in the same order, its zero terms skipped. */
#define IMAGE_GROUP 4
#define IMAGE_SIDE 28

#if defined(AE_AVX512)
/* Pixels i ..< i + 16, those set in `lit`, compressed to the front of 16 entries stored at
   index; returns how many. The lists store each at their count so far, n <= i, so never
   past a row of 784 (another thread may be filling the next). */
AE_INLINE int32_t store_lit_pixels(int32_t *index, __mmask16 lit, int32_t i) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    _mm512_storeu_si512(index, _mm512_maskz_compress_epi32(lit, _mm512_add_epi32(lanes, _mm512_set1_epi32(i))));
    return __builtin_popcount((unsigned)lit);
}
#endif
/* A panel's units: at AVX2, 16 (2 of its vectors; 4 images' sums then take 8 of its 16
   registers), elsewhere 96 (6 vectors: 24 of AVX-512's 32) */
#if defined(AE_AVX2)
#define ENCODER_PANEL 16
#else
#define ENCODER_PANEL 96
#endif
#define PANEL_VECS (ENCODER_PANEL / 16)

/* The lit pixels of images first..<first + count of x, grouped: `order` gets them
   sorted by the width of the columns they light (from the first lit column to the last),
   then by their lit pixels' count, each sort stable; group g is order[first + 4 g ...] (the last
   may hold fewer), and slot s = first + 4 g holds the pixels one of them lights,
   increasing, as entries s 784 ..< s 784 + counts[s] of indices. */
static void image_groups(const float *x, long first, long count, int32_t *order, int32_t *indices, int32_t *counts) {
    /* each image's lit pixels and the width of the columns they span, then two counting
       sorts, by the count and then (stable) by the width, through the first slot's
       indices as scratch */
    int32_t by_count[N_INPUTS + 1] = {0}, by_width[IMAGE_SIDE + 1] = {0};
    for (long b = first; b < first + count; b++) {
        const float *image = x + b * N_INPUTS;
        uint32_t n = 0, columns = 0;
        for (long r = 0; r < IMAGE_SIDE; r++) {
            const float *row = image + r * IMAGE_SIDE;
#if defined(AE_AVX512)
            const __m512 zero = _mm512_setzero_ps();
            const uint32_t lit = (uint32_t)_mm512_cmp_ps_mask(_mm512_loadu_ps(row), zero, _CMP_NEQ_UQ)
                | (uint32_t)_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(0x0fff, row + 16), zero, _CMP_NEQ_UQ) << 16;
#else
            uint32_t lit = 0;
            for (long c = 0; c < IMAGE_SIDE; c++) lit |= (uint32_t)(row[c] != 0) << c;
#endif
            n += (uint32_t)__builtin_popcount(lit);
            columns |= lit;
        }
        const uint32_t width = columns ? 32 - (uint32_t)__builtin_clz(columns) - (uint32_t)__builtin_ctz(columns) : 0;
        counts[b] = (int32_t)(n | width << 16); /* scratch until the groups' own counts are written below */
        by_count[n]++;
        by_width[width]++;
    }
    for (long k = 0, start = first; k <= N_INPUTS; k++) {
        const int32_t m = by_count[k];
        by_count[k] = (int32_t)start;
        start += m;
    }
    for (long k = 0, start = first; k <= IMAGE_SIDE; k++) {
        const int32_t m = by_width[k];
        by_width[k] = (int32_t)start;
        start += m;
    }
    int32_t *counted = indices + first * N_INPUTS;
    for (long b = first; b < first + count; b++) counted[by_count[counts[b] & 0xffff]++ - first] = (int32_t)b;
    for (long i = 0; i < count; i++) order[by_width[counts[counted[i]] >> 16]++] = counted[i];
    for (long s = first; s < first + count; s += IMAGE_GROUP) {
        const long size = first + count - s < IMAGE_GROUP ? first + count - s : IMAGE_GROUP;
        const float *rows[IMAGE_GROUP];
        for (long j = 0; j < size; j++) rows[j] = x + (long)order[s + j] * N_INPUTS;
        int32_t *index = indices + s * N_INPUTS;
        int32_t n = 0;
#if defined(AE_AVX512)
        for (int32_t i = 0; i < N_INPUTS; i += 16) { /* 16 pixels at a time */
            __mmask16 lit = 0;
            for (long j = 0; j < size; j++) lit |= _mm512_cmp_ps_mask(_mm512_loadu_ps(rows[j] + i), _mm512_setzero_ps(),
                                                                       _CMP_NEQ_UQ);
            n += store_lit_pixels(index + n, lit, i);
        }
#else
        for (int32_t i = 0; i < N_INPUTS; i++) { /* no branch: every pixel written, a dark one not kept */
            int lit = 0;
            for (long j = 0; j < size; j++) lit |= rows[j][i] != 0;
            index[n] = i;
            n += lit;
        }
#endif
        counts[s] = n;
    }
}

/* One group's sums for a panel's `vecs` vectors of units (a constant once inlined), the
   last with `lanes_last` lanes unless `whole`; `size` images (a constant too). */
AE_INLINE void group_tile(const int size, const int vecs, const int whole, const float *panel, long width,
                          const int32_t *index, const float *const *rows, long count, long lanes_last,
                          float *const *out) {
    v16f acc[IMAGE_GROUP][PANEL_VECS];
    _Pragma("clang loop unroll(full)") for (int j = 0; j < size; j++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) acc[j][v] = splat(0);
    for (long e = 0; e < count; e++) {
        const float *w = panel + (long)index[e] * width;
        v16f wv[PANEL_VECS];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++)
            wv[v] = (whole || v < vecs - 1) ? vload(w + 16 * v) : vload_part(w + 16 * v, lanes_last);
        _Pragma("clang loop unroll(full)") for (int j = 0; j < size; j++) {
            const v16f s = broadcast(rows[j][index[e]]); /* 0 where image j is dark */
            _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) acc[j][v] += s * wv[v];
        }
    }
    _Pragma("clang loop unroll(full)") for (int j = 0; j < size; j++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < vecs; v++) {
            if (whole || v < vecs - 1) vstore(acc[j][v], out[j] + 16 * v);
            else store_lanes(acc[j][v], out[j] + 16 * v, 0, lanes_last);
        }
}

AE_INLINE void group_panel(const int vecs, const int whole, const float *panel, long width, long u0,
                           const float *x, const int32_t *order, const int32_t *indices, const int32_t *counts,
                           long first, long count, float *z1, long hidden) {
    const long lanes_last = width - 16 * (vecs - 1);
    for (long s = first; s < first + count; s += IMAGE_GROUP) {
        const long size = first + count - s < IMAGE_GROUP ? first + count - s : IMAGE_GROUP;
        const float *rows[IMAGE_GROUP];
        float *out[IMAGE_GROUP];
        for (long j = 0; j < size; j++) {
            rows[j] = x + (long)order[s + j] * N_INPUTS;
            out[j] = z1 + (long)order[s + j] * hidden + u0;
        }
        const int32_t *index = indices + s * N_INPUTS;
        switch (size) {
#define GROUP_CASE(n) \
    case n: group_tile(n, vecs, whole, panel, width, index, rows, counts[s], lanes_last, out); break;
            GROUP_CASE(1) GROUP_CASE(2) GROUP_CASE(3) GROUP_CASE(4)
#undef GROUP_CASE
        }
    }
}

/* z1[b, u] = sum over the pixels i that b's group lights (image_groups), in order, of
   x[b, i] w1[u, i], for the images first..<first + count and every unit u < hidden:
   panels holds w1^T by ENCODER_PANEL units (the last panel what is left), panel p
   at p ENCODER_PANEL 784 with its width as row stride; x (batch, 784) the one
   grouped -> z1 (batch, hidden) rows. */
static void group_forward(const float *panels, long hidden, const float *x, const int32_t *order,
                          const int32_t *indices, const int32_t *counts, long first, long count, float *z1) {
    /* panel by panel, so that a panel (300 KB at AVX-512) stays in the second-level cache
       while every group passes it */
    for (long u0 = 0; u0 < hidden; u0 += ENCODER_PANEL) {
        const long width = hidden - u0 < ENCODER_PANEL ? hidden - u0 : ENCODER_PANEL;
        const long vecs = (width + 15) / 16;
        const int whole = width % 16 == 0;
        const float *panel = panels + u0 * N_INPUTS;
        switch (vecs * 2 + whole) {
#define PANEL_CASE(n, w) \
    case 2 * n + w: \
        group_panel(n, w, panel, width, u0, x, order, indices, counts, first, count, z1, hidden); \
        break;
            PANEL_CASE(1, 0) PANEL_CASE(1, 1)
#if PANEL_VECS > 1
            PANEL_CASE(2, 0) PANEL_CASE(2, 1) PANEL_CASE(3, 0) PANEL_CASE(3, 1)
            PANEL_CASE(4, 0) PANEL_CASE(4, 1) PANEL_CASE(5, 0) PANEL_CASE(5, 1) PANEL_CASE(6, 0) PANEL_CASE(6, 1)
#endif
#undef PANEL_CASE
        }
    }
}

/* MARK: - Sparse products */

/* Rows are 784 floats: 7 blocks of 7 vectors, each block accumulated in registers. */
static void combine_rows(const float *c, long stride, long count, const float *rows, float *out,
                         int32_t *indices, float *values) {
    long active = 0;
    for (long k = 0; k < count; k++) {
        float v = c[k * stride];
        if (v != 0) { indices[active] = (int32_t)k; values[active] = v; active++; }
    }
    for (long block = 0; block < N_INPUTS; block += 16 * 7) {
        v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0};
        for (long e = 0; e < active; e++) {
            const v16f v = splat(values[e]);
            const float *r = rows + (long)indices[e] * N_INPUTS + block;
            a0 += v * vload(r);
            a1 += v * vload(r + 16);
            a2 += v * vload(r + 32);
            a3 += v * vload(r + 48);
            a4 += v * vload(r + 64);
            a5 += v * vload(r + 80);
            a6 += v * vload(r + 96);
        }
        float *o = out + block;
        vstore(a0, o); vstore(a1, o + 16); vstore(a2, o + 32); vstore(a3, o + 48);
        vstore(a4, o + 64); vstore(a5, o + 80); vstore(a6, o + 96);
    }
}

static void selected_dots(const float *v, const float *rows, const float *select, long count, float *out,
                          int32_t *indices) {
    long active = 0;
    for (long j = 0; j < count; j++) {
        out[j] = 0;
        if (select[j] != 0) indices[active++] = (int32_t)j;
    }
    long e = 0;
    /* four rows at a time share the loads of v */
    for (; e + 4 <= active; e += 4) {
        const float *r0 = rows + (long)indices[e] * N_INPUTS, *r1 = rows + (long)indices[e + 1] * N_INPUTS;
        const float *r2 = rows + (long)indices[e + 2] * N_INPUTS, *r3 = rows + (long)indices[e + 3] * N_INPUTS;
        v16f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
        for (long i = 0; i < N_INPUTS; i += 16) {
            const v16f x = vload(v + i);
            s0 += x * vload(r0 + i);
            s1 += x * vload(r1 + i);
            s2 += x * vload(r2 + i);
            s3 += x * vload(r3 + i);
        }
        out[indices[e]] = lane_sum(s0);
        out[indices[e + 1]] = lane_sum(s1);
        out[indices[e + 2]] = lane_sum(s2);
        out[indices[e + 3]] = lane_sum(s3);
    }
    for (; e < active; e++) {
        const float *r = rows + (long)indices[e] * N_INPUTS;
        v16f s = {0};
        for (long i = 0; i < N_INPUTS; i += 16) s += vload(v + i) * vload(r + i);
        out[indices[e]] = lane_sum(s);
    }
}

/* MARK: - DropConnect */

/* Row `row`'s random words of mask `key` (row_stride of them), as RandomStream.word
   gives them: counter = row row_stride + i. */
AE_INLINE void fill_row(const AEDropConnect *m, uint64_t key, long row, uint64_t *words) {
    for (long i = 0; i < m->row_stride; i++) words[i] = ae_random_word(key, (uint64_t)(row * m->row_stride + i));
}

/* Which of a chunk's 16 columns are kept: all ones in a kept lane. Bit resolution:
   lane l keeps when bit l of the chunk's 16 bits is set. */
AE_INLINE v16i keeps_of_bits(uint32_t bits) {
    const v16i lane_bits = {1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7,
                            1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15};
    return (((v16i){0} + (int32_t)(bits & 0xffff)) & lane_bits) == lane_bits;
}

/* Byte resolution: lane l = 4q + r takes byte 4r + q of the chunk's 16 bytes (words w0,
   w1; the order in which a vector unpacks them without conversions), kept when that byte
   is below the threshold. */
AE_INLINE v16i keeps_of_bytes(uint64_t w0, uint64_t w1, int32_t threshold) {
    const uint64_t pair[2] = {w0, w1};
    v16b bytes;
    memcpy(&bytes, pair, sizeof bytes);
    const v16b ordered = __builtin_shufflevector(bytes, bytes, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return __builtin_convertvector(ordered, v16i) < threshold;
}

/* Chunk c of a row whose words are `words`. */
AE_INLINE v16i chunk_keeps(int bit, const uint64_t *words, long c, int32_t threshold) {
    return bit ? keeps_of_bits((uint32_t)(words[c >> 2] >> ((c & 3) * 16)))
               : keeps_of_bytes(words[2 * c], words[2 * c + 1], threshold);
}

/* Each kernel's loops are written once, always inlined with `bit` a constant, and
   called once per resolution, so that each inner loop has no branch. */
#define FOR_RESOLUTION(mask, CALL) \
    do { if ((mask)->bit_resolution) { CALL(1); } else { CALL(0); } } while (0)

/* The per-example masks are laid out with a row per input pixel (AEDropConnect's rows
   are pixels i, its columns hidden units j), so that the kernels walk only the pixels
   an image lights: a block of 4 chunks (64 units) of row i takes one random word at
   the bit resolution, eight at the byte one. These give the block's chunks' keeps. */
AE_INLINE void block_keeps(int bit, const AEDropConnect *m, uint64_t key, long row, long c0, v16i keeps[4]) {
    const uint64_t first = (uint64_t)(row * m->row_stride);
    if (bit) {
        const uint64_t w = ae_random_word(key, first + (uint64_t)(c0 >> 2));
        for (int q = 0; q < 4; q++) keeps[q] = keeps_of_bits((uint32_t)(w >> (16 * q)));
    } else {
        for (int q = 0; q < 4; q++)
            keeps[q] = keeps_of_bytes(ae_random_word(key, first + (uint64_t)(2 * (c0 + q))),
                                      ae_random_word(key, first + (uint64_t)(2 * (c0 + q) + 1)), m->threshold);
    }
}

/* One chunk's keeps, for the chunks outside whole blocks. */
AE_INLINE v16i single_keeps(int bit, const AEDropConnect *m, uint64_t key, long row, long c) {
    const uint64_t first = (uint64_t)(row * m->row_stride);
    if (bit) return keeps_of_bits((uint32_t)(ae_random_word(key, first + (uint64_t)(c >> 2)) >> ((c & 3) * 16)));
    return keeps_of_bytes(ae_random_word(key, first + (uint64_t)(2 * c)),
                          ae_random_word(key, first + (uint64_t)(2 * c + 1)), m->threshold);
}


/* Rows `indices` of 8-bit images (784 bytes each) as floats in [0, 1]: out[r, i] =
   images[indices[r], i] times the float nearest 1/255 (the Swift reference's arithmetic).
   The rows lie anywhere in a data set much larger than the caches, so each row is
   prefetched two rows ahead: the load of one overlaps the conversion of another. */
#define GATHER_AHEAD 2
AE_INLINE void prefetch_image(const uint8_t *row) {
    for (long c = 0; c < N_INPUTS; c += 64) __builtin_prefetch(row + c);
}

static void gather_images(const uint8_t *images, const int32_t *indices, long count, float *out) {
    const float scale = 1.0f / 255.0f;
    for (long r = 0; r < count && r < GATHER_AHEAD; r++) prefetch_image(images + (long)indices[r] * N_INPUTS);
    for (long r = 0; r < count; r++) {
        if (r + GATHER_AHEAD < count) prefetch_image(images + (long)indices[r + GATHER_AHEAD] * N_INPUTS);
        const uint8_t *from = images + (long)indices[r] * N_INPUTS;
        float *to = out + r * N_INPUTS;
        for (long i = 0; i < N_INPUTS; i++) to[i] = (float)from[i] * scale;
    }
}

static void nonzero_pixels(const float *x, long rows, int32_t *indices, float *values, int32_t *counts) {
    for (long b = 0; b < rows; b++) {
        const float *row = x + b * N_INPUTS;
        int32_t *index = indices + b * N_INPUTS;
        float *value = values + b * N_INPUTS;
        int32_t n = 0;
#if defined(AE_AVX512)
        /* 16 pixels at a time: the nonzero ones and their values compressed to the
           vectors' front, stored at the count so far (store_lit_pixels). Alone, one
           thread, 64 Fashion-MNIST images: 3.3-3.8 µs against 15.6-15.8 for the loop
           below, the same lists. */
        for (int32_t i = 0; i < N_INPUTS; i += 16) {
            const __m512 v = _mm512_loadu_ps(row + i);
            const __mmask16 lit = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ); /* as != 0 */
            _mm512_storeu_ps(value + n, _mm512_maskz_compress_ps(lit, v));
            n += store_lit_pixels(index + n, lit, i);
        }
#else
        for (int32_t i = 0; i < N_INPUTS; i++) { /* no branch: every pixel is written, a zero not kept */
            index[n] = i;
            value[n] = row[i];
            n += row[i] != 0;
        }
#endif
        counts[b] = n;
    }
}

#if defined(AE_AVX512)
/* ae_random_word(key, counter) on eight 64-bit lanes (AVX-512 DQ multiplies them). */
AE_INLINE __m512i random_words8(__m512i key, __m512i counter) {
    const __m512i step = _mm512_set1_epi64((long long)AE_SPLITMIX_STEP);
    const __m512i mix1 = _mm512_set1_epi64((long long)AE_SPLITMIX_MIX1);
    const __m512i mix2 = _mm512_set1_epi64((long long)AE_SPLITMIX_MIX2);
    __m512i z = _mm512_add_epi64(key, _mm512_mullo_epi64(_mm512_add_epi64(counter, _mm512_set1_epi64(1)), step));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), mix1);
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), mix2);
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

/* The keys of the eight examples index[0..<8], one per 64-bit lane (loaded one by one: the
   gather instruction measured 4% slower). */
AE_INLINE __m512i example_keys8(const uint64_t *keys, const int32_t *index) {
    return _mm512_set_epi64((long long)keys[index[7]], (long long)keys[index[6]], (long long)keys[index[5]],
                            (long long)keys[index[4]], (long long)keys[index[3]], (long long)keys[index[2]],
                            (long long)keys[index[1]], (long long)keys[index[0]]);
}
#endif

#if defined(AE_AVX512) || defined(AE_AVX2)
/* The random words `block_keeps` takes at the bit resolution for entries 0..<count
   (count <= WORDS_AHEAD) of a masked block sum, eight at a time: SplitMix64 on eight
   64-bit lanes (AVX-512 DQ multiplies them), the same words ae_random_word gives one by
   one. Worked out apart from the sums, the scalar multiplies no longer hold up the
   multiply-adds: `autoenc bench`'s per-example DropConnect encoder phase went from 457
   to 360 and from 497 to 422 µs (medians of two sets of 6 runs alternated with the
   build before, Zen 4). The backward kernel gains less (6% alone: its examples' keys
   loaded one by one, its dz1 rows from the second-level cache). At the AVX2 level,
   which has no 64-bit vector multiply, one at a time; only its backward kernel works
   them out first (`masked_block_sum`). */
#define WORDS_AHEAD 256
AE_INLINE void block_words(const int by_example, const AEDropConnect *m, const uint64_t *keys, const int32_t *index,
                           long count, long row, long c0, uint64_t *words) {
    const long word = c0 >> 2;
    long e = 0;
#if defined(AE_AVX512)
    for (; e + 8 <= count; e += 8) {
        __m512i key, counter;
        if (by_example) { /* each entry an example, with its key; one row */
            key = example_keys8(keys, index + e);
            counter = _mm512_set1_epi64((long long)(row * m->row_stride + word));
        } else { /* each entry a pixel, the mask's row; one key */
            const __m512i k = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(index + e)));
            key = _mm512_set1_epi64((long long)keys[0]);
            counter = _mm512_add_epi64(_mm512_mullo_epi64(k, _mm512_set1_epi64(m->row_stride)),
                                       _mm512_set1_epi64(word));
        }
        _mm512_storeu_si512(words + e, random_words8(key, counter));
    }
#endif
    for (; e < count; e++) {
        const long k = index[e];
        words[e] = ae_random_word(by_example ? keys[k] : keys[0],
                                  (uint64_t)((by_example ? row : k) * m->row_stride + word));
    }
}
#endif

#if defined(AE_AVX2)
/* One entry's terms of a masked block sum at the bit resolution: acc[q] += the 8 floats
   v[8q ..] under bits 8q.. of `word`, times `value`. */
AE_INLINE void masked_block_terms(const float *v, float value, uint64_t word, __m256 acc[8]) {
    /* lane l shifted left by 7 - l: bit 8j + l of a 32-bit half moves to bit 8j + 7, so
       that the half's vector j has its keeps at the sign after 24 - 8j more (one variable
       shift a half, one constant, 16 registers enough for all) */
    const __m256i to_top = _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    const __m256 s = _mm256_set1_ps(value);
    for (int half = 0; half < 2; half++) {
        const __m256i bits = _mm256_sllv_epi32(_mm256_set1_epi32((int32_t)(uint32_t)(word >> (32 * half))), to_top);
        for (int j = 0; j < 4; j++) {
            const __m256i keep = j == 3 ? bits : _mm256_slli_epi32(bits, 24 - 8 * j);
            acc[4 * half + j] = _mm256_fmadd_ps(_mm256_maskload_ps(v + 32 * half + 8 * j, keep), s,
                                                acc[4 * half + j]);
        }
    }
}
#endif

#if defined(AE_AVX512)
/* The AVX-512 level's sums at the bit resolution, for `blocks` (1 or 2, a constant once
   inlined) blocks of 4 chunks from chunk c0: each chunk's keeps a 16-bit piece of its
   block's word, as the load's mask. With one block a sum takes every fourth multiply-add
   of an entry's 4, so 4 chains of them: a Zen 4 runs one 512-bit multiply-add a cycle and
   4 chains keep it busy, but a Zen 5 runs two of latency 4 and needs 8, which two blocks
   (128 units) give, each sum over the same entries in the same order as with one block.
   `autoenc bench --modes dropconnect-example` on a Zen 5 (2026-12-07, the quiet ones of
   13 alternated rounds): the encoder phase 205-221 -> 184-206 µs, dw1's 216-234 ->
   203-223, 0.59-0.61 -> 0.59-0.64 of the peak (medians 0.60 -> 0.62). Less than the
   chains promise: each multiply-add loads its own vector from the second-level cache,
   64 bytes a cycle. Loading the masks' 16-bit pieces straight from memory instead of
   shifting the word measured even. */
AE_INLINE void masked_blocks_avx512(const int blocks, const int by_example, const AEDropConnect *mask,
                                    const int32_t *index, const float *values, long count, const float *vectors,
                                    long stride, const uint64_t *keys, long row, long c0, float *out) {
    v16f acc[8];
    _Pragma("clang loop unroll(full)") for (int q = 0; q < 4 * blocks; q++) acc[q] = splat(0);
    uint64_t words[2][WORDS_AHEAD];
    for (long e0 = 0; e0 < count; e0 += WORDS_AHEAD) {
        const long n = count - e0 < WORDS_AHEAD ? count - e0 : WORDS_AHEAD;
        _Pragma("clang loop unroll(full)") for (int k = 0; k < blocks; k++)
            block_words(by_example, mask, keys, index + e0, n, row, c0 + 4 * k, words[k]);
        for (long e = 0; e < n; e++) {
            const float *v = vectors + index[e0 + e] * stride + 16 * c0;
            const v16f s = splat(values[e0 + e]);
            _Pragma("clang loop unroll(full)") for (int k = 0; k < blocks; k++) {
                const uint64_t w = words[k][e];
                _Pragma("clang loop unroll(full)") for (int q = 0; q < 4; q++)
                    acc[4 * k + q] += (v16f)_mm512_maskz_loadu_ps((__mmask16)(w >> (16 * q)), v + 64 * k + 16 * q) * s;
            }
        }
    }
    _Pragma("clang loop unroll(full)") for (int q = 0; q < 4 * blocks; q++) vstore(acc[q] * mask->scale, out + 16 * q);
}
#endif

#if defined(AE_AVX512)
/* The backward kernel's sums for two pixels at once, `row` and `row + 1`, 128 units (two
   blocks) from chunk c0, over the examples that light either (pixel_columns' pairs: one
   list, each pixel's values 0 where it is dark): each example's 128 floats of dz1 are
   loaded once for both pixels, each pixel's mask applied as its loads' masks, into two
   sets of 8 sums. Neighbouring pixels are lit together, so a pair's list is 0.56 of its
   two pixels' lists together (Fashion-MNIST), and one pixel at a time loaded a vector
   from the second-level cache for every multiply-add. Each pixel's sum runs over its own
   lit examples in the same order as alone, with exact zeros added between: the same sum.
   The examples' keys are loaded once for the four rows of random words (two pixels, two
   blocks). out (row), out + ld (row + 1). (Two images at a time in the forward pass, whose
   pair's list is 0.67 of theirs, measured slower: 195-200 µs against 189-194 for the
   encoder's phase in `bench`.) */
AE_INLINE void masked_pairs_avx512(const AEDropConnect *mask, const int32_t *index, const float *values, long slot,
                                   long count, const float *vectors, long stride, const uint64_t *keys, long row,
                                   long c0, float *out, long ld) {
    v16f acc[2][8];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 2; r++)
        _Pragma("clang loop unroll(full)") for (int q = 0; q < 8; q++) acc[r][q] = splat(0);
    uint64_t words[2][2][WORDS_AHEAD];
    const long word = c0 >> 2, rs = mask->row_stride;
    for (long e0 = 0; e0 < count; e0 += WORDS_AHEAD) {
        const long n = count - e0 < WORDS_AHEAD ? count - e0 : WORDS_AHEAD;
        const int32_t *at = index + e0;
        long e = 0;
        for (; e + 8 <= n; e += 8) {
            const __m512i key = example_keys8(keys, at + e);
            _Pragma("clang loop unroll(full)") for (int r = 0; r < 2; r++)
                _Pragma("clang loop unroll(full)") for (int k = 0; k < 2; k++)
                    _mm512_storeu_si512(words[r][k] + e,
                                        random_words8(key, _mm512_set1_epi64((long long)((row + r) * rs + word + k))));
        }
        for (; e < n; e++)
            for (int r = 0; r < 2; r++)
                for (int k = 0; k < 2; k++)
                    words[r][k][e] = ae_random_word(keys[at[e]], (uint64_t)((row + r) * rs + word + k));
        for (e = 0; e < n; e++) {
            const float *v = vectors + at[e] * stride + 16 * c0;
            const v16f s[2] = {splat(values[e0 + e]), splat(values[slot + e0 + e])};
            _Pragma("clang loop unroll(full)") for (int k = 0; k < 2; k++)
                _Pragma("clang loop unroll(full)") for (int q = 0; q < 4; q++)
                    _Pragma("clang loop unroll(full)") for (int r = 0; r < 2; r++)
                        acc[r][4 * k + q] += (v16f)_mm512_maskz_loadu_ps((__mmask16)(words[r][k][e] >> (16 * q)),
                                                                          v + 64 * k + 16 * q) * s[r];
        }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 2; r++)
        _Pragma("clang loop unroll(full)") for (int q = 0; q < 8; q++)
            vstore(acc[r][q] * mask->scale, out + r * ld + 16 * q);
}
#endif

/* The sums both per-example kernels are made of: over `count` entries, entry e adds
   the 64 floats (a block of 4 chunks from chunk c0) at vectors + index[e] stride, masked
   by its connections' keeps and times values[e]; out <- scale times the sums. The
   forward pass walks an image's pixels (index: pixels, one key, the mask row is the
   pixel); the backward pass a pixel's images (index: examples, each its key, one mask
   row): `by_example` says which, a constant once inlined. */
AE_INLINE void masked_block_sum(const int bit, const int by_example, const AEDropConnect *mask, const int32_t *index,
                                const float *values, long count, const float *vectors, long stride,
                                const uint64_t *keys, long row, long c0, float *out) {
    v16f acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
#if defined(AE_AVX512)
    if (bit) {
        masked_blocks_avx512(1, by_example, mask, index, values, count, vectors, stride, keys, row, c0, out);
        return;
    } else
#elif defined(AE_AVX2)
    if (bit) {
        /* the same sums in the same order, each lane's keep its bit of the word shifted
           into the sign, which the masked load reads (AVX2 has no mask registers): one
           variable and three constant shifts a half word for a block's 8 multiply-adds,
           where the generic loop spends 28 vector operations on the keeps and the
           masking; and the forward pass's words with one multiply fewer (below). `autoenc
           bench --modes dropconnect-example` with AUTOENC_KERNELS=avx2 on a Zen 4 (quiet
           rounds of 5 alternated ones): encoder 456-475 -> 343-351 µs, its gradient
           510-524 -> 428-435, 0.57-0.59 -> 0.65-0.66 of the peak. With that multiply
           back, the encoder ran at 441-457 µs */
        __m256 acc[8];
        for (int q = 0; q < 8; q++) acc[q] = _mm256_setzero_ps();
        const long word = c0 >> 2;
        if (by_example) {
            /* the backward pass: each entry an example with its own key, the words worked
               out first (with the forward pass's loop then spilling registers, the backward
               measured faster so, the forward slower) */
            uint64_t words[WORDS_AHEAD];
            for (long e0 = 0; e0 < count; e0 += WORDS_AHEAD) {
                const long n = count - e0 < WORDS_AHEAD ? count - e0 : WORDS_AHEAD;
                block_words(by_example, mask, keys, index + e0, n, row, c0, words);
                for (long e = 0; e < n; e++)
                    masked_block_terms(vectors + index[e0 + e] * stride + 16 * c0, values[e0 + e], words[e], acc);
            }
        } else {
            /* ae_random_word(keys[0], k row_stride + word) with one multiply fewer: the
               same sum modulo 2^64, key + (word + 1) step + k (row_stride step) */
            const uint64_t base = keys[0] + (uint64_t)(word + 1) * AE_SPLITMIX_STEP;
            uint64_t row_step = (uint64_t)mask->row_stride * AE_SPLITMIX_STEP;
            __asm__("" : "+r"(row_step)); /* kept whole: the compiler would factor the step out again */
            for (long e = 0; e < count; e++) {
                const long k = index[e];
                masked_block_terms(vectors + k * stride + 16 * c0, values[e], ae_mix(base + (uint64_t)k * row_step),
                                   acc);
            }
        }
        const __m256 scale = _mm256_set1_ps(mask->scale);
        for (int q = 0; q < 8; q++) _mm256_storeu_ps(out + 8 * q, _mm256_mul_ps(acc[q], scale));
        return;
    } else
#endif
    for (long e = 0; e < count; e++) {
        const long k = index[e];
        const float *v = vectors + k * stride + 16 * c0;
        const v16f s = splat(values[e]);
        v16i keeps[4];
        block_keeps(bit, mask, by_example ? keys[k] : keys[0], by_example ? row : k, c0, keeps);
        acc0 += masked(vload(v), keeps[0]) * s;
        acc1 += masked(vload(v + 16), keeps[1]) * s;
        acc2 += masked(vload(v + 32), keeps[2]) * s;
        acc3 += masked(vload(v + 48), keeps[3]) * s;
    }
    vstore(acc0 * mask->scale, out);
    vstore(acc1 * mask->scale, out + 16);
    vstore(acc2 * mask->scale, out + 32);
    vstore(acc3 * mask->scale, out + 48);
}

/* The same for chunk c alone, scale times the sums. */
AE_INLINE v16f masked_chunk_sum(const int bit, const int by_example, const AEDropConnect *mask, const int32_t *index,
                                const float *values, long count, const float *vectors, long stride,
                                const uint64_t *keys, long row, long c) {
    v16f acc = {0};
    for (long e = 0; e < count; e++) {
        const long k = index[e];
        const v16i keeps = single_keeps(bit, mask, by_example ? keys[k] : keys[0], by_example ? row : k, c);
        acc += masked(vload(vectors + k * stride + 16 * c), keeps) * splat(values[e]);
    }
    return acc * mask->scale;
}

AE_INLINE void dropconnect_forward_loops(const int bit, const AEDropConnect *mask, const uint64_t *keys,
                                         const int32_t *indices, const float *values, const int32_t *counts,
                                         const float *w1t, float *z1, long batch, long hidden) {
    const long whole = hidden / 16, chunks = (hidden + 15) / 16;
    /* 64 units at a time over every example, so that the weights' block stays in cache */
    long c0 = 0;
#if defined(AE_AVX512)
    /* at the bit resolution 128 units at a time (masked_blocks_avx512): their weights' block,
       400 KB, still in the second-level cache */
    if (bit)
        for (; c0 + 8 <= whole; c0 += 8)
            for (long b = 0; b < batch; b++)
                masked_blocks_avx512(2, 0, mask, indices + b * N_INPUTS, values + b * N_INPUTS, counts[b], w1t,
                                     hidden, keys + b, 0, c0, z1 + b * hidden + 16 * c0);
#endif
    for (; c0 + 4 <= whole; c0 += 4)
        for (long b = 0; b < batch; b++)
            masked_block_sum(bit, 0, mask, indices + b * N_INPUTS, values + b * N_INPUTS, counts[b], w1t, hidden,
                             keys + b, 0, c0, z1 + b * hidden + 16 * c0);
    /* the chunks after the last whole block; the last may be partial (its loads read
       past the row, into the next row or the buffer's slack, and those lanes are not
       stored) */
    for (long c = c0; c < chunks; c++) {
        const long lanes = hidden - 16 * c < 16 ? hidden - 16 * c : 16;
        for (long b = 0; b < batch; b++) {
            const v16f sums = masked_chunk_sum(bit, 0, mask, indices + b * N_INPUTS, values + b * N_INPUTS, counts[b],
                                               w1t, hidden, keys + b, 0, c);
            store_lanes(sums, z1 + b * hidden + 16 * c, 0, lanes);
        }
    }
}

static void dropconnect_forward(const AEDropConnect *mask, const uint64_t *keys, const int32_t *indices,
                                const float *values, const int32_t *counts, const float *w1t, float *z1, long batch,
                                long hidden) {
#define CALL(bit) dropconnect_forward_loops(bit, mask, keys, indices, values, counts, w1t, z1, batch, hidden)
    FOR_RESOLUTION(mask, CALL);
#undef CALL
}

static void pixel_columns(const float *x, long batch, long first, long last, int pairs, int32_t *examples,
                          float *column_values, int32_t *counts) {
    long i = first;
    if (pairs) /* pixels i, i + 1 (i even): the examples that light either, in both rows */
        for (; i + 1 < last; i += 2) {
            int32_t *example = examples + i * batch, *twin = example + batch;
            float *value = column_values + i * batch, *next = value + batch;
            int32_t n = 0;
            for (long b = 0; b < batch; b++) {
                const float v = x[b * N_INPUTS + i], w = x[b * N_INPUTS + i + 1];
                example[n] = (int32_t)b;
                twin[n] = (int32_t)b;
                value[n] = v;
                next[n] = w;
                n += (v != 0) | (w != 0);
            }
            counts[i] = counts[i + 1] = n;
        }
    for (; i < last; i++) {
        int32_t *example = examples + i * batch;
        float *value = column_values + i * batch;
        int32_t n = 0;
        for (long b = 0; b < batch; b++) { /* no branch, as in nonzero_pixels */
            const float v = x[b * N_INPUTS + i];
            example[n] = (int32_t)b;
            value[n] = v;
            n += v != 0;
        }
        counts[i] = n;
    }
}

/* Chunk c of gw1t's columns alone, storing only its lanes inside first..<last (another
   thread may own the others). */
AE_INLINE void backward_chunk(const int bit, const AEDropConnect *mask, const uint64_t *keys, const int32_t *examples,
                              const float *column_values, const int32_t *counts, long slot, const float *dz1,
                              float *gw1t, long hidden, long first, long last, long c) {
    const long lo = first > 16 * c ? first - 16 * c : 0, hi = last < 16 * c + 16 ? last - 16 * c : 16;
    for (long i = 0; i < N_INPUTS; i++) {
        const v16f sums = masked_chunk_sum(bit, 1, mask, examples + i * slot, column_values + i * slot, counts[i], dz1,
                                           hidden, keys, i, c);
        store_lanes(sums, gw1t + i * hidden + 16 * c, lo, hi);
    }
}

AE_INLINE void dropconnect_backward_loops(const int bit, const AEDropConnect *mask, const uint64_t *keys,
                                          const int32_t *examples, const float *column_values, const int32_t *counts,
                                          long slot, int paired, const float *dz1, float *gw1t, long hidden,
                                          long first, long last) {
    if (first >= last) return;
    long c = first / 16;
    const long c_last = (last + 15) / 16;
    if (first > 16 * c)
        backward_chunk(bit, mask, keys, examples, column_values, counts, slot, dz1, gw1t, hidden, first, last, c++);
    /* chunk by chunk up to a random word's first chunk: a block's 4 chunks share one word
       at the bit resolution (block_keeps), so a block starts at a multiple of 4. A thread's
       units that began elsewhere (the second half of 200 units: chunk 7) once took their
       neighbours' keeps there */
    for (; c % 4 != 0 && c < c_last; c++)
        backward_chunk(bit, mask, keys, examples, column_values, counts, slot, dz1, gw1t, hidden, first, last, c);
    /* whole blocks of 4 chunks inside first..<last, over the images that light pixel i (at
       the AVX-512 level's bit resolution two blocks at a time first: masked_blocks_avx512) */
#if defined(AE_AVX512)
    if (bit && paired) /* two pixels at a time over their pair's examples (masked_pairs_avx512) */
        for (; 16 * (c + 8) <= last; c += 8)
            for (long i = 0; i < N_INPUTS; i += 2)
                masked_pairs_avx512(mask, examples + i * slot, column_values + i * slot, slot, counts[i], dz1, hidden,
                                    keys, i, c, gw1t + i * hidden + 16 * c, hidden);
    if (bit)
        for (; 16 * (c + 8) <= last; c += 8)
            for (long i = 0; i < N_INPUTS; i++)
                masked_blocks_avx512(2, 1, mask, examples + i * slot, column_values + i * slot, counts[i], dz1, hidden,
                                     keys, i, c, gw1t + i * hidden + 16 * c);
#endif
    for (; 16 * (c + 4) <= last; c += 4)
        for (long i = 0; i < N_INPUTS; i++)
            masked_block_sum(bit, 1, mask, examples + i * slot, column_values + i * slot, counts[i], dz1, hidden, keys,
                             i, c, gw1t + i * hidden + 16 * c);
    for (; c < c_last; c++)
        backward_chunk(bit, mask, keys, examples, column_values, counts, slot, dz1, gw1t, hidden, first, last, c);
}

static void dropconnect_backward(const AEDropConnect *mask, const uint64_t *keys, const int32_t *examples,
                                 const float *column_values, const int32_t *counts, long slot, int paired,
                                 const float *dz1, float *gw1t, long hidden, long first, long last) {
#define CALL(bit) \
    dropconnect_backward_loops(bit, mask, keys, examples, column_values, counts, slot, paired, dz1, gw1t, hidden, \
                               first, last)
    FOR_RESOLUTION(mask, CALL);
#undef CALL
}

AE_INLINE void dropconnect_mask_loops(const int bit, const AEDropConnect *mask, uint64_t key, const float *w1,
                                      float *out, long first, long last) {
    uint64_t words[128];
    const int32_t t = mask->threshold;
    for (long j = first; j < last; j++) {
        fill_row(mask, key, j, words);
        for (long c = 0; c < CHUNKS; c++) {
            const v16f v = vload(w1 + j * N_INPUTS + 16 * c) * mask->scale;
            vstore(masked(v, chunk_keeps(bit, words, c, t)), out + j * N_INPUTS + 16 * c);
        }
    }
}

static void dropconnect_mask_weights(const AEDropConnect *mask, uint64_t key, const float *w1, float *out,
                                     long first, long last) {
#define CALL(bit) dropconnect_mask_loops(bit, mask, key, w1, out, first, last)
    FOR_RESOLUTION(mask, CALL);
#undef CALL
}

/* MARK: - Optimizers */

/* Each rule returns whether every updated p is finite: `poison` sums updated p * 0,
   which is NaN exactly when some p is not. */
static int sgd(float *p, const float *g, long count, float lr) {
    v16f poison = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        const v16f updated = vload(p + i) - lr * vload(g + i);
        vstore(updated, p + i);
        poison += updated * 0;
    }
    float scalar_poison = 0;
    for (; i < count; i++) { p[i] -= lr * g[i]; scalar_poison += p[i] * 0; }
    return !isnan(lane_sum(poison) + scalar_poison);
}

static int momentum(float *p, const float *g, float *buffer, long count, float lr, float mu) {
    v16f poison = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        const v16f b = mu * vload(buffer + i) + vload(g + i);
        vstore(b, buffer + i);
        const v16f updated = vload(p + i) - lr * b;
        vstore(updated, p + i);
        poison += updated * 0;
    }
    float scalar_poison = 0;
    for (; i < count; i++) {
        buffer[i] = mu * buffer[i] + g[i];
        p[i] -= lr * buffer[i];
        scalar_poison += p[i] * 0;
    }
    return !isnan(lane_sum(poison) + scalar_poison);
}

/* 1 / d to within 2.07 units of float32's roundoff (2^-24) at AVX-512 and 4.25 at AVX2:
   the hardware's estimate (relative error under 2^-14 for AVX-512's rcp14, 1.5 2^-12 for
   AVX2's rcp), then one Newton step x (2 - d x), which squares that error (under 2^-28,
   or 2.25 2^-24) and rounds twice. Elsewhere the division. d must be positive and finite. */
AE_INLINE v16f reciprocal(v16f d) {
#if defined(AE_AVX512)
    const v16f x = (v16f)_mm512_rcp14_ps((__m512)d);
    return x * (2 - d * x);
#elif defined(AE_AVX2)
    v16f x;
    for (int half = 0; half < 2; half++) {
        const __m256 part = _mm256_rcp_ps(_mm256_loadu_ps((const float *)&d + 8 * half));
        memcpy((float *)&x + 8 * half, &part, sizeof part);
    }
    return x * (2 - d * x);
#else
    return 1 / d;
#endif
}

/* PyTorch's single-tensor Adam: m = m + (1 - b1) (g - m) (exp_avg.lerp_), v = b2 v +
   (1 - b2) g g, p -= step_size m / (sqrt(v) / correction2_root + eps), in that order,
   with two of its roundings moved: sqrt(v) times 1 / correction2_root (rounded once from
   double) for the division by it, and m times `reciprocal`'s 1 / denom for the division
   by denom. A division costs as much as the rest of a parameter's update: the two took
   the update from 0.41 to 0.28 ns a parameter on a Zen 4 with everything in cache. */
static int adam(float *p, const float *g, float *m, float *v, long count, const AEAdam *a) {
    const float c1 = a->one_minus_beta1, b2 = a->beta2, c2 = a->one_minus_beta2;
    const float inverse_root = a->inverse_correction2_root;
    v16f poison = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        const v16f gi = vload(g + i);
        const v16f mi = vload(m + i) + c1 * (gi - vload(m + i));
        const v16f vi = b2 * vload(v + i) + c2 * gi * gi;
        vstore(mi, m + i);
        vstore(vi, v + i);
        const v16f denom = __builtin_elementwise_sqrt(vi) * inverse_root + a->epsilon;
        const v16f updated = vload(p + i) - a->step_size * mi * reciprocal(denom);
        vstore(updated, p + i);
        poison += updated * 0;
    }
    float scalar_poison = 0;
    for (; i < count; i++) {
        m[i] = m[i] + c1 * (g[i] - m[i]);
        v[i] = b2 * v[i] + c2 * g[i] * g[i];
        p[i] -= a->step_size * m[i] / (sqrtf(v[i]) * inverse_root + a->epsilon);
        scalar_poison += p[i] * 0;
    }
    return !isnan(lane_sum(poison) + scalar_poison);
}

/* MARK: - Activations and the loss */

/* One 16-unit piece of a row: z <- act(z + bias), gate <- act'(z + bias). */
AE_INLINE void activate16(v16f z, int sigmoid, v16f *a, v16f *gate) {
    if (sigmoid) {
        *a = vsigmoid(z);
        *gate = *a * (1 - *a);
    } else {
        const v16i on = z > 0;
        *a = masked(z, on);
        *gate = masked(splat(1), on);
    }
}

static void activate(float *z, float *gate, const float *bias, long rows, long units, long ld, int sigmoid) {
    for (long r = 0; r < rows; r++) {
        float *row = z + r * ld;
        long j = 0;
        v16f a, d;
        for (; j + 16 <= units; j += 16) {
            activate16(vload(row + j) + vload(bias + j), sigmoid, &a, &d);
            vstore(a, row + j);
            if (gate) vstore(d, gate + r * ld + j);
        }
        if (j < units) {
            /* the tail through a padded vector */
            float in[16] = {0}, out[16], out_gate[16];
            for (long k = j; k < units; k++) in[k - j] = row[k] + bias[k];
            activate16(vload(in), sigmoid, &a, &d);
            vstore(a, out);
            vstore(d, out_gate);
            for (long k = j; k < units; k++) {
                row[k] = out[k - j];
                if (gate) gate[r * ld + k] = out_gate[k - j];
            }
        }
    }
}

/* Dropout on one row of the hidden layer or the input (DropoutMask): z, and gate when
   given, times scale where a unit keeps, times 0 where it drops. At the AVX-512 level 16
   units at a time, their eight words worked out on eight lanes: 128 rows of 256 units
   took 7.5 µs on one Zen 4 thread against 73 for the loop below, which is what the other
   levels and a row's last units run (timed alone); in `bench` the activation phase went
   from 41-48 to 7 µs a step with dropout. */
static void dropout_row(float *z, float *gate, uint64_t key, long units, uint64_t threshold, float scale) {
    long j = 0;
#if defined(AE_AVX512)
    const int keeps_all = threshold > UINT32_MAX;
    const __m512i limit = _mm512_set1_epi32((int)(uint32_t)(keeps_all ? UINT32_MAX : threshold));
    const __m512i lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    for (; j + 16 <= units; j += 16) {
        /* words j / 2 ..< j / 2 + 8: lane 2i of the sixteen 32-bit lanes is unit j + 2i's
           value (the low half), lane 2i + 1 unit j + 2i + 1's (the high half) */
        const __m512i counter = _mm512_add_epi64(_mm512_set1_epi64(j >> 1), lanes);
        const __m512i words = random_words8(_mm512_set1_epi64((long long)key), counter);
        const __mmask16 keep = keeps_all ? (__mmask16)0xFFFF : _mm512_cmplt_epu32_mask(words, limit);
        const v16f factor = (v16f)_mm512_maskz_mov_ps(keep, _mm512_set1_ps(scale));
        vstore(vload(z + j) * factor, z + j);
        if (gate) vstore(vload(gate + j) * factor, gate + j);
    }
#endif
    for (; j < units; j++) {
        const uint64_t word = ae_random_word(key, (uint64_t)(j >> 1));
        const uint64_t value = (j & 1) == 0 ? (word & UINT32_MAX) : word >> 32;
        const float factor = value < threshold ? scale : 0;
        z[j] *= factor;
        if (gate) gate[j] *= factor;
    }
}

static double output_loss(float *z, const float *x, const float *bias, long rows, float scale) {
    double sum = 0;
    for (long b = 0; b < rows; b++) {
        float *row = z + b * N_INPUTS;
        const float *xr = x + b * N_INPUTS;
        v16f row_sum = {0};
        for (long c = 0; c < CHUNKS; c++) {
            const v16f y = vsigmoid(vload(row + 16 * c) + vload(bias + 16 * c));
            const v16f d = y - vload(xr + 16 * c);
            row_sum += d * d;
            vstore(scale * d * y * (1 - y), row + 16 * c);
        }
        sum += (double)lane_sum(row_sum);
    }
    return sum;
}

/* MARK: - The multiply-add peak */

/* Independent chains of 16 floats: enough to keep every multiply-add unit busy for the
   level's registers without spilling. A fused multiply-add takes 4 to 5 cycles and a
   core starts 2 a cycle, so about 10 must be in flight: AVX2 runs a chain as 2 ymm
   registers (12 of its 16), AVX-512 as 1 zmm (8 of 32), SSE2 as 4 xmm (12 of 16). */
#if defined(AE_AVX512)
#define PEAK_CHAINS 8
#elif defined(AE_AVX2)
#define PEAK_CHAINS 6
#else
#define PEAK_CHAINS 3
#endif

static long multiply_add_peak(long iterations, float multiplier, float addend, float *out) {
    v16f acc[PEAK_CHAINS];
    for (int c = 0; c < PEAK_CHAINS; c++) acc[c] = splat(0);
    const v16f m = splat(multiplier), a = splat(addend);
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < PEAK_CHAINS; c++) acc[c] = acc[c] * m + a;
    }
    for (int c = 0; c < PEAK_CHAINS; c++) vstore(acc[c], out + 16 * c);
    return 16 * PEAK_CHAINS;
}

const AEKernels AE_TABLE = {
    .pack = pack,
    .spread = spread,
    .transpose = transpose,
    .multiply = multiply,
    .combine_rows = combine_rows,
    .selected_dots = selected_dots,
    .gather_images = gather_images,
    .nonzero_pixels = nonzero_pixels,
    .pixel_columns = pixel_columns,
    .pixel_groups = pixel_groups,
    .lit_product = lit_product,
    .image_groups = image_groups,
    .group_forward = group_forward,
    .encoder_panel = ENCODER_PANEL,
    .dropconnect_forward = dropconnect_forward,
    .dropconnect_backward = dropconnect_backward,
    .dropconnect_mask_weights = dropconnect_mask_weights,
    .sgd = sgd,
    .momentum = momentum,
    .adam = adam,
    .activate = activate,
    .dropout_row = dropout_row,
    .output_loss = output_loss,
    .multiply_add_peak = multiply_add_peak,
};
