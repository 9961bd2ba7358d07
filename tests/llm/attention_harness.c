/* attention_harness.c: runs llm/attention.c on pseudo-random keys, values and
 * queries with its scalar loops and, when the CPU has AVX2, with the AVX2
 * ones, and reports whether every output is the same bits.
 *
 *   attention_harness HEAD_DIM N_HEADS N_KV_HEADS POSITIONS SEED
 * prints "scalar" or "scalar avx2", then "equal" or the first difference;
 * exit 0 only if all variants agree. Values span several magnitudes per
 * head (the outlier channels real models have), scores range widely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "ops.h"

static uint32_t rng;

static float rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.0f * 2.0f - 1.0f;
}

/* Uniform in [-1, 1) times a scale from 1/64 to 64: outliers included. */
static void fill(float *x, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float scale = 1.0f;
        for (int e = (int)((rnd() + 1.0f) * 6.0f) - 6; e < 0; e++)
            scale *= 0.5f;
        if (rnd() > 0.95f)
            scale *= 64.0f;
        x[i] = rnd() * scale;
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: attention_harness HEAD_DIM N_HEADS N_KV_HEADS POSITIONS SEED\n");
        return 2;
    }
    uint32_t hd = (uint32_t)atoi(argv[1]), nh = (uint32_t)atoi(argv[2]), nkv = (uint32_t)atoi(argv[3]);
    uint32_t npos = (uint32_t)atoi(argv[4]);
    rng = (uint32_t)atoi(argv[5]);
    struct kv_cache kv;
    ops_init();
    if (kv_cache_init(&kv, 2, npos, nkv, hd) != 0) {
        fprintf(stderr, "kv_cache_init failed\n");
        return 2;
    }
    int simd = kv.simd;
    printf(simd ? "scalar avx2\n" : "scalar\n");
    float *k = malloc(sizeof(float) * nkv * hd), *v = malloc(sizeof(float) * nkv * hd);
    float *q = malloc(sizeof(float) * nh * hd);
    float *out[2] = { malloc(sizeof(float) * nh * hd), malloc(sizeof(float) * nh * hd) };
    for (uint32_t pos = 0; pos < npos; pos++) {
        fill(k, nkv * hd);
        fill(v, nkv * hd);
        kv_store(&kv, 1, pos, k, v);
        fill(q, nh * hd);
        for (uint32_t i = 0; i < nh * hd; i++)
            q[i] *= 4.0f; /* sharp and flat softmaxes */
        for (int variant = 0; variant <= simd; variant++) {
            kv.simd = variant;
            kv_attention(&kv, 1, pos, 1, q, 0, nh, 0, out[variant], 0);
        }
        if (simd && memcmp(out[0], out[1], sizeof(float) * nh * hd) != 0) {
            for (uint32_t i = 0; i < nh * hd; i++)
                if (memcmp(&out[0][i], &out[1][i], sizeof(float)))
                    printf("differ at pos %u value %u: %.9g vs %.9g\n", pos, i, out[0][i], out[1][i]);
            return 1;
        }
    }
    printf("equal\n");
    kv_cache_free(&kv);
    return 0;
}
