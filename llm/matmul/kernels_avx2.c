/* kernels_avx2.c: AVX2 kernels of repack.h's recipe, one 8-row group per
 * 256-bit register (one 32-bit lane per row).
 *
 * Two groups (16 rows) run per pass so that each activation broadcast
 * serves both. Built for QEMU's software emulation first: the inner loops
 * use only
 * instructions TCG translates inline (vpsrld by immediate, vpmulld, vpaddd,
 * vpbroadcastd from memory) plus one 256-bit load per 64 (Q4) or 32 (Q8)
 * multiply-accumulates; no pmaddwd/pshufb/unpacks, which TCG runs through
 * slow helper calls, and no masks (rq_act's transformed activations). Floats
 * appear once per 8 rows. Results equal kernels_scalar.c's bit for bit.
 * At the end, the AVX2 form of the activation quantization's steps
 * (rq_act_impl), which select.c times against repack.c's portable ones.
 */
#include "matmul/kernels.h"
#include "platform.h"

/* GCC's xmmintrin.h pulls in mm_malloc.h, which needs libc's stdlib.h; the
 * freestanding builds have no libc, and no use for _mm_malloc. */
#if !__STDC_HOSTED__
#define _MM_MALLOC_H_INCLUDED
#endif
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2")

/* p += (w >> shift) * t, lanes of 32 bits (see rq_act: no mask needed). */
#define MAC(p, w, shift, t) \
    p = _mm256_add_epi32(p, _mm256_mullo_epi32(_mm256_srli_epi32(w, shift), _mm256_set1_epi32(t)))

/* The recipe's last step for 8 rows: ((float)total * U) * 2^(E+G). */
static __m256 finish(__m256i total, const float *unit, const struct rq_act *a)
{
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(total), _mm256_loadu_ps(unit));
    return _mm256_mul_ps(f, _mm256_set1_ps(a->p2));
}

static __m256i shift_block(__m256i acc, int32_t s)
{
    return _mm256_sra_epi32(acc, _mm_cvtsi32_si128(s));
}

/* One 8-column sub-block: p += sum_j (w >> 4j) * t[j]. Written out so that
 * the compiler cannot hoist the eight shifts and spill them: in 32-bit mode
 * there are only 8 vector registers, and a spill is a 256-bit store and
 * load, which TCG runs as slow helpers. */
static __m256i q4_subblock(__m256i p, const __m256i *w, const int32_t *t)
{
    __m256i v, s, x;
    __asm__("vmovdqa %[w], %[v]\n\t"
            "vpbroadcastd 0(%[t]), %[x]\n\t"
            "vpmulld %[v], %[x], %[x]\n\t"
            "vpaddd %[x], %[p], %[p]\n\t"
#define STEP(sh, off)                               \
            "vpsrld $" #sh ", %[v], %[s]\n\t"      \
            "vpbroadcastd " #off "(%[t]), %[x]\n\t" \
            "vpmulld %[s], %[x], %[x]\n\t"          \
            "vpaddd %[x], %[p], %[p]\n\t"
            STEP(4, 4) STEP(8, 8) STEP(12, 12) STEP(16, 16) STEP(20, 20) STEP(24, 24) STEP(28, 28)
#undef STEP
            : [p] "+x"(p), [v] "=&x"(v), [s] "=&x"(s), [x] "=&x"(x)
            : [w] "m"(*w), [t] "r"(t), "m"(*(const int32_t(*)[8])t));
    return p;
}

