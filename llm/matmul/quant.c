/* quant.c: ggml block formats (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
 * and the K-quants Q4_K, Q5_K, Q6_K), activation quantization to 16-bit
 * blocks and portable scalar kernels.
 *
 * Block layouts (little-endian, packed, 32 elements each):
 *   Q4_0  f16 d, u8 qs[16]            x = (q - 8) * d
 *   Q4_1  f16 d, f16 m, u8 qs[16]     x = q * d + m
 *   Q5_0  f16 d, u32 qh, u8 qs[16]    x = (q - 16) * d, q = nibble | bit j of qh << 4
 *   Q5_1  f16 d, f16 m, u32 qh, qs[16] x = q * d + m
 *   Q8_0  f16 d, i8 qs[32]            x = q * d
 * In every 4/5-bit block element j < 16 is the low nibble of qs[j] and
 * element j + 16 its high nibble.
 *
 * K-quant super-blocks (256 elements, ggml-common.h's block_q*_K):
 *   Q4_K  f16 d, f16 dmin, u8 scales[12], u8 qs[128]             144 bytes
 *   Q5_K  f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]  176 bytes
 *         8 sub-blocks of 32 with 6-bit scale sc and min m (packed in
 *         scales[]): x = (d * sc) * q - (dmin * m); sub-block j takes the low
 *         (j even) or high (j odd) nibbles of qs[32 * (j / 2) ...], and for
 *         Q5_K bit j of qh[l] as bit 4.
 *   Q6_K  u8 ql[128], u8 qh[64], i8 scales[16], f16 d             210 bytes
 *         16 sub-blocks of 16 with an 8-bit signed scale: x = (d * sc) * (q - 32);
 *         each half of 128 elements has 4 groups of 32: group g takes the low
 *         (g < 2) or high nibble of ql[32 * (g % 2) + l] and bits 2g..2g+1 of qh[l].
 * BF16 is the top half of a float32.
 *
 * The dot products run in integers per block and touch floats once per block:
 * sum(w * x) = dw * dx * sum(qw * qx) (+ m * sx, where sx = dx * sum(qx), for
 * the types with a minimum). With 16-bit activations a block's integer sum
 * stays below 32 * 127 * 32767 < 2^31 (Q6_K's two scaled halves need 64 bits).
 */
#include "matmul/quant.h"

#include "bytes.h"
#include "platform.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* quant_f16_to_f32, inlined into the dequantization loops (two per block). */
static inline float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf / nan */
    } else if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise the mantissa */
            uint32_t e = 0;
            while (!(man & 0x400u)) {
                man <<= 1;
                e++;
            }
            bits = sign | ((113u - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float quant_f16_to_f32(uint16_t h)
{
    return f16_to_f32(h);
}

uint16_t quant_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xff)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    int e = (int)exp - 112; /* rebias 127 -> 15 */
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    uint32_t shift = 13, h;
    if (e <= 0) { /* subnormal half: value / 2^-24 = (1.man) >> (14 - e) */
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000u;
        shift = (uint32_t)(14 - e);
        h = man >> shift;
    } else {
        h = ((uint32_t)e << 10) | (man >> 13);
    }
    uint32_t rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u)))
        h++; /* a carry into the exponent is the correct rounding */
    return (uint16_t)(sign | h);
}

/* ---- dequantization ---------------------------------------------------- */

static void dequant_f32(const void *blocks, float *out, uint32_t n)
{
    memcpy(out, blocks, (size_t)n * sizeof(float));
}

static void dequant_f16(const void *blocks, float *out, uint32_t n)
{
    const uint8_t *p = blocks;
    for (uint32_t i = 0; i < n; i++)
        out[i] = quant_f16_to_f32(rd16(p + 2 * i));
}

/* The 32 integer values of a 4/5-bit block's quants (without offset). */
static void unpack_nibbles(const uint8_t *qs, uint32_t qh, int q[QK])
{
    for (int j = 0; j < 16; j++) {
        q[j] = (qs[j] & 0x0f) | (int)(((qh >> j) & 1u) << 4);
        q[j + 16] = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
    }
}

