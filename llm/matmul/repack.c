/* repack.c: load-time repacking of the block formats rq_repackable names into
 * the interleaved integer layouts of repack.h, and the activation
 * quantization of its recipe.
 * Runs once per tensor (repack) or once per matrix-vector product (activation),
 * so it favours clarity over speed; the kernels are elsewhere.
 */
#include "matmul/repack.h"
#include "bytes.h"

#include "platform.h"

/* Activation quantization runs for every matrix-vector product: keep GCC
 * from vectorizing it into legacy SSE2 code, which QEMU emulates through
 * slow helper calls (plain integer code runs fast there). */
#pragma GCC optimize("no-tree-vectorize")

/* Round half away from zero; the one rounding rule of the recipe. */
static int32_t round_int(float v)
{
    return (int32_t)(v >= 0.0f ? v + 0.5f : v - 0.5f);
}

static int is_finite(float v)
{
    return v - v == 0.0f;
}

/* 1 / u for a row's integer scales; 0 when u is 0, or so small (a row of
 * subnormal scales) that 1 / u overflows: such a row's weights round to
 * zero, rather than to 0 * inf = NaN, which no integer can hold. */
static float inverse_unit(float u)
{
    float inv = u > 0.0f ? 1.0f / u : 0.0f;
    return is_finite(inv) ? inv : 0.0f;
}

/* The layout each repacked file type goes into, -1 for the others. */
static int format_of(uint32_t type)
{
    switch (type) {
    case QT_Q4_1: case QT_Q4_K: return RQ_Q4;
    case QT_Q8_0: case QT_Q4_0: case QT_Q5_0: case QT_BF16: return RQ_Q8;
    case QT_Q5_1: case QT_Q5_K: return RQ_Q5;
    case QT_Q6_K: return RQ_Q6;
    default: return -1;
    }
}

int rq_repackable(uint32_t type)
{
    return format_of(type) >= 0;
}

/* A row being repacked: its quants and block parameters, unpacked. */
struct row_scratch {
    uint8_t *q;  /* [cols] unsigned quants (affine types) or int8 (RQ_Q8) */
    float *d;    /* [cols / 16] per scale slot or sub-block */
    float *m;    /* [cols / 16] */
};

/* Bytes of a row's scratch. */
static uint64_t scratch_bytes(uint32_t cols)
{
    return cols + 2 * (uint64_t)(cols / 16) * sizeof(float);
}

/* Affine row (Q4_1, Q4_K into RQ_Q4; Q5_1, Q5_K into RQ_Q5; Q6_K into RQ_Q6): the
 * integer scales of its `slots` scale slots of `slot` columns, slot k at
 * scales[k * RQ_ROWS], from the sub-blocks' d and m (s->d, s->m). The unit
 * leaves a margin of qmax for the rounding of dq (up to qmax / 2) and of
 * round(m / U); the offset goes into mq exactly (mq = round(m / U) -
 * offset * dq), so W = dq * (q - offset) + round(m / U). RQ_Q6 keeps dq
 * alone: Q6_K has m = 0, so its mq is -offset * dq, which the kernels
 * apply through rq_act's hbase. */
static int affine_scales(const struct quant_affine *a, const struct row_scratch *s, uint32_t format,
                         uint32_t slots, uint32_t slot, float *unit, uint32_t *scales)
{
    uint32_t subs = slots * slot / a->sub;
    float wmax = 0.0f;
    for (uint32_t k = 0; k < subs; k++) {
        float d = s->d[k], m = s->m[k];
        float lo = fabsf(m - (float)a->offset * d), hi = fabsf((float)(a->qmax - a->offset) * d + m);
        if (!is_finite(d) || !is_finite(m))
            return -1;
        if (lo > wmax)
            wmax = lo;
        if (hi > wmax)
            wmax = hi;
    }
    float u = wmax / (float)(RQ_WMAX - a->qmax);
    float inv = inverse_unit(u);
    *unit = u;
    for (uint32_t k = 0; k < slots; k++) {
        uint32_t sub = k * slot / a->sub;
        int32_t dq = round_int(s->d[sub] * inv);
        int32_t mq = round_int(s->m[sub] * inv) - (int32_t)a->offset * dq;
        scales[k * RQ_ROWS] = format == RQ_Q6 ? (uint32_t)dq : rq_q4_scale(dq, mq);
    }
    return 0;
}

/* The low nibbles of four bytes (b0 | b1 << 8 | b2 << 16 | b3 << 24) packed
 * into 16 bits, b0's lowest. */