/* Eight columns of Q8 (two words per row): p += sum_j (w >> 8j) * t[j]. */
static __m256i q8_octet(__m256i p, const __m256i *w, const int32_t *t)
{
    __m256i v, s, x;
    __asm__("vmovdqa %[w0], %[v]\n\t"
            "vpbroadcastd 0(%[t]), %[x]\n\t"
            "vpmulld %[v], %[x], %[x]\n\t"
            "vpaddd %[x], %[p], %[p]\n\t"
#define STEP(sh, off)                               \
            "vpsrld $" #sh ", %[v], %[s]\n\t"      \
            "vpbroadcastd " #off "(%[t]), %[x]\n\t" \
            "vpmulld %[s], %[x], %[x]\n\t"          \
            "vpaddd %[x], %[p], %[p]\n\t"
            STEP(8, 4) STEP(16, 8) STEP(24, 12)
            "vmovdqa %[w1], %[v]\n\t"
            "vpbroadcastd 16(%[t]), %[x]\n\t"
            "vpmulld %[v], %[x], %[x]\n\t"
            "vpaddd %[x], %[p], %[p]\n\t"
            STEP(8, 20) STEP(16, 24) STEP(24, 28)
#undef STEP
            : [p] "+x"(p), [v] "=&x"(v), [s] "=&x"(s), [x] "=&x"(x)
            : [w0] "m"(w[0]), [w1] "m"(w[1]), [t] "r"(t), "m"(*(const int32_t(*)[8])t));
    return p;
}

/* Pair kernels: two 8-row groups at once, so each activation broadcast
 * serves 16 rows, and a whole 32-column block in one asm statement, so that
 * each pair of weight words is loaded while the previous pair is being
 * multiplied. Under TCG a 256-bit load is four 64-bit loads into a
 * temporary read back whole, which stalls whatever uses it next; issued a
 * word early it costs measurably less (about a tenth of the kernel's time).
 * Eight registers: accumulators p0, p1; words in a0/a1 and b0/b1 by turns;
 * s, x scratch. w0 and w1 point at the block's words in groups g and g + 1,
 * sc0 and sc1 at their block scales, which the last word loads (into a0/a1,
 * returned as sv0/sv1) for the same reason. */
#define PAIR_LOAD(a0, a1, k) "vmovdqa " #k "*32(%[w0]), %[" #a0 "]\n\t" "vmovdqa " #k "*32(%[w1]), %[" #a1 "]\n\t"
/* The lowest field: no shift. */
#define PAIR_FIRST(a0, a1, off)                         \
    "vpbroadcastd " #off "(%[t]), %[x]\n\t"             \
    "vpmulld %[" #a0 "], %[x], %[s]\n\t"                \
    "vpaddd %[s], %[p0], %[p0]\n\t"                     \
    "vpmulld %[" #a1 "], %[x], %[s]\n\t"                \
    "vpaddd %[s], %[p1], %[p1]\n\t"
#define PAIR_FIELD(a0, a1, sh, off)                     \
    "vpbroadcastd " #off "(%[t]), %[x]\n\t"             \
    "vpsrld $" #sh ", %[" #a0 "], %[s]\n\t"            \
    "vpmulld %[s], %[x], %[s]\n\t"                      \
    "vpaddd %[s], %[p0], %[p0]\n\t"                     \
    "vpsrld $" #sh ", %[" #a1 "], %[s]\n\t"            \
    "vpmulld %[s], %[x], %[s]\n\t"                      \
    "vpaddd %[s], %[p1], %[p1]\n\t"
#define PAIR_SCALES "vmovdqa (%[sc0]), %[a0]\n\t" "vmovdqa (%[sc1]), %[a1]\n\t"
#define PAIR_OPERANDS(words, cols)                                                                             \
    : [p0] "+x"(*p0), [p1] "+x"(*p1), [a0] "=&x"(*sv0), [a1] "=&x"(*sv1), [b0] "=&x"(b0), [b1] "=&x"(b1), \
      [s] "=&x"(s), [x] "=&x"(x)                                                                          \
    : [w0] "r"(w0), [w1] "r"(w1), [t] "r"(t), [sc0] "r"(sc0), [sc1] "r"(sc1),                             \
      "m"(*(const __m256i(*)[words])w0), "m"(*(const __m256i(*)[words])w1),                               \
      "m"(*(const int32_t(*)[cols])t),                                                                    \
      "m"(*sc0), "m"(*sc1)

/* Q4: four slices (words) per group and block, eight 4-bit fields each; `next`
 * loads the following word. */
#define Q4_WORD(a0, a1, off, next)                                                              \
    PAIR_FIRST(a0, a1, off) next PAIR_FIELD(a0, a1, 4, off + 4) PAIR_FIELD(a0, a1, 8, off + 8)  \
    PAIR_FIELD(a0, a1, 12, off + 12) PAIR_FIELD(a0, a1, 16, off + 16) PAIR_FIELD(a0, a1, 20, off + 20) \
    PAIR_FIELD(a0, a1, 24, off + 24) PAIR_FIELD(a0, a1, 28, off + 28)
