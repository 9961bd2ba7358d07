/* kernels_scalar.c: the portable reference kernels of repack.h's recipe.
 * Every other variant must reproduce these results bit for bit; they also
 * run anywhere (any x86, and the host) as the fallback.
 *
 * Integer sums use uint32_t: the recipe's per-block totals fit in int32, but
 * partial sums (dq * P before mq * S is added) may wrap, which unsigned
 * arithmetic defines and SIMD lanes do anyway.
 */
#include "matmul/kernels.h"

/* GCC's vectorizer would turn these loops into legacy SSE2 code, which QEMU
 * emulates through slow helper calls; plain integer code is what it runs
 * fast. */
#pragma GCC optimize("no-tree-vectorize")

/* The recipe's last step, shared by the formats. */
static float finish(int32_t total, float unit, const struct rq_act *a)
{
    return (float)total * unit * a->p2;
}

/* Arithmetic shift of a block total (well defined for negative values). */
static int32_t sar(uint32_t v, int32_t s)
{
    int32_t x = (int32_t)v;
    return x < 0 ? ~(~x >> s) : x >> s;
}

/* sum_j field_j * q_j for the fields of one word, through rq_act's
 * transformed activations: a shift, a multiply and an add per field, no
 * mask, no loop and no call (each ends a translated block under emulation). */
static inline __attribute__((always_inline)) uint32_t dot_nibbles(uint32_t w, const int32_t *t)
{
    return w * (uint32_t)t[0] + (w >> 4) * (uint32_t)t[1] + (w >> 8) * (uint32_t)t[2] +
           (w >> 12) * (uint32_t)t[3] + (w >> 16) * (uint32_t)t[4] + (w >> 20) * (uint32_t)t[5] +
           (w >> 24) * (uint32_t)t[6] + (w >> 28) * (uint32_t)t[7];
}

static inline __attribute__((always_inline)) uint32_t dot_bytes(uint32_t w, const int32_t *t)
{
    return w * (uint32_t)t[0] + (w >> 8) * (uint32_t)t[1] + (w >> 16) * (uint32_t)t[2] +
           (w >> 24) * (uint32_t)t[3];
}

/* The sub-block kernels below: p[r] += sum over the fields of row r's
 * words of field * t_j, for the eight rows of a group and eight columns.
 * Under emulation every guest memory access costs a software TLB lookup,
 * which made loading t for each multiply, not the multiply, the price of a
 * multiply-accumulate. The 32-bit build therefore loads the eight t_j into
 * xmm0-7 once for all eight rows and reads them back with movd, which the
 * emulator translates into a plain load from its register file. */
#if defined(__GNUC__) && defined(__i386__)
#define LOAD_T                                                                 \
    "movd 0(%[t]), %%xmm0\n\tmovd 4(%[t]), %%xmm1\n\tmovd 8(%[t]), %%xmm2\n\t" \
    "movd 12(%[t]), %%xmm3\n\tmovd 16(%[t]), %%xmm4\n\tmovd 20(%[t]), %%xmm5\n\t" \
    "movd 24(%[t]), %%xmm6\n\tmovd 28(%[t]), %%xmm7\n\t"
/* v holds a word; its first field starts acc, each later one adds to it. */
#define FIRST(j) "movd %%xmm" #j ", %[acc]\n\timull %[v], %[acc]\n\t"
#define FIELD(sh, j) "shrl $" #sh ", %[v]\n\tmovd %%xmm" #j ", %[x]\n\timull %[v], %[x]\n\taddl %[x], %[acc]\n\t"
#define SUBBLOCK_ASM(rows, words_bytes)                                         \
    __asm__ volatile(LOAD_T rows                                                \
                     : [v] "=&r"(v), [x] "=&r"(x), [acc] "=&r"(acc), "+m"(*(uint32_t(*)[RQ_ROWS])p) \
                     : [w] "r"(w), [t] "r"(t), [p] "r"(p), "m"(*(const uint8_t(*)[words_bytes])w), \
                       "m"(*(const int32_t(*)[8])t)                             \
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "cc")
#endif