static uint32_t pack_nibbles(uint32_t bytes)
{
    uint32_t x = bytes & 0x0f0f0f0fu;
    x = (x | x >> 4) & 0x00ff00ffu;
    return (x | x >> 8) & 0xffffu;
}

/* Puts a Q4_1 row's nibbles (element j low nibble of byte j, j + 16 the
 * high nibble) into row r's word of each of the group's slices: slice s
 * holds elements 8s .. 8s + 7, so slices 0 and 1 take the low nibbles of
 * bytes 0-7 and 8-15, slices 2 and 3 their high nibbles. A word at a time,
 * not a nibble at a time: loading SmolLM2 repacks 100 million of them. */
static void scatter_q4_1_row(const uint8_t *row, uint32_t nb, uint32_t r, uint8_t *group)
{
    for (uint32_t b = 0; b < nb; b++) {
        const uint8_t *qs = row + b * 20 + 4;
        uint32_t *words = (uint32_t *)(group + (size_t)b * RQ_Q4_SLICES * RQ_SLICE_BYTES);
        for (uint32_t half = 0; half < 2; half++) {
            const uint8_t *p = qs + 8 * half;
            uint32_t lo = le32(p), hi = le32(p + 4);
            words[half * RQ_ROWS + r] = pack_nibbles(lo) | pack_nibbles(hi) << 16;
            words[(2 + half) * RQ_ROWS + r] = pack_nibbles(lo >> 4) | pack_nibbles(hi >> 4) << 16;
        }
    }
}

/* Unpacked 4-bit quants (q[0 .. cols)) into row r's words of RQ_Q4 slices. */
static void scatter_nibbles(const uint8_t *q, uint32_t cols, uint32_t r, uint8_t *group)
{
    for (uint32_t c = 0; c < cols; c += 8, q += 8) {
        uint32_t w = 0;
        for (uint32_t j = 0; j < 8; j++)
            w |= (uint32_t)(q[j] & 0x0f) << (4 * j);
        memcpy(group + (size_t)(c / 8) * RQ_SLICE_BYTES + r * 4, &w, sizeof w);
    }
}

/* Bytes q[0 .. cols) into row r's words of RQ_Q8 / Q5 / Q6 slices: four
 * columns at a time, contiguous in the row and in the row's word of their
 * slice; `flip` is xor-ed into each byte (RQ_Q8_BIAS turns int8 into the
 * stored unsigned q + RQ_Q8_BIAS). */
static void scatter_bytes(const uint8_t *q, uint32_t cols, uint32_t r, uint8_t *group, uint32_t flip)
{
    for (uint32_t c = 0; c < cols; c += 4, q += 4) {
        uint32_t quad;
        memcpy(&quad, q, sizeof quad);
        quad ^= flip * 0x01010101u;
        memcpy(group + (size_t)(c / 4) * RQ_SLICE_BYTES + r * 4, &quad, sizeof quad);
    }
}

/* An affine row (RQ_Q4, RQ_Q5 or RQ_Q6): scales, then quants. */
static int repack_affine_row(uint32_t type, uint32_t format, const uint8_t *row, uint32_t cols, uint32_t r,
                             uint8_t *group, float *unit, uint32_t *scales, const struct row_scratch *s)
{
    const struct quant_affine *a = quant_affine_shape(type);
    uint32_t elems = type == QT_Q4_1 || type == QT_Q5_1 ? QK : QK_K;
    uint32_t bytes = (uint32_t)quant_row_bytes(type, elems), subs = elems / a->sub;
    int fast_q4_1 = type == QT_Q4_1; /* its nibbles are moved without unpacking */
    for (uint32_t b = 0; b < cols / elems; b++)
        quant_block_affine(type, row + (size_t)b * bytes, fast_q4_1 ? NULL : s->q + b * elems, s->d + b * subs,
                           s->m + b * subs);
    uint32_t slot = format == RQ_Q6 ? 16 : 32;
    if (affine_scales(a, s, format, cols / slot, slot, unit, scales) != 0)
        return -1;
    if (fast_q4_1)
        scatter_q4_1_row(row, cols / 32, r, group);
    else if (format == RQ_Q4)
        scatter_nibbles(s->q, cols, r, group);
    else
        scatter_bytes(s->q, cols, r, group, 0);
    return 0;
}

/* Block p's int8 quants and scale for RQ_Q8, x = q * d: Q8_0, Q4_0 and
 * Q5_0 as they are; BF16 rounded with d = amax / 127 (NaN for non-finite
 * values). */
