/* repack.h: weight matrices rearranged at load time for the integer
 * matrix-vector kernels, and the one numeric recipe every kernel variant
 * implements bit for bit.
 *
 * The recipe (so that the scalar, SSE2 and AVX2 kernels, in the OS or on the
 * host, produce identical floats and therefore identical tokens):
 *
 *  - Activations: each block b of 32 consecutive values gets a power-of-two
 *    step 2^e_b, the smallest with amax_b / 2^e_b <= RQ_AMAX; values become
 *    integers q = round(x / 2^e_b). 8-bit blocks (llama.cpp's Q8_0) lose too
 *    much on this model's activations. Powers of two let the blocks be
 *    combined with integer shifts: floats cost tens of nanoseconds each under
 *    emulation.
 *  - Weights: every row gets one float unit U and integer block scales.
 *    Q4_1 keeps its 4-bit quants q and turns each block's d and m into
 *    integers: W = dq * q + mq with |W| <= RQ_WMAX, w ~= U * W; Q4_K is the
 *    same with each sub-block's d * sc and -(dmin * m), the float numbers
 *    ggml's dequantization computes. Q8_0 keeps its int8 quants and turns d
 *    into dq, |dq| <= RQ_Q8_DQMAX, w ~= U * dq * q; Q4_0 and Q5_0 blocks are
 *    taken as the Q8_0 blocks of the same values. BF16 is not a block format:
 *    each block of 32 is rounded to int8 quants with d = amax / 127, as
 *    llama.cpp's Q8_0 quantization does: the one lossy conversion, steps
 *    about twice BF16's own at a block's largest values, the product error
 *    of Q8_0 weights (an integer layout of BF16's 8-bit significands and
 *    per-value exponents would need 16-bit fields: twice the loads of the
 *    byte layouts, which under emulation cost more than the multiplies).
 *    Q5_1 and Q5_K (RQ_Q5) keep their 5-bit quants q as bytes with Q4's
 *    integer W = dq * q + mq per block; Q6_K (RQ_Q6) keeps its 6-bit quants
 *    as bytes with W = dq * (q - 32) per sub-block of 16 columns (Q6_K has
 *    no minimum: the offset is its only one).
 *  - Per row and block b, a 32-bit integer acc_b:
 *      Q4, Q5: the sum of q_x * W (exact: 32 * 4095 * 16383 < 2^31, so every
 *          summation order gives the same value, modulo-2^32 intermediate
 *          wraps included), computed as dq * P + mq * S with P the sum of
 *          q_x * q and S the sum of q_x;
 *      Q8: (P >> 5) * dq, P the exact sum of q_x * q (|P| < 2^24; the shift
 *          keeps the product within 2^30);
 *      Q6: per half h of 16 columns, acc_bh = dq_h * (P_h - 32 S_h), the
 *          sum of q_x * W over the half, exact as for Q4; the kernels start
 *          P_h at rq_act's hbase, -32 S_h, and multiply once.
 *    Then total = sum over b (and h) of (acc_b(h) >> shift_b) (arithmetic shifts,
 *    shift_b = min(31, E - e_b + G), E = max e_b, G guard bits so that the
 *    sum fits: 2^G >= blocks), and y = ((float)total * U) * 2^(E + G)
 *    (for Q8, U holds the unit times 2^5).
 *
 * Layouts, rows in groups of RQ_ROWS (the last group padded with zero rows).
 * A slice is RQ_ROWS 32-bit words, one per row of the group (32 bytes, one
 * AVX2 register). A group's weights are its 32-column blocks in order, each
 * RQ_SLICES(format) slices; the inline functions below do this arithmetic
 * for the repacking and every kernel:
 *  - RQ_Q4: four slices per block, slice s holding columns 8s .. 8s + 7 of
 *    the block, column 8s + j in bits 4j..4j+3 of each row's word; the
 *    block scale (uint16)dq | mq << RQ_MQ_SHIFT.
 *  - RQ_Q8: eight slices per block, slice c holding columns 4c .. 4c + 3 of
 *    the block, column 4c + j in byte j of each row's word as q + RQ_Q8_BIAS
 *    (unsigned); the block scale dq (int32).
 *  - RQ_Q5: the slices of RQ_Q8 holding q itself (0..31); the block scale
 *    as RQ_Q4's.
 *  - RQ_Q6: the slices of RQ_Q8 holding q itself (0..63); two scales per
 *    row and block, dq (int32), for columns 0-15 and 16-31.
 *  Block scales: per group and block, RQ_ROWS per half for RQ_Q6 (half 0's
 *  rows, then half 1's), else RQ_ROWS (one per row); blocks in order.
 */
#ifndef LLM_REPACK_H
#define LLM_REPACK_H

#include <stddef.h>
#include <stdint.h>

#include "cancel.h"
#include "matmul/quant.h"