static inline __attribute__((always_inline)) void q4_block_pair(__m256i *p0, __m256i *p1, const __m256i *w0, const __m256i *w1, const int32_t *t,
                          const __m256i *sc0, const __m256i *sc1, __m256i *sv0, __m256i *sv1)
{
    __m256i b0, b1, s, x;
    __asm__(PAIR_LOAD(a0, a1, 0)
            Q4_WORD(a0, a1, 0, PAIR_LOAD(b0, b1, 1))
            Q4_WORD(b0, b1, 32, PAIR_LOAD(a0, a1, 2))
            Q4_WORD(a0, a1, 64, PAIR_LOAD(b0, b1, 3))
            Q4_WORD(b0, b1, 96, PAIR_SCALES)
            PAIR_OPERANDS(4, 32));
}

/* dq * P + mq * S for 8 rows (sc: their packed scales), wrapping. */
static __m256i q4_acc(__m256i p, __m256i sc, int32_t sum)
{
    __m256i dq = _mm256_srai_epi32(_mm256_slli_epi32(sc, 32 - RQ_MQ_SHIFT), 32 - RQ_MQ_SHIFT);
    __m256i mq = _mm256_srai_epi32(sc, RQ_MQ_SHIFT);
    return _mm256_add_epi32(_mm256_mullo_epi32(dq, p), _mm256_mullo_epi32(mq, _mm256_set1_epi32(sum)));
}

/* acc_bh = dq_h * (P_h - 32 S_h) for 8 rows, p starting at hbase. */
static __m256i q6_acc(__m256i p, const __m256i *dq)
{
    return _mm256_mullo_epi32(p, _mm256_load_si256(dq));
}

/* acc_b of the recipe for 8 rows, shifted into the running total. */
static __m256i q4_block_total(__m256i total, __m256i p, __m256i sc, const struct rq_act *a, uint32_t b)
{
    return _mm256_add_epi32(total, shift_block(q4_acc(p, sc, a->bsum[b]), a->shift[b]));
}

/* The hot functions start on their own 4 KiB page: a loop crossing a page
 * boundary runs about a third slower under TCG. */
#define HOT __attribute__((aligned(4096)))

typedef void (*block_pair_fn)(__m256i *p0, __m256i *p1, const __m256i *w0, const __m256i *w1, const int32_t *t,
                              const __m256i *sc0, const __m256i *sc1, __m256i *sv0, __m256i *sv1);
typedef __m256i (*block_total_fn)(__m256i total, __m256i p, __m256i sc, const struct rq_act *a, uint32_t b);

/* Groups g and g + 1 (16 rows) into y[0..15], for a format's groups of
 * RQ_SLICES(format) slices (256-bit words) per block; inlined with constant
 * arguments. */
static inline __attribute__((always_inline)) void pair_rows(const struct rq_matrix *m, const struct rq_act *a,
                                                            uint32_t g, float *y, uint32_t format, const int32_t *t,
                                                            block_pair_fn block_pair, block_total_fn block_total)
{
    uint32_t nb = rq_blocks(m), words = RQ_SLICES(format);
    const __m256i *w0 = (const __m256i *)rq_group_weights(m, format, g), *w1 = w0 + nb * words;
    const __m256i *sc0 = (const __m256i *)rq_group_scales(m, g), *sc1 = sc0 + nb;
    __m256i total0 = _mm256_setzero_si256(), total1 = _mm256_setzero_si256();
    for (uint32_t b = 0; b < nb; b++) {
        __m256i p0 = _mm256_setzero_si256(), p1 = _mm256_setzero_si256();
        __m256i s0, s1;
        block_pair(&p0, &p1, w0 + b * words, w1 + b * words, t + b * 32, sc0 + b, sc1 + b, &s0, &s1);
        total0 = block_total(total0, p0, s0, a, b);
        total1 = block_total(total1, p1, s1, a, b);
    }
    _mm256_storeu_ps(y, finish(total0, rq_group_units(m, g), a));
    _mm256_storeu_ps(y + RQ_ROWS, finish(total1, rq_group_units(m, g + 1), a));
}

