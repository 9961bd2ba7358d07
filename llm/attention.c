/* attention.c: integer KV cache and integer attention (see attention.h).
 *
 * Per query head: q -> int16 (scale qd), scores = (q16 . k16) * k_scale * qd /
 * sqrt(head_dim) in float (two multiplies per position), softmax weights
 * p = e^(score - max) from ops_exp, w = p * v_scale folded into integers W
 * that sum to ~2^23, out = (sum W * v16) * (sum w / 2^23) / sum p. The float
 * work per position is a handful of scalar operations; the head_dim-long
 * loops are integer only and give the same bits in every build.
 */
#include "attention.h"

#include "attention_simd.h"
#include "buffers.h"
#include "matmul/select.h"
#include "llm.h"
#include "ops.h"
#include "platform.h"
#include "matmul/quant.h"

/* Levels of the cached values and of the query (per head vector,
 * symmetric). Measured on SmolLM2 against the reference (which, like
 * llama.cpp, keeps an F16 cache): an 8-bit key cache (llama.cpp's q8_0)
 * moves the logits by KL 8e-3 and changes top-5 tokens; 13-bit keys and
 * 11-bit values reach KL 1.6e-4 but still flip near-tied tokens that the F16
 * cache keeps. So the cache stores each value rounded to F16 first, then at
 * 15 bits of its head's range, and the sums are exact. */
#define Q_MAX 32767
/* Sum of the integer softmax weights. */
#define W_TOTAL 8388608.0f

#define KV_BUFFERS 6
/* The cache (keys in whole blocks of KV_BLOCK positions, values, a scale per
 * head and position), kv_store's key head and the workers' scratch sets. */
static uint32_t kv_plan(struct kv_cache *kv, uint32_t n_layers, uint32_t ctx, uint32_t n_kv_heads, uint32_t head_dim,
                        uint32_t workers, struct llm_buf *plan)
{
    uint64_t heads = (uint64_t)n_layers * ctx * n_kv_heads;
    uint64_t key_heads = (uint64_t)n_layers * ((ctx + KV_BLOCK - 1) / KV_BLOCK * KV_BLOCK) * n_kv_heads;
    const struct llm_buf b[KV_BUFFERS] = {
        { (void **)&kv->k, key_heads * head_dim * sizeof *kv->k, 64 },
        { (void **)&kv->v, heads * head_dim * sizeof *kv->v, 64 },
        { (void **)&kv->k_scale, heads * sizeof(float), 64 },
        { (void **)&kv->v_scale, heads * sizeof(float), 64 },
        { (void **)&kv->key, head_dim * sizeof(int16_t), 64 },
        { (void **)&kv->scratch, (uint64_t)workers * sizeof *kv->scratch, 64 },
    };
    memcpy(plan, b, sizeof b);
    return KV_BUFFERS;
}

#define SCRATCH_BUFFERS 9
/* One worker's set: a query head's quantizations and sums, ctx scores. */
static uint32_t scratch_plan(struct attn_scratch *a, uint32_t ctx, uint32_t head_dim, struct llm_buf *plan)
{
    const struct llm_buf b[SCRATCH_BUFFERS] = {
        { (void **)&a->qh, head_dim * sizeof(int16_t), 64 },
        { (void **)&a->ql, head_dim * sizeof(int16_t), 64 },
        { (void **)&a->acc_hi, head_dim * sizeof(int32_t), 64 },
        { (void **)&a->acc_lo, head_dim * sizeof(uint32_t), 64 },
        { (void **)&a->score, (uint64_t)ctx * sizeof(float), 64 },
        { (void **)&a->w, (uint64_t)ctx * sizeof(int32_t), 64 },
        { (void **)&a->qfull, head_dim * sizeof(int32_t), 64 },
        { (void **)&a->dot_hi, KV_BLOCK * sizeof(int32_t), 64 },
        { (void **)&a->dot_lo, KV_BLOCK * sizeof(int32_t), 64 },
    };
    memcpy(plan, b, sizeof b);
    return SCRATCH_BUFFERS;
}

uint64_t llm_kv_cache_bytes(uint32_t n_layers, uint32_t ctx, uint32_t n_kv_heads, uint32_t head_dim)
{
    struct kv_cache kv;
    struct attn_scratch a;
    struct llm_buf plan[KV_BUFFERS], splan[SCRATCH_BUFFERS];
    uint32_t workers = llm_parallel_workers();
    return buffers_bytes(plan, kv_plan(&kv, n_layers, ctx, n_kv_heads, head_dim, workers, plan)) +
           workers * buffers_bytes(splan, scratch_plan(&a, ctx, head_dim, splan));
}

