#ifndef AUTOENC_CKERNELS_H
#define AUTOENC_CKERNELS_H
/* autoenc's vector kernels, compiled once for each instruction-set level and chosen at
   run time (ae_kernels). C, not Swift, because only C can compile one function for
   AVX-512 and another for AVX2 in the same binary (target attributes): a binary built
   on any machine then runs on any x86-64 CPU with the best kernels it supports.

   Shapes are row-major, (rows, columns), with the leading dimension named ld*. The
   Swift wrappers (AutoencKit/Math/Kernels.swift and the callers) hold the plain
   references these are tested against. */
#include <stdint.h>

#pragma clang assume_nonnull begin

/* autoenc's random words (RandomStream in Swift, which calls these): SplitMix64's
   finalizer, and the word at `counter` of the stream keyed `key`. Its constants are
   named once here for the kernels that work eight words out at a time too. */
#define AE_SPLITMIX_STEP 0x9E3779B97F4A7C15ull
#define AE_SPLITMIX_MIX1 0xBF58476D1CE4E5B9ull
#define AE_SPLITMIX_MIX2 0x94D049BB133111EBull

static inline uint64_t ae_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * AE_SPLITMIX_MIX1;
    z = (z ^ (z >> 27)) * AE_SPLITMIX_MIX2;
    return z ^ (z >> 31);
}

static inline uint64_t ae_random_word(uint64_t key, uint64_t counter) {
    return ae_mix(key + (counter + 1) * AE_SPLITMIX_STEP);
}

/* Instruction-set levels, best last. */
enum {
    AE_LEVEL_GENERIC = 0, /* what the compiler targets by default: SSE2 on x86-64, NEON on arm64 */
    AE_LEVEL_AVX2 = 1,    /* AVX2, FMA, BMI2 */
    AE_LEVEL_AVX512 = 2,  /* AVX-512 F, BW, VL, DQ (and everything AVX2 has) */
};

/* The units (columns) of a hidden layer that are active in a minibatch: list[0..<count],
   increasing; per group g of 16 units, bit i of masks[g] says unit 16 g + i is active and
   offsets[g] counts the active units below 16 g. */
typedef struct {
    long units;
    long count;
    const int32_t *list;
    const uint16_t *masks;
    const int32_t *offsets;
} AEActiveSet;

/* A DropConnect mask's layout (DropConnectMask in Swift): one bit per connection
   (bit_resolution 1) or one byte compared with `threshold`; `row_stride` counters
   between rows; kept weights multiplied by `scale`. */
typedef struct {
    long row_stride;
    int32_t bit_resolution;
    int32_t threshold;
    float scale;
} AEDropConnect;

/* Adam's constants for one step, as PyTorch's float32 kernels receive them: each worked
   out in double from beta1 = 0.9, beta2 = 0.999 and rounded once (Optimizer.swift). */
typedef struct {
    float one_minus_beta1;  /* the first moment's weight: m += (1 - beta1) (g - m) */
    float beta2;
    float one_minus_beta2;  /* rounded from double: 0.001f, not 1 - 0.999f = 0.000999987 */
    float epsilon;
    float step_size;        /* lr / (1 - beta1^t) */
    float inverse_correction2_root; /* 1 / sqrt(1 - beta2^t) */
} AEAdam;