/* Q4: one slice, eight 4-bit fields in each row's word (w[r]). */
static inline __attribute__((always_inline)) void q4_subblock(const uint32_t *w, const int32_t *t, uint32_t p[RQ_ROWS])
{
#if defined(__GNUC__) && defined(__i386__)
    uint32_t v, x, acc;
#define ROW(r)                                                                        \
    "movl 4*" #r "(%[w]), %[v]\n\t" FIRST(0) FIELD(4, 1) FIELD(4, 2) FIELD(4, 3) FIELD(4, 4) \
    FIELD(4, 5) FIELD(4, 6) FIELD(4, 7) "addl %[acc], 4*" #r "(%[p])\n\t"
    SUBBLOCK_ASM(ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7), 32);
#undef ROW
#else
    for (uint32_t r = 0; r < RQ_ROWS; r++)
        p[r] += dot_nibbles(w[r], t);
#endif
}

/* Q8: two slices, four 8-bit fields in each row's word (w[r], then
 * w[RQ_ROWS + r]). */
static inline __attribute__((always_inline)) void q8_subblock(const uint32_t *w, const int32_t *t, uint32_t p[RQ_ROWS])
{
#if defined(__GNUC__) && defined(__i386__)
    uint32_t v, x, acc;
#define ROW(r)                                                                             \
    "movl 4*" #r "(%[w]), %[v]\n\t" FIRST(0) FIELD(8, 1) FIELD(8, 2) FIELD(8, 3)             \
    "movl 32+4*" #r "(%[w]), %[v]\n\tmovd %%xmm4, %[x]\n\timull %[v], %[x]\n\taddl %[x], %[acc]\n\t" \
    FIELD(8, 5) FIELD(8, 6) FIELD(8, 7) "addl %[acc], 4*" #r "(%[p])\n\t"
    SUBBLOCK_ASM(ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7), 64);
#undef ROW
#else
    for (uint32_t r = 0; r < RQ_ROWS; r++)
        p[r] += dot_bytes(w[r], t) + dot_bytes(w[RQ_ROWS + r], t + 4);
#endif
}

/* The eight rows of group g. */
static void q4_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float y[RQ_ROWS])
{
    uint32_t nb = rq_blocks(m);
    const uint32_t *words = (const uint32_t *)rq_group_weights(m, RQ_Q4, g);
    const uint32_t *scales = rq_group_scales(m, g);
    int32_t total[RQ_ROWS] = { 0 };
    for (uint32_t b = 0; b < nb; b++, words += RQ_Q4_SLICES * RQ_ROWS, scales += RQ_ROWS) {
        const int32_t *t = a->t4 + b * 32;
        uint32_t p[RQ_ROWS] = { 0 };
        for (uint32_t s = 0; s < RQ_Q4_SLICES; s++)
            q4_subblock(words + s * RQ_ROWS, t + 8 * s, p);
        for (uint32_t r = 0; r < RQ_ROWS; r++) {
            uint32_t dq = (uint32_t)rq_q4_dq(scales[r]), mq = (uint32_t)rq_q4_mq(scales[r]);
            total[r] += sar(dq * p[r] + mq * (uint32_t)a->bsum[b], a->shift[b]);
        }
    }
    const float *unit = rq_group_units(m, g);
    for (uint32_t r = 0; r < RQ_ROWS; r++)
        y[r] = finish(total[r], unit[r], a);
}

static void q8_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float y[RQ_ROWS])
{
    uint32_t nb = rq_blocks(m);
    const uint32_t *words = (const uint32_t *)rq_group_weights(m, RQ_Q8, g);
    const uint32_t *scales = rq_group_scales(m, g);
    int32_t total[RQ_ROWS] = { 0 };
    for (uint32_t b = 0; b < nb; b++, words += RQ_Q8_SLICES * RQ_ROWS, scales += RQ_ROWS) {
        const int32_t *t = a->t8 + b * 32;
        uint32_t p[RQ_ROWS];
        /* Bytes are stored as q + RQ_Q8_BIAS. */
        for (uint32_t r = 0; r < RQ_ROWS; r++)
            p[r] = 0u - RQ_Q8_BIAS * (uint32_t)a->bsum[b];
        for (uint32_t s = 0; s < RQ_Q8_SLICES / 2; s++)
            q8_subblock(words + s * 2 * RQ_ROWS, t + 8 * s, p);
        for (uint32_t r = 0; r < RQ_ROWS; r++)
            total[r] += sar((uint32_t)sar(p[r], RQ_Q8_PSHIFT) * scales[r], a->shift[b]);
    }
    const float *unit = rq_group_units(m, g);
    for (uint32_t r = 0; r < RQ_ROWS; r++)
        y[r] = finish(total[r], unit[r], a);
}

