/* kernels.h: the kernel variants of repack.h's recipe, as tables of
 * per-group functions (kernels_scalar.c, kernels_sse2.c, kernels_avx2.c).
 *
 * Every variant computes the recipe bit for bit, so which one runs changes
 * speed only: matmul.c runs whichever select.c chose. The kernels take the
 * layout (where a group's weights, scales and units are) from repack.h.
 */
#ifndef LLM_KERNELS_H
#define LLM_KERNELS_H

#include <stdint.h>

#include "matmul/repack.h"

/* CPU features the variants need. */
#define CPU_SSE2 (1u << 0)
#define CPU_SSSE3 (1u << 1)
#define CPU_SSE41 (1u << 2)
#define CPU_AVX (1u << 3)   /* usable: CPUID and the OS-enabled YMM state */
#define CPU_AVX2 (1u << 4)
#define CPU_FMA (1u << 5)

/* A variant's kernel for one format: `group` computes group g (RQ_ROWS
 * rows) for activation a into y[0..RQ_ROWS); `range` groups g .. end - 1
 * into y[0 .. (end - g) * RQ_ROWS), end - g a multiple of `step` (the
 * groups its inner kernel does at once). One call per range, not per
 * group: under emulation every call and return through a pointer costs a
 * lookup of the translated code. */
typedef void (*rq_group_fn)(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y);
typedef void (*rq_range_fn)(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, uint32_t end,
                            float *y);
struct rq_kernel {
    rq_group_fn group; /* NULL: format not provided */
    rq_range_fn range;
    uint32_t step;
};

/* Defines `name`, an rq_range_fn running fn (an rq_group_fn for `step`
 * groups at once) over a range; `attrs` are its function attributes. */
#define RQ_RANGE(attrs, name, fn, step)                                                                  \
    attrs static void name(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, uint32_t end, \
                           float *y)                                                                    \
    {                                                                                             \
        for (; g < end; g += (step), y += (step) * RQ_ROWS)                                       \
            fn(m, a, g, y);                                                                       \
    }

struct rq_variant {
    const char *name;
    uint32_t needs; /* CPU_* bits */
    int pairs;      /* reads rq_act's m4/m8 */
    struct rq_kernel fmt[RQ_FORMATS];
};

/* The variants; the scalar one is the reference, and runs anywhere. */
extern const struct rq_variant rq_variant_scalar;
extern const struct rq_variant rq_variant_avx2;
extern const struct rq_variant rq_variant_avx2_madd;
extern const struct rq_variant rq_variant_sse2;

#endif