static float q8_block(uint32_t type, const uint8_t *p, int8_t q[QK])
{
    if (type != QT_BF16) {
        quant_block_int8(type, p, q);
        return quant_f16_to_f32((uint16_t)(p[0] | p[1] << 8));
    }
    float x[QK], amax = 0.0f;
    quant_dequant(QT_BF16, p, x, QK);
    for (uint32_t j = 0; j < QK; j++) {
        if (!is_finite(x[j]))
            return __builtin_nanf("");
        amax = fabsf(x[j]) > amax ? fabsf(x[j]) : amax;
    }
    float d = amax / 127.0f;
    for (uint32_t j = 0; j < QK; j++) {
        int32_t v = d > 0.0f ? round_int(x[j] / d) : 0;
        q[j] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
    }
    return d;
}

/* RQ_Q8 row: dq = round(d / U) with U = max|d| / RQ_Q8_DQMAX; the quants
 * keep their values, stored as q + RQ_Q8_BIAS. */
static int repack_q8_row(uint32_t type, const uint8_t *row, uint32_t cols, uint32_t r, uint8_t *group,
                         float *unit, uint32_t *scales, const struct row_scratch *s)
{
    uint32_t block = (uint32_t)quant_row_bytes(type, QK), nb = cols / QK;
    float dmax = 0.0f;
    for (uint32_t b = 0; b < nb; b++) {
        float d = s->d[b] = q8_block(type, row + b * block, (int8_t *)s->q + b * QK);
        if (!is_finite(d))
            return -1;
        if (fabsf(d) > dmax)
            dmax = fabsf(d);
    }
    float u = dmax / (float)RQ_Q8_DQMAX;
    float inv = inverse_unit(u);
    *unit = u * (float)(1 << RQ_Q8_PSHIFT);
    for (uint32_t b = 0; b < nb; b++)
        scales[b * RQ_ROWS] = (uint32_t)round_int(s->d[b] * inv);
    scatter_bytes(s->q, cols, r, group, RQ_Q8_BIAS);
    return 0;
}

void rq_free(struct rq_matrix *m)
{
    if (!m)
        return;
    llm_free(m->unit);
    llm_free(m->scales);
    llm_free(m->q);
    llm_free(m);
}

/* The three arrays of a repacked rows x cols matrix: units, quants, scales. */
static void packed_sizes(uint32_t format, uint32_t rows, uint32_t cols, uint64_t *unit, uint64_t *q, uint64_t *scales)
{
    uint64_t groups = (uint64_t)(rows + RQ_ROWS - 1) / RQ_ROWS;
    *unit = groups * RQ_ROWS * sizeof(float);
    *q = groups * rq_group_bytes(format, cols);
    *scales = groups * RQ_ROWS * (cols / 32) * RQ_SCALES(format) * sizeof(uint32_t);
}

uint64_t rq_repacked_bytes(uint32_t type, uint32_t rows, uint32_t cols)
{
    if (!rq_repackable(type))
        return 0;
    uint64_t unit, q, scales;
    packed_sizes((uint32_t)format_of(type), rows, cols, &unit, &q, &scales);
    /* + a row's scratch while repacking */
    return sizeof(struct rq_matrix) + unit + q + scales + scratch_bytes(cols);
}

uint64_t rq_arrays_bytes(uint32_t type, uint32_t rows, uint32_t cols)
{
    if (!rq_repackable(type))
        return 0;
    uint64_t unit, q, scales;
    packed_sizes((uint32_t)format_of(type), rows, cols, &unit, &q, &scales);
    return unit + q + scales;
}

int rq_format_of(uint32_t type)
{
    return format_of(type);
}