HOT static void q4_pair(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    pair_rows(m, a, g, y, RQ_Q4, a->t4, q4_block_pair, q4_block_total);
}

/* Group g (8 rows) into y[0..7]. */
HOT static void q4_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m256i *words = (const __m256i *)rq_group_weights(m, RQ_Q4, g);
    const __m256i *scales = (const __m256i *)rq_group_scales(m, g);
    __m256i total = _mm256_setzero_si256();
    for (uint32_t b = 0; b < nb; b++) {
        const int32_t *t = a->t4 + b * 32;
        __m256i p = _mm256_setzero_si256();
        for (uint32_t s = 0; s < RQ_Q4_SLICES; s++)
            p = q4_subblock(p, words + b * RQ_Q4_SLICES + s, t + 8 * s);
        total = q4_block_total(total, p, _mm256_load_si256(scales + b), a, b);
    }
    _mm256_storeu_ps(y, finish(total, rq_group_units(m, g), a));
}

/* Q8: eight slices (words) per group and block, four 8-bit fields each. */
#define Q8_WORD(a0, a1, off, next) \
    PAIR_FIRST(a0, a1, off) next PAIR_FIELD(a0, a1, 8, off + 4) PAIR_FIELD(a0, a1, 16, off + 8) PAIR_FIELD(a0, a1, 24, off + 12)
static inline __attribute__((always_inline)) void q8_block_pair(__m256i *p0, __m256i *p1, const __m256i *w0, const __m256i *w1, const int32_t *t,
                          const __m256i *sc0, const __m256i *sc1, __m256i *sv0, __m256i *sv1)
{
    __m256i b0, b1, s, x;
    __asm__(PAIR_LOAD(a0, a1, 0)
            Q8_WORD(a0, a1, 0, PAIR_LOAD(b0, b1, 1))
            Q8_WORD(b0, b1, 16, PAIR_LOAD(a0, a1, 2))
            Q8_WORD(a0, a1, 32, PAIR_LOAD(b0, b1, 3))
            Q8_WORD(b0, b1, 48, PAIR_LOAD(a0, a1, 4))
            Q8_WORD(a0, a1, 64, PAIR_LOAD(b0, b1, 5))
            Q8_WORD(b0, b1, 80, PAIR_LOAD(a0, a1, 6))
            Q8_WORD(a0, a1, 96, PAIR_LOAD(b0, b1, 7))
            Q8_WORD(b0, b1, 112, PAIR_SCALES)
            PAIR_OPERANDS(8, 32));
}

/* acc_b of the Q8 recipe for 8 rows, shifted into the running total. p
 * summed the bytes as stored, q + RQ_Q8_BIAS: RQ_Q8_BIAS * (sum of x)
 * comes off first. */
static __m256i q8_block_total(__m256i total, __m256i p, __m256i dq, const struct rq_act *a, uint32_t b)
{
    p = _mm256_sub_epi32(p, _mm256_set1_epi32((int32_t)(RQ_Q8_BIAS * (uint32_t)a->bsum[b])));
    __m256i acc = _mm256_mullo_epi32(_mm256_srai_epi32(p, RQ_Q8_PSHIFT), dq);
    return _mm256_add_epi32(total, shift_block(acc, a->shift[b]));
}

HOT static void q8_pair(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    pair_rows(m, a, g, y, RQ_Q8, a->t8, q8_block_pair, q8_block_total);
}

/* Q5: Q8's slices, Q4's block scales. */
HOT static void q5_pair(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    pair_rows(m, a, g, y, RQ_Q5, a->t8, q8_block_pair, q4_block_total);
}