typedef struct {
    /* out[r, k] = m[r, list[k]]: m (rows, ldm) -> out (rows, ldo), ldo >= count. Rows
       but the last may write up to 16 floats past their packed values (the next row's
       place, which that row then fills); nothing past the last row's values. */
    void (*pack)(const float *m, long rows, long ldm, float *out, long ldo, const AEActiveSet *set);
    /* In place, the inverse of pack: row r's first `count` floats move to their units'
       columns, zeros elsewhere. m (rows, ld), ld >= units. */
    void (*spread)(float *m, long rows, long ld, const AEActiveSet *set);
    /* b[q, p] = a[p, q] for q in first..<last: a (rows, columns) -> b (columns, rows),
       row stride ldb >= rows. */
    void (*transpose)(const float *a, long rows, long columns, float *b, long ldb, long first, long last);
    /* c[r, n] = sum over k < depth, in order, of a[r rs + k ks] b[k ldb + n], for r < rows
       and n < columns: a (rows, depth) with row stride rs and depth stride ks (a row-major
       matrix, or with rs 1 the transpose of one), b (depth, columns) ld ldb -> c (rows,
       columns) ld ldc, overwritten; with `transposed`, c[r, n] goes to c[n ldc + r] (c^T,
       (columns, rows)). With b_rows, b's row k is at b + b_rows[k] ldb. Nothing outside
       those entries is read or written. */
    void (*multiply)(const float *a, long rs, long ks, const float *b, long ldb, const int32_t *_Nullable b_rows,
                     float *c, long ldc, long rows, long columns, long depth, int transposed);
    /* out = sum over k < count with c[k stride] != 0 of c[k stride] rows[k]:
       rows (count, 784) -> out (784). indices, values: scratch for count entries. */
    void (*combine_rows)(const float *c, long stride, long count, const float *rows, float *out,
                         int32_t *indices, float *values);
    /* out[j] = dot(v, rows[j]) where select[j] != 0, else 0, for j < count:
       v (784), rows (count, 784) -> out (count). indices: scratch for count entries. */
    void (*selected_dots)(const float *v, const float *rows, const float *select, long count, float *out,
                          int32_t *indices);
    /* out[r, i] = images[indices[r], i] / 255 as floats (times the float nearest 1/255):
       images (any, 784) bytes, indices (count) -> out (count, 784). */
    void (*gather_images)(const uint8_t *images, const int32_t *indices, long count, float *out);
    /* The nonzero pixels of each row of x (rows, 784): row b's are entries
       b 784 ..< b 784 + counts[b] of indices (increasing) and values. */
    void (*nonzero_pixels)(const float *x, long rows, int32_t *indices, float *values, int32_t *counts);
    /* The nonzero pixels of x (batch, 784) by column, for pixels first..<last: pixel i's
       examples (increasing) and values are entries i batch ..< i batch + counts[i] of
       examples and column_values (784 batch each); counts has 784. With `pairs` (first
       even), pixels i and i + 1 (i even, both in range) are filled as a pair: both rows
       list the examples that light either, and each pixel's values are 0 where it is dark
       (dropconnect_backward's `paired`). Pixel ranges are independent, so threads may fill
       disjoint ones at once. */
    void (*pixel_columns)(const float *x, long batch, long first, long last, int pairs, int32_t *examples,
                          float *column_values, int32_t *counts);
    /* The examples that light each group of 4 neighbouring pixels of x (batch, 784), for
       groups first..<last of 196: group g's (increasing), those whose x[b, 4 g ..< 4 g + 4]
       are not all zero, are entries g batch ..< g batch + counts[g] of examples (196
       batch), and the e-th one's 4 pixels are values[4 (g batch + e) ..< + 4] (784 batch);
       counts has 196. Group ranges are independent, as pixel_columns' pixels. */
    void (*pixel_groups)(const float *x, long batch, long first, long last, int32_t *examples, float *values,
                         int32_t *counts);
    /* c[r, k] = sum over the examples b of k's group (pixel_groups, filled with batch =
       slot), in order, of a[b lda + r] x[b, k], for r < rows and every pixel k, x's pixels
       read from the groups' values: a (batch, lda) -> row r of c, or row c_rows[r], (784
       floats, ld ldc), overwritten. The examples left out have x[b, k] = 0: this is c =
       a^T x, multiply's sum in the same order with those zero terms skipped (the encoder
       gradient dz1^T xd). */
    void (*lit_product)(const int32_t *examples, const float *values, const int32_t *counts, long slot,
                        const float *a, long lda, long rows, float *c, long ldc, const int32_t *_Nullable c_rows);
    /* The lit pixels of images first..<first + count of x (batch, 784), in groups of 4
       for group_forward: order[first ..< first + count] gets the images sorted by the
       width of the columns they light, then by their lit pixels' count (both stable);
       group g is order[s ..< s + 4] at slot s = first + 4 g
       (the last group may hold fewer), and the pixels one of its images lights are
       entries s 784 ..< s 784 + counts[s] of indices (increasing). indices: 784 batch;
       counts, order: batch. Image ranges are independent. */
    void (*image_groups)(const float *x, long first, long count, int32_t *order, int32_t *indices, int32_t *counts);
    /* z1[b, u] = sum over the pixels i that b's group lights (image_groups), in order,
       of x[b, i] w1[u, i], for images first..<first + count and every unit u < hidden:
       multiply's sum (xd w1^T) with zero terms skipped. panels: w1^T by
       encoder_panel units, panel p at p encoder_panel 784 (784, its width; the
       last panel's width what is left); x (batch, 784), as grouped -> z1 (batch,
       hidden), those rows overwritten. */
    void (*group_forward)(const float *panels, long hidden, const float *x, const int32_t *order,
                          const int32_t *indices, const int32_t *counts, long first, long count, float *z1);
    /* The units in one of group_forward's panels: 6 vectors of AVX-512, 2 of AVX2. */
    long encoder_panel;
    /* Per-example DropConnect, masks with a row per pixel (mask_b[i, j]), reading only the
       nonzero pixels (nonzero_pixels of x):
       z1[b, j] = scale sum_i mask_b[i, j] w1t[i, j] x[b, i] for every unit j:
       w1t (784, hidden), keys (batch) -> z1 (batch, hidden), no bias. w1t is read up to
       15 floats past its end when hidden is not a multiple of 16. */
    void (*dropconnect_forward)(const AEDropConnect *mask, const uint64_t *keys, const int32_t *indices,
                                const float *values, const int32_t *counts, const float *w1t, float *z1,
                                long batch, long hidden);
    /* gw1t[i, j] = scale sum_b dz1[b, j] mask_b[i, j] x[b, i] for j in first..<last, every
       pixel i, from x's pixel_columns filled with batch = slot, in pairs over every pixel
       when `paired` (the AVX-512 level's bit resolution then walks each pair's examples
       once; the other loops read either fill): dz1 (batch, hidden) -> gw1t (784, hidden),
       those columns overwritten. dz1 is read up to 15 floats past its end, as w1t above. */
    void (*dropconnect_backward)(const AEDropConnect *mask, const uint64_t *keys, const int32_t *examples,
                                 const float *column_values, const int32_t *counts, long slot, int paired,
                                 const float *dz1, float *gw1t, long hidden, long first, long last);
    /* out[j] = scale mask[j] ⊙ w1[j] for j in first..<last, one mask `key`;
       w1, out (hidden, 784); out may be w1. */
    void (*dropconnect_mask_weights)(const AEDropConnect *mask, uint64_t key, const float *w1, float *out,
                                     long first, long last);
    /* Elementwise over count floats; each returns 1 when every updated p is finite. */
    int (*sgd)(float *p, const float *g, long count, float lr);
    int (*momentum)(float *p, const float *g, float *buffer, long count, float lr, float momentum);
    int (*adam)(float *p, const float *g, float *m, float *v, long count, const AEAdam *adam);
    /* z[r] = act(z[r] + bias) for rows r; when gate is given, gate[r] = act'(z[r] + bias)
       (ReLU: 1 where z + bias > 0, else 0; sigmoid: a (1 - a)).
       z, gate (rows, ld), bias (units). sigmoid: 0 ReLU, 1 sigmoid. */
    void (*activate)(float *z, float *_Nullable gate, const float *bias, long rows, long units, long ld, int sigmoid);
    /* Dropout on one row of the hidden layer or the input: unit j keeps when the j-th
       32-bit value of key's stream (the low, then the high half of ae_random_word(key,
       j / 2)) is below threshold (at most 2^32); z[j], and gate[j] when gate is given, are
       multiplied by scale where it keeps and by 0 where it drops. z, gate (units). */
    void (*dropout_row)(float *z, float *_Nullable gate, uint64_t key, long units, uint64_t threshold, float scale);
    /* y = sigmoid(z + bias); z <- scale (y - x) y (1 - y); returns sum (y - x)^2.
       z, x (rows, 784), bias (784). */
    double (*output_loss)(float *z, const float *x, const float *bias, long rows, float scale);
    /* The fp32 multiply-add peak: `iterations` times acc = acc * multiplier + addend on
       independent chains of lanes, all starting at 0, fused where the level has FMA;
       writes each lane's final acc to out and returns the lane count (at most 128). */
    long (*multiply_add_peak)(long iterations, float multiplier, float addend, float *out);
} AEKernels;

/* The kernels of `level`, or NULL when this build has none for it (another architecture). */
const AEKernels *_Nullable ae_kernels(int level);

/* Whether this CPU and operating system run `level`'s instructions (CPUID and XGETBV). */
int ae_level_supported(int level);

/* Whether this CPU runs each 512-bit multiply-add as two 256-bit halves, at the rate of
   its 256-bit ones: AMD's Zen 4 (family 19h, CPUID). Intel's AVX-512 cores and AMD's
   Zen 5 (family 1Ah) run them whole, twice the multiply-adds a cycle of a Zen 4. */
int ae_cpu_halves_512_bit_vectors(void);

#pragma clang assume_nonnull end
#endif