int kv_cache_init(struct kv_cache *kv, uint32_t n_layers, uint32_t ctx, uint32_t n_kv_heads, uint32_t head_dim)
{
    memset(kv, 0, sizeof *kv);
    if (ctx == 0 || llm_kv_cache_bytes(n_layers, ctx, n_kv_heads, head_dim) > 0x7fffffffu)
        return -1;
    kv->ctx = ctx;
    kv->n_layers = n_layers;
    kv->n_kv_heads = n_kv_heads;
    kv->head_dim = head_dim;
    kv->ctx_blocks = (ctx + KV_BLOCK - 1) / KV_BLOCK;
    kv->simd = (select_cpu_features() & CPU_AVX2) && head_dim % 16 == 0 && head_dim <= 256;
    uint32_t workers = llm_parallel_workers();
    struct llm_buf plan[KV_BUFFERS], splan[SCRATCH_BUFFERS];
    if (buffers_alloc(plan, kv_plan(kv, n_layers, ctx, n_kv_heads, head_dim, workers, plan)) != 0)
        return -1;
    memset(kv->scratch, 0, workers * sizeof *kv->scratch);
    for (; kv->n_scratch < workers; kv->n_scratch++) {
        if (buffers_alloc(splan, scratch_plan(&kv->scratch[kv->n_scratch], ctx, head_dim, splan)) != 0) {
            kv_cache_free(kv);
            return -1;
        }
    }
    return 0;
}

void kv_cache_free(struct kv_cache *kv)
{
    struct llm_buf plan[KV_BUFFERS], splan[SCRATCH_BUFFERS];
    for (uint32_t i = 0; kv->scratch && i < kv->n_scratch; i++)
        buffers_free(splan, scratch_plan(&kv->scratch[i], 0, 0, splan));
    buffers_free(plan, kv_plan(kv, 0, 0, 0, 0, 0, plan));
    memset(kv, 0, sizeof *kv);
}

/* The largest magnitude of x[0..n), NaN ignored. */
static float absmax(const float *x, uint32_t n)
{
    float amax = 0.0f;
    for (uint32_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > amax)
            amax = a;
    }
    return amax;
}

/* x rounded to F16 and back, as quant_f16_to_f32(quant_f32_to_f16(x)),
 * in integers for |x| in [2^-14, 65504]: the mantissa rounded to 10 bits,
 * to nearest even. The rest (subnormal halves, overflow to infinity, NaN)
 * takes the two calls. */
static inline float f16_round(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint32_t e = (bits >> 23) & 0xffu;
    uint32_t r = (bits + 0xfffu + ((bits >> 13) & 1u)) & ~0x1fffu;
    if (e - 113u >= 30u || (r & 0x7fffffffu) >= 0x47800000u)
        return quant_f16_to_f32(quant_f32_to_f16(x));
    memcpy(&x, &r, sizeof x);
    return x;
}

/* x[0..n), each rounded to F16, ~= scale * out[i] with |out[i]| <= Q_MAX;
 * returns the scale. */
static float quantize(const float *x, uint32_t n, int16_t *out)
{
    float d = absmax(x, n) / (float)Q_MAX;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (uint32_t i = 0; i < n; i++)
        out[i] = (int16_t)ops_round(f16_round(x[i]) * id, Q_MAX);
    return d;
}

/* The key block holding position `block` * KV_BLOCK of a layer's kv head. */
static int16_t *key_block(const struct kv_cache *kv, uint32_t layer, uint32_t kvh, uint32_t block)
{
    size_t blocks = ((size_t)layer * kv->n_kv_heads + kvh) * kv->ctx_blocks + block;
    return kv->k + blocks * KV_BLOCK * kv->head_dim;
}

void kv_store(struct kv_cache *kv, uint32_t layer, uint32_t pos, const float *k, const float *v)
{
    uint32_t hd = kv->head_dim;
    size_t head = ((size_t)layer * kv->ctx + pos) * kv->n_kv_heads;
    for (uint32_t h = 0; h < kv->n_kv_heads; h++, head++) {
        kv->k_scale[head] = quantize(k + h * hd, hd, kv->key);
        int16_t *kt = key_block(kv, layer, h, pos / KV_BLOCK) + pos % KV_BLOCK * 2;
        for (uint32_t d = 0; d < hd; d += 2) {
            kt[d * KV_BLOCK] = kv->key[d];
            kt[d * KV_BLOCK + 1] = kv->key[d + 1];
        }
        kv->v_scale[head] = quantize(v + h * hd, hd, kv->v + head * hd);
    }
}