/* Group g (8 rows) of a format with Q8's slices into y[0..7]. */
static inline __attribute__((always_inline)) void q8_layout_group(const struct rq_matrix *m, const struct rq_act *a,
                                                                  uint32_t g, float *y, uint32_t format,
                                                                  block_total_fn block_total)
{
    uint32_t nb = rq_blocks(m);
    const __m256i *words = (const __m256i *)rq_group_weights(m, format, g);
    const __m256i *scales = (const __m256i *)rq_group_scales(m, g);
    __m256i total = _mm256_setzero_si256();
    for (uint32_t b = 0; b < nb; b++) {
        __m256i p = _mm256_setzero_si256();
        /* Eight columns (two slices) at a time. */
        for (uint32_t c = b * 32; c < b * 32 + 32; c += 8)
            p = q8_octet(p, words + c / 4, a->t8 + c);
        total = block_total(total, p, _mm256_load_si256(scales + b), a, b);
    }
    _mm256_storeu_ps(y, finish(total, rq_group_units(m, g), a));
}

HOT static void q8_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    q8_layout_group(m, a, g, y, RQ_Q8, q8_block_total);
}

HOT static void q5_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    q8_layout_group(m, a, g, y, RQ_Q5, q4_block_total);
}

/* Q6: the Q8 slices with a scale dq per half block. A whole block per asm
 * statement: each half's P starts at hbase (-32 S_h, sN) in p0 and p1, is
 * multiplied by the half's dq straight from memory, shifted and added to
 * the running totals (tot0, tot1) in memory, where the compiler would keep
 * them anyway (eight registers are all taken): separate statements per
 * half, with the scales applied in C between them, spilled their partial
 * sums and cost half as much again. The two groups' chains interleave,
 * since under emulation a dependent instruction waits for the previous
 * one's result. */
#define Q6_HALF_START(sum) "vpbroadcastd %[" #sum "], %[p0]\n\t" "vpbroadcastd %[" #sum "], %[p1]\n\t"
#define Q6_HALF_TOTAL(h)                         \
    "vmovd %[shift], %x[x]\n\t"                  \
    "vpmulld " #h "*32(%[sc0]), %[p0], %[p0]\n\t" \
    "vpmulld " #h "*32(%[sc1]), %[p1], %[p1]\n\t" \
    "vpsrad %x[x], %[p0], %[p0]\n\t"             \
    "vpsrad %x[x], %[p1], %[p1]\n\t"             \
    "vpaddd %[tot0], %[p0], %[p0]\n\t"           \
    "vpaddd %[tot1], %[p1], %[p1]\n\t"           \
    "vmovdqa %[p0], %[tot0]\n\t"                 \
    "vmovdqa %[p1], %[tot1]\n\t"
static inline __attribute__((always_inline)) void q6_block_pair(__m256i *tot0, __m256i *tot1, const __m256i *w0,
                                                                const __m256i *w1, const int32_t *t,
                                                                const __m256i *sc0, const __m256i *sc1,
                                                                const int32_t *base, const int32_t *shift)
{
    /* Copies on the stack: frame-relative operands leave the few general
     * registers of the 32-bit build to the pointers. */
    int32_t base0 = base[0], base1 = base[1], count = *shift;
    __m256i p0, p1, a0, a1, b0, b1, s, x;
    __asm__(Q6_HALF_START(s0)
            PAIR_LOAD(a0, a1, 0)
            Q8_WORD(a0, a1, 0, PAIR_LOAD(b0, b1, 1))
            Q8_WORD(b0, b1, 16, PAIR_LOAD(a0, a1, 2))
            Q8_WORD(a0, a1, 32, PAIR_LOAD(b0, b1, 3))
            Q8_WORD(b0, b1, 48, PAIR_LOAD(a0, a1, 4))
            Q6_HALF_TOTAL(0)
            Q6_HALF_START(s1)
            Q8_WORD(a0, a1, 64, PAIR_LOAD(b0, b1, 5))
            Q8_WORD(b0, b1, 80, PAIR_LOAD(a0, a1, 6))
            Q8_WORD(a0, a1, 96, PAIR_LOAD(b0, b1, 7))
            Q8_WORD(b0, b1, 112, "")
            Q6_HALF_TOTAL(1)
            : [p0] "=&x"(p0), [p1] "=&x"(p1), [a0] "=&x"(a0), [a1] "=&x"(a1), [b0] "=&x"(b0), [b1] "=&x"(b1),
              [s] "=&x"(s), [x] "=&x"(x), [tot0] "+m"(*tot0), [tot1] "+m"(*tot1)
            : [w0] "r"(w0), [w1] "r"(w1), [t] "r"(t), [sc0] "r"(sc0), [sc1] "r"(sc1), [s0] "m"(base0),
              [s1] "m"(base1), [shift] "m"(count), "m"(*(const __m256i(*)[8])w0),
              "m"(*(const __m256i(*)[8])w1), "m"(*(const int32_t(*)[32])t), "m"(*(const __m256i(*)[2])sc0),
              "m"(*(const __m256i(*)[2])sc1));
}