#define RQ_ROWS 8
/* Activation magnitudes of RQ_ABITS bits. Measured on SmolLM2 against the
 * float reference: 12 bits KL max 1.7e-4; 11 bits 4.0e-4; 10 bits 1.0e-3
 * with 3 top-5 changes (what 16-bit SIMD lanes summing 4 columns of 4-bit
 * weights would need). */
#define RQ_ABITS 12
#define RQ_AMAX ((1 << RQ_ABITS) - 1)
#define RQ_WMAX 16383
#define RQ_Q8_DQMAX 2048
#define RQ_Q8_PSHIFT 5

enum rq_format { RQ_Q4 = 0, RQ_Q8 = 1, RQ_Q6 = 2, RQ_Q5 = 3, RQ_FORMATS };

#define RQ_SLICE_BYTES (RQ_ROWS * 4)
#define RQ_Q4_SLICES 4
#define RQ_Q8_SLICES 8
#define RQ_SLICES(format) ((format) == RQ_Q4 ? RQ_Q4_SLICES : RQ_Q8_SLICES)
/* Scale words per row and block. */
#define RQ_SCALES(format) ((format) == RQ_Q6 ? 2 : 1)
#define RQ_Q8_BIAS 128
#define RQ_MQ_SHIFT 16

struct rq_matrix {
    uint32_t format;
    uint32_t rows, cols;  /* cols: a multiple of 32 */
    uint32_t groups;      /* ceil(rows / RQ_ROWS) */
    float *unit;          /* [groups * RQ_ROWS], 0 for padding rows */
    uint32_t *scales;     /* per row and block, see the layouts */
    uint8_t *q;
};

/* Whether matrices of ggml `type` are repacked: Q4_1 and Q4_K into RQ_Q4;
 * Q8_0, Q4_0 and Q5_0 (whose signed quants q - 8 and q - 16 are int8 values
 * with the same d, so the conversion is exact) and BF16 into RQ_Q8; Q5_1
 * and Q5_K into RQ_Q5; Q6_K into RQ_Q6. */
int rq_repackable(uint32_t type);

/* Blocks of 32 columns in a row. */
static inline uint32_t rq_blocks(const struct rq_matrix *m)
{
    return m->cols / 32;
}

/* Bytes of one group's weights in a matrix of `cols` columns. */
static inline size_t rq_group_bytes(uint32_t format, uint32_t cols)
{
    return (size_t)(cols / 32) * RQ_SLICES(format) * RQ_SLICE_BYTES;
}

/* Group g's weights, for a kernel that knows the matrix's format. */
static inline const uint8_t *rq_group_weights(const struct rq_matrix *m, uint32_t format, uint32_t g)
{
    return m->q + (size_t)g * rq_group_bytes(format, m->cols);
}

/* Group g's block scales: RQ_SCALES(format) * RQ_ROWS per block. */
static inline const uint32_t *rq_group_scales(const struct rq_matrix *m, uint32_t g)
{
    return m->scales + (size_t)g * rq_blocks(m) * RQ_ROWS * RQ_SCALES(m->format);
}

/* Group g's row units. */
static inline const float *rq_group_units(const struct rq_matrix *m, uint32_t g)
{
    return m->unit + (size_t)g * RQ_ROWS;
}

/* A Q4 block scale and its two halves (sign-extended). */
static inline uint32_t rq_q4_scale(int32_t dq, int32_t mq)
{
    return (uint16_t)dq | (uint32_t)mq << RQ_MQ_SHIFT;
}

static inline int32_t rq_q4_dq(uint32_t scale)
{
    return (int16_t)(scale & 0xffffu);
}

static inline int32_t rq_q4_mq(uint32_t scale)
{
    return (int16_t)(scale >> RQ_MQ_SHIFT);
}

/* A quantized activation vector. Buffers sized for `cap` values.
 *
 * t4 and t8 let SIMD kernels take packed fields with one shift instead of a
 * shift and a mask: for a word holding fields f_j of k bits, f_j = (w >> kj)
 * - 2^k (w >> k(j+1)) (logical shifts), so sum f_j q_j = sum (w >> kj) t_j
 * with t_j = q_j - 2^k q_(j-1) (t_0 = q_0), exactly, modulo 2^32. */
struct rq_act {
    uint32_t n, cap;
    int32_t *q;           /* [n] */
    int32_t *t4;          /* [n] the transform for 8 nibbles per word */
    int32_t *t8;          /* [n] the transform for 4 bytes per word */
    /* Pairs of 16-bit values for pmaddwd kernels: per 8 columns, the pairs
     * (q_k, q_k+4), k = 0..3 (m4); per 4 columns (q_k, q_k+2), k = 0..1 (m8). */
    uint32_t *m4, *m8;    /* [n / 2] each */
    int32_t *bsum;        /* [n / 32] sums of q per block */
    int32_t *hbase;       /* [n / 16] -32 S_h per 16 columns, S_h their sum of q (RQ_Q6's start of P_h) */
    int32_t *shift;       /* [n / 32] shift_b */
    float p2;             /* 2^(E + G), or NaN when x had a non-finite value */
};

