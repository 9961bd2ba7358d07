/* float_products.c: the training's float32 products in register tiles
 * (float_products.h). The tiles hold their sums in arrays of vectors
 * indexed by constants only, which the compiler keeps in registers.
 *
 * The vectors are FV_LANES floats: eight (one AVX register) in the host
 * program's x86-64 build, four (one SSE register) in the 32-bit builds, the
 * kernel's among them. A 32-byte vector without AVX is a block of memory to
 * GCC, copied four bytes at a time at every update (a 64-token step of
 * SmolLM2 under QEMU took 171 s so, 99 s with four-float vectors; AVX in
 * the kernel is slower still under QEMU's emulation). With four lanes a dot
 * product's eight lane sums are two vectors' (lanes 0-3, then 4-7), each
 * over the same columns in the same order: the same bits. fp_sum_rows,
 * whose columns are independent sums, takes wider vectors where there are
 * (CV_LANES). */
#include "train/float_products.h"

/* FV_SPLAT is a macro: a function taking a vector by value changes the i386 ABI. */
#if defined(__AVX__)
#define FV_LANES 8
typedef float fv __attribute__((vector_size(32), aligned(4)));
#define FV_SPLAT(v) ((fv){ (v), (v), (v), (v), (v), (v), (v), (v) })
#else
#define FV_LANES 4
typedef float fv __attribute__((vector_size(16), aligned(4)));
#define FV_SPLAT(v) ((fv){ (v), (v), (v), (v) })
#endif

/* Tile sizes, which change the speed only (each output's sum keeps its
 * order whatever tile it is in), chosen for the registers there are: 16
 * with AVX on x86-64, 8 SSE registers in the 32-bit builds. fp_dot_rows
 * takes DOT_TOKENS vectors x_t with its FP_ROWS rows; fp_sum_rows
 * SUM_OUTPUTS outputs by SUM_VECTORS vectors of columns. */
#if defined(__x86_64__) && defined(__AVX__)
#define DOT_TOKENS 4
#define SUM_OUTPUTS 4
#define SUM_VECTORS 4
#else
#define DOT_TOKENS 1
#define SUM_OUTPUTS 2
#define SUM_VECTORS 2
#endif

/* The vectors of one dot product's eight lane sums, and lane l of them. */
#define FV_PER_8 (8 / FV_LANES)
#define LANE(v, l) ((v)[(l) / FV_LANES][(l) % FV_LANES])

/* A dot product's eight lane sums added in the order float_products.h gives. */
static inline float lane_sum(const fv v[FV_PER_8])
{
    return ((LANE(v, 0) + LANE(v, 4)) + (LANE(v, 2) + LANE(v, 6))) +
           ((LANE(v, 1) + LANE(v, 5)) + (LANE(v, 3) + LANE(v, 7)));
}

/* Vector g of the lane sums of fp_dot_rows (lanes FV_LANES * g on) for
 * the vectors t .. t + nt - 1 over the first vec columns, into
 * sums[k][i][g] (nt a constant after inlining: the loops unroll and the
 * sums stay in registers). */
static inline __attribute__((always_inline)) void dot_lanes(const float *const rows[FP_ROWS], uint32_t vec,
                                                             const float *x, size_t xs, uint32_t t, uint32_t g,
                                                             fv sums[DOT_TOKENS][FP_ROWS][FV_PER_8],
                                                             const uint32_t nt)
{
    fv a[DOT_TOKENS][FP_ROWS];
#pragma GCC unroll 8
    for (uint32_t k = 0; k < nt; k++)
#pragma GCC unroll 4
        for (uint32_t i = 0; i < FP_ROWS; i++)
            a[k][i] = FV_SPLAT(0.0f);
    for (uint32_t c = FV_LANES * g; c < vec; c += 8) {
        fv w[FP_ROWS];
#pragma GCC unroll 4
        for (uint32_t i = 0; i < FP_ROWS; i++)
            w[i] = *(const fv *)(rows[i] + c);
#pragma GCC unroll 8
        for (uint32_t k = 0; k < nt; k++) {
            const fv v = *(const fv *)(x + (t + k) * xs + c);
#pragma GCC unroll 4
            for (uint32_t i = 0; i < FP_ROWS; i++)
                a[k][i] += v * w[i];
        }
    }
#pragma GCC unroll 8
    for (uint32_t k = 0; k < nt; k++)
#pragma GCC unroll 4
        for (uint32_t i = 0; i < FP_ROWS; i++)
            sums[k][i][g] = a[k][i];
}