HOT static void q6_pair(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m256i *w0 = (const __m256i *)rq_group_weights(m, RQ_Q6, g), *w1 = w0 + nb * RQ_Q8_SLICES;
    const __m256i *sc0 = (const __m256i *)rq_group_scales(m, g), *sc1 = sc0 + 2 * nb;
    __m256i total0 = _mm256_setzero_si256(), total1 = _mm256_setzero_si256();
    for (uint32_t b = 0; b < nb; b++)
        q6_block_pair(&total0, &total1, w0 + b * 8, w1 + b * 8, a->t8 + b * 32, sc0 + 2 * b, sc1 + 2 * b,
                      a->hbase + 2 * b, a->shift + b);
    _mm256_storeu_ps(y, finish(total0, rq_group_units(m, g), a));
    _mm256_storeu_ps(y + RQ_ROWS, finish(total1, rq_group_units(m, g + 1), a));
}

HOT static void q6_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m256i *words = (const __m256i *)rq_group_weights(m, RQ_Q6, g);
    const __m256i *scales = (const __m256i *)rq_group_scales(m, g);
    __m256i total = _mm256_setzero_si256();
    for (uint32_t h = 0; h < 2 * nb; h++) {
        __m256i p = _mm256_set1_epi32(a->hbase[h]);
        for (uint32_t c = 16 * h; c < 16 * h + 16; c += 8)
            p = q8_octet(p, words + c / 4, a->t8 + c);
        total = _mm256_add_epi32(total, shift_block(q6_acc(p, scales + h), a->shift[h / 2]));
    }
    _mm256_storeu_ps(y, finish(total, rq_group_units(m, g), a));
}

/* ---- the pmaddwd variant -------------------------------------------------
 * Same layout and results, two multiply-accumulates per 32-bit lane: a mask
 * leaves two 4-bit (8-bit) fields in the two halves of each lane and pmaddwd
 * multiplies them by a broadcast pair of activations (rq_act's m4/m8). Half
 * the instructions per multiply-accumulate on a real CPU; under TCG pmaddwd
 * is a slow helper call, so measurement picks the other variant there. */

HOT static void q4_madd_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m256i *words = (const __m256i *)rq_group_weights(m, RQ_Q4, g);
    const __m256i *scales = (const __m256i *)rq_group_scales(m, g);
    const __m256i mask = _mm256_set1_epi32(0x000f000f);
    __m256i total = _mm256_setzero_si256();
    for (uint32_t b = 0; b < nb; b++) {
        __m256i p = _mm256_setzero_si256();
        for (uint32_t s = 0; s < RQ_Q4_SLICES; s++) {
            __m256i w = _mm256_load_si256(words + b * RQ_Q4_SLICES + s);
            const uint32_t *x = a->m4 + (b * RQ_Q4_SLICES + s) * 4;
            for (uint32_t k = 0; k < 4; k++) {
                __m256i f = _mm256_and_si256(_mm256_srli_epi32(w, 4 * k), mask);
                p = _mm256_add_epi32(p, _mm256_madd_epi16(f, _mm256_set1_epi32((int32_t)x[k])));
            }
        }
        total = q4_block_total(total, p, _mm256_load_si256(scales + b), a, b);
    }
    _mm256_storeu_ps(y, finish(total, rq_group_units(m, g), a));
}