/* Lanes for the dequantization loops: written as vectors because the
 * compiler leaves byte-to-float loops scalar, and the training dequantizes
 * every weight row twice per step. Each lane is the scalar arithmetic
 * (an exact conversion, one multiply, one add), so the floats are the same
 * whatever the width: eight lanes with AVX2, four (one SSE register)
 * otherwise, as in the kernel, where GCC would hold a 32-byte vector in
 * memory and copy it four bytes at a time. */
#if defined(__AVX2__)
#define DQ_LANES 8
#else
#define DQ_LANES 4
#endif
typedef uint8_t dq_u8 __attribute__((vector_size(DQ_LANES)));
typedef uint32_t dq_u32 __attribute__((vector_size(4 * DQ_LANES)));
typedef int32_t dq_i32 __attribute__((vector_size(4 * DQ_LANES)));
typedef float dq_f32 __attribute__((vector_size(4 * DQ_LANES), aligned(4)));

/* Shared by the four 4/5-bit types: header layout and offset differ;
 * inlined into each, so that the flags are constants. Elements
 * j .. j + DQ_LANES - 1 of the low nibbles, then of the high ones. */
static inline __attribute__((always_inline)) void dequant_nibble_blocks(const uint8_t *p, float *out, uint32_t n,
                                                                        uint32_t block_bytes, int has_min,
                                                                        int has_qh, int offset)
{
#if DQ_LANES == 8
    const dq_u32 lane = { 0, 1, 2, 3, 4, 5, 6, 7 };
#else
    const dq_u32 lane = { 0, 1, 2, 3 };
#endif
    for (uint32_t b = 0; b < n / QK; b++, p += block_bytes, out += QK) {
        const float d = f16_to_f32(rd16(p));
        const float m = has_min ? f16_to_f32(rd16(p + 2)) : 0.0f;
        const uint8_t *h = p + 2 + (has_min ? 2 : 0);
        const uint32_t qh = has_qh ? le32(h) : 0;
        const uint8_t *qs = h + (has_qh ? 4 : 0);
        for (uint32_t j = 0; j < QK; j += DQ_LANES) {
            dq_u8 bytes;
            memcpy(&bytes, qs + j % 16, sizeof bytes);
            dq_u32 q = __builtin_convertvector(j < 16 ? bytes & 0x0f : bytes >> 4, dq_u32);
            if (has_qh)
                q |= ((qh >> (lane + j)) & 1u) << 4;
            const dq_f32 x = __builtin_convertvector((dq_i32)q - offset, dq_f32);
            const dq_f32 y = has_min ? x * d + m : x * d;
            *(dq_f32 *)(out + j) = y;
        }
    }
}

static void dequant_q4_0(const void *b, float *out, uint32_t n) { dequant_nibble_blocks(b, out, n, 18, 0, 0, 8); }
static void dequant_q4_1(const void *b, float *out, uint32_t n) { dequant_nibble_blocks(b, out, n, 20, 1, 0, 0); }
static void dequant_q5_0(const void *b, float *out, uint32_t n) { dequant_nibble_blocks(b, out, n, 22, 0, 1, 16); }
static void dequant_q5_1(const void *b, float *out, uint32_t n) { dequant_nibble_blocks(b, out, n, 24, 1, 1, 0); }

void quant_block_int8(uint32_t type, const uint8_t *block, int8_t q[QK])
{
    if (type == QT_Q8_0) {
        memcpy(q, block + 2, QK);
        return;
    }
    int has_qh = type == QT_Q5_0, v[QK];
    unpack_nibbles(block + (has_qh ? 6 : 2), has_qh ? le32(block + 2) : 0, v);
    for (int j = 0; j < QK; j++)
        q[j] = (int8_t)(v[j] - (has_qh ? 16 : 8));
}

static void dequant_q8_0(const void *blocks, float *restrict out, uint32_t n)
{
    const uint8_t *restrict p = blocks; /* restrict: vector code (the bytes could be the floats) */
    for (uint32_t b = 0; b < n / QK; b++, p += 34, out += QK) {
        float d = f16_to_f32(rd16(p));
        for (int j = 0; j < QK; j++)
            out[j] = (float)(int8_t)p[2 + j] * d;
    }
}