/* fp_dot_rows for the vectors t .. t + nt - 1. */
static inline __attribute__((always_inline)) void dot_tile(const float *const rows[FP_ROWS], uint32_t nr,
                                                            uint32_t cols, const float *x, size_t xs, uint32_t t,
                                                            float *out, size_t os, float f, int accumulate,
                                                            const uint32_t nt)
{
    const uint32_t vec = cols & ~7u;
    fv sums[DOT_TOKENS][FP_ROWS][FV_PER_8];
#pragma GCC unroll 2
    for (uint32_t g = 0; g < FV_PER_8; g++)
        dot_lanes(rows, vec, x, xs, t, g, sums, nt);
    for (uint32_t k = 0; k < nt; k++) {
        const float *xt = x + (t + k) * xs;
        for (uint32_t i = 0; i < nr; i++) {
            float s = lane_sum(sums[k][i]);
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

/* fp_sum_rows's outputs are independent columns, each summed over the rows
 * in order, so their vector width changes the speed only: sixteen floats
 * (one AVX-512 register, and 32 of them) where the build has AVX-512F, in
 * tiles of CV_LANES * SUM_VECTORS columns; then FV_LANES at a time. */
#if defined(__AVX512F__)
#define CV_LANES 16
typedef float cv __attribute__((vector_size(64), aligned(4)));
#else
#define CV_LANES FV_LANES
typedef fv cv;
#endif

/* fp_sum_rows for the columns c .. c + lanes * nv - 1 of outputs
 * o .. o + no - 1, in vectors `vec` of `lanes` floats (no, nv constants
 * after inlining: the loops unroll and the sums stay in registers). A macro
 * for the two vector types; the scalar multiplies below broadcast. */
#define SUM_TILE(name, vec, lanes)                                                                               \
    static inline __attribute__((always_inline)) void name(const float *rows, size_t rs, uint32_t nr, uint32_t c, \
                                                           const float *g, size_t go, size_t gi, uint32_t o,      \
                                                           float *out, size_t os, float f, const uint32_t no,    \
                                                           const uint32_t nv)                                     \
    {                                                                                                              \
        vec a[SUM_OUTPUTS][SUM_VECTORS];                                                                           \
        _Pragma("GCC unroll 4") for (uint32_t k = 0; k < no; k++)                                                  \
            _Pragma("GCC unroll 4") for (uint32_t v = 0; v < nv; v++)                                              \
                a[k][v] = (vec){ 0 };                                                                              \
        for (uint32_t i = 0; i < nr; i++) {                                                                        \
            const float *w = rows + i * rs + c;                                                                    \
            vec wv[SUM_VECTORS];                                                                                   \
            _Pragma("GCC unroll 4") for (uint32_t v = 0; v < nv; v++)                                              \
                wv[v] = *(const vec *)(w + (lanes) * v);                                                           \
            _Pragma("GCC unroll 4") for (uint32_t k = 0; k < no; k++) {                                            \
                const float s = g[(o + k) * go + i * gi];                                                          \
                _Pragma("GCC unroll 4") for (uint32_t v = 0; v < nv; v++)                                          \
                    a[k][v] += s * wv[v];                                                                          \
            }                                                                                                      \
        }                                                                                                          \
        _Pragma("GCC unroll 4") for (uint32_t k = 0; k < no; k++)                                                  \
            _Pragma("GCC unroll 4") for (uint32_t v = 0; v < nv; v++)                                              \
                *(vec *)(out + (o + k) * os + c + (lanes) * v) += f * a[k][v];                                     \
    }
SUM_TILE(sum_tile, cv, CV_LANES)
SUM_TILE(sum_tile_fv, fv, FV_LANES)

void fp_sum_rows(const float *rows, size_t rs, uint32_t nr, uint32_t cols, const float *g, size_t go, size_t gi,
                 uint32_t n, float *out, size_t os, float f)
{
    /* Tiles of SUM_OUTPUTS outputs by SUM_VECTORS vectors of columns, then
     * one vector at a time, then single columns. */
    uint32_t c = 0;
    for (; c + CV_LANES * SUM_VECTORS <= cols; c += CV_LANES * SUM_VECTORS) {
        uint32_t o = 0;
        for (; o + SUM_OUTPUTS <= n; o += SUM_OUTPUTS)
            sum_tile(rows, rs, nr, c, g, go, gi, o, out, os, f, SUM_OUTPUTS, SUM_VECTORS);
        for (; o < n; o++)
            sum_tile(rows, rs, nr, c, g, go, gi, o, out, os, f, 1, SUM_VECTORS);
    }
    for (; c + FV_LANES <= cols; c += FV_LANES)
        for (uint32_t o = 0; o < n; o++)
            sum_tile_fv(rows, rs, nr, c, g, go, gi, o, out, os, f, 1, 1);
    for (; c < cols; c++)
        for (uint32_t o = 0; o < n; o++) {
            float a = 0.0f;
            for (uint32_t i = 0; i < nr; i++)
                a += g[o * go + i * gi] * rows[i * rs + c];
            out[o * os + c] += f * a;
        }
}