/* P of slices c0 .. c1 - 1 (bytes as stored) for 8 rows. */
static __m256i q8_madd_slices(const __m256i *words, const struct rq_act *a, uint32_t c0, uint32_t c1)
{
    const __m256i mask = _mm256_set1_epi32(0x00ff00ff);
    __m256i p = _mm256_setzero_si256();
    for (uint32_t c = c0; c < c1; c++) {
        __m256i w = _mm256_load_si256(words + c);
        const uint32_t *x = a->m8 + c * 2;
        p = _mm256_add_epi32(p, _mm256_madd_epi16(_mm256_and_si256(w, mask), _mm256_set1_epi32((int32_t)x[0])));
        p = _mm256_add_epi32(p, _mm256_madd_epi16(_mm256_and_si256(_mm256_srli_epi32(w, 8), mask),
                                                  _mm256_set1_epi32((int32_t)x[1])));
    }
    return p;
}

/* The same for the pmaddwd variant. */
static inline __attribute__((always_inline)) void q8_layout_madd_group(const struct rq_matrix *m,
                                                                       const struct rq_act *a, uint32_t g, float *y,
                                                                       uint32_t format, block_total_fn block_total)
{
    uint32_t nb = rq_blocks(m);
    const __m256i *words = (const __m256i *)rq_group_weights(m, format, g);
    const __m256i *scales = (const __m256i *)rq_group_scales(m, g);
    __m256i total = _mm256_setzero_si256();
    for (uint32_t b = 0; b < nb; b++) {
        __m256i p = q8_madd_slices(words, a, b * RQ_Q8_SLICES, (b + 1) * RQ_Q8_SLICES);
        total = block_total(total, p, _mm256_load_si256(scales + b), a, b);
    }
    _mm256_storeu_ps(y, finish(total, rq_group_units(m, g), a));
}

HOT static void q8_madd_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    q8_layout_madd_group(m, a, g, y, RQ_Q8, q8_block_total);
}

HOT static void q5_madd_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    q8_layout_madd_group(m, a, g, y, RQ_Q5, q4_block_total);
}

HOT static void q6_madd_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m256i *words = (const __m256i *)rq_group_weights(m, RQ_Q6, g);
    const __m256i *scales = (const __m256i *)rq_group_scales(m, g);
    __m256i total = _mm256_setzero_si256();
    for (uint32_t h = 0; h < 2 * nb; h++) {
        __m256i p = _mm256_add_epi32(q8_madd_slices(words, a, 4 * h, 4 * h + 4), _mm256_set1_epi32(a->hbase[h]));
        total = _mm256_add_epi32(total, shift_block(q6_acc(p, scales + h), a->shift[h / 2]));
    }
    _mm256_storeu_ps(y, finish(total, rq_group_units(m, g), a));
}

RQ_RANGE(HOT, q4_pairs, q4_pair, 2)
RQ_RANGE(HOT, q5_pairs, q5_pair, 2)
RQ_RANGE(HOT, q5_madd_range, q5_madd_group, 1)
RQ_RANGE(HOT, q6_pairs, q6_pair, 2)
RQ_RANGE(HOT, q6_madd_range, q6_madd_group, 1)
RQ_RANGE(HOT, q8_pairs, q8_pair, 2)
RQ_RANGE(HOT, q4_madd_range, q4_madd_group, 1)
RQ_RANGE(HOT, q8_madd_range, q8_madd_group, 1)

/* ---- activation quantization (rq_act_impl) ------------------------------
 * repack.c's portable steps eight values per instruction, on the float
 * bits with integer operations as there. */

/* round(x / 2^e), halves away from zero, for the 8 floats with bits b:
 * repack.c's scale_round with per-lane shifts. */
static __m256i round_lanes(__m256i b, int e)
{
    __m256i exp = _mm256_and_si256(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(0xff));
    __m256i denormal = _mm256_cmpeq_epi32(exp, _mm256_setzero_si256());
    __m256i mant = _mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffff)),
                                   _mm256_andnot_si256(denormal, _mm256_set1_epi32(1 << 23)));
    __m256i exp_or = _mm256_or_si256(exp, _mm256_and_si256(denormal, _mm256_set1_epi32(1)));
    __m256i sh = _mm256_min_epi32(_mm256_sub_epi32(_mm256_set1_epi32(150 + e), exp_or), _mm256_set1_epi32(31));
    __m256i half = _mm256_sllv_epi32(_mm256_set1_epi32(1), _mm256_sub_epi32(sh, _mm256_set1_epi32(1)));
    __m256i q = _mm256_srlv_epi32(_mm256_add_epi32(mant, half), sh);
    __m256i neg = _mm256_srai_epi32(b, 31);
    return _mm256_sub_epi32(_mm256_xor_si256(q, neg), neg);
}