struct rq_matrix *rq_alloc(uint32_t type, uint32_t rows, uint32_t cols, int zero, const char *name, char *err,
                           size_t errlen)
{
    if (!rq_repackable(type)) {
        snprintf(err, errlen, "repack: %s: %s matrices are not repacked", name, quant_type_name(type));
        return NULL;
    }
    if (cols == 0 || cols % 32 != 0 || rows == 0 || quant_row_bytes(type, cols) == 0) {
        snprintf(err, errlen, "repack: %s: bad shape %ux%u", name, (unsigned)rows, (unsigned)cols);
        return NULL;
    }
    struct rq_matrix *m = llm_alloc(sizeof *m, 8);
    if (!m) {
        snprintf(err, errlen, "out of memory repacking %s (%ux%u)", name, (unsigned)rows, (unsigned)cols);
        return NULL;
    }
    memset(m, 0, sizeof *m);
    m->format = (uint32_t)format_of(type);
    m->rows = rows;
    m->cols = cols;
    m->groups = (rows + RQ_ROWS - 1) / RQ_ROWS;
    uint64_t unit_bytes, q_bytes, scale_bytes; /* counted by rq_repacked_bytes */
    packed_sizes(m->format, rows, cols, &unit_bytes, &q_bytes, &scale_bytes);
    m->unit = llm_alloc((size_t)unit_bytes, 64);
    m->q = llm_alloc((size_t)q_bytes, 64);
    m->scales = llm_alloc((size_t)scale_bytes, 64);
    if (!m->unit || !m->q || !m->scales) {
        rq_free(m);
        snprintf(err, errlen, "out of memory repacking %s (%ux%u)", name, (unsigned)rows, (unsigned)cols);
        return NULL;
    }
    if (zero) { /* padding rows stay zero */
        memset(m->unit, 0, (size_t)unit_bytes);
        memset(m->q, 0, (size_t)q_bytes);
        memset(m->scales, 0, (size_t)scale_bytes);
    }
    return m;
}

void rq_arrays(const struct rq_matrix *m, struct rq_array out[RQ_ARRAYS])
{
    uint64_t unit_bytes, q_bytes, scale_bytes;
    packed_sizes(m->format, m->rows, m->cols, &unit_bytes, &q_bytes, &scale_bytes);
    out[0].ptr = m->unit;
    out[0].bytes = unit_bytes;
    out[1].ptr = m->scales;
    out[1].bytes = scale_bytes;
    out[2].ptr = m->q;
    out[2].bytes = q_bytes;
}

int rq_repack_rows(struct rq_matrix *m, uint32_t type, const uint8_t *rows, uint32_t r0, uint32_t n,
                   const char *name, const struct llm_cancel *cancel, char *err, size_t errlen)
{
    if (format_of(type) != (int)m->format || r0 > m->rows || n > m->rows - r0) {
        snprintf(err, errlen, "repack: %s: rows %u..%u of a %s matrix do not fit", name, (unsigned)r0,
                 (unsigned)(r0 + n), quant_type_name(type));
        return -1;
    }
    uint8_t *scratch = llm_alloc((size_t)scratch_bytes(m->cols), 8);
    if (!scratch) {
        snprintf(err, errlen, "out of memory repacking %s (%ux%u)", name, (unsigned)m->rows, (unsigned)m->cols);
        return -1;
    }
    struct row_scratch s = { scratch + 2 * (m->cols / 16) * sizeof(float), (float *)scratch,
                             (float *)scratch + m->cols / 16 };
    size_t group_bytes = rq_group_bytes(m->format, m->cols), row_bytes = quant_row_bytes(type, m->cols);
    int rc = 0;
    for (uint32_t k = 0; k < n && rc == 0; k++) {
        uint32_t r = r0 + k;
        if (r % LLM_CANCEL_ROWS == 0 && llm_cancel_requested(cancel)) {
            snprintf(err, errlen, LLM_CANCELLED);
            rc = -1;
            break;
        }
        const uint8_t *row = rows + (size_t)k * row_bytes;
        uint32_t g = r / RQ_ROWS, i = r % RQ_ROWS;
        uint8_t *group = m->q + group_bytes * g;
        uint32_t *scales = (uint32_t *)rq_group_scales(m, g) + i; /* being filled */
        rc = m->format == RQ_Q8 ? repack_q8_row(type, row, m->cols, i, group, &m->unit[r], scales, &s)
                                : repack_affine_row(type, m->format, row, m->cols, i, group, &m->unit[r], scales, &s);
        if (rc != 0)
            snprintf(err, errlen, "repack: %s: row %u has a non-finite scale", name, (unsigned)r);
    }
    llm_free(scratch);
    return rc;
}

struct rq_matrix *rq_repack(const struct qtensor *t, const char *name, const struct llm_cancel *cancel, char *err,
                            size_t errlen)
{
    struct rq_matrix *m = rq_alloc(t->type, t->rows, t->cols, 1, name, err, errlen);
    if (m && rq_repack_rows(m, t->type, t->data, 0, t->rows, name, cancel, err, errlen) != 0) {
        rq_free(m);
        m = NULL;
    }
    return m;
}

