/* float_products.c: the training's float32 products in register tiles
 * (float_products.h). The tiles hold their sums in named variables: an
 * array of vectors would live in memory. */
#include "train/float_products.h"

/* Tile sizes, which change the speed only (each output's sum keeps its
 * order whatever tile it is in). Vectors x_t handled at once by
 * fp_dot_rows, each with FP_ROWS rows; outputs o, and vectors of 8 columns,
 * by fp_sum_rows' tiles. Where there are 16 vector registers or more
 * (x86-64 with AVX: the host program), tiles of 4 by 4. The kernel's
 * 32-bit build has eight SSE registers, four f8: spilled tiles made a step
 * 2.4x slower under QEMU's emulation, so it takes one token at a time, and
 * fp_sum_rows adds each row into a partial sum of SUM_CHUNK columns in
 * memory, its weight broadcast once for all of them. */
#if defined(__x86_64__) && defined(__AVX__)
#define FP_TILES 1
#define DOT_TOKENS 4
#else
#define FP_TILES 0
#define DOT_TOKENS 1
#endif
#define SUM_OUTPUTS 4
#define SUM_VECTORS 4
#define SUM_CHUNK 256

/* fp_dot_rows for the vectors t .. t + nt - 1 (nt a constant after
 * inlining: the loops unroll and the sums stay in registers). */
static inline __attribute__((always_inline)) void dot_tile(const float *const rows[FP_ROWS], uint32_t nr,
                                                            uint32_t cols, const float *x, size_t xs, uint32_t t,
                                                            float *out, size_t os, float f, int accumulate,
                                                            const uint32_t nt)
{
    const uint32_t vec = cols & ~7u;
    f8 a[DOT_TOKENS][FP_ROWS];
#pragma GCC unroll 8
    for (uint32_t k = 0; k < nt; k++)
#pragma GCC unroll 4
        for (uint32_t i = 0; i < FP_ROWS; i++)
            a[k][i] = F8_SPLAT(0.0f);
    for (uint32_t c = 0; c < vec; c += 8) {
        f8 w[FP_ROWS];
#pragma GCC unroll 4
        for (uint32_t i = 0; i < FP_ROWS; i++)
            w[i] = *(const f8 *)(rows[i] + c);
#pragma GCC unroll 8
        for (uint32_t k = 0; k < nt; k++) {
            const f8 v = *(const f8 *)(x + (t + k) * xs + c);
#pragma GCC unroll 4
            for (uint32_t i = 0; i < FP_ROWS; i++)
                a[k][i] += v * w[i];
        }
    }
    for (uint32_t k = 0; k < nt; k++) {
        const float *xt = x + (t + k) * xs;
        for (uint32_t i = 0; i < nr; i++) {
            float s = f8_sum(&a[k][i]);
            for (uint32_t c = vec; c < cols; c++)
                s += rows[i][c] * xt[c];
            float *o = out + (t + k) * os + i;
            *o = accumulate ? *o + f * s : f * s;
        }
    }
}

void fp_dot_rows(const float *const rows[FP_ROWS], uint32_t nr, uint32_t cols, const float *x, size_t xs,
                 uint32_t n, float *out, size_t os, float f, int accumulate)
{
    uint32_t t = 0;
    for (; t + DOT_TOKENS <= n; t += DOT_TOKENS)
        dot_tile(rows, nr, cols, x, xs, t, out, os, f, accumulate, DOT_TOKENS);
    for (; t < n; t++)
        dot_tile(rows, nr, cols, x, xs, t, out, os, f, accumulate, 1);
}

/* fp_sum_rows for the columns c .. c + 8 * nv - 1 of outputs o .. o + no - 1
 * (no, nv constants after inlining: the loops unroll and the sums stay in
 * registers). */