/* Q6: the Q8 slices holding q itself, a scale dq per half block; P_h
 * starts at hbase (-32 S_h). */
static void q6_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float y[RQ_ROWS])
{
    uint32_t nb = rq_blocks(m);
    const uint32_t *words = (const uint32_t *)rq_group_weights(m, RQ_Q6, g);
    const uint32_t *scales = rq_group_scales(m, g);
    int32_t total[RQ_ROWS] = { 0 };
    for (uint32_t b = 0; b < nb; b++, words += RQ_Q8_SLICES * RQ_ROWS, scales += 2 * RQ_ROWS) {
        const int32_t *t = a->t8 + b * 32;
        uint32_t p0[RQ_ROWS], p1[RQ_ROWS];
        for (uint32_t r = 0; r < RQ_ROWS; r++) {
            p0[r] = (uint32_t)a->hbase[2 * b];
            p1[r] = (uint32_t)a->hbase[2 * b + 1];
        }
        q8_subblock(words, t, p0);
        q8_subblock(words + 2 * RQ_ROWS, t + 8, p0);
        q8_subblock(words + 4 * RQ_ROWS, t + 16, p1);
        q8_subblock(words + 6 * RQ_ROWS, t + 24, p1);
        for (uint32_t r = 0; r < RQ_ROWS; r++) {
            total[r] += sar(scales[r] * p0[r], a->shift[b]);
            total[r] += sar(scales[RQ_ROWS + r] * p1[r], a->shift[b]);
        }
    }
    const float *unit = rq_group_units(m, g);
    for (uint32_t r = 0; r < RQ_ROWS; r++)
        y[r] = finish(total[r], unit[r], a);
}

/* Q5: the Q8 slices holding q itself, the block scale as Q4's. */
static void q5_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float y[RQ_ROWS])
{
    uint32_t nb = rq_blocks(m);
    const uint32_t *words = (const uint32_t *)rq_group_weights(m, RQ_Q5, g);
    const uint32_t *scales = rq_group_scales(m, g);
    int32_t total[RQ_ROWS] = { 0 };
    for (uint32_t b = 0; b < nb; b++, words += RQ_Q8_SLICES * RQ_ROWS, scales += RQ_ROWS) {
        const int32_t *t = a->t8 + b * 32;
        uint32_t p[RQ_ROWS] = { 0 };
        for (uint32_t s = 0; s < RQ_Q8_SLICES / 2; s++)
            q8_subblock(words + s * 2 * RQ_ROWS, t + 8 * s, p);
        for (uint32_t r = 0; r < RQ_ROWS; r++) {
            uint32_t dq = (uint32_t)rq_q4_dq(scales[r]), mq = (uint32_t)rq_q4_mq(scales[r]);
            total[r] += sar(dq * p[r] + mq * (uint32_t)a->bsum[b], a->shift[b]);
        }
    }
    const float *unit = rq_group_units(m, g);
    for (uint32_t r = 0; r < RQ_ROWS; r++)
        y[r] = finish(total[r], unit[r], a);
}

RQ_RANGE(, q4_range, q4_group, 1)
RQ_RANGE(, q5_range, q5_group, 1)
RQ_RANGE(, q8_range, q8_group, 1)
RQ_RANGE(, q6_range, q6_group, 1)

const struct rq_variant rq_variant_scalar = {
    "scalar", 0, 0,
    { [RQ_Q4] = { q4_group, q4_range, 1 }, [RQ_Q8] = { q8_group, q8_range, 1 }, [RQ_Q6] = { q6_group, q6_range, 1 },
      [RQ_Q5] = { q5_group, q5_range, 1 } },
};