static void dequant_bf16(const void *blocks, float *out, uint32_t n)
{
    const uint8_t *p = blocks;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)rd16(p + 2 * i) << 16;
        memcpy(&out[i], &bits, sizeof bits);
    }
}

/* A Q4_K / Q5_K super-block's 8 scales and 8 mins: 6 bits each, the first
 * four in the low bits of bytes 0..3 / 4..7, the last four in the nibbles of
 * bytes 8..11 with their top two bits in the spare bits of bytes 0..7. */
static void unpack_k_scales(const uint8_t s[12], int sc[8], int mn[8])
{
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = (s[j + 8] & 0x0f) | ((s[j] >> 6) << 4);
        mn[j + 4] = (s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4);
    }
}

/* The 256 quants of a Q4_K (qh == NULL) or Q5_K super-block, in element order. */
static void unpack_q45k(const uint8_t *qs, const uint8_t *qh, uint8_t q[QK_K])
{
    for (int j = 0; j < 8; j++) {
        const uint8_t *src = qs + 32 * (j / 2);
        for (int l = 0; l < 32; l++) {
            int v = (j & 1) ? src[l] >> 4 : src[l] & 0x0f;
            if (qh)
                v |= ((qh[l] >> j) & 1) << 4;
            q[32 * j + l] = (uint8_t)v;
        }
    }
}

/* The 256 quants of a Q6_K super-block minus 32, in element order. */
static void unpack_q6k(const uint8_t *p, int8_t q[QK_K])
{
    for (int half = 0; half < 2; half++) {
        const uint8_t *ql = p + 64 * half, *qh = p + 128 + 32 * half;
        for (int g = 0; g < 4; g++)
            for (int l = 0; l < 32; l++) {
                int lo = g < 2 ? ql[32 * g + l] & 0x0f : ql[32 * (g - 2) + l] >> 4;
                int v = lo | (((qh[l] >> (2 * g)) & 3) << 4);
                q[128 * half + 32 * g + l] = (int8_t)(v - 32);
            }
    }
}

static void dequant_q45k(const uint8_t *p, float *out, uint32_t n, int has_qh)
{
    uint32_t block_bytes = has_qh ? 176 : 144;
    for (uint32_t b = 0; b < n / QK_K; b++, p += block_bytes, out += QK_K) {
        float d = quant_f16_to_f32(rd16(p)), dmin = quant_f16_to_f32(rd16(p + 2));
        int sc[8], mn[8];
        uint8_t q[QK_K];
        unpack_k_scales(p + 4, sc, mn);
        unpack_q45k(p + (has_qh ? 48 : 16), has_qh ? p + 16 : NULL, q);
        for (int j = 0; j < 8; j++) {
            float ds = d * (float)sc[j], dm = dmin * (float)mn[j];
            for (int l = 0; l < 32; l++)
                out[32 * j + l] = ds * (float)q[32 * j + l] - dm;
        }
    }
}

static void dequant_q4_k(const void *b, float *out, uint32_t n) { dequant_q45k(b, out, n, 0); }
static void dequant_q5_k(const void *b, float *out, uint32_t n) { dequant_q45k(b, out, n, 1); }

static void dequant_q6_k(const void *blocks, float *out, uint32_t n)
{
    const uint8_t *p = blocks;
    for (uint32_t b = 0; b < n / QK_K; b++, p += 210, out += QK_K) {
        float d = quant_f16_to_f32(rd16(p + 208));
        int8_t q[QK_K];
        unpack_q6k(p, q);
        for (int s = 0; s < 16; s++) {
            float ds = d * (float)(int8_t)p[192 + s];
            for (int l = 0; l < 16; l++)
                out[16 * s + l] = ds * (float)q[16 * s + l];
        }
    }
}

static const struct quant_affine affine_shapes[QT_COUNT] = {
    [QT_Q4_1] = { QK, 0, 15 }, [QT_Q5_1] = { QK, 0, 31 },
    [QT_Q4_K] = { QK, 0, 15 }, [QT_Q5_K] = { QK, 0, 31 },
    [QT_Q6_K] = { 16, 32, 63 },
};

