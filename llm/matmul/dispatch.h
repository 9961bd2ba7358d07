/* dispatch.h: choosing the integer matrix-vector kernels by measurement.
 *
 * CPUID (and XGETBV for the AVX state) says which variants may run; each
 * allowed variant then runs for a few milliseconds on a representative
 * matrix and the fastest is chosen, per weight format. All variants compute
 * repack.h's recipe bit for bit (dispatch_init also checks each against the
 * scalar one and drops any that differs), so the choice changes speed only.
 * The same code runs in MyOS (ring 0) and in the host program.
 */
#ifndef LLM_DISPATCH_H
#define LLM_DISPATCH_H

#include <stddef.h>
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

/* The variants, defined in kernels_*.c; the scalar one is the reference. */
extern const struct rq_variant rq_variant_scalar;
extern const struct rq_variant rq_variant_avx2;
extern const struct rq_variant rq_variant_avx2_madd;
extern const struct rq_variant rq_variant_sse2;

/* m times the n activations a[0..n-1] with variant v's kernel for the
 * matrix's format: row r of vector i into y[i * ystride + r], each group's
 * weights read from memory once for all n. */
void rq_variant_matmul(const struct rq_variant *v, const struct rq_matrix *m, const struct rq_act *a, uint32_t n,
                       float *y, size_t ystride);

/* Variant i in report order (0 = scalar), NULL past the end. */
const struct rq_variant *dispatch_variant(uint32_t i);

#define DISPATCH_MAX_VARIANTS 4

/* What dispatch_init found, for `cpu` and the host CLI. */
struct dispatch_report {
    uint32_t cpu;                 /* CPU_* bits detected */
    char vendor[13];
    uint32_t n;                   /* variants known */
    struct {
        const char *name;
        int allowed;              /* CPU has what it needs */
        int exact;                /* matched the scalar results */
        float ns_per_mac[RQ_FORMATS]; /* 0: not measured */
    } v[DISPATCH_MAX_VARIANTS];
    const char *chosen[RQ_FORMATS];
    int tuned;                    /* ns_per_mac measured on a model's matrices */
    const char *forced;           /* NULL unless dispatch_force was used */
};

uint32_t dispatch_cpu_features(void);

/* Detects, measures (about `budget_ms` per candidate and format) and chooses.
 * Idempotent; later calls do nothing. 0, or -1 with err set (out of memory). */
int dispatch_init(uint32_t budget_ms, char *err, size_t errlen);
/* Bytes dispatch_init allocates while it measures (the activation buffers,
 * which stay, included); 0 once it has measured. */
uint64_t dispatch_measure_bytes(void);
/* Bytes of the activation buffers once dispatch_reserve(cols) has run (they
 * are at least as wide as the test matrix, and stay). */
uint64_t dispatch_scratch_bytes(uint32_t cols);
/* Measures again (for `bench`); a forced choice stays. 0 or -1 with err. */
int dispatch_measure(uint32_t budget_ms, char *err, size_t errlen);

/* Times the exact variants within 1.5x of the best on the test matrix
 * again on a model's own repacked matrices (one pass each, twice when that
 * is quick, interleaved: weights streaming from memory rank kernels
 * differently from a cached test matrix) and chooses again; the others'
 * figures become 0 (not measured). After dispatch_init and dispatch_reserve; -1 when out of memory
 * (the choice then stays). */
int dispatch_tune(struct rq_matrix *const *mats, uint32_t n);

/* Forces variant `name` ("scalar", "avx2", "avx2-madd", "sse2") for every format it
 * provides, or "auto" to return to the measured choice. -1 with err set when
 * unknown or not supported by this CPU. Call after dispatch_init. */
int dispatch_force(const char *name, char *err, size_t errlen);

const struct dispatch_report *dispatch_get_report(void);

/* Makes rq_matvec ready for vectors of up to `cols` values (its scratch
 * activation). 0, or -1 with err set. */
int dispatch_reserve(uint32_t cols, char *err, size_t errlen);

/* y = m * x with the chosen kernel (dispatch_init runs first if needed,
 * with a default budget). x has m->cols floats (at most what
 * dispatch_reserve allowed), y m->rows. */
void rq_matvec(const struct rq_matrix *m, const float *x, float *y);
/* The batched form: n <= LLM_BATCH vectors, x + i * xstride into
 * y + i * ystride. */
void rq_matmul(const struct rq_matrix *m, const float *x, size_t xstride, uint32_t n, float *y,
               size_t ystride);
/* Several matrices with as many columns applied to the same vectors (Q, K
 * and V; gate and up): the vectors are quantized once for all of them. */
struct rq_product {
    const struct rq_matrix *m;
    float *y;
    size_t ystride;
};
void rq_matmul_many(const struct rq_product *p, uint32_t count, const float *x, size_t xstride, uint32_t n);

#endif