/* Repacks a matrix of a type rq_repackable names (other types: error). Returns a new matrix
 * or NULL with err set (out of memory, non-finite scales, shape), naming
 * the matrix by `name`, or LLM_CANCELLED when `cancel` (NULL: never) asks
 * to stop, polled every LLM_CANCEL_ROWS rows. rq_alloc then rq_repack_rows
 * over all rows. */
struct rq_matrix *rq_repack(const struct qtensor *t, const char *name, const struct llm_cancel *cancel, char *err,
                            size_t errlen);
/* The same a part at a time, for a matrix read from the disk in pieces: a
 * rows x cols matrix for `type` (all zero when `zero`; else its bytes are
 * whatever memory held, for a caller that writes every one: prepared
 * weights read back), then rows r0 .. r0 + n - 1 from their file bytes (n
 * rows of quant_row_bytes(type, cols) each). The result of repacking every
 * row of a zeroed matrix once is rq_repack's, whatever the parts. */
struct rq_matrix *rq_alloc(uint32_t type, uint32_t rows, uint32_t cols, int zero, const char *name, char *err,
                           size_t errlen);
int rq_repack_rows(struct rq_matrix *m, uint32_t type, const uint8_t *rows, uint32_t r0, uint32_t n,
                   const char *name, const struct llm_cancel *cancel, char *err, size_t errlen);
/* A repacked matrix's arrays in a fixed order (units, scales, quants), for
 * saving and reading back the prepared weights byte for byte. */
#define RQ_ARRAYS 3
struct rq_array {
    void *ptr;
    uint64_t bytes;
};
void rq_arrays(const struct rq_matrix *m, struct rq_array out[RQ_ARRAYS]);
/* Their bytes in all for a rows x cols matrix of `type` (0 for types that
 * are not repacked), and the layout rq_alloc gives that type. */
uint64_t rq_arrays_bytes(uint32_t type, uint32_t rows, uint32_t cols);
int rq_format_of(uint32_t type);
void rq_free(struct rq_matrix *m);
/* Bytes rq_repack allocates for a rows x cols matrix of `type` (0 for types
 * it does not repack), the scratch of the repacking included. */
uint64_t rq_repacked_bytes(uint32_t type, uint32_t rows, uint32_t cols);

/* Allocates buffers for up to cap values (a multiple of 32). 0 or -1. */
int rq_act_init(struct rq_act *a, uint32_t cap);
/* Bytes rq_act_init allocates for cap. */
uint64_t rq_act_bytes(uint32_t cap);
void rq_act_free(struct rq_act *a);
/* Quantizes x[0..n-1] (n <= cap, a multiple of 32) by the recipe above;
 * m4/m8 only when `pairs` (the pmaddwd kernels want them). */
void rq_act_quantize(struct rq_act *a, const float *x, uint32_t n, int pairs);

/* rq_act_quantize's two per-value steps, portable (repack.c) or AVX2
 * (kernels_avx2.c), bit for bit the same; it runs the ones rq_act_use
 * chose (select.c: AVX2 when the CPU has it and its results match).
 *  blocks: for each block b of x[0 .. 32 * blocks): e_b =
 *    rq_act_exponent(the bits of its largest |x|) into shift[b]; q =
 *    round(x / 2^e_b), halves away from zero (all 0 when e_b is
 *    RQ_EXP_NONFINITE); bsum[b], and the sum of its first 16 in hbase[2b]
 *    (rq_act_quantize makes the bases of it).
 *  transform: t4 and t8 from q[0 .. n). */
struct rq_act_impl {
    void (*blocks)(struct rq_act *a, const float *x, uint32_t blocks);
    void (*transform)(struct rq_act *a, uint32_t n);
};
extern const struct rq_act_impl rq_act_portable, rq_act_avx2;
void rq_act_use(const struct rq_act_impl *impl);
/* e_b of the recipe for a block whose largest |x| has the float bits
 * amax_bits: the smallest e with amax <= RQ_AMAX * 2^e, at least
 * RQ_EXP_MIN; RQ_EXP_NONFINITE for NaN, infinities and absurd values. */
#define RQ_EXP_MIN (-120) /* keeps 2^-e finite; smaller values round to 0 */
#define RQ_EXP_NONFINITE (-1000)
int rq_act_exponent(uint32_t amax_bits);
/* Whether two vectors quantized with pairs are the same: every array the
 * kernels read, and p2, bit for bit. */
int rq_act_equal(const struct rq_act *a, const struct rq_act *b);

#endif