const struct quant_affine *quant_affine_shape(uint32_t type)
{
    return type < QT_COUNT && affine_shapes[type].sub ? &affine_shapes[type] : NULL;
}

void quant_block_affine(uint32_t type, const uint8_t *p, uint8_t *q, float *d, float *m)
{
    if (type == QT_Q4_1 || type == QT_Q5_1) {
        int has_qh = type == QT_Q5_1, v[QK];
        d[0] = quant_f16_to_f32(rd16(p));
        m[0] = quant_f16_to_f32(rd16(p + 2));
        if (q) {
            unpack_nibbles(p + (has_qh ? 8 : 4), has_qh ? le32(p + 4) : 0, v);
            for (int j = 0; j < QK; j++)
                q[j] = (uint8_t)v[j];
        }
    } else if (type == QT_Q4_K || type == QT_Q5_K) {
        int has_qh = type == QT_Q5_K, sc[8], mn[8];
        float dd = quant_f16_to_f32(rd16(p)), dmin = quant_f16_to_f32(rd16(p + 2));
        unpack_k_scales(p + 4, sc, mn);
        for (int j = 0; j < 8; j++) {
            d[j] = dd * (float)sc[j];
            m[j] = -(dmin * (float)mn[j]);
        }
        if (q)
            unpack_q45k(p + (has_qh ? 48 : 16), has_qh ? p + 16 : NULL, q);
    } else if (type == QT_Q6_K) {
        float dd = quant_f16_to_f32(rd16(p + 208));
        for (int s = 0; s < 16; s++) {
            d[s] = dd * (float)(int8_t)p[192 + s];
            m[s] = 0.0f;
        }
        if (q) {
            int8_t v[QK_K];
            unpack_q6k(p, v);
            for (int i = 0; i < QK_K; i++)
                q[i] = (uint8_t)(v[i] + 32);
        }
    }
}

/* ---- activation quantization ------------------------------------------- */

/* Nearest integer of v, within +-QACT_MAX for finite activations. A denormal
 * scale (1/d = inf) or non-finite activations would make the float-to-int cast
 * undefined: saturate, and map NaN to 0. */
static int round_act(float v)
{
    if (v >= (float)QACT_MAX)
        return QACT_MAX;
    if (v <= -(float)QACT_MAX)
        return -QACT_MAX;
    return v >= 0.0f ? (int)(v + 0.5f) : v < 0.0f ? (int)(v - 0.5f) : 0;
}

void quant_act_prepare(struct quant_act *a, const float *x, uint32_t n)
{
    a->f = x;
    a->n = n;
    a->quantized = 0;
}

void quant_act_quantize(struct quant_act *a)
{
    if (a->quantized)
        return;
    a->quantized = 1;
    for (uint32_t b = 0; b < a->n / QK; b++) {
        const float *xb = a->f + b * QK;
        struct qact_block *qb = &a->q[b];
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float v = fabsf(xb[j]);
            if (v > amax)
                amax = v;
        }
        float d = amax / (float)QACT_MAX;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            int q = round_act(xb[j] * id);
            qb->qs[j] = (int16_t)q;
            sum += q;
        }
        qb->d = d;
        qb->s = d * (float)sum;
    }
}

/* ---- dot products ------------------------------------------------------ */

static float dot_f32(const void *row, const struct quant_act *a)
{
    const float *w = row;
    float sum = 0.0f;
    for (uint32_t i = 0; i < a->n; i++)
        sum += w[i] * a->f[i];
    return sum;
}

static float dot_f16(const void *row, const struct quant_act *a)
{
    const uint8_t *p = row;
    float sum = 0.0f;
    for (uint32_t i = 0; i < a->n; i++)
        sum += quant_f16_to_f32(rd16(p + 2 * i)) * a->f[i];
    return sum;
}