static inline __attribute__((always_inline)) void sum_tile(const float *rows, size_t rs, uint32_t nr,
                                                            uint32_t c, const float *g, size_t go, size_t gi,
                                                            uint32_t o, float *out, size_t os, float f,
                                                            const uint32_t no, const uint32_t nv)
{
    f8 a[SUM_OUTPUTS][4];
#pragma GCC unroll 4
    for (uint32_t k = 0; k < no; k++)
#pragma GCC unroll 4
        for (uint32_t v = 0; v < nv; v++)
            a[k][v] = F8_SPLAT(0.0f);
    for (uint32_t i = 0; i < nr; i++) {
        const float *w = rows + i * rs + c;
        f8 wv[4];
#pragma GCC unroll 4
        for (uint32_t v = 0; v < nv; v++)
            wv[v] = *(const f8 *)(w + 8 * v);
#pragma GCC unroll 4
        for (uint32_t k = 0; k < no; k++) {
            const f8 s = F8_SPLAT(g[(o + k) * go + i * gi]);
#pragma GCC unroll 4
            for (uint32_t v = 0; v < nv; v++)
                a[k][v] += s * wv[v];
        }
    }
    const f8 fv = F8_SPLAT(f);
#pragma GCC unroll 4
    for (uint32_t k = 0; k < no; k++)
#pragma GCC unroll 4
        for (uint32_t v = 0; v < nv; v++)
            *(f8 *)(out + (o + k) * os + c + 8 * v) += fv * a[k][v];
}

#if !FP_TILES
/* fp_sum_rows for the whole vectors of columns, SUM_CHUNK at a time: the
 * same sums as sum_tile's, from 0 over the rows in order, then added. */
static void sum_chunks(const float *rows, size_t rs, uint32_t nr, uint32_t vec, const float *g, size_t go,
                       size_t gi, uint32_t n, float *out, size_t os, float f)
{
    const f8 fv = F8_SPLAT(f);
    f8 part[SUM_CHUNK / 8];
    for (uint32_t c0 = 0; c0 < vec; c0 += SUM_CHUNK) {
        const uint32_t nv = (vec - c0 < SUM_CHUNK ? vec - c0 : SUM_CHUNK) / 8;
        for (uint32_t o = 0; o < n; o++) {
            for (uint32_t v = 0; v < nv; v++)
                part[v] = F8_SPLAT(0.0f);
            for (uint32_t i = 0; i < nr; i++) {
                const f8 s = F8_SPLAT(g[o * go + i * gi]);
                const float *w = rows + i * rs + c0;
                for (uint32_t v = 0; v < nv; v++)
                    part[v] += s * *(const f8 *)(w + 8 * v);
            }
            float *y = out + o * os + c0;
            for (uint32_t v = 0; v < nv; v++)
                *(f8 *)(y + 8 * v) += fv * part[v];
        }
    }
}
#endif

void fp_sum_rows(const float *rows, size_t rs, uint32_t nr, uint32_t cols, const float *g, size_t go, size_t gi,
                 uint32_t n, float *out, size_t os, float f)
{
    uint32_t c = 0;
#if FP_TILES
    /* Tiles of SUM_OUTPUTS outputs by SUM_VECTORS vectors of columns, then
     * one vector at a time, then single columns. */
    for (; c + 8 * SUM_VECTORS <= cols; c += 8 * SUM_VECTORS) {
        uint32_t o = 0;
        for (; o + SUM_OUTPUTS <= n; o += SUM_OUTPUTS)
            sum_tile(rows, rs, nr, c, g, go, gi, o, out, os, f, SUM_OUTPUTS, SUM_VECTORS);
        for (; o < n; o++)
            sum_tile(rows, rs, nr, c, g, go, gi, o, out, os, f, 1, SUM_VECTORS);
    }
    for (; c + 8 <= cols; c += 8)
        for (uint32_t o = 0; o < n; o++)
            sum_tile(rows, rs, nr, c, g, go, gi, o, out, os, f, 1, 1);
#else
    c = cols & ~7u;
    sum_chunks(rows, rs, nr, c, g, go, gi, n, out, os, f);
#endif
    for (; c < cols; c++)
        for (uint32_t o = 0; o < n; o++) {
            float a = 0.0f;
            for (uint32_t i = 0; i < nr; i++)
                a += g[o * go + i * gi] * rows[i * rs + c];
            out[o * os + c] += f * a;
        }
}