/* The loops below keep 64-bit integers out of their bodies: the i686 build
 * would run them on SSE2 registers (punpckldq, paddq), which emulation
 * executes through helper calls. 16-bit operands are split into a signed
 * high byte and an unsigned low byte instead, so every inner sum fits in 32
 * bits, and the halves are joined once per row. */
#define CHUNK 64 /* 32767 * 255 * CHUNK < 2^31 */

/* sum qh[i] * k[i] * 256 + ql[i] * k[i] over n values: the dot product with
 * the query q = qh * 256 + ql, for the key of one position laid out as in
 * the cache (kt: its first pair; pair j KV_BLOCK pairs further on). */
static int64_t dot_split(const int16_t *qh, const int16_t *ql, const int16_t *kt, uint32_t n)
{
    int64_t sum = 0;
    for (uint32_t c = 0; c < n; c += CHUNK) {
        uint32_t end = n - c < CHUNK ? n : c + CHUNK;
        int32_t hi = 0, lo = 0;
        for (uint32_t i = c; i < end; i++) {
            int32_t k = kt[i / 2 * 2 * KV_BLOCK + i % 2];
            hi += qh[i] * k;
            lo += ql[i] * k;
        }
        sum += (int64_t)hi * 256 + lo;
    }
    return sum;
}

/* acc_hi[i] = sum_t w[t] * (v_t[i] >> 8), acc_lo[i] = sum_t w[t] * (v_t[i] & 255).
 * w >= 0 sums to at most W_TOTAL + n / 2: the high-byte sums stay within
 * 2^31 and the low-byte ones within 2^32. */
static void vsum(const int32_t *w, uint32_t n, const int16_t *v, size_t stride, uint32_t hd, int32_t *acc_hi,
                 uint32_t *acc_lo)
{
    memset(acc_hi, 0, hd * sizeof(int32_t));
    memset(acc_lo, 0, hd * sizeof(uint32_t));
    for (uint32_t t = 0; t < n; t++) {
        if (w[t] == 0)
            continue;
        const int16_t *vt = v + (size_t)t * stride;
        for (uint32_t i = 0; i < hd; i++) {
            acc_hi[i] += w[t] * (vt[i] >> 8);
            acc_lo[i] += (uint32_t)w[t] * (uint32_t)(vt[i] & 255);
        }
    }
}

/* u_t = (q . k_t) * k_scale_t for the positions of key block `block` up to
 * `last` into a->score; returns the largest of them from position `from` on
 * and umax. The query is
 * given by a->qh/ql (and, for the AVX2 loop, a->qfull). Both paths give the same
 * integer hi * 256 + lo with 0 <= lo < 256 per position and convert it the
 * same way: two int32 conversions instead of an int64 one, which the i686
 * build does through SSE2 shuffles and the x87 unit. */
static float score_block(const struct kv_cache *kv, struct attn_scratch *a, uint32_t layer, uint32_t kvh,
                         uint32_t block, uint32_t from, uint32_t last, const float *ks, float umax)
{
    const int16_t *kb = key_block(kv, layer, kvh, block);
    uint32_t first = block * KV_BLOCK, n = last + 1 - first < KV_BLOCK ? last + 1 - first : KV_BLOCK;
    if (kv->simd)
        attn_dot8_avx2(a->qfull, kb, kv->head_dim, a->dot_hi, a->dot_lo);
    for (uint32_t p = 0; p < n; p++) {
        int32_t hi, lo;
        if (kv->simd) {
            /* dot_hi: q times the keys' signed high bytes, dot_lo: times
             * their low bytes; each fits in 32 bits (head_dim <= 256
             * products below 32767 * 255 in magnitude). */
            hi = a->dot_hi[p] + (a->dot_lo[p] >> 8); /* arithmetic shift: floor */
            lo = a->dot_lo[p] & 255;
        } else {
            int64_t d = dot_split(a->qh, a->ql, kb + p * 2, kv->head_dim);
            hi = (int32_t)(d >> 8);
            lo = (int32_t)(d & 255);
        }
        float u = ((float)hi * 256.0f + (float)lo) * ks[(size_t)(first + p) * kv->n_kv_heads];
        a->score[first + p] = u;
        umax = u > umax && first + p >= from ? u : umax;
    }
    return umax;
}

/* One query head against kv head `kvh` of `layer`, positions from..pos,
 * with scratch a. */