static float dot_q4_0(const void *row, const struct quant_act *a)
{
    const uint8_t *p = row;
    float sum = 0.0f;
    for (uint32_t b = 0; b < a->n / QK; b++, p += 18) {
        const int16_t *x = a->q[b].qs;
        const uint8_t *qs = p + 2;
        int isum = 0;
        for (int j = 0; j < 16; j++)
            isum += ((qs[j] & 0x0f) - 8) * x[j] + ((qs[j] >> 4) - 8) * x[j + 16];
        sum += quant_f16_to_f32(rd16(p)) * a->q[b].d * (float)isum;
    }
    return sum;
}

static float dot_q4_1(const void *row, const struct quant_act *a)
{
    const uint8_t *p = row;
    float sum = 0.0f;
    for (uint32_t b = 0; b < a->n / QK; b++, p += 20) {
        const int16_t *x = a->q[b].qs;
        const uint8_t *qs = p + 4;
        int isum = 0;
        for (int j = 0; j < 16; j++)
            isum += (qs[j] & 0x0f) * x[j] + (qs[j] >> 4) * x[j + 16];
        sum += quant_f16_to_f32(rd16(p)) * a->q[b].d * (float)isum
             + quant_f16_to_f32(rd16(p + 2)) * a->q[b].s;
    }
    return sum;
}

static float dot_q5(const uint8_t *p, const struct quant_act *a, uint32_t block_bytes, int has_min)
{
    float sum = 0.0f;
    for (uint32_t b = 0; b < a->n / QK; b++, p += block_bytes) {
        const uint8_t *h = p + (has_min ? 4 : 2);
        int q[QK];
        unpack_nibbles(h + 4, le32(h), q);
        const int16_t *x = a->q[b].qs;
        int isum = 0;
        for (int j = 0; j < QK; j++)
            isum += (q[j] - (has_min ? 0 : 16)) * x[j];
        sum += quant_f16_to_f32(rd16(p)) * a->q[b].d * (float)isum;
        if (has_min)
            sum += quant_f16_to_f32(rd16(p + 2)) * a->q[b].s;
    }
    return sum;
}

static float dot_q5_0(const void *row, const struct quant_act *a) { return dot_q5(row, a, 22, 0); }
static float dot_q5_1(const void *row, const struct quant_act *a) { return dot_q5(row, a, 24, 1); }

static float dot_q8_0(const void *row, const struct quant_act *a)
{
    const uint8_t *p = row;
    float sum = 0.0f;
    for (uint32_t b = 0; b < a->n / QK; b++, p += 34) {
        const int8_t *w = (const int8_t *)(p + 2);
        const int16_t *x = a->q[b].qs;
        int isum = 0;
        for (int j = 0; j < QK; j++)
            isum += w[j] * x[j];
        sum += quant_f16_to_f32(rd16(p)) * a->q[b].d * (float)isum;
    }
    return sum;
}

static float dot_bf16(const void *row, const struct quant_act *a)
{
    const uint8_t *p = row;
    float sum = 0.0f;
    for (uint32_t i = 0; i < a->n; i++) {
        uint32_t bits = (uint32_t)rd16(p + 2 * i) << 16;
        float w;
        memcpy(&w, &bits, sizeof w);
        sum += w * a->f[i];
    }
    return sum;
}

/* Q4_K / Q5_K: one activation block per sub-block of 32. */
static float dot_q45k(const uint8_t *p, const struct quant_act *a, int has_qh)
{
    uint32_t block_bytes = has_qh ? 176 : 144;
    float sum = 0.0f;
    for (uint32_t b = 0; b < a->n / QK_K; b++, p += block_bytes) {
        float d = quant_f16_to_f32(rd16(p)), dmin = quant_f16_to_f32(rd16(p + 2));
        int sc[8], mn[8];
        uint8_t q[QK_K];
        unpack_k_scales(p + 4, sc, mn);
        unpack_q45k(p + (has_qh ? 48 : 16), has_qh ? p + 16 : NULL, q);
        const struct qact_block *x = &a->q[b * 8];
        for (int j = 0; j < 8; j++) {
            int isum = 0;
            for (int l = 0; l < 32; l++)
                isum += q[32 * j + l] * x[j].qs[l];
            sum += d * (float)sc[j] * x[j].d * (float)isum - dmin * (float)mn[j] * x[j].s;
        }
    }
    return sum;
}