/* The sizes of an activation's eight arrays, in the order of struct rq_act. */
#define ACT_ARRAYS 8
static void act_sizes(uint32_t cap, size_t sizes[ACT_ARRAYS])
{
    size_t values = (size_t)cap * sizeof(int32_t), pairs = (size_t)cap / 2 * sizeof(uint32_t) + 4;
    size_t blocks = ((size_t)cap / 32 + 1) * sizeof(int32_t);
    size_t halves = ((size_t)cap / 16 + 1) * sizeof(int32_t);
    const size_t s[ACT_ARRAYS] = { values, values, values, pairs, pairs, blocks, blocks, halves };
    memcpy(sizes, s, sizeof s);
}

uint64_t rq_act_bytes(uint32_t cap)
{
    size_t s[ACT_ARRAYS];
    act_sizes(cap, s);
    uint64_t total = 0;
    for (uint32_t i = 0; i < ACT_ARRAYS; i++)
        total += s[i];
    return total;
}

/* Activation buffers are the engine's shared scratch (matmul.c and select.c
 * keep them from one model to the next), hence llm_alloc_lasting. */
int rq_act_init(struct rq_act *a, uint32_t cap)
{
    size_t s[ACT_ARRAYS];
    act_sizes(cap, s);
    memset(a, 0, sizeof *a);
    a->q = llm_alloc_lasting(s[0], 64);
    a->t4 = llm_alloc_lasting(s[1], 64);
    a->t8 = llm_alloc_lasting(s[2], 64);
    a->m4 = llm_alloc_lasting(s[3], 64);
    a->m8 = llm_alloc_lasting(s[4], 64);
    a->bsum = llm_alloc_lasting(s[5], 64);
    a->shift = llm_alloc_lasting(s[6], 64);
    a->hbase = llm_alloc_lasting(s[7], 64);
    if (!a->q || !a->t4 || !a->t8 || !a->m4 || !a->m8 || !a->bsum || !a->shift || !a->hbase) {
        rq_act_free(a);
        return -1;
    }
    a->cap = cap;
    return 0;
}

void rq_act_free(struct rq_act *a)
{
    llm_free(a->q);
    llm_free(a->t4);
    llm_free(a->t8);
    llm_free(a->m4);
    llm_free(a->m8);
    llm_free(a->bsum);
    llm_free(a->shift);
    llm_free(a->hbase);
    memset(a, 0, sizeof *a);
}

/* 2^e as a float, for -126 <= e <= 127, built from its bits. */
static float pow2f(int e)
{
    uint32_t bits = (uint32_t)(e + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Activation quantization works on the float bits with integer operations
 * only: under emulation a float operation costs tens of nanoseconds, an
 * integer one a fraction of one. |x| = M * 2^(E - 150) with M the mantissa
 * including the implicit bit (E = 1 for denormals). */
static uint32_t abs_bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b & 0x7fffffffu;
}

/* With e = E - 126 - RQ_ABITS, RQ_AMAX * 2^e = RQ_AMAX * 2^(24 - RQ_ABITS)
 * * 2^(E - 150), so one more step is needed exactly when M exceeds
 * RQ_AMAX * 2^(24 - RQ_ABITS). */
int rq_act_exponent(uint32_t amax)
{
    if (amax > abs_bits(1e30f))
        return RQ_EXP_NONFINITE; /* the outputs become NaN, not noise */
    int exp = (int)(amax >> 23);
    if (exp == 0)
        return RQ_EXP_MIN; /* zero or denormal: every value rounds to 0 */
    uint32_t mant = (amax & 0x7fffffu) | 0x800000u;
    int e = exp - 126 - RQ_ABITS + (mant > (uint32_t)RQ_AMAX << (24 - RQ_ABITS));
    return e < RQ_EXP_MIN ? RQ_EXP_MIN : e;
}

/* round(x / 2^e), halves away from zero, exactly. Branch-free: under
 * emulation every branch ends a translated block. */
static int32_t scale_round(float x, int e)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    int exp = (int)((b >> 23) & 0xffu);
    uint32_t normal = exp != 0;
    uint32_t mant = (b & 0x7fffffu) | normal << 23;
    int sh = 150 + e - (exp | (int)!normal); /* >= 11 when |x| <= RQ_AMAX * 2^e */
    sh = sh < 31 ? sh : 31;                   /* from 25 on the result is 0 */
    uint32_t q = (mant + (1u << (sh - 1))) >> sh, neg = 0u - (b >> 31);
    return (int32_t)((q ^ neg) - neg);
}

