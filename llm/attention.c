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

#include "ops.h"
#include "platform.h"
#include "quant.h"

/* Levels of the cached values and of the query (per head vector,
 * symmetric). Measured on SmolLM2 against the reference (which, like
 * llama.cpp, keeps an F16 cache): an 8-bit key cache (llama.cpp's q8_0)
 * moves the logits by KL 8e-3 and changes top-5 tokens; 13-bit keys and
 * 11-bit values reach KL 1.6e-4 but still flip near-tied tokens that the F16
 * cache keeps. So the cache stores each value rounded to F16 first, then at
 * 15 bits of its head's range, and the sums run in 64 bits. */
#define Q_MAX 32767
/* Sum of the integer softmax weights: each W * v < 2^38, exact in int64. */
#define W_TOTAL 8388608.0f

uint64_t kv_cache_bytes(uint32_t n_layers, uint32_t ctx, uint32_t n_kv_heads, uint32_t head_dim)
{
    uint64_t heads = (uint64_t)n_layers * ctx * n_kv_heads;
    return 2 * heads * head_dim * sizeof(int16_t) + 2 * heads * sizeof(float);
}

int kv_cache_init(struct kv_cache *kv, uint32_t n_layers, uint32_t ctx, uint32_t n_kv_heads, uint32_t head_dim)
{
    memset(kv, 0, sizeof *kv);
    uint64_t heads = (uint64_t)n_layers * ctx * n_kv_heads;
    if (ctx == 0 || kv_cache_bytes(n_layers, ctx, n_kv_heads, head_dim) > 0x7fffffffu)
        return -1;
    kv->ctx = ctx;
    kv->n_layers = n_layers;
    kv->n_kv_heads = n_kv_heads;
    kv->head_dim = head_dim;
    kv->k = llm_alloc((size_t)(heads * head_dim) * sizeof *kv->k, 64);
    kv->v = llm_alloc((size_t)(heads * head_dim) * sizeof *kv->v, 64);
    kv->k_scale = llm_alloc((size_t)heads * sizeof(float), 64);
    kv->v_scale = llm_alloc((size_t)heads * sizeof(float), 64);
    kv->q16 = llm_alloc(head_dim * sizeof(int16_t), 64);
    kv->acc = llm_alloc(head_dim * sizeof(int64_t), 64);
    kv->score = llm_alloc(ctx * sizeof(float), 64);
    if (!kv->k || !kv->v || !kv->k_scale || !kv->v_scale || !kv->q16 || !kv->acc || !kv->score) {
        kv_cache_free(kv);
        return -1;
    }
    return 0;
}

void kv_cache_free(struct kv_cache *kv)
{
    void *bufs[] = { kv->k, kv->v, kv->k_scale, kv->v_scale, kv->q16, kv->acc, kv->score };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        llm_free(bufs[i]);
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

/* x[0..n), each rounded to F16, ~= scale * out[i] with |out[i]| <= Q_MAX;
 * returns the scale. */
static float quantize(const float *x, uint32_t n, int16_t *out)
{
    float d = absmax(x, n) / (float)Q_MAX;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (uint32_t i = 0; i < n; i++)
        out[i] = (int16_t)ops_round(quant_f16_to_f32(quant_f32_to_f16(x[i])) * id, Q_MAX);
    return d;
}

void kv_store(struct kv_cache *kv, uint32_t layer, uint32_t pos, const float *k, const float *v)
{
    uint32_t hd = kv->head_dim;
    size_t head = ((size_t)layer * kv->ctx + pos) * kv->n_kv_heads;
    for (uint32_t h = 0; h < kv->n_kv_heads; h++, head++) {
        kv->k_scale[head] = quantize(k + h * hd, hd, kv->k + head * hd);
        kv->v_scale[head] = quantize(v + h * hd, hd, kv->v + head * hd);
    }
}

/* n even: each pair of products fits in int32 (2 * 32767^2 < 2^31). */
static int64_t dot_i16(const int16_t *a, const int16_t *b, uint32_t n)
{
    int64_t sum = 0;
    for (uint32_t i = 0; i < n; i += 2)
        sum += a[i] * b[i] + a[i + 1] * b[i + 1];
    return sum;
}

/* One query head against kv head `kvh` of `layer`, positions 0..pos. */
static void attend_head(struct kv_cache *kv, uint32_t layer, uint32_t kvh, uint32_t pos, const float *q,
                        float *out)
{
    uint32_t hd = kv->head_dim, stride = kv->n_kv_heads * hd;
    size_t first = (size_t)layer * kv->ctx * kv->n_kv_heads + kvh;
    const int16_t *k = kv->k + first * hd, *v = kv->v + first * hd;
    const float *ks = kv->k_scale + first, *vs = kv->v_scale + first;

    float qd = absmax(q, hd) / (float)Q_MAX;
    float iq = qd != 0.0f ? 1.0f / qd : 0.0f;
    for (uint32_t i = 0; i < hd; i++)
        kv->q16[i] = (int16_t)ops_round(q[i] * iq, Q_MAX);
    float c = qd / sqrtf((float)hd);

    float max = -3.4e38f;
    for (uint32_t t = 0; t <= pos; t++) {
        float sc = (float)dot_i16(kv->q16, k + (size_t)t * stride, hd) * ks[(size_t)t * kv->n_kv_heads] * c;
        kv->score[t] = sc;
        if (sc > max)
            max = sc;
    }
    float sum_p = 0.0f, sum_w = 0.0f;
    for (uint32_t t = 0; t <= pos; t++) {
        float p = ops_exp(kv->score[t] - max);
        float w = p * vs[(size_t)t * kv->n_kv_heads];
        sum_p += p;
        sum_w += w;
        kv->score[t] = w;
    }
    memset(kv->acc, 0, hd * sizeof(int64_t));
    if (sum_w > 0.0f) {
        float f = W_TOTAL / sum_w;
        for (uint32_t t = 0; t <= pos; t++) {
            int32_t wt = ops_round(kv->score[t] * f, (int32_t)W_TOTAL);
            if (wt == 0)
                continue;
            const int16_t *vt = v + (size_t)t * stride;
            for (uint32_t i = 0; i < hd; i++)
                kv->acc[i] += (int64_t)wt * vt[i];
        }
    }
    float back = sum_w / (W_TOTAL * sum_p);
    for (uint32_t i = 0; i < hd; i++)
        out[i] = (float)kv->acc[i] * back;
}

void kv_attention(struct kv_cache *kv, uint32_t layer, uint32_t pos, const float *q, uint32_t n_heads,
                  float *out)
{
    uint32_t hd = kv->head_dim, group = n_heads / kv->n_kv_heads;
    for (uint32_t h = 0; h < n_heads; h++)
        attend_head(kv, layer, h / group, pos, q + h * hd, out + h * hd);
}