static int32_t lane_sum(__m256i v)
{
    int32_t l[8], s = 0;
    _mm256_storeu_si256((__m256i *)l, v);
    for (int i = 0; i < 8; i++)
        s += l[i];
    return s;
}

static void act_blocks(struct rq_act *a, const float *x, uint32_t blocks)
{
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
    for (uint32_t b = 0; b < blocks; b++) {
        __m256i v[4];
        for (int k = 0; k < 4; k++)
            v[k] = _mm256_loadu_si256((const __m256i *)(x + b * 32 + 8 * k));
        __m256i m = _mm256_max_epu32(_mm256_max_epu32(_mm256_and_si256(v[0], abs_mask), _mm256_and_si256(v[1], abs_mask)),
                                     _mm256_max_epu32(_mm256_and_si256(v[2], abs_mask), _mm256_and_si256(v[3], abs_mask)));
        uint32_t l[8], amax = 0;
        _mm256_storeu_si256((__m256i *)l, m);
        for (int i = 0; i < 8; i++)
            amax = l[i] > amax ? l[i] : amax;
        int e = rq_act_exponent(amax);
        int32_t *q = a->q + b * 32;
        __m256i sum = _mm256_setzero_si256(), first = sum;
        for (int k = 0; k < 4; k++) {
            __m256i qk = e == RQ_EXP_NONFINITE ? _mm256_setzero_si256() : round_lanes(v[k], e);
            _mm256_storeu_si256((__m256i *)(q + 8 * k), qk);
            sum = _mm256_add_epi32(sum, qk);
            if (k == 1)
                first = sum;
        }
        a->bsum[b] = lane_sum(sum);
        a->hbase[2 * b] = lane_sum(first);
        a->shift[b] = e;
    }
}

/* t_k = q_k - 2^bits q_(k-1) within each field group: the previous value
 * comes from a load one value back, and the first of each group is q
 * itself (stored after). */
static void act_transform(struct rq_act *a, uint32_t n)
{
    /* The first group has no value before it to load. */
    for (uint32_t k = 1; k < 8; k++) {
        a->t4[k] = a->q[k] - 16 * a->q[k - 1];
        a->t8[k] = a->q[k] - 256 * a->q[k - 1];
    }
    for (uint32_t i = 8; i < n; i += 8) {
        __m256i cur = _mm256_loadu_si256((const __m256i *)(a->q + i));
        __m256i prev = _mm256_loadu_si256((const __m256i *)(a->q + i - 1));
        _mm256_storeu_si256((__m256i *)(a->t4 + i), _mm256_sub_epi32(cur, _mm256_slli_epi32(prev, 4)));
        _mm256_storeu_si256((__m256i *)(a->t8 + i), _mm256_sub_epi32(cur, _mm256_slli_epi32(prev, 8)));
    }
    for (uint32_t i = 0; i < n; i += 8) {
        a->t4[i] = a->t8[i] = a->q[i];
        a->t8[i + 4] = a->q[i + 4];
    }
}

const struct rq_act_impl rq_act_avx2 = { act_blocks, act_transform };

#pragma GCC pop_options

const struct rq_variant rq_variant_avx2 = {
    "avx2", CPU_AVX | CPU_AVX2, 0,
    { [RQ_Q4] = { q4_group, q4_pairs, 2 }, [RQ_Q8] = { q8_group, q8_pairs, 2 }, [RQ_Q6] = { q6_group, q6_pairs, 2 },
      [RQ_Q5] = { q5_group, q5_pairs, 2 } },
};

const struct rq_variant rq_variant_avx2_madd = {
    "avx2-madd", CPU_AVX | CPU_AVX2, 1,
    { [RQ_Q4] = { q4_madd_group, q4_madd_range, 1 }, [RQ_Q8] = { q8_madd_group, q8_madd_range, 1 },
      [RQ_Q6] = { q6_madd_group, q6_madd_range, 1 }, [RQ_Q5] = { q5_madd_group, q5_madd_range, 1 } },
};