static void portable_blocks(struct rq_act *a, const float *x, uint32_t blocks)
{
    for (uint32_t b = 0; b < blocks; b++) {
        const float *xb = x + b * 32;
        int32_t *q = a->q + b * 32, sum = 0, half = 0; /* half: of the first 16 */
        uint32_t amax = 0; /* as bits: non-negative floats order like integers */
        for (uint32_t i = 0; i < 32; i++) {
            uint32_t v = abs_bits(xb[i]);
            amax = v > amax ? v : amax;
        }
        int e = rq_act_exponent(amax);
        if (e == RQ_EXP_NONFINITE) {
            memset(q, 0, 32 * sizeof *q);
        } else {
            for (uint32_t i = 0; i < 32; i++) {
                q[i] = scale_round(xb[i], e);
                sum += q[i];
                if (i == 15)
                    half = sum;
            }
        }
        a->bsum[b] = sum;
        a->hbase[2 * b] = half;
        a->shift[b] = e;
    }
}

static void portable_transform(struct rq_act *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i += 8) {
        const int32_t *q = a->q + i;
        int32_t *t4 = a->t4 + i, *t8 = a->t8 + i;
        t4[0] = t8[0] = q[0];
        t8[4] = q[4];
        for (uint32_t k = 1; k < 8; k++)
            t4[k] = q[k] - 16 * q[k - 1];
        for (uint32_t k = 1; k < 4; k++) {
            t8[k] = q[k] - 256 * q[k - 1];
            t8[k + 4] = q[k + 4] - 256 * q[k + 3];
        }
    }
}

const struct rq_act_impl rq_act_portable = { portable_blocks, portable_transform };
static const struct rq_act_impl *act_impl = &rq_act_portable;

void rq_act_use(const struct rq_act_impl *impl)
{
    act_impl = impl;
}

int rq_act_equal(const struct rq_act *a, const struct rq_act *b)
{
    size_t n = a->n;
    return a->n == b->n && !memcmp(a->q, b->q, n * 4) && !memcmp(a->t4, b->t4, n * 4) &&
           !memcmp(a->t8, b->t8, n * 4) && !memcmp(a->m4, b->m4, n * 2) && !memcmp(a->m8, b->m8, n * 2) &&
           !memcmp(a->bsum, b->bsum, n / 8) && !memcmp(a->hbase, b->hbase, n / 4) &&
           !memcmp(a->shift, b->shift, n / 8) && !memcmp(&a->p2, &b->p2, sizeof a->p2);
}

void rq_act_quantize(struct rq_act *a, const float *x, uint32_t n, int pairs)
{
    uint32_t blocks = n / 32, guard = 0, q6_offset = quant_affine_shape(QT_Q6_K)->offset;
    int emax = RQ_EXP_MIN, finite_all = 1;
    while ((1u << guard) < blocks)
        guard++;
    a->n = n;
    act_impl->blocks(a, x, blocks);
    for (uint32_t b = 0; b < blocks; b++) {
        int32_t half = a->hbase[2 * b], sum = a->bsum[b];
        a->hbase[2 * b] = (int32_t)(0u - q6_offset * (uint32_t)half);
        a->hbase[2 * b + 1] = (int32_t)(0u - q6_offset * (uint32_t)(sum - half));
        finite_all &= a->shift[b] != RQ_EXP_NONFINITE;
        emax = a->shift[b] > emax ? a->shift[b] : emax;
    }
    for (uint32_t b = 0; b < blocks; b++) {
        /* A non-finite block's shift is any: p2 makes every output NaN. */
        int e = a->shift[b] == RQ_EXP_NONFINITE ? RQ_EXP_MIN : a->shift[b];
        int s = emax - e + (int)guard;
        a->shift[b] = s < 31 ? s : 31;
    }
    a->p2 = finite_all ? pow2f(emax + (int)guard) : __builtin_nanf("");
    act_impl->transform(a, n);
    for (uint32_t i = 0; pairs && i < n; i += 8)
        for (uint32_t k = 0; k < 4; k++)
            a->m4[i / 2 + k] = (uint16_t)a->q[i + k] | (uint32_t)a->q[i + k + 4] << 16;
    for (uint32_t i = 0; pairs && i < n; i += 4)
        for (uint32_t k = 0; k < 2; k++)
            a->m8[i / 2 + k] = (uint16_t)a->q[i + k] | (uint32_t)a->q[i + k + 2] << 16;
}