static float dot_q4_k(const void *row, const struct quant_act *a) { return dot_q45k(row, a, 0); }
static float dot_q5_k(const void *row, const struct quant_act *a) { return dot_q45k(row, a, 1); }

/* Q6_K: an activation block spans two sub-blocks of 16 with their own scales. */
static float dot_q6_k(const void *row, const struct quant_act *a)
{
    const uint8_t *p = row;
    float sum = 0.0f;
    for (uint32_t b = 0; b < a->n / QK_K; b++, p += 210) {
        float d = quant_f16_to_f32(rd16(p + 208));
        int8_t q[QK_K];
        unpack_q6k(p, q);
        const struct qact_block *x = &a->q[b * 8];
        for (int j = 0; j < 8; j++) {
            int64_t isum = 0;
            for (int h = 0; h < 2; h++) {
                int part = 0;
                for (int l = 0; l < 16; l++)
                    part += q[32 * j + 16 * h + l] * x[j].qs[16 * h + l];
                isum += (int64_t)(int8_t)p[192 + 2 * j + h] * part;
            }
            sum += d * x[j].d * (float)isum;
        }
    }
    return sum;
}

typedef void (*dequant_fn)(const void *blocks, float *out, uint32_t n);
typedef float (*dot_fn)(const void *row, const struct quant_act *a);

/* Each supported type's block shape and kernels. */
static const struct {
    uint32_t block_elems;
    uint32_t block_bytes;
    dequant_fn dequant; /* n elements (a multiple of block_elems) */
    dot_fn dot;         /* one row against a->n activation values */
} formats[QT_COUNT] = {
    [QT_F32] = { 1, 4, dequant_f32, dot_f32 },
    [QT_F16] = { 1, 2, dequant_f16, dot_f16 },
    [QT_Q4_0] = { QK, 18, dequant_q4_0, dot_q4_0 },
    [QT_Q4_1] = { QK, 20, dequant_q4_1, dot_q4_1 },
    [QT_Q5_0] = { QK, 22, dequant_q5_0, dot_q5_0 },
    [QT_Q5_1] = { QK, 24, dequant_q5_1, dot_q5_1 },
    [QT_Q8_0] = { QK, 34, dequant_q8_0, dot_q8_0 },
    [QT_Q4_K] = { QK_K, 144, dequant_q4_k, dot_q4_k },
    [QT_Q5_K] = { QK_K, 176, dequant_q5_k, dot_q5_k },
    [QT_Q6_K] = { QK_K, 210, dequant_q6_k, dot_q6_k },
    [QT_BF16] = { 1, 2, dequant_bf16, dot_bf16 },
};

int quant_supported(uint32_t type)
{
    return type < QT_COUNT && formats[type].dequant != NULL;
}

const char *quant_type_name(uint32_t type)
{
    /* ggml's ids, so an unsupported file type is named in the error. */
    static const char *const names[] = {
        "F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS",
        "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64",
        "IQ1_M", "BF16", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0",
    };
    if (type < sizeof names / sizeof names[0])
        return names[type];
    return "unknown";
}

uint64_t quant_row_bytes(uint32_t type, uint32_t elems)
{
    if (!quant_supported(type) || elems % formats[type].block_elems != 0)
        return 0;
    return (uint64_t)(elems / formats[type].block_elems) * formats[type].block_bytes;
}

void quant_matvec_portable(const struct qtensor *w, struct quant_act *a, float *out)
{
    dot_fn dot = formats[w->type].dot;
    if (formats[w->type].block_elems > 1) /* the integer kernels */
        quant_act_quantize(a);
    const uint8_t *row = w->data;
    for (uint32_t r = 0; r < w->rows; r++, row += w->row_bytes)
        out[r] = dot(row, a);
}

void quant_dequant(uint32_t type, const void *blocks, float *out, uint32_t n)
{
    formats[type].dequant(blocks, out, n);
}

void quant_dequant_row(const struct qtensor *w, uint32_t r, float *out)
{
    quant_dequant(w->type, w->data + (size_t)r * w->row_bytes, out, w->cols);
}