static void attend_head(const struct kv_cache *kv, struct attn_scratch *a, uint32_t layer, uint32_t kvh,
                        uint32_t from, uint32_t pos, const float *q, float *out)
{
    uint32_t hd = kv->head_dim, stride = kv->n_kv_heads * hd;
    size_t first = (size_t)layer * kv->ctx * kv->n_kv_heads + kvh;
    const int16_t *v = kv->v + first * hd;
    const float *ks = kv->k_scale + first, *vs = kv->v_scale + first;

    float qd = absmax(q, hd) / (float)Q_MAX;
    float iq = qd != 0.0f ? 1.0f / qd : 0.0f;
    for (uint32_t i = 0; i < hd; i++) {
        int32_t v = ops_round(q[i] * iq, Q_MAX);
        a->qh[i] = (int16_t)(v >> 8); /* arithmetic shift: floor */
        a->ql[i] = (int16_t)(v & 255);
        a->qfull[i] = v;
    }

    /* u_t = (q16 . k16_t) * k_scale_t; the score is u_t * qd / sqrt(hd), and
     * as that factor is >= 0 the softmax only needs (u_t - max u) times it,
     * taken in the exponent's constant below. */
    float umax = -3.4e38f;
    for (uint32_t block = from / KV_BLOCK; block <= pos / KV_BLOCK; block++)
        umax = score_block(kv, a, layer, kvh, block, from, pos, ks, umax);
    /* p_t = e^(score_t - max) = 2^(y_t / 2^20): y_t <= 0 is rounded (half
     * away from zero) and held above -126 * 2^20, so the table exponential
     * needs no range tests; below that p is under 2^-126, a weight of 0. */
    float cy = qd / sqrtf((float)hd) * (OPS_LOG2E * (float)(OPS_EXP_N * OPS_EXP_N));
    const float ylow = -126.0f * (float)(OPS_EXP_N * OPS_EXP_N);
    float sum_p = 0.0f, sum_w = 0.0f;
    for (uint32_t t = from; t <= pos; t++) {
        float y = (a->score[t] - umax) * cy;
        y = y > ylow ? y : ylow;
        float p = ops_exp2_q20((int32_t)(y - 0.5f));
        float w = p * vs[(size_t)t * kv->n_kv_heads];
        sum_p += p;
        sum_w += w;
        a->score[t] = w;
    }
    /* With sum_w and f finite (a sum_w below 2^-105 makes f infinite), w_t <=
     * sum_w and w_t * f + 0.5 stays below 2^24: no saturation. */
    float f = sum_w > 0.0f ? W_TOTAL / sum_w : 0.0f;
    if (sum_w <= 3.4e38f && f > 0.0f && f <= 3.4e38f) {
        for (uint32_t t = from; t <= pos; t++)
            a->w[t] = (int32_t)(a->score[t] * f + 0.5f);
    } else {
        memset(a->w + from, 0, (pos + 1 - from) * sizeof *a->w);
    }
    if (kv->simd)
        attn_vsum_avx2(a->w + from, pos + 1 - from, v + (size_t)from * stride, stride, hd, a->acc_hi, a->acc_lo);
    else
        vsum(a->w + from, pos + 1 - from, v + (size_t)from * stride, stride, hd, a->acc_hi, a->acc_lo);
    float back = sum_w / (W_TOTAL * sum_p);
    for (uint32_t i = 0; i < hd; i++)
        out[i] = (float)((int64_t)a->acc_hi[i] * 256 + a->acc_lo[i]) * back;
}

struct attention_job {
    const struct kv_cache *kv;
    uint32_t layer, pos0, n_heads, window;
    const float *q;
    size_t qstride;
    float *out;
    size_t ostride;
};

/* Heads begin .. end - 1 of the batch, head i being query head i % n_heads
 * of token i / n_heads. */
static void attention_range(void *ctx, uint32_t begin, uint32_t end, uint32_t worker)
{
    const struct attention_job *j = ctx;
    const struct kv_cache *kv = j->kv;
    uint32_t hd = kv->head_dim, group = j->n_heads / kv->n_kv_heads;
    for (uint32_t i = begin; i < end; i++) {
        uint32_t t = i / j->n_heads, h = i % j->n_heads, pos = j->pos0 + t;
        uint32_t from = j->window && pos >= j->window ? pos + 1 - j->window : 0;
        attend_head(kv, &kv->scratch[worker], j->layer, h / group, from, pos, j->q + t * j->qstride + h * hd,
                    j->out + t * j->ostride + h * hd);
    }
}

void kv_attention(struct kv_cache *kv, uint32_t layer, uint32_t pos0, uint32_t n, const float *q,
                  size_t qstride, uint32_t n_heads, uint32_t window, float *out, size_t ostride)
{
    struct attention_job j = { kv, layer, pos0, n_heads, window, q, qstride, out, ostride };
    llm_parallel_for(n * n_heads, attention_range, &j);
}
